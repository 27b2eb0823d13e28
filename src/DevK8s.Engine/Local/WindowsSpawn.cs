using System.ComponentModel;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace DevK8s.Engine.Local;

/// <summary>
/// The Windows counterpart of PosixSpawn: CreateProcessW with the process suspended, put into a job
/// object (kill-on-close) before its first instruction, then resumed; so everything it starts, even at
/// once, is in the job, and closing the job (also when this process dies) ends the whole tree.
/// </summary>
/// <remarks>
/// Why not Process.Start plus AssignProcessToJobObject: the child runs between the two calls, and what it
/// starts in that moment is outside the job for good (a child that starts something and exits before the
/// assignment leaves an orphan nothing can find). Process.Start offers neither CREATE_SUSPENDED nor a
/// job attribute, nor CREATE_NEW_PROCESS_GROUP, which the stop needs (see ProcessTree.KillAsync).
///
/// CREATE_NEW_PROCESS_GROUP also keeps the console's Ctrl+C from the child (issue 10, item 2): Windows
/// starts the new group's root with "ignore Ctrl+C" set, inherited by what it starts, while Ctrl+Break
/// still reaches it. It replaces SetConsoleCtrlHandler(NULL, TRUE) around the start, which set the flag
/// on this whole process for that moment: a Ctrl+C pressed then was lost for PowerShell itself, and any
/// other thread's child started in that window inherited the flag too.
///
/// Handles: the child's stdin (a pipe, closed at once or kept for the caller's input), stdout and
/// stderr are the only handles it inherits, through PROC_THREAD_ATTRIBUTE_HANDLE_LIST; where that
/// attribute is refused, every
/// inheritable handle is inherited, so starts here are serialised and our pipe ends are inheritable only
/// around CreateProcessW. A Process.Start elsewhere in this process (KubernetesClient's credential
/// plugins) still inherits whatever is inheritable at that instant; it takes no lock of ours.
/// </remarks>
[SupportedOSPlatform("windows")]
internal static unsafe partial class WindowsSpawn
{
    private const uint CreateSuspended = 0x4, CreateNewProcessGroup = 0x200, CreateUnicodeEnvironment = 0x400, ExtendedStartupInfoPresent = 0x80000;
    private const int StartfUseStdHandles = 0x100;
    private const nint ProcThreadAttributeHandleList = 0x20002;
    private const uint JobObjectLimitKillOnJobClose = 0x2000;
    private const int JobObjectExtendedLimitInformationClass = 9, JobObjectBasicAccountingInformationClass = 1;
    private const uint CtrlBreakEvent = 1;
    private const uint ExitCodeWhenKilled = 1;

    private static readonly object StartGate = new();

    /// <summary>A started process: its handle, its job (null when no job could be made: then stops walk the tree), its output.</summary>
    public sealed class Spawned : IDisposable
    {
        private readonly RegisteredWaitHandle _wait;
        private readonly ProcessWaitHandle _waitHandle;

        public int Pid { get; }
        public SafeProcessHandle Process { get; }
        public SafeJobHandle? Job { get; }
        /// <summary>Why there is no job (the failed call and its Win32 error), for diagnostics.</summary>
        public string? NoJobReason { get; }
        /// <summary>The write end of the child's stdin when one was asked for, else null (the child read end-of-file).</summary>
        public Stream? StandardInput { get; }
        public Stream StandardOutput { get; }
        public Stream StandardError { get; }
        public Task<int> Exited { get; }

        internal Spawned(int pid, SafeProcessHandle process, SafeJobHandle? job, string? noJobReason, Stream? stdin, Stream stdout, Stream stderr)
        {
            StandardInput = stdin;
            Pid = pid;
            Process = process;
            Job = job;
            NoJobReason = noJobReason;
            StandardOutput = stdout;
            StandardError = stderr;
            var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waitHandle = new ProcessWaitHandle(process);
            _wait = ThreadPool.RegisterWaitForSingleObject(_waitHandle, (_, _) => exited.TrySetResult(ExitCode(process)), null, Timeout.Infinite, executeOnlyOnce: true);
            Exited = exited.Task;
        }

        private static int ExitCode(SafeProcessHandle process)
        {
            try { return GetExitCodeProcess(process, out var code) ? (int)code : -1; }
            catch (ObjectDisposedException) { return -1; } // disposed while the exit was being reported
        }

        /// <summary>True while the process or anything in its job runs.</summary>
        public bool Alive
        {
            get
            {
                if (!Exited.IsCompleted) return true;
                if (Job is null || Job.IsClosed) return false;
                JobObjectBasicAccountingInformation info;
                return QueryInformationJobObject(Job, JobObjectBasicAccountingInformationClass, &info, (uint)sizeof(JobObjectBasicAccountingInformation), null)
                    && info.ActiveProcesses > 0;
            }
        }

        /// <summary>Ctrl+Break to the child's process group; false when it cannot be sent (this process has no console).</summary>
        public bool SendCtrlBreak() => GenerateConsoleCtrlEvent(CtrlBreakEvent, (uint)Pid);

        /// <summary>Ends the job (every process in it), or without a job the process and the descendants a walk still finds.</summary>
        public void Terminate()
        {
            if (Job is { IsClosed: false } && TerminateJobObject(Job, ExitCodeWhenKilled)) return;
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(Pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception) { } // already gone
        }

        public void Dispose()
        {
            _wait.Unregister(null);
            _waitHandle.Dispose();
            // Kill-on-close: closing the last handle to the job ends what is still in it.
            Job?.Dispose();
            Process.Dispose();
        }
    }

    public static Spawned Start(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment, bool pipeStdin = false)
    {
        string? Env(string name) => environment.FirstOrDefault(e => e.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        var comSpec = Env("ComSpec") ?? Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe";
        var (file, arguments) = WindowsCommandLine.For(argv, name => ExecutableFinder.Find(name, Env("PATH"), Env("PATHEXT")), comSpec);
        var commandLine = WindowsCommandLine.QuoteForProgram(file) + (arguments.Length > 0 ? " " + arguments : "");
        // A resolved path is started as is: CreateProcessW's own search would use this process's PATH, not the child's.
        var application = Path.IsPathRooted(file) ? file : null;

        var (job, noJobReason) = CreateKillOnCloseJob();
        SafeProcessHandle? process = null;
        AnonymousPipeServerStream? stdin = null, stdout = null, stderr = null;
        var started = false;
        try
        {
            PROCESS_INFORMATION info;
            lock (StartGate)
            {
                stdin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
                stdout = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
                stderr = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
                info = StartSuspended(argv[0], application, commandLine, workingDirectory, environment,
                    stdin.ClientSafePipeHandle, stdout.ClientSafePipeHandle, stderr.ClientSafePipeHandle);
                // The parent's copies of the child's ends must close, or the readers never see end-of-file.
                stdin.DisposeLocalCopyOfClientHandle();
                stdout.DisposeLocalCopyOfClientHandle();
                stderr.DisposeLocalCopyOfClientHandle();
            }
            process = new SafeProcessHandle(info.hProcess, ownsHandle: true);
            using var thread = new SafeProcessHandle(info.hThread, ownsHandle: true); // a kernel handle closed with CloseHandle like any other

            if (job is not null && !AssignProcessToJobObject(job, process))
            {
                // Rare (a parent job that forbids nesting): the child still runs, and stops walk its tree.
                noJobReason = $"AssignProcessToJobObject failed: {Win32Message(Marshal.GetLastPInvokeError())}";
                job.Dispose();
                job = null;
            }
            if (ResumeThread(thread) == uint.MaxValue)
            {
                var error = Marshal.GetLastPInvokeError();
                // Never leave a suspended process behind.
                if (job is null || !TerminateJobObject(job, ExitCodeWhenKilled)) TerminateProcess(process, ExitCodeWhenKilled);
                throw new Win32Exception(error, $"ResumeThread failed for {argv[0]}: {Win32Message(error)}");
            }
            if (!pipeStdin)
            {
                stdin.Dispose(); // the child reads end-of-file: its stdin is empty
                stdin = null;
            }
            started = true;
            return new Spawned((int)info.dwProcessId, process, job, noJobReason, stdin, stdout, stderr);
        }
        finally
        {
            if (!started)
            {
                stdin?.Dispose();
                stdout?.Dispose();
                stderr?.Dispose();
                process?.Dispose();
                job?.Dispose();
            }
        }
    }

    private static (SafeJobHandle? Job, string? Reason) CreateKillOnCloseJob()
    {
        // No security attributes: the job handle is not inheritable, so no child can keep the job open after we exit.
        var job = CreateJobObjectW(null, null);
        if (job.IsInvalid)
        {
            var error = Marshal.GetLastPInvokeError();
            job.Dispose();
            return (null, $"CreateJobObjectW failed: {Win32Message(error)}");
        }
        var limits = new JobObjectExtendedLimitInformation { BasicLimitInformation = { LimitFlags = JobObjectLimitKillOnJobClose } };
        if (!SetInformationJobObject(job, JobObjectExtendedLimitInformationClass, &limits, (uint)sizeof(JobObjectExtendedLimitInformation)))
        {
            var error = Marshal.GetLastPInvokeError();
            job.Dispose();
            return (null, $"SetInformationJobObject failed: {Win32Message(error)}");
        }
        return (job, null);
    }

    private static PROCESS_INFORMATION StartSuspended(string program, string? application, string commandLine, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, SafeHandle stdin, SafeHandle stdout, SafeHandle stderr)
    {
        var handles = stackalloc nint[] { stdin.DangerousGetHandle(), stdout.DangerousGetHandle(), stderr.DangerousGetHandle() };
        nint listSize = 0;
        InitializeProcThreadAttributeList(null, 1, 0, &listSize);
        var list = NativeMemory.AllocZeroed((nuint)listSize);
        var listReady = false;
        try
        {
            var useList = InitializeProcThreadAttributeList(list, 1, 0, &listSize);
            listReady = useList;
            useList = useList && UpdateProcThreadAttribute(list, 0, ProcThreadAttributeHandleList, handles, 3 * sizeof(nint), null, null);

            var startup = new STARTUPINFOEXW();
            startup.StartupInfo.cb = (uint)(useList ? sizeof(STARTUPINFOEXW) : sizeof(STARTUPINFOW));
            startup.StartupInfo.dwFlags = StartfUseStdHandles;
            startup.StartupInfo.hStdInput = handles[0];
            startup.StartupInfo.hStdOutput = handles[1];
            startup.StartupInfo.hStdError = handles[2];
            if (useList) startup.lpAttributeList = list;

            var flags = CreateSuspended | CreateNewProcessGroup | CreateUnicodeEnvironment | (useList ? ExtendedStartupInfoPresent : 0);
            // CreateProcessW may write into the command line: a private, terminated copy.
            var line = (commandLine + "\0").ToCharArray();
            var block = EnvironmentBlock(environment);
            PROCESS_INFORMATION info;
            bool ok;
            fixed (char* app = application, cmd = line, env = block, cwd = workingDirectory)
                ok = CreateProcessW(app, cmd, null, null, 1, flags, env, cwd, &startup, &info);
            if (!ok)
            {
                var error = Marshal.GetLastPInvokeError();
                throw new Win32Exception(error, $"CreateProcessW failed for {program}: {Win32Message(error)}");
            }
            return info;
        }
        finally
        {
            if (listReady) DeleteProcThreadAttributeList(list);
            NativeMemory.Free(list);
        }
    }

    /// <summary>name=value\0 … \0, sorted by name ignoring case as CreateProcessW documents.</summary>
    private static string EnvironmentBlock(IReadOnlyDictionary<string, string> environment)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var (name, value) in environment.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase))
            sb.Append(name).Append('=').Append(value).Append('\0');
        if (sb.Length == 0) sb.Append('\0');
        return sb.Append('\0').ToString();
    }

    private static string Win32Message(int error) => $"{Marshal.GetPInvokeErrorMessage(error)} (Win32 error {error})";

    /// <summary>The process handle as a WaitHandle for the thread pool's wait, without a second handle to close.</summary>
    private sealed class ProcessWaitHandle : WaitHandle
    {
        public ProcessWaitHandle(SafeProcessHandle process) => SafeWaitHandle = new SafeWaitHandle(process.DangerousGetHandle(), ownsHandle: false);
    }

    public sealed class SafeJobHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        protected override bool ReleaseHandle() => CloseHandle(handle);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct STARTUPINFOW
    {
        public uint cb;
        public nint lpReserved, lpDesktop, lpTitle;
        public uint dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars, dwFillAttribute;
        public int dwFlags;
        public ushort wShowWindow, cbReserved2;
        public nint lpReserved2, hStdInput, hStdOutput, hStdError;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct STARTUPINFOEXW
    {
        public STARTUPINFOW StartupInfo;
        public void* lpAttributeList;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PROCESS_INFORMATION
    {
        public nint hProcess, hThread;
        public uint dwProcessId, dwThreadId;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct JobObjectBasicLimitInformation
    {
        public long PerProcessUserTimeLimit, PerJobUserTimeLimit;
        public uint LimitFlags;
        public nuint MinimumWorkingSetSize, MaximumWorkingSetSize;
        public uint ActiveProcessLimit;
        public nuint Affinity;
        public uint PriorityClass, SchedulingClass;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct JobObjectExtendedLimitInformation
    {
        public JobObjectBasicLimitInformation BasicLimitInformation;
        public ulong ReadOperationCount, WriteOperationCount, OtherOperationCount, ReadTransferCount, WriteTransferCount, OtherTransferCount;
        public nuint ProcessMemoryLimit, JobMemoryLimit, PeakProcessMemoryUsed, PeakJobMemoryUsed;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct JobObjectBasicAccountingInformation
    {
        public long TotalUserTime, TotalKernelTime, ThisPeriodTotalUserTime, ThisPeriodTotalKernelTime;
        public uint TotalPageFaultCount, TotalProcesses, ActiveProcesses, TotalTerminatedProcesses;
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateProcessW(char* application, char* commandLine, void* processAttributes, void* threadAttributes,
        int inheritHandles, uint flags, void* environment, char* currentDirectory, STARTUPINFOEXW* startupInfo, PROCESS_INFORMATION* processInformation);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool InitializeProcThreadAttributeList(void* list, int count, int flags, nint* size);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool UpdateProcThreadAttribute(void* list, uint flags, nint attribute, void* value, nint size, void* previous, nint* returnSize);

    [LibraryImport("kernel32.dll")]
    private static partial void DeleteProcThreadAttributeList(void* list);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    private static partial uint ResumeThread(SafeProcessHandle thread);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool TerminateProcess(SafeProcessHandle process, uint exitCode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetExitCodeProcess(SafeProcessHandle process, out uint exitCode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GenerateConsoleCtrlEvent(uint ctrlEvent, uint processGroupId);

    [LibraryImport("kernel32.dll", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    private static partial SafeJobHandle CreateJobObjectW(void* attributes, string? name);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool SetInformationJobObject(SafeJobHandle job, int infoClass, void* info, uint length);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool QueryInformationJobObject(SafeJobHandle job, int infoClass, void* info, uint length, uint* returnLength);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool AssignProcessToJobObject(SafeJobHandle job, SafeProcessHandle process);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool TerminateJobObject(SafeJobHandle job, uint exitCode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CloseHandle(nint handle);
}
