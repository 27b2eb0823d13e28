using System.Diagnostics;
using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Local;

/// <summary>
/// A developer's command run on this machine: output streamed line by line as log records, the
/// last lines kept for error messages, and the whole process tree killed on stop, on error, or
/// when this process exits.
/// </summary>
public sealed class LocalProcess : IAsyncDisposable
{
    private const int KeepLines = 20;
    private readonly Process _process;
    private readonly ProcessTree _tree;
    private readonly Queue<string> _lastLines = new();
    private readonly Task _pump;
    private readonly IDisposable _shutdown;

    public int Pid => _process.Id;
    public Task<int> Exited { get; }
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public IReadOnlyList<string> LastLines { get { lock (_lastLines) return _lastLines.ToList(); } }

    private LocalProcess(Process process, ProcessTree tree, string service, ILogSink log)
    {
        _process = process;
        _tree = tree;
        var stdout = PumpAsync(process.StandardOutput, "stdout", service, log);
        var stderr = PumpAsync(process.StandardError, "stderr", service, log);
        _pump = Task.WhenAll(stdout, stderr);
        Exited = WaitAsync();
        _shutdown = ShutdownHooks.Add(tree.KillNow);
    }

    /// <summary>Starts the command in its own process group with exactly the given environment.</summary>
    public static LocalProcess Start(CommandSpec command, string workingDirectory, IReadOnlyDictionary<string, string> environment, string service, ILogSink log)
    {
        var info = command.Shell is { } line
            ? OperatingSystem.IsWindows()
                ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/d", "/s", "/c", line } }
                : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", line } }
            : new ProcessStartInfo(command.Argv![0]);
        if (command.Argv is { } argv) foreach (var a in argv.Skip(1)) info.ArgumentList.Add(a);
        info.WorkingDirectory = workingDirectory;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true; // no terminal input: a dev server must not wait on the console
        info.UseShellExecute = false;
        info.Environment.Clear();
        foreach (var (k, v) in environment) info.Environment[k] = v;
        var prepared = ProcessTree.Prepare(info);
        Process process;
        try
        {
            process = Process.Start(prepared) ?? throw new InvalidOperationException("the process did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LocalProcessException($"cannot start '{command}' in {workingDirectory}: {e.Message}", []);
        }
        process.StandardInput.Close();
        return new LocalProcess(process, ProcessTree.Track(process), service, log);
    }

    private async Task PumpAsync(StreamReader reader, string stream, string service, ILogSink log)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_lastLines)
            {
                _lastLines.Enqueue(line);
                if (_lastLines.Count > KeepLines) _lastLines.Dequeue();
            }
            log.Write(new DevLogRecord(DateTimeOffset.Now, service, null, null, stream, line, LogSource.Local));
        }
    }

    private async Task<int> WaitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        try { await _pump.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch (TimeoutException) { }
        return _process.ExitCode;
    }

    /// <summary>Stops the process and everything it started (TERM, then KILL after the grace period).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await _tree.KillAsync(grace).ConfigureAwait(false);
        try { await Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch (TimeoutException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _shutdown.Dispose();
        if (!_process.HasExited) await StopAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        _tree.Dispose();
        _process.Dispose();
    }
}

public sealed class LocalProcessException(string message, IReadOnlyList<string> lastLines) : Exception(message)
{
    public IReadOnlyList<string> LastLines { get; } = lastLines;
}
