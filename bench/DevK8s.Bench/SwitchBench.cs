using System.Diagnostics;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using k8s;
using k8s.Models;

namespace DevK8s.Bench;

/// <summary>
/// Sync → Intercept on a live session: Switch-DevStrategy's engine call against Stop-DevService +
/// Start-DevService -Strategy Intercept, each from the call until it returns with the session live.
/// Intercept runs through the Telepresence stand-in (tests/DevK8s.FakeTelepresence), as in the tests.
/// </summary>
internal static class SwitchBench
{
    public sealed record Result(List<double> Switch, List<double> StopStart);

    public static async Task<Result> RunAsync(string work, int runs)
    {
        using var target = KubeTarget.Open(new KubeTargetOptions(Namespace: "devk8s-bench-switch"));
        var project = await ProjectAsync(target, work);
        var service = project.FindService("api")!;
        var none = new Dictionary<string, object?>();
        var result = new Result([], []);

        await DevSessions.StartAsync(target, project, service, Strategy.Sync, force: true, none, null, CancellationToken.None);
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await DevSessions.SwitchAsync(target, project, service, Strategy.Intercept, force: false, none, null, CancellationToken.None);
            result.Switch.Add(clock.Elapsed.TotalMilliseconds);
            await DevSessions.SwitchAsync(target, project, service, Strategy.Sync, force: false, none, null, CancellationToken.None);
        }
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await DevSessions.StopAsync(target, service, force: false, null, CancellationToken.None);
            await DevSessions.StartAsync(target, project, service, Strategy.Intercept, force: false, none, null, CancellationToken.None);
            result.StopStart.Add(clock.Elapsed.TotalMilliseconds);
            await DevSessions.StopAsync(target, service, force: false, null, CancellationToken.None);
            await DevSessions.StartAsync(target, project, service, Strategy.Sync, force: false, none, null, CancellationToken.None);
        }
        await DevSessions.StopAsync(target, service, force: true, null, CancellationToken.None);
        return result;
    }

    private static async Task<ProjectConfig> ProjectAsync(KubeTarget target, string work)
    {
        var client = target.Client;
        try { await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = target.Namespace } }); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }
        var labels = new Dictionary<string, string> { ["app"] = "api" };
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        TerminationGracePeriodSeconds = 0,
                        Containers = [new V1Container { Name = "web", Image = "devk8s-base/busybox:1", ImagePullPolicy = "Never", Command = ["sh", "-c", "mkdir -p /app && exec httpd -f -p 8080 -h /app"],
                            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 }, PeriodSeconds = 1 } }],
                    },
                },
            },
        };
        try { await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, target.Namespace); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }
        for (var i = 0; i < 240 && ((await client.AppsV1.ReadNamespacedDeploymentAsync("api", target.Namespace)).Status?.ReadyReplicas ?? 0) < 1; i++)
            await Task.Delay(250);

        var state = Directory.CreateDirectory(Path.Combine(work, "telepresence")).FullName;
        var standIn = Path.Combine(Results.RepoRoot(), "tests", "DevK8s.FakeTelepresence", "bin", "Release", "net10.0", "telepresence.dll");
        if (!File.Exists(standIn)) throw new FileNotFoundException($"the Telepresence stand-in is not built: {standIn} (./build.sh)");
        var executable = Path.Combine(state, "telepresence");
        File.WriteAllText(executable, $"#!/bin/sh\nTELEPRESENCE_FAKE_STATE='{state}' exec dotnet '{standIn}' \"$@\"\n");
        File.SetUnixFileMode(executable, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(work, "switch", "site"));
        File.WriteAllText(Path.Combine(work, "switch", "site", "index.html"), "<h1>switch</h1>\n");
        var config = Path.Combine(work, "switch", "devk8s.yaml");
        File.WriteAllText(config, $"""
            namespace: {target.Namespace}
            services:
              api:
                workload: deployment/api
                sync:
                  paths: [{"{"}from: site, to: /app{"}"}]
                  onChange: [{"{"}match: "*.sh", action: restart{"}"}]
                intercept:
                  engine: telepresence
                  telepresence: {executable}
                  ports: ["8080:http"]
                  command: exec sleep 600
            """);
        return ConfigLoader.Load(config);
    }
}
