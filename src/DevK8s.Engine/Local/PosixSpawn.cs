using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace DevK8s.Engine.Local;

/// <summary>
/// Starts a process as the leader of a new process group with posix_spawn(3) and
/// POSIX_SPAWN_SETPGROUP (pgroup 0), so one signal to the group reaches every descendant, also those
/// re-parented after their parent died.
/// </summary>
/// <remarks>
/// Why this and not the alternatives: System.Diagnostics.Process has no hook to run setsid/setpgid in
/// the child; calling setpgid from the parent after start races with the child's exec (and fails with
/// EACCES once it has exec'd); fork() from managed code is unsafe in a multi-threaded runtime; the
/// setsid(1) program is absent on macOS. posix_spawn is in libc everywhere .NET runs on Unix, and
/// SETPGROUP (unlike SETSID, a later extension whose value differs between glibc and macOS) is plain
/// POSIX with the same flag value on glibc, musl and macOS. A new group, not a new session, is what a
/// group kill needs; the child keeps the terminal's session but has no terminal I/O (stdin is /dev/null or a pipe,
/// output is piped), so Ctrl+C in the terminal reaches DevK8s, which stops the group itself.
/// The working directory goes through /bin/sh (cd, then exec) because posix_spawn_file_actions_addchdir_np
/// is missing on glibc before 2.29 and macOS before 10.15; the exec keeps the PID the group id.
/// </remarks>
internal static unsafe partial class PosixSpawn
{
    private const short SetPGroup = 0x02, SetSigDef = 0x04, SetSigMask = 0x08;
    private const int ORdOnly = 0;
    // Opaque libc types: their sizes differ per libc (glibc: attr 336, file actions 80, sigset 128
    // bytes; macOS: one pointer), so each gets a zeroed block larger than any of them.
    private const int OpaqueSize = 1024;
    // Signals whose disposition the child must not inherit: .NET ignores SIGPIPE, and a host may
    // ignore HUP/INT/QUIT/TERM. The numbers are the same on Linux and macOS.
    private static readonly int[] DefaultSignals = [1, 2, 3, 13, 15];

    private const string CdThenExec = "cd -- \"$0\" || exit 127; exec \"$@\"";

    /// <summary>StandardInput: the write end of the child's stdin when one was asked for, else null.</summary>
    public sealed record Spawned(int Pid, Stream? StandardInput, Stream StandardOutput, Stream StandardError);

    public static Spawned Start(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> environment, bool pipeStdin = false)
    {
        var stdin = pipeStdin ? new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None) : null;
        var stdout = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var stderr = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var started = false;
        var attr = NativeMemory.AllocZeroed(OpaqueSize);
        var actions = NativeMemory.AllocZeroed(OpaqueSize);
        var sigdef = NativeMemory.AllocZeroed(OpaqueSize);
        var sigmask = NativeMemory.AllocZeroed(OpaqueSize);
        var strings = new List<IntPtr>();
        try
        {
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            try
            {
                Check(posix_spawnattr_setflags(attr, SetPGroup | SetSigDef | SetSigMask), "posix_spawnattr_setflags");
                Check(posix_spawnattr_setpgroup(attr, 0), "posix_spawnattr_setpgroup");
                sigemptyset(sigdef);
                foreach (var signal in DefaultSignals) sigaddset(sigdef, signal);
                Check(posix_spawnattr_setsigdefault(attr, sigdef), "posix_spawnattr_setsigdefault");
                sigemptyset(sigmask);
                Check(posix_spawnattr_setsigmask(attr, sigmask), "posix_spawnattr_setsigmask");

                if (stdin is not null)
                    Check(posix_spawn_file_actions_adddup2(actions, (int)stdin.ClientSafePipeHandle.DangerousGetHandle(), 0), "adddup2");
                else
                    Check(posix_spawn_file_actions_addopen(actions, 0, Utf8("/dev/null", strings), ORdOnly, 0), "addopen");
                // dup2 clears close-on-exec on the target, so only fds 0-2 reach the child.
                Check(posix_spawn_file_actions_adddup2(actions, (int)stdout.ClientSafePipeHandle.DangerousGetHandle(), 1), "adddup2");
                Check(posix_spawn_file_actions_adddup2(actions, (int)stderr.ClientSafePipeHandle.DangerousGetHandle(), 2), "adddup2");

                var args = NullTerminated(["/bin/sh", "-c", CdThenExec, workingDirectory, .. argv], strings);
                var env = NullTerminated(environment.Select(kv => kv.Key + "=" + kv.Value).ToList(), strings);
                var sh = Utf8("/bin/sh", strings);
                int pid;
                var error = posix_spawn(&pid, sh, actions, attr, args, env);
                if (error != 0) throw new IOException($"posix_spawn /bin/sh failed: {Marshal.GetPInvokeErrorMessage(error)}");

                // The parent's copies of the write ends must close, or the readers never see EOF.
                stdin?.DisposeLocalCopyOfClientHandle();
                stdout.DisposeLocalCopyOfClientHandle();
                stderr.DisposeLocalCopyOfClientHandle();
                started = true;
                return new Spawned(pid, stdin, stdout, stderr);
            }
            finally
            {
                posix_spawn_file_actions_destroy(actions);
                posix_spawnattr_destroy(attr);
            }
        }
        finally
        {
            if (!started) { stdin?.Dispose(); stdout.Dispose(); stderr.Dispose(); }
            foreach (var s in strings) Marshal.FreeCoTaskMem(s);
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(sigdef);
            NativeMemory.Free(sigmask);
        }
    }

    /// <summary>Blocks until the process ends and reaps it: its exit code, or 128 + the signal that ended it (as shells report it).</summary>
    public static int WaitForExit(int pid)
    {
        while (true)
        {
            int status;
            if (waitpid(pid, &status, 0) == pid)
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
            var errno = Marshal.GetLastPInvokeError();
            if (errno != 4) return -1; // not EINTR: ECHILD, someone else reaped it; the code is unknown
        }
    }

    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    private static byte* Utf8(string s, List<IntPtr> owned)
    {
        var p = Marshal.StringToCoTaskMemUTF8(s);
        owned.Add(p);
        return (byte*)p;
    }

    private static byte** NullTerminated(IReadOnlyList<string> items, List<IntPtr> owned)
    {
        var block = Marshal.AllocCoTaskMem((items.Count + 1) * IntPtr.Size);
        owned.Add(block);
        var array = (byte**)block;
        for (var i = 0; i < items.Count; i++) array[i] = Utf8(items[i], owned);
        array[items.Count] = null;
        return array;
    }

    private static void Check(int result, string call)
    {
        if (result != 0) throw new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(result)}");
    }

    [LibraryImport("libc")] private static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport("libc")] private static partial int posix_spawnattr_init(void* attr);
    [LibraryImport("libc")] private static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_init(void* actions);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_destroy(void* actions);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, int mode);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);
    [LibraryImport("libc")] private static partial int sigemptyset(void* set);
    [LibraryImport("libc")] private static partial int sigaddset(void* set, int signal);
    [LibraryImport("libc", SetLastError = true)] private static partial int waitpid(int pid, int* status, int options);
    [LibraryImport("libc", SetLastError = true)] private static partial int kill(int pid, int sig);
}
