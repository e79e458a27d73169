using System.CommandLine;

namespace Lab.Cli.Commands;

/// <summary><c>lab esp ...</c>: the ESP model's reference entry points.</summary>
public static class EspCommands
{
    public static Command Create()
    {
        var esp = new Command("esp", "ESP datapath model: wire overhead, anti-replay reference");
        return esp;
    }
}
