using DevK8s.Engine.Binary;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Sync;
using k8s.Models;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>The Binary plan wraps the process in the supervisor; the sample's catalog gets the same template from Sync and Binary.</summary>
public class BinaryPlanTests
{
    private static readonly ProjectConfig Sample = ConfigLoader.Load(Path.Combine(SchemaTests.RepoRoot(), "examples", "sample", "devk8s.yaml"));

    private static OriginalSpec Catalog() => new()
    {
        Replicas = 2,
        Argv = ["/usr/local/bin/catalog"],
        Template = new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "catalog" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "catalog", Image = "127.0.0.1:5000/devk8s-sample/catalog:prod",
                LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = "http" } } }] },
        },
    };

    private static async Task<DevTemplateBuilder.Result> BuildAsync(IDevStrategy strategy, ServiceConfig service) =>
        DevTemplateBuilder.Build(Catalog(), await strategy.PlanAsync(new DevPlanContext
        {
            Target = null!, Project = Sample, Service = service, Logs = new global::DevK8s.Engine.Logs.LogHub(),
        }, default), spec => spec.Containers[0]);

    [Fact]
    public async Task Sync_and_Binary_give_the_sample_catalog_the_same_template_so_a_switch_rolls_nothing_out()
    {
        var catalog = Sample.FindService("catalog")!;
        var sync = await BuildAsync(new SyncStrategy(), catalog);
        var binary = await BuildAsync(new BinaryStrategy(), catalog);
        Assert.Equal(sync.TemplateId, binary.TemplateId);
        Assert.Equal(RestartSupervisor.Wrap(["/usr/local/bin/catalog"]), binary.Template.Spec.Containers[0].Command);
        Assert.Equal(1, binary.Replicas);
    }

    [Fact]
    public async Task A_configured_command_is_what_the_supervisor_runs_and_a_service_without_the_section_is_refused()
    {
        var gateway = Sample.FindService("gateway")!;
        var withCommand = gateway with { Binary = gateway.Binary! with { Command = CommandSpec.FromShell("exec /usr/local/bin/gateway --verbose") } };
        var built = await BuildAsync(new BinaryStrategy(), withCommand);
        Assert.Equal(RestartSupervisor.Wrap(["/bin/sh", "-c", "exec /usr/local/bin/gateway --verbose"]), built.Template.Spec.Containers[0].Command);

        var web = Sample.FindService("web")!;
        var refused = await Assert.ThrowsAsync<DevModeException>(() => BuildAsync(new BinaryStrategy(), web));
        Assert.Contains("web has no 'binary' section", refused.Message);
        Assert.Contains("binary.build", refused.RecommendedAction);
    }
}
