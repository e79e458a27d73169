namespace Lab.Cli;

/// <summary>A command that reads stdin says so when stdin is a terminal, instead of waiting there silently.</summary>
static class StdinNotice
{
    public static void IfTerminal(TextWriter stderr, string command, string what)
    {
        if (Console.IsInputRedirected) return;
        stderr.WriteLine($"{command}: reading {what} from stdin (end with Ctrl-D); give a FILE to read a file");
        stderr.Flush();
    }
}
