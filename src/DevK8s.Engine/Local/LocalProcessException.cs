namespace DevK8s.Engine.Local;

/// <summary>A local program that could not start, timed out or failed, with a stable id (ErrorRecord 'DevK8s.&lt;Id&gt;') and what to do.</summary>
public sealed class LocalProcessException(string errorId, string message, string recommendedAction, IReadOnlyList<string> lastLines) : Exception(message)
{
    public const string ProgramNotFound = "ProgramNotFound";
    public const string WorkingDirectoryNotFound = "WorkingDirectoryNotFound";
    public const string StartFailed = "ProcessStartFailed";
    public const string TimedOut = "ProcessTimedOut";

    public string ErrorId { get; } = errorId;
    public string RecommendedAction { get; } = recommendedAction;
    /// <summary>The last lines the program wrote (stdout and stderr), for the error message.</summary>
    public IReadOnlyList<string> LastLines { get; } = lastLines;
}
