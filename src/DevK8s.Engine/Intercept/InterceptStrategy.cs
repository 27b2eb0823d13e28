using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Intercept.Builtin;

namespace DevK8s.Engine.Intercept;

/// <summary>
/// Intercept: the service's cluster traffic goes to a process on this machine. The builtin engine
/// (the default) replaces the container's command with DevK8s's relay agent; the Telepresence
/// engine injects its own agent, so the pod template stays as recorded. Either way DevK8s records
/// the session and runs the local command with the remote environment.
/// </summary>
public sealed class InterceptStrategy : IDevStrategy
{
    public const string EnvFileParameter = "EnvFile";

    public Strategy Kind => Strategy.Intercept;

    public IReadOnlyList<StrategyParameter> Parameters { get; } =
        [new(EnvFileParameter, StrategyParameterKind.Path, "Also write the remote environment to this dotenv file (owner-only) for an IDE debugger.")];

    public Task<DevTemplatePlan> PlanAsync(DevPlanContext context, CancellationToken ct)
    {
        var config = context.Service.Intercept ?? throw new DevModeException($"{context.Service.Name} has no 'intercept' section in {context.Project.FilePath}.",
            "Add intercept.command (and ports) for this service.");
        return config.Engine == InterceptEngine.Builtin
            ? BuiltinIntercept.PlanAsync(context.Target, context.Service, config, ct)
            : Task.FromResult(DevTemplatePlan.Keep);
    }

    public async Task<IDevRuntime> StartAsync(DevRuntimeContext context, CancellationToken ct)
    {
        if (context.Service.Intercept!.Engine == InterceptEngine.Builtin)
            return new BuiltinRuntime(context, await BuiltinIntercept.StartAsync(context, context.Text(EnvFileParameter), ct).ConfigureAwait(false));
        var runner = await InterceptRunner.StartAsync(context.Target.Context, context.Target.Namespace, context.Service, context.Service.Intercept!,
            context.Text(EnvFileParameter), context.Logs, context.Progress, ct).ConfigureAwait(false);
        return new Runtime(context, runner);
    }

    private sealed class Runtime(DevRuntimeContext context, InterceptRunner runner) : IDevRuntime
    {
        public event Action<bool>? ConnectionChanged { add { } remove { } }

        // The local command ending ends the session (the intercept was left): the service goes back to prod mode.
        public async Task RunAsync(CancellationToken ct) => await runner.Finished.WaitAsync(ct).ConfigureAwait(false);

        public Task<PushReport> PushAsync(CancellationToken ct) => Task.FromResult(new PushReport(context.Service.Name, Strategy.Intercept, null,
            "nothing to push: the intercepted traffic reaches the local process directly", 0, TimeSpan.Zero, DateTimeOffset.Now));

        public IReadOnlyList<KeyValuePair<string, object?>> Details =>
        [
            new("Engine", "telepresence"),
            new("InterceptId", runner.InterceptId),
            new("LocalPorts", runner.Ports.ToArray()),
            new("LocalPid", runner.Process?.Pid),
            new("ExitCode", runner.Process?.ExitCode),
        ];

        public ValueTask DisposeAsync() => runner.DisposeAsync();
    }

    private sealed class BuiltinRuntime : IDevRuntime
    {
        private readonly DevRuntimeContext _context;
        private readonly BuiltinIntercept _intercept;

        public BuiltinRuntime(DevRuntimeContext context, BuiltinIntercept intercept)
        {
            (_context, _intercept) = (context, intercept);
            intercept.Relay.ConnectionChanged += up => ConnectionChanged?.Invoke(up);
        }

        public event Action<bool>? ConnectionChanged;

        // The local command ending ends the session: the service goes back to prod mode.
        public async Task RunAsync(CancellationToken ct) => await _intercept.Finished.WaitAsync(ct).ConfigureAwait(false);

        public Task<PushReport> PushAsync(CancellationToken ct) => Task.FromResult(new PushReport(_context.Service.Name, Strategy.Intercept, _context.Pod?.Name,
            "nothing to push: the intercepted traffic reaches the local process directly", 0, TimeSpan.Zero, DateTimeOffset.Now));

        public IReadOnlyList<KeyValuePair<string, object?>> Details =>
        [
            new("Engine", "builtin"),
            new("LocalPorts", _intercept.Inbound.ContainerToLocal.Select(p => $"{p.Value}:{p.Key}").ToArray()),
            new("AgentPorts", _intercept.Inbound.AgentPorts.ToArray()),
            new("ServiceListeners", _intercept.Outbound.Select(o => $"{o.Service}:{o.ServicePort}=127.0.0.1:{o.Local.Port}").ToArray()),
            new("RelayConnected", _intercept.Relay.IsConnected),
            new("RelayConnections", _intercept.Relay.Connections),
            new("LocalPid", _intercept.Process?.Pid),
            new("ExitCode", _intercept.Process?.ExitCode),
        ];

        public ValueTask DisposeAsync() => _intercept.DisposeAsync();
    }
}
