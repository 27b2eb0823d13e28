using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DevK8s.Engine.Local;

/// <summary>
/// Kills a started process with everything it started. Linux/macOS: the process is made the leader
/// of its own process group at start (setsid), so one signal to the group reaches grandchildren
/// even after they were re-parented; Windows: a job object that kills its members when closed.
/// </summary>
internal sealed partial class ProcessTree : IDisposable
{
    private readonly Process _process;
    private readonly IntPtr _job;

    private ProcessTree(Process process, IntPtr job) => (_process, _job) = (process, job);

    /// <summary>Wraps the start info so the process leads its own group (Unix), or joins a job after start (Windows).</summary>
    public static ProcessStartInfo Prepare(ProcessStartInfo info)
    {
        if (OperatingSystem.IsWindows()) return info;
        // setsid(1) calls setsid() and then execs: the PID stays the one .NET sees, and it becomes
        // the group id every descendant inherits.
        var wrapped = new ProcessStartInfo(ExecutableFinder.Find("setsid") ?? "/usr/bin/setsid")
        {
            WorkingDirectory = info.WorkingDirectory,
            RedirectStandardInput = info.RedirectStandardInput,
            RedirectStandardOutput = info.RedirectStandardOutput,
            RedirectStandardError = info.RedirectStandardError,
            UseShellExecute = false,
        };
        wrapped.ArgumentList.Add(info.FileName);
        foreach (var a in info.ArgumentList) wrapped.ArgumentList.Add(a);
        wrapped.Environment.Clear();
        foreach (var (k, v) in info.Environment) wrapped.Environment[k] = v;
        return wrapped;
    }

    public static ProcessTree Track(Process process)
    {
        var job = IntPtr.Zero;
        if (OperatingSystem.IsWindows())
        {
            job = CreateJobObjectW(IntPtr.Zero, null);
            var limits = new JobObjectExtendedLimitInformation { BasicLimitInformation = new JobObjectBasicLimitInformation { LimitFlags = 0x2000 } }; // KILL_ON_JOB_CLOSE
            SetInformationJobObject(job, 9, ref limits, (uint)Marshal.SizeOf<JobObjectExtendedLimitInformation>());
            AssignProcessToJobObject(job, process.Handle);
        }
        return new ProcessTree(process, job);
    }

    /// <summary>TERM to the whole group, then KILL after the grace period.</summary>
    public async Task KillAsync(TimeSpan grace)
    {
        if (OperatingSystem.IsWindows())
        {
            TerminateJobObject(_job, 1);
            return;
        }
        var group = -_process.Id;
        Signal(group, 15);
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && GroupAlive(_process.Id)) await Task.Delay(50).ConfigureAwait(false);
        if (GroupAlive(_process.Id)) Signal(group, 9);
    }

    /// <summary>Synchronous kill for process exit, when nothing can be awaited.</summary>
    public void KillNow()
    {
        if (OperatingSystem.IsWindows()) TerminateJobObject(_job, 1);
        else Signal(-_process.Id, 9);
    }

    private static bool GroupAlive(int pgid) => kill(-pgid, 0) == 0;

    private static void Signal(int target, int signal) => kill(target, signal);

    public void Dispose()
    {
        if (_job != IntPtr.Zero) CloseHandle(_job);
    }

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
