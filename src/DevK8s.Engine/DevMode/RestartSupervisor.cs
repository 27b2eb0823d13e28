using DevK8s.Engine.Exec;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// A restart supervisor in plain sh, so no helper binary is injected: it runs the container's
/// original command, restarts it whenever it exits (a restart request is just a kill of the child,
/// and a crashing dev process must not send the pod into CrashLoopBackOff), and forwards TERM.
/// </summary>
public static class RestartSupervisor
{
    public const string StateDirectory = "/tmp/.devk8s";
    public const string PidFile = StateDirectory + "/pid";
    public const string RestartMarker = StateDirectory + "/restart";

    public static readonly string Script = ContainerScripts.Lf("""
        d=/tmp/.devk8s; mkdir -p "$d"
        trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM INT
        while :; do
          "$@" &
          pid=$!
          echo "$pid" > "$d/pid"
          wait "$pid"
          code=$?
          # A restart DevK8s asked for is immediate; a crash waits a second so a crash loop stays cheap.
          if [ -f "$d/restart" ]; then rm -f "$d/restart"; else echo "devk8s: process exited with code $code; restarting" >&2; sleep 1; fi
        done
        """);

    /// <summary>The container command that runs <paramref name="argv"/> under the supervisor.</summary>
    public static IList<string> Wrap(IEnumerable<string> argv) => ["/bin/sh", "-c", Script, "devk8s-supervisor", .. argv];

    /// <summary>
    /// Whether the command is already wrapped (a takeover of a session in dev mode), also when a
    /// build from a CRLF checkout wrapped it before the scripts were normalised.
    /// </summary>
    public static bool IsWrapped(IList<string>? command) => command is { Count: > 3 } && ContainerScripts.Lf(command[2]) == Script;

    /// <summary>The argv a wrapped command runs, or null when it is not wrapped.</summary>
    public static IReadOnlyList<string>? Unwrap(IList<string>? command) => IsWrapped(command) ? command!.Skip(4).ToList() : null;
}
