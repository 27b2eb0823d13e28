using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;

namespace DevK8s.Engine.Intercept;

/// <summary>
/// Intercept: the service's cluster traffic goes to a process on this machine. The Telepresence
/// engine injects its own agent, so the pod template stays as recorded; DevK8s records the session
/// and runs the local command with the remote environment.
/// </summary>
public sealed class InterceptStrategy : IDevStrategy
{
    public const string EnvFileParameter = "EnvFile";

    public Strategy Kind => Strategy.Intercept;

    public IReadOnlyList<StrategyParameter> Parameters { get; } =
        [new(EnvFileParameter, StrategyParameterKind.Path, "Also write the remote environment to this dotenv file (owner-only) for an IDE debugger.")];

    public Task<DevTemplatePlan> PlanAsync(DevPlanContext context, CancellationToken ct) => Task.FromResult(Plan(context.Project, context.Service));

    private static DevTemplatePlan Plan(ProjectConfig project, ServiceConfig service)
    {
        _ = service.Intercept ?? throw new DevModeException($"{service.Name} has no 'intercept' section in {project.FilePath}.",
            "Add intercept.command (and ports) for this service.");
        return DevTemplatePlan.Keep;
    }

    public async Task<IDevRuntime> StartAsync(DevRuntimeContext context, CancellationToken ct)
    {
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
}
