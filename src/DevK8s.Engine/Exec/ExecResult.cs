namespace DevK8s.Engine.Exec;

public sealed record ExecResult(int ExitCode, string Stdout, string Stderr);

/// <summary>A command in a container could not run or failed; Stderr holds what it said.</summary>
public class ExecException(string message, int exitCode = -1, string? stderr = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
    public string? Stderr { get; } = stderr;
}
