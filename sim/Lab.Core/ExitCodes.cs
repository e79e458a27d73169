namespace Lab.Core;

/// <summary>The lab's process exit codes, which library runners return and the CLI passes on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int CheckFailed = 1;
    public const int BadInput = 2;
}
