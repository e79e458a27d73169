using Lab.KernelLab.Vm;

namespace Lab.Captures.Tests.Vm;

public sealed class VmProtocolTests
{
    [Fact]
    public void Request_carries_id_timeout_and_the_script_in_base64()
    {
        // base64("echo hi\n") = ZWNobyBoaQo= (RFC 4648 section 4: "ech" -> ZWNo, "o h" -> byBo, "i\n" -> aQo=)
        Assert.Equal("@@RUN 3 10 ZWNobyBoaQo=", VmProtocol.FormatRequest(3, 10, "echo hi\n"));
        Assert.Throws<ArgumentOutOfRangeException>(() => VmProtocol.FormatRequest(1, 0, "true"));
    }

    [Fact]
    public void Answer_is_assembled_from_base64_lines_split_anywhere()
    {
        var a = new VmAnswerAssembler(5);

        Assert.False(a.Add("stray line before the answer"));
        Assert.False(a.Add("@@OUT 5"));
        Assert.False(a.Add("aGVs"));        // "hel"
        Assert.False(a.Add("bG8K"));        // "lo\n"
        Assert.False(a.Add("@@ERR 5"));
        Assert.False(a.Add("b29wcw=="));    // "oops"
        Assert.True(a.Add("@@END 5 3 0"));

        Assert.Equal(new VmCommandResult(3, "hello\n", "oops"), a.Result);
        Assert.False(a.TimedOut);
    }

    [Fact]
    public void Empty_output_and_the_timeout_flag_are_reported()
    {
        var a = new VmAnswerAssembler(1);
        foreach (var line in new[] { "@@OUT 1", "@@ERR 1" })
            a.Add(line);

        Assert.True(a.Add("@@END 1 137 1"));
        Assert.Equal(new VmCommandResult(137, "", ""), a.Result);
        Assert.True(a.TimedOut);
    }

    [Theory]
    [InlineData("@@END 4 0 0")]             // an answer to another request
    [InlineData("@@BAD @@RUN x 10")]        // the agent could not read the request
    [InlineData("@@ERR 5")]                 // ERR before OUT
    public void Unexpected_markers_break_the_channel_instead_of_being_skipped(string line)
    {
        var a = new VmAnswerAssembler(5);

        Assert.Throws<VmException>(() => a.Add(line));
    }

    [Fact]
    public void Corrupt_payload_is_an_error()
    {
        var a = new VmAnswerAssembler(2);
        a.Add("@@OUT 2");
        a.Add("not*base64");
        a.Add("@@ERR 2");

        Assert.Throws<VmException>(() => a.Add("@@END 2 0 0"));
    }
}
