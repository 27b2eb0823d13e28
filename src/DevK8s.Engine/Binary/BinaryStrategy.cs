using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;

namespace DevK8s.Engine.Binary;

/// <summary>
/// Binary: build on this machine (its build cache never leaves it), check the artifact against the
/// container, copy only the artifact in and restart the process under the supervisor.
/// </summary>
public sealed class BinaryStrategy : IDevStrategy
{
    public Strategy Kind => Strategy.Binary;

    public IReadOnlyList<StrategyParameter> Parameters { get; } = [];

    public Task<DevTemplatePlan> PlanAsync(DevPlanContext context, CancellationToken ct) => Task.FromResult(Plan(context.Project, context.Service));

    internal static DevTemplatePlan Plan(ProjectConfig project, ServiceConfig service)
    {
        var binary = service.Binary ?? throw new DevModeException($"{service.Name} has no 'binary' section in {project.FilePath}.",
            "Add binary.build, binary.artifact and binary.target for this service, or pick another strategy.");
        return new DevTemplatePlan
        {
            // Without binary.command the recorded argv is wrapped, exactly as Sync's restart rule does,
            // so a switch between the two keeps the template (no rollout).
            WrapInSupervisor = true,
            Command = binary.Command is { } c ? c.Argv ?? ["/bin/sh", "-c", c.Shell!] : null,
            RequiredTools = ["head", "gzip", "md5sum", "tee", "mv", "chmod", "cat", "kill"],
        };
    }

    public async Task<IDevRuntime> StartAsync(DevRuntimeContext context, CancellationToken ct)
    {
        var runtime = new BinaryRuntime(context);
        try
        {
            context.Progress?.Report($"{context.Service.Name}: building ({context.Service.Binary!.Build})");
            var outcome = await runtime.BuildAndDeployAsync(context.Progress, ct).ConfigureAwait(false);
            // A first build that fails leaves nothing to run: say why now, while the user is watching.
            if (!outcome.Ok) throw outcome.ToException();
            return runtime;
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
