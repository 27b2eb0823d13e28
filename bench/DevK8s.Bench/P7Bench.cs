using System.Diagnostics;
using System.Text.Json.Nodes;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;
using k8s;
using k8s.Models;

namespace DevK8s.Bench;

/// <summary>
/// P7: the builtin intercept against the floor. The same small HTTP server (python3) runs once as
/// the prod pod and once locally behind the intercept; a client pod measures 2,000 sequential
/// requests on one keep-alive connection, 8 keep-alive clients for 10 s and one 50 MB body.
/// Outbound: a local client to the 'target' Service through DevK8s's listener, against
/// kubectl port-forward to a target pod and against the bare WebSocket port-forward the link uses.
/// </summary>
internal static class P7Bench
{
    private const string Image = "devk8s-base/bookworm:1";

    public const string Server = """
        import http.server, os
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
            def do_GET(self):
                if self.path.startswith("/blob/"):
                    n = int(self.path[6:]); chunk = b"x" * (1 << 20)
                    self.send_response(200); self.send_header("Content-Length", str(n)); self.end_headers()
                    while n > 0:
                        self.wfile.write(chunk[:min(n, len(chunk))]); n -= len(chunk)
                    return
                self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
            def log_message(self, *a): pass
        http.server.ThreadingHTTPServer.request_queue_size = 256
        http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), H).serve_forever()
        """;

    /// <summary>Prints {"p50":..,"p99":..,"rps":..,"mb_s":..} for host:port; "what" picks the measurements.</summary>
    public const string Client = """
        import http.client, json, sys, threading, time
        host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        out = {}
        def conn(): return http.client.HTTPConnection(host, port, timeout=60)
        c = conn(); c.request("GET", "/"); c.getresponse().read()
        lat = []
        for _ in range(2000):
            t = time.perf_counter(); c.request("GET", "/"); c.getresponse().read(); lat.append((time.perf_counter() - t) * 1000)
        lat.sort(); out["p50"] = lat[len(lat) // 2]; out["p99"] = lat[int(len(lat) * 0.99)]
        if "rps" in what:
            count, stop = [0] * 8, time.time() + 10
            def load(i):
                k = conn()
                while time.time() < stop:
                    k.request("GET", "/"); k.getresponse().read(); count[i] += 1
            ts = [threading.Thread(target=load, args=(i,)) for i in range(8)]
            [t.start() for t in ts]; [t.join() for t in ts]
            out["rps"] = sum(count) / 10
        n = 50 * 1024 * 1024
        t = time.perf_counter(); k = conn(); k.request("GET", "/blob/%d" % n); r = k.getresponse(); got = 0
        while True:
            b = r.read(1 << 20)
            if not b: break
            got += len(b)
        assert got == n, got
        out["mb_s"] = 50 / (time.perf_counter() - t)
        print(json.dumps(out))
        """;

    public static async Task<Dictionary<string, double>> RunAsync(string work, string kubeconfig, string? kubectl)
    {
        using var target = KubeTarget.Open(new KubeTargetOptions(Namespace: "devk8s-bench-p7"));
        var client = target.Client;
        try { await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = target.Namespace } }); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }
        foreach (var name in new[] { "p7", "target" }) await EnsureServerAsync(client, target.Namespace, name);
        await EnsureClientPodAsync(client, target.Namespace);
        var project = Project(work, target.Namespace);
        var service = project.FindService("p7")!;
        var figures = new Dictionary<string, double>();

        var direct = await FromPodAsync(target, "p7", 80, "latency");
        figures["p7_direct_p50_ms"] = direct.Get("p50");
        figures["p7_direct_p99_ms"] = direct.Get("p99");

        var session = await DevSessions.StartAsync(target, project, service, Strategy.Intercept, force: true, new Dictionary<string, object?>(), null, CancellationToken.None);
        try
        {
            await Task.Delay(1000); // the local server binds
            var inbound = await FromPodAsync(target, "p7", 80, "rps");
            figures["p7_intercept_p50_ms"] = inbound.Get("p50");
            figures["p7_intercept_p99_ms"] = inbound.Get("p99");
            figures["p7_intercept_rps"] = inbound.Get("rps");
            figures["p7_intercept_mb_s"] = inbound.Get("mb_s");

            var listener = ((string[])session.Details.First(d => d.Key == "ServiceListeners").Value!).Single(l => l.StartsWith("target:80="));
            await OutboundAsync(target, kubeconfig, kubectl, int.Parse(listener.Split(':').Last()), figures);
        }
        finally
        {
            await DevSessions.StopAsync(target, service, force: true, null, CancellationToken.None);
        }
        return figures;
    }

    private const int OutboundRounds = 5;

    /// <summary>
    /// The outbound paths take turns, round after round, so a noisy neighbour on the VM hits each
    /// alike; each figure is the median of its rounds. Besides DevK8s's listener (relay through the
    /// agent) and kubectl port-forward, the WebSocket port-forward DevK8s's link rides on, straight
    /// to a target pod with no relay: it separates what the transport costs from what the relay adds.
    /// </summary>
    private static async Task OutboundAsync(KubeTarget target, string kubeconfig, string? kubectl, int listenerPort, Dictionary<string, double> figures)
    {
        var pod = (await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: "app=target")).Items.First(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null);
        using var ws = new WebSocketForward(DevK8s.Engine.Relay.PortForwardRelayTransport.Connect(target, pod.Metadata.Name, 8080));
        Process? forward = null;
        var pfPort = 0;
        if (kubectl is not null)
        {
            pfPort = FreePort();
            forward = Process.Start(new ProcessStartInfo(kubectl, ["--kubeconfig", kubeconfig, "-n", target.Namespace, "port-forward", $"pod/{pod.Metadata.Name}", $"{pfPort}:8080"])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            await forward.StandardOutput.ReadLineAsync(); // "Forwarding from 127.0.0.1:…"
        }
        var rounds = new Dictionary<string, (List<double> P50, List<double> MbS, TimeSpan Cpu)>();
        void Add(string key, JsonObject r, TimeSpan cpu)
        {
            if (!rounds.TryGetValue(key, out var v)) rounds[key] = v = ([], [], TimeSpan.Zero);
            v.P50.Add(r.Get("p50"));
            v.MbS.Add(r.Get("mb_s"));
            rounds[key] = v with { Cpu = v.Cpu + cpu };
        }
        async Task RoundAsync(string key, int port, Func<TimeSpan> cpu)
        {
            var before = cpu();
            var r = await LocalAsync("127.0.0.1", port);
            Add(key, r, cpu() - before);
        }
        TimeSpan Own() => Process.GetCurrentProcess().TotalProcessorTime;
        try
        {
            for (var i = 0; i < OutboundRounds; i++)
            {
                await RoundAsync("p7_outbound", listenerPort, Own);
                await RoundAsync("p7_ws_portforward", ws.Port, Own);
                if (forward is not null)
                    await RoundAsync("p7_portforward", pfPort, () => { forward.Refresh(); return forward.TotalProcessorTime; });
            }
        }
        finally
        {
            if (forward is not null)
            {
                forward.Kill();
                await forward.WaitForExitAsync();
                forward.Dispose();
            }
        }
        foreach (var (key, v) in rounds)
        {
            figures[key + "_p50_ms"] = Stats.Percentile(v.P50, 50);
            figures[key + "_mb_s"] = Stats.Percentile(v.MbS, 50);
            Console.Error.WriteLine($"bench: {key}: p50 {string.Join(", ", v.P50.Select(x => x.ToString("0.00")))} ms; MB/s {string.Join(", ", v.MbS.Select(x => x.ToString("0")))}; client CPU {v.Cpu.TotalMilliseconds:0} ms over {OutboundRounds} rounds");
        }
    }

    private static ProjectConfig Project(string work, string ns)
    {
        var dir = Directory.CreateDirectory(Path.Combine(work, "p7")).FullName;
        File.WriteAllText(Path.Combine(dir, "server.py"), Server);
        var port = FreePort();
        File.WriteAllText(Path.Combine(dir, "devk8s.yaml"), $"""
            namespace: {ns}
            services:
              p7:
                intercept:
                  ports: ["{port}:http"]
                  command: [python3, server.py]
                  env: {"{"}PORT: "{port}"{"}"}
            """);
        return ConfigLoader.Load(Path.Combine(dir, "devk8s.yaml"));
    }

    private static async Task<JsonObject> FromPodAsync(KubeTarget target, string host, int port, string what)
    {
        var result = await PodExec.RunAsync(target, "p7-client", "c", ["python3", "-c", Client, host, port.ToString(), what], CancellationToken.None);
        if (result.ExitCode != 0) throw new InvalidOperationException($"P7 client in the pod failed: {result.Stderr}");
        return JsonNode.Parse(result.Stdout)!.AsObject();
    }

    private static async Task<JsonObject> LocalAsync(string host, int port)
    {
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", Client, host, port.ToString(), "latency" }) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"P7 local client failed: {await stderr}");
        return JsonNode.Parse(await stdout)!.AsObject();
    }

    private static double Get(this JsonObject o, string key) => o[key]!.GetValue<double>();

    private static async Task EnsureServerAsync(IKubernetes client, string ns, string name)
    {
        var labels = new Dictionary<string, string> { ["app"] = name };
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = name },
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
                        Containers = [new V1Container { Name = "main", Image = Image, ImagePullPolicy = "Never", Command = ["python3", "-c", Server],
                            Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }],
                            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 }, PeriodSeconds = 1 } }],
                    },
                },
            },
        };
        try { await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, ns); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // From an earlier run: it must run this run's server code.
            var existing = await client.AppsV1.ReadNamespacedDeploymentAsync(name, ns);
            existing.Spec = deployment.Spec;
            await client.AppsV1.ReplaceNamespacedDeploymentAsync(existing, name, ns);
        }
        var svc = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec { Selector = labels, Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = "http" }] },
        };
        try { await client.CoreV1.CreateNamespacedServiceAsync(svc, ns); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }
        for (var i = 0; i < 480; i++)
        {
            var d = await client.AppsV1.ReadNamespacedDeploymentAsync(name, ns);
            var st = d.Status;
            if (st is not null && st.ObservedGeneration >= d.Metadata.Generation && st.UpdatedReplicas == 1 && st.ReadyReplicas == 1 && st.Replicas == 1) break;
            await Task.Delay(250);
        }
    }

    private static async Task EnsureClientPodAsync(IKubernetes client, string ns)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p7-client" },
            Spec = new V1PodSpec { TerminationGracePeriodSeconds = 0, Containers = [new V1Container { Name = "c", Image = Image, ImagePullPolicy = "Never", Command = ["sleep", "86400"] }] },
        };
        try { await client.CoreV1.CreateNamespacedPodAsync(pod, ns); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }
        for (var i = 0; i < 480 && (await client.CoreV1.ReadNamespacedPodAsync("p7-client", ns)).Status?.Phase != "Running"; i++)
            await Task.Delay(250);
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
