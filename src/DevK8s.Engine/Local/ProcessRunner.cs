using System.Text;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Local;

/// <summary>A program to run: argv[0] is a path or a name looked up on the environment's PATH.</summary>
public sealed record ProcessSpec(IReadOnlyList<string> Argv)
{
    /// <summary>Null: the current directory.</summary>
    public string? WorkingDirectory { get; init; }
    /// <summary>Null: this process's environment; otherwise exactly these variables.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    /// <summary>Written to the program's stdin (UTF-8), which then closes; null: stdin is empty.</summary>
    public string? Input { get; init; }

    public override string ToString() => string.Join(' ', Argv.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}

/// <summary>A finished program: its output exactly as written (UTF-8), NULs and line endings included.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// The one way DevK8s runs programs on this machine (Telepresence, version probes, a developer's
/// command): each in its own process group (a job object on Windows), so stopping it stops everything
/// it started, TERM first and KILL after a grace; output captured exactly and, line by line, streamed
/// as log records when a sink is given; failures as LocalProcessException with a stable id.
/// </summary>
public static class ProcessRunner
{
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(3);

    /// <summary>Runs a program to its end and returns its output; on timeout or cancellation its tree is stopped.</summary>
    /// <exception cref="LocalProcessException">It cannot start (ProgramNotFound, WorkingDirectoryNotFound, ProcessStartFailed) or ran past <paramref name="timeout"/> (ProcessTimedOut).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; the tree was stopped first.</exception>
    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, TimeSpan timeout, CancellationToken ct, ILogSink? log = null, string service = "")
    {
        using var tree = Start(spec);
        var lines = new LastLines();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var pumps = Task.WhenAll(
            PumpAsync(tree.StandardOutput, "stdout", service, log, lines, stdout),
            PumpAsync(tree.StandardError, "stderr", service, log, lines, stderr),
            WriteInputAsync(tree.StandardInput, spec.Input));
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        int code;
        try
        {
            code = await tree.Exited.WaitAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await tree.KillAsync(DefaultGrace).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            throw new LocalProcessException(LocalProcessException.TimedOut,
                $"'{spec}' did not finish within {timeout.TotalSeconds:0.#} s and was stopped." + lines.Describe(),
                $"Run '{spec}' by hand to see where it waits.", lines.Snapshot());
        }
        await DrainAsync(pumps).ConfigureAwait(false);
        lock (stdout) lock (stderr) return new ProcessResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Starts a long-running program whose output goes to <paramref name="log"/> as records of <paramref name="service"/>.</summary>
    public static LocalProcess Start(ProcessSpec spec, string service, ILogSink log)
    {
        var tree = Start(spec);
        var lines = new LastLines();
        var pumps = Task.WhenAll(
            PumpAsync(tree.StandardOutput, "stdout", service, log, lines, null),
            PumpAsync(tree.StandardError, "stderr", service, log, lines, null),
            WriteInputAsync(tree.StandardInput, spec.Input));
        return new LocalProcess(tree, pumps, lines);
    }

    private static ProcessTree Start(ProcessSpec spec)
    {
        var directory = spec.WorkingDirectory ?? Directory.GetCurrentDirectory();
        if (!Directory.Exists(directory))
            throw new LocalProcessException(LocalProcessException.WorkingDirectoryNotFound, $"cannot run '{spec}': the folder {directory} does not exist.",
                "Create the folder or fix the working directory in devk8s.yaml.", []);
        var environment = spec.Environment ?? System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        var program = spec.Argv[0];
        if ((Path.IsPathRooted(program) || program.Contains('/')) && !File.Exists(Path.Combine(directory, program)))
            throw new LocalProcessException(LocalProcessException.ProgramNotFound, $"cannot run '{spec}': {program} does not exist.",
                "Install the program or fix its path.", []);
        try
        {
            return ProcessTree.Start(spec.Argv, directory, environment, pipeStdin: spec.Input is not null);
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new LocalProcessException(LocalProcessException.StartFailed, $"cannot start '{spec}' in {directory}: {e.Message}",
                "Check that the program exists and may be executed.", []);
        }
    }

    private static async Task PumpAsync(StreamReader reader, string stream, string service, ILogSink? log, LastLines lines, StringBuilder? capture)
    {
        var splitter = new LineSplitter(line =>
        {
            lines.Add(line);
            log?.Write(new DevLogRecord(DateTimeOffset.Now, service, null, null, stream, line, LogSource.Local));
        });
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                if (capture is not null) lock (capture) capture.Append(buffer, 0, n);
                splitter.Add(buffer.AsSpan(0, n));
            }
        }
        catch (ObjectDisposedException) { } // the process was disposed while its output was still open
        catch (IOException) { }
        splitter.End();
    }

    private static async Task WriteInputAsync(Stream? stdin, string? input)
    {
        if (stdin is null || input is null) return;
        try
        {
            await stdin.WriteAsync(Encoding.UTF8.GetBytes(input)).ConfigureAwait(false);
            await stdin.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException) { } // the program ended without reading it all: its exit code says the rest
        catch (ObjectDisposedException) { }
        finally
        {
            try { stdin.Dispose(); } catch (IOException) { }
        }
    }

    /// <summary>Output still in the pipes after the exit arrives within moments, unless a descendant that outlives the process holds them open.</summary>
    internal static async Task DrainAsync(Task pumps)
    {
        try { await pumps.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
        catch (TimeoutException) { }
    }
}

/// <summary>Cuts output into lines as a terminal shows them: at \n, \r\n or a lone \r (progress lines).</summary>
internal sealed class LineSplitter(Action<string> line)
{
    private readonly StringBuilder _current = new();
    private bool _afterCr;

    public void Add(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c == '\n' && _afterCr)
            {
                _afterCr = false;
                continue;
            }
            _afterCr = c == '\r';
            if (c is '\n' or '\r') Emit();
            else _current.Append(c);
        }
    }

    /// <summary>A last line without a line break still counts.</summary>
    public void End()
    {
        if (_current.Length > 0) Emit();
    }

    private void Emit()
    {
        line(_current.ToString());
        _current.Clear();
    }
}

/// <summary>The last lines a program wrote, for error messages.</summary>
internal sealed class LastLines
{
    private const int Keep = 20;
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > Keep) _lines.Dequeue();
        }
    }

    public IReadOnlyList<string> Snapshot() { lock (_lines) return _lines.ToList(); }

    public string Describe()
    {
        var lines = Snapshot();
        return lines.Count == 0 ? "" : $" Last output:\n  {string.Join("\n  ", lines.TakeLast(10))}";
    }
}
