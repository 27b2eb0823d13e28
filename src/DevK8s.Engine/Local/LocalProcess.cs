using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Local;

/// <summary>
/// A long-running program started by ProcessRunner (a developer's command): output streamed as log
/// records, the last lines kept for error messages, and the whole process tree stopped on stop, on
/// error, or when this process exits.
/// </summary>
public sealed class LocalProcess : IAsyncDisposable
{
    private readonly ProcessTree _tree;
    private readonly Task _pumps;
    private readonly LastLines _lines;

    public int Pid => _tree.Pid;
    /// <summary>The exit code once the process has ended and its output was read.</summary>
    public Task<int> Exited { get; }
    public int? ExitCode => Exited.IsCompletedSuccessfully ? Exited.Result : null;
    public IReadOnlyList<string> LastLines => _lines.Snapshot();

    internal LocalProcess(ProcessTree tree, Task pumps, LastLines lines)
    {
        _tree = tree;
        _pumps = pumps;
        _lines = lines;
        Exited = WaitAsync();
    }

    /// <summary>Starts a configured command (a shell line or an argv) with exactly the given environment.</summary>
    public static LocalProcess Start(CommandSpec command, string workingDirectory, IReadOnlyDictionary<string, string> environment, string service, ILogSink log)
    {
        IReadOnlyList<string> argv = command.Shell is { } line
            ? OperatingSystem.IsWindows() ? ["cmd.exe", "/d", "/s", "/c", line] : ["/bin/sh", "-c", line]
            : command.Argv!;
        return ProcessRunner.Start(new ProcessSpec(argv) { WorkingDirectory = workingDirectory, Environment = environment }, service, log);
    }

    private async Task<int> WaitAsync()
    {
        var code = await _tree.Exited.ConfigureAwait(false);
        await ProcessRunner.DrainAsync(_pumps).ConfigureAwait(false);
        return code;
    }

    /// <summary>Stops the process and everything it started (TERM, then KILL after the grace period).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await _tree.KillAsync(grace).ConfigureAwait(false);
        try { await Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (TimeoutException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_tree.Alive) await StopAsync(ProcessRunner.DefaultGrace).ConfigureAwait(false);
        _tree.Dispose();
    }
}
