using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DevK8s.Engine.Local;

/// <summary>
/// A started process with everything it starts. Linux/macOS: the process leads its own process group
/// from birth (posix_spawn, see PosixSpawn), so one signal to the group reaches grandchildren even after
/// they were re-parented; Windows: a job object that kills its members when closed.
/// </summary>
internal sealed partial class ProcessTree : IDisposable
{
    private readonly Process? _windows;
    private readonly IntPtr _job;
    private IDisposable? _shutdown;

    public int Pid { get; }
    public StreamReader StandardOutput { get; }
    public StreamReader StandardError { get; }
    /// <summary>The exit code once the process (not necessarily its descendants) has ended; 128 + signal when a signal ended it.</summary>
    public Task<int> Exited { get; }

    private ProcessTree(int pid, Stream stdout, Stream stderr, Task<int> exited, Process? windows = null, IntPtr job = default)
    {
        Pid = pid;
        StandardOutput = new StreamReader(stdout);
        StandardError = new StreamReader(stderr);
        Exited = exited;
        _windows = windows;
        _job = job;
    }

    /// <summary>Starts argv[0] (looked up on the given environment's PATH) with exactly that environment; stdin is empty.</summary>
    public static ProcessTree Start(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        if (OperatingSystem.IsWindows()) return StartWindows(argv, workingDirectory, environment);
        var spawned = PosixSpawn.Start(argv, workingDirectory, environment);
        // Registered the moment the PID exists: PowerShell exiting a millisecond later must still take the group along.
        var shutdown = ShutdownHooks.Add(() => kill(-spawned.Pid, 9));
        // A dedicated thread blocks in waitpid: it reaps the child the moment it ends, so a group check
        // afterwards sees only the descendants (a zombie leader would keep the group "alive").
        var exited = Task.Factory.StartNew(() => PosixSpawn.WaitForExit(spawned.Pid), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return new ProcessTree(spawned.Pid, spawned.StandardOutput, spawned.StandardError, exited) { _shutdown = shutdown };
    }

    private static ProcessTree StartWindows(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var comSpec = environment.FirstOrDefault(e => e.Key.Equals("ComSpec", StringComparison.OrdinalIgnoreCase)).Value
            ?? Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe";
        string? Env(string name) => environment.FirstOrDefault(e => e.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        var (file, arguments) = WindowsCommandLine.For(argv, name => ExecutableFinder.Find(name, Env("PATH"), Env("PATHEXT")), comSpec);
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory, UseShellExecute = false,
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        info.Environment.Clear();
        foreach (var (k, v) in environment) info.Environment[k] = v;
        Process process;
        // The Ctrl+C that stops Watch-DevLog must not reach the local process: Windows sends console
        // Ctrl+C to every process on the console. "Ignore Ctrl+C" is inherited by a child, so it is set
        // around the start only (ProcessStartInfo here offers no CREATE_NEW_PROCESS_GROUP).
        lock (ConsoleGate)
        {
            var ignoring = SetConsoleCtrlHandler(IntPtr.Zero, true);
            try { process = Process.Start(info) ?? throw new IOException($"{argv[0]} did not start"); }
            finally { if (ignoring) SetConsoleCtrlHandler(IntPtr.Zero, false); }
        }
        process.StandardInput.Close();
        var job = CreateJobObjectW(IntPtr.Zero, null);
        var limits = new JobObjectExtendedLimitInformation { BasicLimitInformation = new JobObjectBasicLimitInformation { LimitFlags = 0x2000 } }; // KILL_ON_JOB_CLOSE
        var inJob = job != IntPtr.Zero
            && SetInformationJobObject(job, 9, ref limits, (uint)Marshal.SizeOf<JobObjectExtendedLimitInformation>())
            && AssignProcessToJobObject(job, process.Handle);
        if (!inJob && job != IntPtr.Zero) { CloseHandle(job); job = IntPtr.Zero; }
        // Without a job (not allowed here, or the call failed) the tree is killed by walking it instead.
        var shutdown = ShutdownHooks.Add(() => { if (job != IntPtr.Zero) TerminateJobObject(job, 1); else KillTree(process); });
        async Task<int> WaitAsync()
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            return process.ExitCode;
        }
        return new ProcessTree(process.Id, process.StandardOutput.BaseStream, process.StandardError.BaseStream, WaitAsync(), process, job) { _shutdown = shutdown };
    }

    /// <summary>True while the process or anything in its group runs.</summary>
    public bool Alive => OperatingSystem.IsWindows() ? !Exited.IsCompleted : kill(-Pid, 0) == 0 || !Exited.IsCompleted;

    /// <summary>TERM to the whole group, then KILL to what is left after the grace period.</summary>
    public async Task KillAsync(TimeSpan grace)
    {
        if (OperatingSystem.IsWindows())
        {
            // No TERM on Windows without a console process group of its own: the job ends everything at once.
            if (_job != IntPtr.Zero) TerminateJobObject(_job, 1);
            else if (_windows is not null) KillTree(_windows);
            return;
        }
        kill(-Pid, 15);
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && Alive) await Task.Delay(50).ConfigureAwait(false);
        if (Alive) kill(-Pid, 9);
    }

    public void Dispose()
    {
        _shutdown?.Dispose();
        StandardOutput.Dispose();
        StandardError.Dispose();
        _windows?.Dispose();
        if (_job != IntPtr.Zero) CloseHandle(_job);
    }

    private static void KillTree(Process process)
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
    }

    private static readonly object ConsoleGate = new();

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool SetConsoleCtrlHandler(IntPtr handler, [MarshalAs(UnmanagedType.Bool)] bool add);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("kernel32.dll", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    private static partial IntPtr CreateJobObjectW(IntPtr attributes, string? name);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool SetInformationJobObject(IntPtr job, int infoClass, ref JobObjectExtendedLimitInformation info, uint length);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool AssignProcessToJobObject(IntPtr job, IntPtr process);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool TerminateJobObject(IntPtr job, uint exitCode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CloseHandle(IntPtr handle);

    [StructLayout(LayoutKind.Sequential)]
    private struct JobObjectBasicLimitInformation
    {
        public long PerProcessUserTimeLimit;
        public long PerJobUserTimeLimit;
        public uint LimitFlags;
        public UIntPtr MinimumWorkingSetSize;
        public UIntPtr MaximumWorkingSetSize;
        public uint ActiveProcessLimit;
        public UIntPtr Affinity;
        public uint PriorityClass;
        public uint SchedulingClass;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoCounters
    {
        public ulong ReadOperationCount, WriteOperationCount, OtherOperationCount, ReadTransferCount, WriteTransferCount, OtherTransferCount;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct JobObjectExtendedLimitInformation
    {
        public JobObjectBasicLimitInformation BasicLimitInformation;
        public IoCounters IoInfo;
        public UIntPtr ProcessMemoryLimit;
        public UIntPtr JobMemoryLimit;
        public UIntPtr PeakProcessMemoryUsed;
        public UIntPtr PeakJobMemoryUsed;
    }
}
