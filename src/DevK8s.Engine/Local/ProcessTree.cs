using System.Runtime.InteropServices;

namespace DevK8s.Engine.Local;

/// <summary>
/// A started process with everything it starts. Linux/macOS: the process leads its own process group
/// from birth (posix_spawn, see PosixSpawn), so one signal to the group reaches grandchildren even after
/// they were re-parented; Windows: a job object that kills its members when closed, the process in it
/// from its first instruction (see WindowsSpawn).
/// </summary>
internal sealed partial class ProcessTree : IDisposable
{
    private readonly WindowsSpawn.Spawned? _windows;
    private IDisposable? _shutdown;

    public int Pid { get; }
    /// <summary>The child's stdin when the start asked for one; closing it is the child's end-of-file.</summary>
    public Stream? StandardInput { get; }
    public StreamReader StandardOutput { get; }
    public StreamReader StandardError { get; }
    /// <summary>The exit code once the process (not necessarily its descendants) has ended; 128 + signal when a signal ended it.</summary>
    public Task<int> Exited { get; }

    /// <summary>
    /// How a stop asks the tree to end on Windows: Ctrl+Break to its process group; false when it cannot
    /// be sent. Tests under Wine, which delivers no console control events, put another request here.
    /// </summary>
    internal Func<bool> RequestStop { get; set; } = () => false;

    private ProcessTree(int pid, Stream? stdin, Stream stdout, Stream stderr, Task<int> exited, WindowsSpawn.Spawned? windows = null)
    {
        Pid = pid;
        StandardInput = stdin;
        StandardOutput = new StreamReader(stdout);
        StandardError = new StreamReader(stderr);
        Exited = exited;
        _windows = windows;
    }

    /// <summary>Starts argv[0] (looked up on the given environment's PATH) with exactly that environment; stdin is empty unless <paramref name="pipeStdin"/>.</summary>
    public static ProcessTree Start(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment, bool pipeStdin = false)
    {
        if (OperatingSystem.IsWindows()) return StartWindows(argv, workingDirectory, environment, pipeStdin);
        var spawned = PosixSpawn.Start(argv, workingDirectory, environment, pipeStdin);
        // Registered the moment the PID exists: PowerShell exiting a millisecond later must still take the group along.
        var shutdown = ShutdownHooks.Add(() => kill(-spawned.Pid, 9));
        // A dedicated thread blocks in waitpid: it reaps the child the moment it ends, so a group check
        // afterwards sees only the descendants (a zombie leader would keep the group "alive").
        var exited = Task.Factory.StartNew(() => PosixSpawn.WaitForExit(spawned.Pid), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return new ProcessTree(spawned.Pid, spawned.StandardInput, spawned.StandardOutput, spawned.StandardError, exited) { _shutdown = shutdown };
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static ProcessTree StartWindows(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment, bool pipeStdin)
    {
        var spawned = WindowsSpawn.Start(argv, workingDirectory, environment, pipeStdin);
        // The job's kill-on-close already ends the tree when this process dies; the hook also covers the
        // tree-walk fallback and a graceful exit that would otherwise wait for finalizers.
        var shutdown = ShutdownHooks.Add(spawned.Terminate);
        return new ProcessTree(spawned.Pid, spawned.StandardInput, spawned.StandardOutput, spawned.StandardError, spawned.Exited, spawned)
        {
            _shutdown = shutdown, RequestStop = spawned.SendCtrlBreak,
        };
    }

    /// <summary>True while the process or anything in its group (its job on Windows) runs.</summary>
    public bool Alive => OperatingSystem.IsWindows() && _windows is not null ? _windows.Alive : kill(-Pid, 0) == 0 || !Exited.IsCompleted;

    /// <summary>
    /// TERM to the whole group, then KILL to what is left after the grace period. Windows: Ctrl+Break to
    /// the process group (what a console program treats as "stop"), then the job's termination.
    /// </summary>
    public async Task KillAsync(TimeSpan grace)
    {
        if (OperatingSystem.IsWindows() && _windows is not null)
        {
            if (!Alive) return;
            // When Ctrl+Break cannot be sent (this process has no console) nothing can end the tree
            // gracefully, so waiting out the grace would only delay the stop. A child that has no console
            // of its own gets the event sent but never sees it: it is ended when the grace runs out.
            if (grace > TimeSpan.Zero && RequestStop()) await WaitWhileAliveAsync(grace).ConfigureAwait(false);
            if (Alive) _windows.Terminate();
            return;
        }
        kill(-Pid, 15);
        await WaitWhileAliveAsync(grace).ConfigureAwait(false);
        if (Alive) kill(-Pid, 9);
    }

    private async Task WaitWhileAliveAsync(TimeSpan grace)
    {
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && Alive) await Task.Delay(50).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _shutdown?.Dispose();
        StandardInput?.Dispose();
        StandardOutput.Dispose();
        StandardError.Dispose();
        if (OperatingSystem.IsWindows()) _windows?.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
