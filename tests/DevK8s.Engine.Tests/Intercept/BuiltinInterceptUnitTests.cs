using System.Net;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Intercept.Builtin;
using k8s.Models;
using Xunit;

namespace DevK8s.Engine.Tests.Intercept;

public class ServiceVariablesTests
{
    [Fact]
    public void Each_Service_gets_Kubernetes_variables_that_point_at_its_local_listeners()
    {
        var env = ServiceVariables.For(
        [
            new LocalServicePort("catalog-api", "http", 80, new IPEndPoint(IPAddress.Loopback, 41000)),
            new LocalServicePort("catalog-api", "grpc-port", 9090, new IPEndPoint(IPAddress.Loopback, 41001)),
            new LocalServicePort("db", null, 5432, new IPEndPoint(IPAddress.Loopback, 41002)),
        ]);
        Assert.Equal("127.0.0.1", env["CATALOG_API_SERVICE_HOST"]);
        Assert.Equal("41000", env["CATALOG_API_SERVICE_PORT"]);
        Assert.Equal("41000", env["CATALOG_API_SERVICE_PORT_HTTP"]);
        Assert.Equal("41001", env["CATALOG_API_SERVICE_PORT_GRPC_PORT"]);
        Assert.Equal("tcp://127.0.0.1:41000", env["CATALOG_API_PORT"]);
        Assert.Equal("tcp://127.0.0.1:41001", env["CATALOG_API_PORT_9090_TCP"]);
        Assert.Equal("tcp", env["CATALOG_API_PORT_9090_TCP_PROTO"]);
        Assert.Equal("41001", env["CATALOG_API_PORT_9090_TCP_PORT"]);
        Assert.Equal("127.0.0.1", env["CATALOG_API_PORT_9090_TCP_ADDR"]);
        Assert.Equal("41002", env["DB_SERVICE_PORT"]);
        Assert.Equal("tcp://127.0.0.1:41002", env["DB_PORT_5432_TCP"]);
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("DB_SERVICE_PORT_"));
    }

    [Fact]
    public void The_pods_environ_keeps_values_with_equals_signs_and_newlines()
    {
        var env = PodEnvironment.Parse("A=1\0URL=postgres://u:p@h/db?x=y\0MULTI=line1\nline2\0EMPTY=\0");
        Assert.Equal("postgres://u:p@h/db?x=y", env["URL"]);
        Assert.Equal("line1\nline2", env["MULTI"]);
        Assert.Equal("", env["EMPTY"]);
        Assert.Equal(4, env.Count);
    }
}

public class InboundPortsTests
{
    private static readonly V1Container Container = new()
    {
        Name = "main",
        Ports = [new V1ContainerPort { ContainerPort = 8080, Name = "http" }, new V1ContainerPort { ContainerPort = 9000, Name = "metrics" }],
    };

    private static V1Service Service(params V1ServicePort[] ports) =>
        new() { Metadata = new V1ObjectMeta { Name = "api" }, Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "api" }, Ports = ports } };

    [Fact]
    public void A_service_port_name_resolves_through_a_named_targetPort_to_the_container_port()
    {
        var ports = InboundPorts.Resolve("api", ["18080:http"], Container, [Service(new V1ServicePort { Port = 80, Name = "http", TargetPort = "http" })]);
        Assert.Equal(18080, ports.ContainerToLocal[8080]);
        // The agent serves every port the container declares, mapped or not.
        Assert.Equal(new[] { 8080, 9000 }, ports.AgentPorts);
    }

    [Fact]
    public void A_service_port_number_resolves_to_its_numeric_target_and_a_bare_port_uses_the_only_service_port()
    {
        var svc = Service(new V1ServicePort { Port = 80, Name = "web", TargetPort = 8080 });
        Assert.Equal(5000, InboundPorts.Resolve("api", ["5000:80"], Container, [svc]).ContainerToLocal[8080]);
        Assert.Equal(5000, InboundPorts.Resolve("api", ["5000"], Container, [svc]).ContainerToLocal[8080]);
    }

    [Fact]
    public void An_unknown_port_name_is_an_error_that_lists_the_Services_ports()
    {
        var e = Assert.Throws<DevModeException>(() => InboundPorts.Resolve("api", ["8080:grpc"], Container, [Service(new V1ServicePort { Port = 80, Name = "http", TargetPort = 8080 })]));
        Assert.Contains("'grpc'", e.Message);
        Assert.Contains("http=80", e.RecommendedAction);
    }

    [Fact]
    public void Only_Services_whose_selector_matches_the_pod_labels_count()
    {
        var mine = Service(new V1ServicePort { Port = 80 });
        var other = new V1Service { Metadata = new V1ObjectMeta { Name = "db" }, Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "db" } } };
        Assert.Equal(new[] { mine }, InboundPorts.Selecting([mine, other], new Dictionary<string, string> { ["app"] = "api", ["tier"] = "x" }));
    }

    [Fact]
    public void The_dev_template_runs_the_agent_instead_of_the_command_with_its_readiness_for_the_apps_probes()
    {
        var original = new OriginalSpec
        {
            Replicas = 2,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec
                {
                    Containers = [new V1Container
                    {
                        Name = "main", Command = ["app"], Args = ["--serve"],
                        ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 } },
                        LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 } },
                    }],
                },
            },
        };
        var plan = BuiltinIntercept.PlanFor([8080]);
        Assert.True(plan.ReadyOnceAttached);
        var built = DevTemplateBuilder.Build(original, plan, s => s.Containers[0]);
        var c = built.Template.Spec.Containers[0];
        Assert.Equal("/bin/sh", c.Command[0]);
        Assert.Contains("/tmp/devk8s-agent serve --ready 15099 --link 15098 8080", c.Command[2]);
        Assert.Null(c.Args);
        // The app's readiness probe gives way to the agent's port (open only while attached).
        Assert.Equal("15099", c.ReadinessProbe.TcpSocket.Port.Value);
        Assert.Null(c.LivenessProbe);
        Assert.Equal(1, built.Replicas);
        // The recorded original is untouched.
        Assert.NotNull(original.Template.Spec.Containers[0].ReadinessProbe);
    }
}
