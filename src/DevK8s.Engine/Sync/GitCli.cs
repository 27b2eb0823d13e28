using DevK8s.Engine.Local;

namespace DevK8s.Engine.Sync;

/// <summary>
/// Runs the user's git for the few facts only git knows exactly (index modes, line-ending settings).
/// Reading .git directly would mean reimplementing index versions, worktrees and config includes.
/// </summary>
public static class GitCli
{
    /// <summary>git's exit code and exact stdout, or null when git is not installed or does not answer in time.</summary>
    public static (int ExitCode, string Stdout)? Run(string directory, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        if (ExecutableFinder.Find("git") is not { } git) return null;
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        // Plain output whatever the user's settings: no pager, no prompts, no translated messages.
        environment["GIT_PAGER"] = "cat";
        environment["GIT_TERMINAL_PROMPT"] = "0";
        environment["LC_ALL"] = "C";
        var spec = new ProcessSpec([git, "-C", directory, .. args]) { Environment = environment };
        try
        {
            // Callers are synchronous and git answers in milliseconds; the runner's pumps do not need this thread.
            var result = ProcessRunner.RunAsync(spec, timeout ?? TimeSpan.FromSeconds(20), CancellationToken.None).GetAwaiter().GetResult();
            return (result.ExitCode, result.Stdout);
        }
        catch (LocalProcessException)
        {
            return null;
        }
    }
}
