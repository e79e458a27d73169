using Lab.Core;

namespace Lab.Scenarios.Profiles;

/// <summary>Every key of a cost profile (lab-cost-profile/1): the single source for the reader and scenarios/README.md.</summary>
public static class CostProfileSchema
{
    /// <summary>
    /// The stages <c>lab calibrate</c> measures, in its order; a profile's stages are these names. Each is a
    /// differential (configuration minus its reference), except baseline, which is what the others subtract.
    /// </summary>
    public static readonly IReadOnlyList<string> StageNames =
    [
        "baseline", "forward", "forward_per_byte", "conntrack_lookup", "conntrack_new", "nat_established", "nat_setup",
        "nat_attempt", "linear_rule", "set_lookup", "flowtable_fast_path", "flow_offload_add",
        "esp_out_tunnel", "esp_out_tunnel_per_byte", "esp_in_tunnel", "esp_in_tunnel_per_byte",
        "esp_out_transport", "esp_out_transport_per_byte", "esp_in_transport", "esp_in_transport_per_byte",
    ];

    public static readonly KeySpec[] TopLevel =
    [
        new("format", "string", "(required)", "Always `lab-cost-profile/1`."),
        new("machine", "string", "(required)", "A label for the machine (kind, CPU, kernel, and conditions such as \"measured under load\")."),
        new("measured", "UTC time", "(required)", "When the calibration ran, ISO 8601 (2026-12-06T07:00:00Z)."),
        new("lab_commit", "string", "(required)", "The lab's git commit that measured it."),
        new("kernel", "mapping", "(required)", "The measured kernel, see kernel.*."),
        new("cpu", "mapping", "(required)", "The CPU, see cpu.*."),
        new("method", "mapping", "(required)", "How it was measured, see method.*."),
        new("stages", "mapping", "(required)", "Measured stages by name, see stages.NAME.*."),
        new("costs", "mapping", "{}", "Model cost keys set by this profile, by element type then key (costs.forward.rx_ingress), see costs.ELEMENT.KEY.*."),
    ];

    public static readonly KeySpec[] Kernel =
    [
        new("release", "string", "(required)", "uname -r."),
        new("where", "host|vm", "(required)", "host: the machine's own kernel in network namespaces; vm: the Debian guest under qemu."),
        new("emulated", "boolean", "false", "True under software emulation (qemu -accel tcg): every value is then labelled not meaningful as a speed."),
    ];

    public static readonly KeySpec[] Cpu =
    [
        new("model", "string", "(required)", "CPU model name (/proc/cpuinfo)."),
        new("cpus", "integer", "(required)", "CPUs online in the measured kernel."),
    ];

    public static readonly KeySpec[] Method =
    [
        new("packets", "integer", "(required)", "Packets per configuration per pass."),
        new("repeat", "integer", "(required)", "Passes of every window; the configurations of each differential run interleaved (ABBA blocks) once per pass. Extra passes of the stages still wider than the bar come on top (a stage's `n`)."),
        new("frame", "size", "(required)", "Ethernet frame size without FCS (UDP over IPv4)."),
        new("flows", "integer", "(required)", "Established flows the traffic cycles through (new-flow stages use a fresh tuple per packet)."),
        new("accounting", "string", "(required)", "How CPU time was counted (which /proc/stat fields, which CPUs, divided by what)."),
        new("pinning", "string", "(required)", "Where the injector ran (CPU affinity)."),
    ];

    public static readonly KeySpec[] Stage =
    [
        new("ns", "number", "(required unless not_measured)", "Busy CPU nanoseconds per packet (per rule, per lookup or per byte where the stage says so), mean over the passes."),
        new("ci95", "[low, high]", "(required unless not_measured)", "95% Student-t interval of ns over the passes."),
        new("softirq_ns", "number", "(none)", "The softirq part of ns, where the kernel accounts it separately."),
        new("n", "integer", "(required unless not_measured)", "Passes the interval is over: `method.repeat`, plus the extra passes that measured this stage."),
        new("not_measured", "string", "(none)", "Why this kernel could not run the stage; no value is given then."),
        new("label", "string", "(none)", "A warning every reader must see, e.g. \"emulated: not meaningful as a speed\"."),
    ];

    public static readonly KeySpec[] Cost =
    [
        new("value", "duration", "(required)", "The cost the model charges, e.g. 312ns (never below zero)."),
        new("ci95", "[low, high]", "(required)", "95% interval in nanoseconds, carried over from the stage(s)."),
        new("from", "list of stage names", "(required)", "The stage(s) this cost is derived from."),
        new("note", "string", "(none)", "How it was derived, e.g. one stage split over several keys in the default proportions."),
        new("label", "string", "(none)", "As stages.NAME.label."),
    ];
}
