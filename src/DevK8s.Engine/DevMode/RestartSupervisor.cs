namespace DevK8s.Engine.DevMode;

/// <summary>
/// A restart supervisor in plain sh, so no helper binary is injected: it runs the container's
/// original command, restarts it whenever it exits (a crashing dev process must not send the pod into
/// CrashLoopBackOff), and on a restart request (USR1) or a pod stop (TERM) ends the command's whole
/// process group: TERM, then KILL after the grace period, so grandchildren die and ports are free.
/// </summary>
/// <remarks>
/// The command leads its own process group only when the image has setsid (util-linux in Debian,
/// Ubuntu and RHEL images, an applet in busybox/Alpine): a non-interactive sh has no job control, so it
/// cannot make one itself. Without setsid the signals reach the command's process only.
/// The only group-kill form dash and busybox ash both accept is <c>kill -SIG -PGID</c>: dash rejects
/// <c>kill -TERM -- -PGID</c> ("Illegal number: -") and <c>kill -s TERM -PGID</c> ("Illegal option -1").
/// The grace is the first argument after $0 so the script text stays one constant (IsWrapped compares it).
/// No dollar-dollar anywhere: Kubernetes expands a container command, turning "$$" into "$" (the
/// supervisor's own PID comes from a child sh's $PPID instead).
/// $DEVK8S_STATE moves the state folder (tests run the supervisor and the agent side by side locally).
/// </remarks>
public static class RestartSupervisor
{
    public const string StateDirectory = "/tmp/.devk8s";
    public const string PidFile = StateDirectory + "/pid";
    /// <summary>The supervisor's own PID: a restart request is a USR1 to it.</summary>
    public const string SupervisorPidFile = StateDirectory + "/supervisor";
    public const string Name = "devk8s-supervisor";
    public const int DefaultGraceSeconds = 5;

    public static readonly string Script = Exec.ContainerScripts.Lf("""
        d=${DEVK8S_STATE:-/tmp/.devk8s}; mkdir -p "$d"; /bin/sh -c 'echo "$PPID"' > "$d/supervisor"
        grace=$1; shift
        pid=; restart=
        # TERM to the group (or the process when it has none), KILL to whatever is left after the grace.
        stop() {
          [ -n "$pid" ] || return 0
          kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
          # The timer takes its sleep along when it is stopped early, so no stray sleep outlives a restart.
          ( trap 'kill "$s" 2>/dev/null; exit 0' TERM; sleep "$grace" & s=$!; wait "$s"
            kill -KILL -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null ) </dev/null >/dev/null 2>&1 &
          timer=$!
          wait "$pid"
          # The command is gone; its grandchildren get what is left of the grace.
          n=0; while kill -0 -"$pid" 2>/dev/null && [ "$n" -lt $((grace * 10)) ]; do sleep 0.1 2>/dev/null || sleep 1; n=$((n + 1)); done
          kill -KILL -"$pid" 2>/dev/null
          kill "$timer" 2>/dev/null; wait "$timer" 2>/dev/null
          pid=
        }
        trap 'restart=1; stop' USR1
        trap 'stop; exit 143' TERM INT
        if command -v setsid >/dev/null 2>&1; then run=setsid; else run=; fi
        while :; do
          restart=
          $run "$@" &
          pid=$!
          echo "$pid" > "$d/pid"
          # A USR1 that came before pid was set found nothing to stop: the request still stands.
          if [ -n "$restart" ]; then stop; continue; fi
          # A USR1 ends this wait early, after its trap has ended the group.
          wait "$pid"; code=$?
          pid=
          # A restart DevK8s asked for is immediate; a crash waits a second so a crash loop stays cheap.
          if [ -z "$restart" ]; then echo "devk8s: process exited with code $code; restarting" >&2; sleep 1; fi
        done
        """);

    /// <summary>The container command that runs <paramref name="argv"/> under the supervisor.</summary>
    public static IList<string> Wrap(IEnumerable<string> argv) => Wrap(argv, DefaultGraceSeconds);

    /// <summary>As <see cref="Wrap(IEnumerable{string})"/>, with the seconds a process gets between TERM and KILL.</summary>
    public static IList<string> Wrap(IEnumerable<string> argv, int graceSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(graceSeconds);
        return ["/bin/sh", "-c", Script, Name, graceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. argv];
    }

    /// <summary>True when the command is already wrapped (a takeover of a session in dev mode).</summary>
    public static bool IsWrapped(IList<string>? command) => command is { Count: > 5 } && Exec.ContainerScripts.Lf(command[2]) == Script;

    /// <summary>The original argv of a wrapped command, or null when it is not wrapped.</summary>
    public static IReadOnlyList<string>? Unwrap(IList<string>? command) => IsWrapped(command) ? command!.Skip(5).ToList() : null;
}
