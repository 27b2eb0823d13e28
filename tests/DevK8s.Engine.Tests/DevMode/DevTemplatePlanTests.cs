using DevK8s.Engine.DevMode;
using k8s;
using k8s.Models;
using Xunit;

namespace DevK8s.Engine.Tests.DevMode;

/// <summary>Dev templates come from the recorded original and a plan alone, and say what they changed.</summary>
public class DevTemplatePlanTests
{
    private static OriginalSpec Original() => new()
    {
        Replicas = 3,
        Argv = ["/usr/local/bin/api", "--port", "8080"],
        Template = new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "api" } },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "api", Image = "registry/api:1",
                        LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 } },
                        ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 } },
                    },
                    new V1Container { Name = "sidecar", Image = "proxy:2" },
                ],
            },
        },
    };

    private static DevTemplateBuilder.Result Build(OriginalSpec original, DevTemplatePlan plan) =>
        DevTemplateBuilder.Build(original, plan, spec => spec.Containers.First(c => c.Name == "api"));

    private static readonly DevTemplatePlan Wrap = new() { WrapInSupervisor = true };

    [Fact]
    public void Equal_plans_give_equal_templates_and_ids_so_a_switch_between_them_rolls_nothing_out()
    {
        var a = Build(Original(), Wrap);
        var b = Build(Original(), new DevTemplatePlan { WrapInSupervisor = true, RequiredTools = ["tar"] });
        Assert.Equal(KubernetesJson.Serialize(a.Template), KubernetesJson.Serialize(b.Template));
        Assert.NotNull(a.TemplateId);
        Assert.Equal(a.TemplateId, b.TemplateId);
        Assert.NotEqual(a.TemplateId, Build(Original(), new DevTemplatePlan()).TemplateId);
    }

    [Fact]
    public void A_plan_s_readiness_probe_replaces_the_app_s_and_the_changes_say_so()
    {
        var agentProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 15099 }, PeriodSeconds = 1 };
        var dev = Build(Original(), new DevTemplatePlan { Command = ["/bin/sh", "-c", "agent"], ReadinessProbe = agentProbe, ReadyOnceAttached = true });
        var api = dev.Template.Spec.Containers[0];
        Assert.Equal("15099", api.ReadinessProbe.TcpSocket.Port.Value);
        Assert.Null(api.LivenessProbe);
        Assert.Contains(DevModeChanges.Describe(Original(), dev.Template, dev.Replicas, "api"), c => c == "api: readinessProbe replaced");
        // The original is only read: a later plan without a probe gets the app's back.
        Assert.Equal("8080", Build(Original(), Wrap).Template.Spec.Containers[0].ReadinessProbe.TcpSocket.Port.Value);
    }

    [Fact]
    public void The_wrapped_command_runs_the_recorded_argv_and_other_containers_are_untouched()
    {
        var dev = Build(Original(), Wrap);
        var api = dev.Template.Spec.Containers[0];
        Assert.Equal(new[] { "/usr/local/bin/api", "--port", "8080" }, RestartSupervisor.Unwrap(api.Command));
        Assert.Null(api.LivenessProbe);
        Assert.NotNull(api.ReadinessProbe);
        Assert.Equal(1, dev.Replicas);
        Assert.Equal(KubernetesJson.Serialize(Original().Template.Spec.Containers[1]), KubernetesJson.Serialize(dev.Template.Spec.Containers[1]));
    }

    [Fact]
    public void Keep_leaves_template_and_replicas_exactly_as_recorded()
    {
        var original = Original();
        var kept = Build(original, DevTemplatePlan.Keep);
        Assert.Equal(KubernetesJson.Serialize(original.Template), KubernetesJson.Serialize(kept.Template));
        Assert.Equal(3, kept.Replicas);
        Assert.Null(kept.TemplateId);
    }

    [Fact]
    public void Wrapping_without_a_resolved_argv_is_a_programming_error_not_a_silent_guess()
    {
        var original = Original();
        original.Argv = null;
        Assert.Throws<InvalidOperationException>(() => Build(original, Wrap));
        Assert.True(Wrap.NeedsArgv);
        Assert.False(new DevTemplatePlan { WrapInSupervisor = true, Command = ["/bin/app"] }.NeedsArgv);
    }

    [Fact]
    public void Changes_name_each_difference_from_the_recorded_original()
    {
        var original = Original();
        var dev = Build(original, Wrap with { Image = "registry/api@sha256:abc" });
        dev.Template.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" }; // someone else's edit
        var changes = DevModeChanges.Describe(original, dev.Template, dev.Replicas, "api");
        Assert.Equal(new[]
        {
            "replicas 3 → 1",
            "api: command wrapped by the restart supervisor",
            "api: image → registry/api@sha256:abc",
            "api: livenessProbe removed",
            "template.spec.nodeSelector changed",
        }, changes);
    }

    [Fact]
    public void A_replaced_command_is_shown_with_its_argv_and_an_unchanged_template_has_no_changes()
    {
        var original = Original();
        var dev = Build(original, new DevTemplatePlan { WrapInSupervisor = true, Command = ["/tmp/devk8s/api", "-v"], RelaxProbes = false });
        Assert.Equal(new[] { "replicas 3 → 1", "api: command replaced by '/tmp/devk8s/api -v' under the restart supervisor" },
            DevModeChanges.Describe(original, dev.Template, dev.Replicas, "api"));
        Assert.Empty(DevModeChanges.Describe(original, original.Template, original.Replicas, "api"));
    }
}
