using Lab.Experiments.Fuzzing;

namespace Lab.Cli.Tests;

/// <summary>`lab fuzz`'s grammar (issue 18): what each kernel is given, and the timing rules that keep verdicts off scheduling.</summary>
public sealed class FuzzGrammarTests
{
    static readonly long[] Seeds = [20261206, 7];

    [Fact]
    public void The_host_grammar_draws_no_esp_and_never_puts_opposite_sides_at_one_instant()
    {
        int sameSideTogether = 0;
        foreach (long seed in Seeds)
            for (int i = 0; i < 1000; i++)
            {
                var c = FuzzGrammar.Generate(seed, i, "6.18", FuzzKernelCapabilities.Host);
                // The host kernel here has no xfrm: no ESP case, no ESP flow, no sequence number.
                Assert.Null(c.Esp);
                Assert.All(c.Flows, f => Assert.NotEqual("esp", f.Proto));
                Assert.All(c.Packets, p => Assert.Null(p.Seq));
                sameSideTogether += AssertSidesApart(c, $"seed {seed} case {i}");
            }
        // Packets of one side still share instants (played back to back on one link): the rule is about sides only.
        Assert.True(sameSideTogether > 100, $"{sameSideTogether} instants hold several packets of one side");
    }

    /// <summary>
    /// Every instant holds packets of one side only: client packets (orig) enter the ingress link, server packets
    /// (reply) the egress link, and the kernel has no order between two links. Distinct instants are at least
    /// <see cref="FuzzGrammar.MarginMs"/> apart. Returns how many instants hold more than one packet.
    /// </summary>
    static int AssertSidesApart(FuzzCase c, string what)
    {
        int shared = 0;
        foreach (var g in c.Packets.GroupBy(p => p.AtMs))
        {
            Assert.True(g.Select(p => p.Reply).Distinct().Count() == 1, $"{what}: client and server packets at {g.Key} ms\n{c.ToYaml()}");
            if (g.Count() > 1) shared++;
        }
        var instants = c.Packets.Select(p => p.AtMs).Distinct().Order().ToList();
        for (int k = 1; k < instants.Count; k++)
            Assert.True(instants[k] - instants[k - 1] >= FuzzGrammar.MarginMs, $"{what}: {instants[k - 1]} ms and {instants[k]} ms");
        Assert.True(c.IsPlayable, $"{what}\n{c.ToYaml()}");
        return shared;
    }

    [Fact]
    public void The_vm_grammar_draws_esp_cases_with_every_replay_kind_and_forward_cases_with_the_vm_only_keys()
    {
        var esp = new List<FuzzCase>();
        int forward = 0, flowtable = 0, max = 0;
        for (int i = 0; i < 600; i++)
        {
            var c = FuzzGrammar.Generate(20261206, i, "6.1", FuzzKernelCapabilities.Vm);
            if (c.Esp is null)
            {
                forward++;
                if (c.Flowtable) flowtable++;
                if (c.ConntrackMax is not null) max++;
                AssertSidesApart(c, $"case {i}");
                // A probe takes the guest about ProbeQuietMs under TCG: nothing is scheduled that soon after one.
                foreach (int t in c.ProbesMs)
                    Assert.DoesNotContain(c.Packets.Select(p => p.AtMs).Concat(c.ProbesMs.Where(u => u != t)), u => u >= t && u < t + FuzzKernelCapabilities.Vm.ProbeQuietMs);
                continue;
            }
            esp.Add(c);
            Assert.All(c.Flows, f => Assert.Equal("esp", f.Proto));
            Assert.All(c.Packets, p => Assert.False(p.Reply));
            Assert.All(c.Packets, p => Assert.NotNull(p.Seq));
            Assert.Null(c.Nat);
            Assert.True(c.IsPlayable, c.ToYaml());
            // The kernel rejects window 0 for an inbound ESN SA (xfrm_init_replay): never drawn.
            Assert.False(c.Esp.Esn && c.Esp.Window == 0, c.ToYaml());
            // A 32-bit sequence number without ESN.
            if (!c.Esp.Esn) Assert.All(c.Packets, p => Assert.True(p.Seq <= uint.MaxValue, c.ToYaml()));
        }
        // About a third of the cases are ESP (Next(3) == 0); the rest forward, with the flowtable in about a third
        // and nf_conntrack_max in about a quarter of them.
        Assert.InRange(esp.Count, 150, 250);
        Assert.InRange(flowtable, forward / 5, forward / 2);
        Assert.InRange(max, forward / 8, forward / 3);
        // Every replay implementation and its edges appear: window 0 (no check), legacy, bmp (above 32), ESN, and
        // ESN packets past a 32-bit wrap (seq_hi moves).
        Assert.Contains(esp, c => !c.Esp!.Esn && c.Esp.Window == 0);
        Assert.Contains(esp, c => !c.Esp!.Esn && c.Esp.Window is > 0 and <= 32);
        Assert.Contains(esp, c => !c.Esp!.Esn && c.Esp.Window > 32);
        Assert.Contains(esp, c => c.Esp!.Esn && c.Packets.Any(p => p.Seq > uint.MaxValue));
        // Sequence numbers in order, late (below the highest so far), repeated, and far beyond the window.
        static IEnumerable<IReadOnlyList<ulong>> PerSa(FuzzCase c) => c.Packets.GroupBy(p => p.Flow).Select(g => (IReadOnlyList<ulong>)[.. g.Select(p => p.Seq!.Value)]);
        Assert.Contains(esp, c => PerSa(c).Any(s => s.Zip(s.Skip(1)).Any(x => x.Second < x.First)));
        Assert.Contains(esp, c => PerSa(c).Any(s => s.Distinct().Count() < s.Count));
        Assert.Contains(esp, c => PerSa(c).Any(s => s.Zip(s.Skip(1)).Any(x => x.Second > x.First + (ulong)Math.Max(c.Esp!.Window, 1))));
        Assert.Contains(esp, c => c.Flows.Any(f => f.Spi == 0x2000));
    }

    [Fact]
    public void Generated_esp_cases_load_and_simulate()
    {
        // Model only: the loader, the ESP script checks and the simulation accept what the grammar writes.
        int n = 0;
        for (int i = 0; n < 25; i++)
        {
            var c = FuzzGrammar.Generate(11, i, "6.1", FuzzKernelCapabilities.Vm);
            if (c.Esp is null) continue;
            n++;
            var model = FuzzCaseRunner.SimulateEsp(c, CancellationToken.None);
            Assert.Equal(c.Packets.Count, model.Packets.Count);
            Assert.Equal(c.Packets.Select(p => p.Seq!.Value), model.Packets.Select(p => p.Sequence));
        }
    }
}
