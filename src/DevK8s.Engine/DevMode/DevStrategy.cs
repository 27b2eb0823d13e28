using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// One dev loop (Sync, Intercept, …). A strategy says what dev mode does to the pod template
/// (a plan computed from the recorded original alone), runs its local loop against the live dev
/// pod (the runtime), and can run one iteration of that loop on demand (push). Ownership,
/// recording, rollback, switching and sessions are shared and live in DevSessions.
/// </summary>
public interface IDevStrategy
{
    Strategy Kind { get; }

    /// <summary>Parameters only this strategy takes (Start-DevService and Switch-DevStrategy offer them dynamically).</summary>
    IReadOnlyList<StrategyParameter> Parameters { get; }

    /// <summary>
    /// The template plan for this service, from its config section and what the strategy produces
    /// before anything changes (a built image's digest); throws DevModeException when the section is
    /// missing. Must not touch the workload.
    /// </summary>
    Task<DevTemplatePlan> PlanAsync(DevPlanContext context, CancellationToken ct);

    /// <summary>Starts the local loop against the dev pod: returns once the first iteration is done (e.g. the initial sync).</summary>
    Task<IDevRuntime> StartAsync(DevRuntimeContext context, CancellationToken ct);
}

public enum StrategyParameterKind { Switch, Path, Text }

/// <summary>A strategy-specific cmdlet parameter, declared by the engine and bound by the cmdlets.</summary>
public sealed record StrategyParameter(string Name, StrategyParameterKind Kind, string HelpMessage);

/// <summary>What a strategy gets to plan with.</summary>
public sealed class DevPlanContext
{
    public required KubeTarget Target { get; init; }
    public required ProjectConfig Project { get; init; }
    public required ServiceConfig Service { get; init; }
    public required ILogSink Logs { get; init; }
    public IProgress<string>? Progress { get; init; }
    public IReadOnlyDictionary<string, object?> Options { get; init; } = new Dictionary<string, object?>();
}

/// <summary>What a runtime gets to work with.</summary>
public sealed class DevRuntimeContext
{
    public required KubeTarget Target { get; init; }
    public required ProjectConfig Project { get; init; }
    public required ServiceConfig Service { get; init; }
    public required DevModeController Controller { get; init; }
    public required DevSessionRecord Record { get; init; }
    /// <summary>The ready dev pod; null for plans that keep the template (nothing of ours runs in the pod).</summary>
    public DevPod? Pod { get; init; }
    public required ILogSink Logs { get; init; }
    public IProgress<string>? Progress { get; init; }
    public IReadOnlyDictionary<string, object?> Options { get; init; } = new Dictionary<string, object?>();
    /// <summary>Called with every push report (initial, on change, on demand).</summary>
    public Action<PushReport> OnPush { get; init; } = _ => { };

    /// <summary>
    /// Writes a new plan for this session in place (the recorded original stays; Image uses it for each
    /// rebuilt digest) and returns the ready dev pod. Fails with DevSessionEndedException once the
    /// session no longer holds the workload.
    /// </summary>
    public Func<DevTemplatePlan, CancellationToken, Task<DevPod?>> ApplyPlanAsync { get; init; } =
        (_, _) => throw new NotSupportedException("this runtime was started without a live session");

    public bool Switch(string name) => Options.TryGetValue(name, out var v) && v is true;
    public string? Text(string name) => Options.TryGetValue(name, out var v) ? v as string : null;
}

/// <summary>A strategy's local loop, running against one dev pod.</summary>
public interface IDevRuntime : IAsyncDisposable
{
    /// <summary>
    /// The loop. Returns normally only when the dev loop ended by itself (the intercepted local
    /// process exited): the session is then over and the service goes back to prod mode.
    /// </summary>
    Task RunAsync(CancellationToken ct);

    /// <summary>One iteration now (Sync: compare and send; Binary: build, copy, restart; Image: build, push, roll out).</summary>
    Task<PushReport> PushAsync(CancellationToken ct);

    /// <summary>Raised with false when the link to the pod is lost, true when it is back.</summary>
    event Action<bool>? ConnectionChanged;

    /// <summary>A snapshot of what only this strategy knows (ordered name/value pairs for the session's Details).</summary>
    IReadOnlyList<KeyValuePair<string, object?>> Details { get; }
}

/// <summary>What one iteration of a dev loop did.</summary>
public sealed record PushReport(
    string Service, Strategy Strategy, string? Pod, string Summary, long BytesSent, TimeSpan Duration, DateTimeOffset Time,
    Sync.DevSyncReport? Sync = null);
