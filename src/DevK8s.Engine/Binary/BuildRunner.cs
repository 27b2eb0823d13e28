using System.Collections;
using System.Diagnostics;
using DevK8s.Engine.Config;
using DevK8s.Engine.Local;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Binary;

/// <summary>What one local build did.</summary>
public sealed record BuildResult(
    int Number, string Command, string WorkingDirectory, bool Succeeded, int? ExitCode, IReadOnlyList<string> LastLines,
    TimeSpan Duration, DateTimeOffset Finished)
{
    /// <summary>The compiler's last lines, for an error record.</summary>
    public string Tail(int lines = 12) => string.Join(Environment.NewLine, LastLines.TakeLast(lines));
}

/// <summary>
/// The one place the Binary strategy runs a local process (the build): in its own process group,
/// output streamed as Build log records, the whole tree killed when the build is cancelled (Ctrl+C,
/// Stop-DevService, the last service leaving the shared build).
/// </summary>
internal static class BuildRunner
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    public static async Task<BuildResult> RunAsync(int number, CommandSpec build, string workingDirectory, ILogSink log, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        LocalProcess process;
        try
        {
            process = LocalProcess.Start(build, workingDirectory, CurrentEnvironment(), "build", log);
        }
        catch (LocalProcessException e)
        {
            return new BuildResult(number, build.ToString(), workingDirectory, false, null, [e.Message], stopwatch.Elapsed, DateTimeOffset.Now);
        }
        await using (process.ConfigureAwait(false))
        {
            int code;
            try
            {
                code = await process.Exited.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await process.StopAsync(StopGrace).ConfigureAwait(false);
                throw;
            }
            return new BuildResult(number, build.ToString(), workingDirectory, code == 0, code, process.LastLines, stopwatch.Elapsed, DateTimeOffset.Now);
        }
    }

    private static Dictionary<string, string> CurrentEnvironment()
    {
        var env = new Dictionary<string, string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v) env[k] = v;
        return env;
    }
}
