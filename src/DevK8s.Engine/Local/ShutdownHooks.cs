using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace DevK8s.Engine.Local;

/// <summary>
/// Clean-up that must run when the PowerShell process goes away: a normal exit (ProcessExit), or
/// SIGTERM/SIGHUP (terminal closed, kill), on which .NET terminates without raising ProcessExit.
/// Hooks run once, synchronously, newest first.
/// </summary>
public static class ShutdownHooks
{
    private static readonly ConcurrentDictionary<int, Action> Hooks = new();
    private static readonly List<PosixSignalRegistration> Signals = [];
    private static int _next;
    private static int _installed;

    public static IDisposable Add(Action hook)
    {
        Install();
        var id = Interlocked.Increment(ref _next);
        Hooks[id] = hook;
        // Not run at once when added during shutdown: the clean-up itself starts processes
        // (telepresence leave) whose hooks would kill them.
        return new Registration(id);
    }

    private static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();
        // The default action (terminate) still follows once the handler returns.
        // On Windows .NET maps SIGHUP to the console window being closed (CTRL_CLOSE_EVENT) and SIGTERM
        // to logoff and shutdown, where Windows allows about 5 s: see Budget.
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP })
            Signals.Add(PosixSignalRegistration.Create(signal, _ => RunAll()));
    }

    /// <summary>How long a hook may take: Windows kills a closing console's process after ~5 s.</summary>
    public static TimeSpan Budget => OperatingSystem.IsWindows() ? TimeSpan.FromSeconds(4) : TimeSpan.FromSeconds(15);

    private static void RunAll()
    {
        foreach (var id in Hooks.Keys.OrderDescending())
            if (Hooks.TryRemove(id, out var hook))
            {
                try { hook(); }
                catch (Exception) { /* the process is going away; the next hook still runs */ }
            }
    }

    private sealed class Registration(int id) : IDisposable
    {
        public void Dispose() => Hooks.TryRemove(id, out _);
    }
}
