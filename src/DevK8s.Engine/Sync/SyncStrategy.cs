using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;

namespace DevK8s.Engine.Sync;

/// <summary>Sync: copy changed files into the running container, then restart or run a hook.</summary>
public sealed class SyncStrategy : IDevStrategy
{
    public const string PollParameter = "Poll";

    /// <summary>What the sync agent runs in the container (checked before dev mode changes anything).</summary>
    public static readonly IReadOnlyList<string> Tools = ["tar", "head", "find", "md5sum", "kill"];

    public Strategy Kind => Strategy.Sync;

    public IReadOnlyList<StrategyParameter> Parameters { get; } =
        [new(PollParameter, StrategyParameterKind.Switch, "Poll for file changes instead of native events (WSL, network drives).")];

    public Task<DevTemplatePlan> PlanAsync(DevPlanContext context, CancellationToken ct) => Task.FromResult(Plan(context.Project, context.Service));

    private static DevTemplatePlan Plan(ProjectConfig project, ServiceConfig service)
    {
        var sync = service.Sync ?? throw new DevModeException($"{service.Name} has no 'sync' section in {project.FilePath}.",
            "Add sync.paths (from, to) for this service, or pick another strategy.");
        return new DevTemplatePlan
        {
            // Only a restart rule needs the supervisor; otherwise the app runs as in prod.
            WrapInSupervisor = sync.OnChange.Any(r => r.Action == SyncAction.Restart),
            RequiredTools = Tools,
        };
    }

    public async Task<IDevRuntime> StartAsync(DevRuntimeContext context, CancellationToken ct)
    {
        var runtime = new SyncRuntime(context);
        try
        {
            context.Progress?.Report($"{context.Service.Name}: initial sync into {context.Pod?.Name}");
            await runtime.Session.SyncAllAsync(SyncKind.Initial, ct).ConfigureAwait(false);
            return runtime;
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class SyncRuntime : IDevRuntime
    {
        private readonly DevRuntimeContext _context;
        private readonly bool _poll;
        private DevSyncReport? _last;

        public SyncRuntime(DevRuntimeContext context)
        {
            _context = context;
            _poll = context.Switch(PollParameter);
            Session = new SyncSession(context.Target, context.Service, context.Controller, context.Record.SessionId,
                new SyncOptions(_poll), context.Logs, Report);
            Session.ConnectionChanged += c => ConnectionChanged?.Invoke(c);
        }

        public SyncSession Session { get; }
        public event Action<bool>? ConnectionChanged;

        private void Report(DevSyncReport report)
        {
            _last = report;
            _context.OnPush(ToPush(report));
        }

        private PushReport ToPush(DevSyncReport r) => new(r.Service, Strategy.Sync, r.Pod,
            $"{r.Kind.ToString().ToLowerInvariant()}: {r.FilesSent} sent, {r.FilesDeleted} deleted, {r.BytesSent} bytes in {r.Duration.TotalMilliseconds:0} ms" +
            (r.Action is null ? "" : $"; {r.Action}"), r.BytesSent, r.Duration, r.Time, r);

        public Task RunAsync(CancellationToken ct) => Session.WatchAsync(ct);

        public async Task<PushReport> PushAsync(CancellationToken ct) =>
            ToPush(await Session.SyncAllAsync(SyncKind.Resync, ct).ConfigureAwait(false));

        public IReadOnlyList<KeyValuePair<string, object?>> Details =>
        [
            new("Watching", Session.Watching),
            new("Poll", _poll),
            new("Paths", _context.Service.Sync!.Paths.Select(p => $"{p.From} → {p.To}").ToArray()),
            new("LastSync", _last),
        ];

        public ValueTask DisposeAsync() => Session.DisposeAsync();
    }
}
