using System.Globalization;
using System.Text;

namespace Lab.KernelLab.Vm;

/// <summary>
/// The line protocol between the harness and the guest's control agent
/// (captures/vm/guest/lab-agent) on the virtio-serial port lab.ctl.
/// Request: <c>@@RUN id timeout-seconds base64(script)</c>. Answer:
/// <c>@@OUT id</c>, base64 lines of stdout, <c>@@ERR id</c>, base64 lines of stderr,
/// <c>@@END id exit-code timed-out(0|1)</c>. Payloads are base64 so that no output can
/// forge a marker; lines outside an answer (none are expected) are ignored.
/// </summary>
public static class VmProtocol
{
    public const string Ready = "@@LAB-READY";

    public static string FormatRequest(int id, int timeoutSeconds, string script)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutSeconds);
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes(script));
        return string.Create(CultureInfo.InvariantCulture, $"@@RUN {id} {timeoutSeconds} {payload}");
    }
}

/// <summary>
/// Assembles the answer to one request from the lines the guest sends.
/// Feed lines with <see cref="Add"/> until it returns true, then read <see cref="Result"/>.
/// </summary>
public sealed class VmAnswerAssembler
{
    private enum Part { Before, Out, Err }

    private readonly string _id;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private Part _part;

    public VmAnswerAssembler(int id)
    {
        _id = id.ToString(CultureInfo.InvariantCulture);
    }

    public VmCommandResult? Result { get; private set; }

    /// <summary>True when the guest reported that the command was killed at its timeout.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>Consumes one line; returns true when the answer is complete.</summary>
    public bool Add(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (Result is not null)
            return true;
        if (line.StartsWith("@@", StringComparison.Ordinal))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && f[1] == _id)
            {
                switch (f[0])
                {
                    case "@@OUT":
                        _out.Clear();
                        _err.Clear();
                        _part = Part.Out;
                        return false;
                    case "@@ERR" when _part == Part.Out:
                        _part = Part.Err;
                        return false;
                    case "@@END" when _part == Part.Err && f.Length == 4:
                        var rc = int.Parse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture);
                        TimedOut = f[3] == "1";
                        Result = new VmCommandResult(rc, Decode(_out), Decode(_err));
                        return true;
                }
            }
            throw new VmException($"control channel: unexpected line '{Clip(line)}' while waiting for the answer to request {_id}");
        }
        switch (_part)
        {
            case Part.Out: _out.Append(line.Trim()); break;
            case Part.Err: _err.Append(line.Trim()); break;
            default: break; // noise before the answer starts
        }
        return false;
    }

    private static string Decode(StringBuilder b64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(b64.ToString()));
        }
        catch (FormatException e)
        {
            throw new VmException("control channel: corrupt base64 payload from the guest", e);
        }
    }

    private static string Clip(string s) => s.Length <= 120 ? s : s[..120] + "...";
}
