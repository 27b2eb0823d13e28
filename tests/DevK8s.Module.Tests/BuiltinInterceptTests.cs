using System.Net.Sockets;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The builtin Intercept engine on the real cluster: real pods, a real local process (python3's
/// http.server), real requests from a client pod by ClusterIP and by DNS name, the local process
/// reaching another Service through the service variables, and the pod's real environment.
/// </summary>
public class BuiltinInterceptTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private const string Secret = "s3cr3t-from-a-Secret-4711";
    private const string Bookworm = "devk8s-base/bookworm:1";

    /// <summary>
    /// The local app: GET /token answers the token; /outbound fetches the 'other' Service through
    /// OTHER_SERVICE_HOST/PORT; /env answers selected variables. Its PID goes to server.pid so a test
    /// can stop it while the shell around it (the intercepted command) keeps running.
    /// </summary>
    private const string Server = """
        import hashlib, http.server, os, sys, urllib.request
        token = sys.argv[1]
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                if self.path == "/outbound":
                    url = "http://%s:%s/" % (os.environ["OTHER_SERVICE_HOST"], os.environ["OTHER_SERVICE_PORT"])
                    body = urllib.request.urlopen(url, timeout=10).read()
                elif self.path == "/env":
                    body = "\n".join("%s=%s" % (k, os.environ.get(k, "")) for k in sys.argv[2:]).encode()
                elif self.path.startswith("/blob/"):
                    n = int(self.path[6:]); chunk = bytes(range(256)) * 4096
                    self.send_response(200); self.send_header("Content-Length", str(n)); self.end_headers()
                    while n > 0:
                        self.wfile.write(chunk[:min(n, len(chunk))]); n -= len(chunk)
                    return
                else:
                    body = token.encode()
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            def do_POST(self):
                n, h = int(self.headers["Content-Length"]), hashlib.sha256()
                while n > 0:
                    b = self.rfile.read(min(n, 1 << 20)); h.update(b); n -= len(b)
                body = h.hexdigest().encode()
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            def log_message(self, *a): pass
        with open("server.pid", "w") as f: f.write(str(os.getpid()))
        # A real server's backlog (Python's default of 5 drops a burst of 100 connects on the floor).
        http.server.ThreadingHTTPServer.request_queue_size = 256
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
        """;

    private static readonly string[] EnvNames =
        ["SECRET_TOKEN", "GREETING", "DB_URL", "HOME", "OTHER_SERVICE_HOST", "OTHER_SERVICE_PORT", "OTHER_SERVICE_PORT_WEB", "OTHER_PORT_80_TCP_ADDR", "API_SERVICE_HOST"];

    private TempProject Project(string token, int localPort, string image = ClusterProjectTests.Busybox, string? command = null, bool sync = false)
    {
        var project = new TempProject();
        project.Write("local/server.py", Server);
        command ??= $"python3 server.py {token} {string.Join(' ', EnvNames)} & wait; sleep 300";
        project.Write("devk8s.yaml", $"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              api:
                intercept:
                  ports: ["{localPort}:http"]
                  workingDirectory: local
                  command: '{command}'
                  env:
                    PORT: "{localPort}"
                    DB_URL: postgres://localhost:5432
            """ + (sync ? "\n    sync:\n      paths: [{from: site, to: /www}]\n" : ""));
        // The app's own probe: the dev template must drop it (it would reach a process that is elsewhere).
        var probe = "\n          readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}" +
                    "\n          env: [{name: SECRET_TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}]" +
                    "\n          envFrom: [{configMapRef: {name: settings}}]";
        var apiCommand = image == ClusterProjectTests.Busybox ? "[httpd, -f, -p, \"8080\"]" : "[python3, -m, http.server, \"8080\"]";
        project.Write("k8s/api.yaml", ClusterProjectTests.Deployment("api", command: apiCommand, extra: probe).Replace(ClusterProjectTests.Busybox, image) + $$"""

            ---
            apiVersion: v1
            kind: Service
            metadata: {name: api}
            spec:
              selector: {app: api}
              ports: [{name: http, port: 80, targetPort: http}]
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            stringData: {token: {{Secret}}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {GREETING: "hello from a ConfigMap"}
            """);
        // Another service the intercept must leave alone, and the local process calls.
        project.Write("k8s/other.yaml", ClusterProjectTests.Deployment("other", command: "[sh, -c, \"mkdir -p /www && echo other-ok > /www/index.html && exec httpd -f -p 8080 -h /www\"]") + """

            ---
            apiVersion: v1
            kind: Service
            metadata: {name: other}
            spec:
              selector: {app: other}
              ports: [{name: web, port: 80, targetPort: 8080}]
            """);
        project.Write("k8s/client.yaml", $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: client, labels: {app: client}}
            spec:
              terminationGracePeriodSeconds: 0
              containers: [{name: c, image: {{{Bookworm}}}, imagePullPolicy: Never, command: [sleep, "3600"]}]
            """);
        return project;
    }

    /// <summary>A request from the client pod (python3: busybox wget crashes here); "ERR ..." with the time taken on failure.</summary>
    internal async Task<string> FromClientAsync(IKubernetes client, string url) =>
        (await ExecAsync(client, ns.Name, "client", "c", "python3", "-c", $$"""
            import time, urllib.request
            t = time.time()
            try: print(urllib.request.urlopen("{{url}}", timeout=20).read().decode(), end="")
            except urllib.error.HTTPError as e: print("HTTP %d" % e.code, end="")
            except Exception as e: print("ERR %.2fs %s" % (time.time() - t, e), end="")
            """)).Trim();

    /// <summary>The busybox project with a free local port (for other test classes in this namespace).</summary>
    internal TempProject ProjectFor(string token) => Project(token, FreePort());

    /// <summary>The project in prod mode: api and other ready, the client pod running.</summary>
    internal static PowerShellHost Deployed(TempProject project, IKubernetes client, string ns)
    {
        var host = new PowerShellHost(project.Directory);
        // The class shares one namespace: a test that failed midway must not leave its dev mode to the next.
        host.Invoke("Get-DevService | Where-Object Mode -eq 'Dev' | Stop-DevService -Force").AssertNoErrors();
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "api", 1, ns);
        ClusterProjectTests.WaitReady(client, "other", 1, ns);
        RunningPodAsync(client, ns, "client").GetAwaiter().GetResult();
        return host;
    }

    private static int FreePort()
    {
        var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static bool Alive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].StartsWith('Z');

    private static bool Refused(int port)
    {
        try { using var c = new TcpClient(); c.Connect(System.Net.IPAddress.Loopback, port); return false; }
        catch (SocketException) { return true; }
    }

    [SkippableFact]
    public async Task Cluster_traffic_reaches_the_local_process_which_reaches_other_Services_with_the_pods_environment_and_Stop_restores_everything()
    {
        var client = TestCluster.Require();
        var token = "token-" + Guid.NewGuid().ToString("N")[..8];
        using var project = Project(token, FreePort());
        using var host = Deployed(project, client, ns.Name);
        var original = TemplateJson(client, ns.Name, "api");
        var clusterIp = (await client.CoreV1.ReadNamespacedServiceAsync("api", ns.Name)).Spec.ClusterIP;
        var envFile = project.PathOf("api.env");

        var result = host.Invoke($"Start-DevService api -Strategy Intercept -EnvFile '{envFile}' -Verbose 4>&1");
        result.AssertNoErrors();
        var session = Assert.Single(result.OfType("DevSession"));
        Assert.Equal("builtin", session.Detail("Engine"));
        var localPid = (int)session.Detail("LocalPid")!;
        var listeners = (string[])session.Detail("ServiceListeners")!;
        var otherListener = int.Parse(Assert.Single(listeners, l => l.StartsWith("other:80=")).Split(':').Last());

        // Inbound: by ClusterIP, by short DNS name and by full name, from another pod.
        Assert.Equal(token, await EventuallyAsync(() => FromClientAsync(client, $"http://{clusterIp}/token"), r => r == token, seconds: 30));
        Assert.Equal(token, await FromClientAsync(client, "http://api/token"));
        Assert.Equal(token, await FromClientAsync(client, $"http://api.{ns.Name}.svc.cluster.local/token"));
        // The other Service is untouched.
        Assert.Equal("other-ok", await FromClientAsync(client, "http://other/"));
        // Outbound: the local process reaches 'other' through its service variables.
        Assert.Equal("other-ok", await FromClientAsync(client, "http://api/outbound"));

        // The environment: the pod's (Secret, ConfigMap), local mappings over the pod's service
        // variables, devk8s.yaml's env over both, this machine's HOME.
        var env = (await FromClientAsync(client, "http://api/env")).Split('\n').Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(Secret, env["SECRET_TOKEN"]);
        Assert.Equal("hello from a ConfigMap", env["GREETING"]);
        Assert.Equal("postgres://localhost:5432", env["DB_URL"]);
        Assert.Equal(Environment.GetEnvironmentVariable("HOME") ?? "", env["HOME"]);
        Assert.Equal("127.0.0.1", env["OTHER_SERVICE_HOST"]);
        Assert.Equal(otherListener.ToString(), env["OTHER_SERVICE_PORT"]);
        Assert.Equal(otherListener.ToString(), env["OTHER_SERVICE_PORT_WEB"]);
        Assert.Equal("127.0.0.1", env["OTHER_PORT_80_TCP_ADDR"]);
        Assert.Equal("127.0.0.1", env["API_SERVICE_HOST"]);
        // -EnvFile: owner-only, with the same merged values.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
        var dotenv = File.ReadAllLines(envFile);
        Assert.Contains($"SECRET_TOKEN={Secret}", dotenv);
        Assert.Contains("OTHER_SERVICE_HOST=127.0.0.1", dotenv);
        // Secrets never printed.
        Assert.DoesNotContain(result.Output, o => o.ToString()!.Contains(Secret));
        var logs = host.Invoke("Watch-DevLog api -Tail 0 -Timeout 00:00:02").OfType("DevLogRecord");
        Assert.DoesNotContain(logs, r => r.Str("Message")!.Contains(Secret));

        // The local server stops while the session goes on: requests fail fast, not hang.
        var serverPid = int.Parse(File.ReadAllText(project.PathOf("local/server.pid")).Trim());
        System.Diagnostics.Process.GetProcessById(serverPid).Kill();
        var failed = await FromClientAsync(client, "http://api/token");
        Assert.StartsWith("ERR ", failed);
        Assert.True(double.Parse(failed.Split(' ')[1].TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture) < 1.0, failed);

        var devPods = (await client.CoreV1.ListNamespacedPodAsync(ns.Name, labelSelector: "app=api")).Items.Select(p => p.Metadata.Name).ToList();
        host.Invoke("Stop-DevService api").AssertNoErrors();
        Assert.Equal(original, TemplateJson(client, ns.Name, "api"));
        await EventuallyAsync(() => Task.FromResult(!Alive(localPid)), gone => gone, seconds: 15);
        Assert.True(Refused(otherListener), "the local Service listeners must be closed");
        // The agent is gone with the dev pod, and the prod pod answers again.
        await EventuallyAsync(async () => (await client.CoreV1.ListNamespacedPodAsync(ns.Name, labelSelector: "app=api")).Items.Select(p => p.Metadata.Name).ToList(),
            pods => !pods.Intersect(devPods).Any(), seconds: 60);
        // busybox httpd in / has no index page: its 404 is the prod pod answering.
        Assert.Equal("HTTP 404", await EventuallyAsync(() => FromClientAsync(client, "http://api/token"), r => !r.StartsWith("ERR"), seconds: 60));
    }

    [SkippableFact]
    public async Task The_dev_pod_is_ready_only_while_this_machine_is_attached_so_the_Service_never_routes_into_a_dead_relay()
    {
        var client = TestCluster.Require();
        var token = "token-" + Guid.NewGuid().ToString("N")[..8];
        using var project = Project(token, FreePort());
        using var host = Deployed(project, client, ns.Name);
        var original = TemplateJson(client, ns.Name, "api");

        // The intercept runs in a process of its own, as on a laptop that then goes away.
        using var laptop = ShellProcess.Start(project.Directory, "Start-DevService api -Strategy Intercept; Start-Sleep -Seconds 600");
        V1Pod dev;
        try
        {
            Assert.Equal(token, await EventuallyAsync(() => FromClientAsync(client, "http://api/token"), r => r == token, seconds: 120));
            dev = (await client.CoreV1.ListNamespacedPodAsync(ns.Name, labelSelector: "app=api")).Items
                .Single(p => p.Metadata.DeletionTimestamp is null && p.Spec.Containers[0].Command?.Contains("/bin/sh") == true);
            // The app's probe (tcpSocket on port 'http') is replaced by the agent's readiness port.
            var probe = dev.Spec.Containers[0].ReadinessProbe;
            Assert.Equal("15099", probe?.TcpSocket?.Port?.Value);
            Assert.True(dev.Status.ContainerStatuses[0].Ready);
        }
        finally
        {
            laptop.Kill(entireProcessTree: true); // exactly the process this test started, and what it started
            await laptop.WaitForExitAsync();
        }

        // The link is gone with the laptop: the agent closes its readiness port, the pod turns
        // NotReady and leaves the Service's endpoints, and requests fail instead of hanging: kube-proxy
        // rejects a Service without endpoints with ICMP host-unreachable, which Linux reports as
        // "No route to host" after its SYN retries (3 s here), well before the client's 20 s timeout.
        await EventuallyAsync(async () => (await client.CoreV1.ReadNamespacedPodAsync(dev.Metadata.Name, ns.Name)).Status.ContainerStatuses[0].Ready,
            ready => !ready, seconds: 30);
        await EventuallyAsync(async () => (await client.CoreV1.ReadNamespacedEndpointsAsync("api", ns.Name)).Subsets?.Sum(s => s.Addresses?.Count ?? 0) ?? 0,
            ready => ready == 0, seconds: 30);
        var failed = await FromClientAsync(client, "http://api/token");
        Assert.StartsWith("ERR ", failed);
        Assert.True(double.Parse(failed.Split(' ')[1].TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture) < 5.0, failed);
        // The dev pod itself runs on, waiting for a client: nothing restarted it.
        Assert.Equal(0, (await client.CoreV1.ReadNamespacedPodAsync(dev.Metadata.Name, ns.Name)).Status.ContainerStatuses[0].RestartCount);

        host.Invoke("Stop-DevService api -Force").AssertNoErrors();
        Assert.Equal(original, TemplateJson(client, ns.Name, "api"));
    }

    [SkippableFact]
    public async Task Sync_to_builtin_Intercept_and_back_serves_the_synced_files_then_the_local_process_then_the_files_and_Stop_restores_exactly()
    {
        var client = TestCluster.Require();
        var token = "token-" + Guid.NewGuid().ToString("N")[..8];
        using var project = Project(token, FreePort(), sync: true);
        project.Write("site/hello.txt", "synced " + token);
        using var host = Deployed(project, client, ns.Name);
        var original = TemplateJson(client, ns.Name, "api");

        host.Invoke("Start-DevService api -Strategy Sync").AssertNoErrors();
        Assert.Equal("synced " + token, await EventuallyAsync(() => FromClientAsync(client, "http://api/www/hello.txt"), r => r == "synced " + token, seconds: 30));

        var switched = host.Invoke("Switch-DevStrategy api -Strategy Intercept");
        switched.AssertNoErrors();
        var intercept = Assert.Single(switched.OfType("DevSession"));
        Assert.Equal(("Intercept", "Live", "builtin"), (intercept.Str("Strategy"), intercept.Str("State"), intercept.Detail("Engine") as string));
        var localPid = (int)intercept.Detail("LocalPid")!;
        // Right after the switch returns, the Service reaches the local process, and only it.
        Assert.Equal(token, await FromClientAsync(client, "http://api/token"));
        Assert.Equal(token, await FromClientAsync(client, "http://api/www/hello.txt"));

        var back = host.Invoke("Switch-DevStrategy api -Strategy Sync");
        back.AssertNoErrors();
        Assert.Equal(("Sync", "Live"), (back.OfType("DevSession").Single().Str("Strategy"), back.OfType("DevSession").Single().Str("State")));
        await EventuallyAsync(() => Task.FromResult(!Alive(localPid)), gone => gone, seconds: 15);
        project.Write("site/hello.txt", "synced again " + token);
        Assert.Equal("synced again " + token, await EventuallyAsync(() => FromClientAsync(client, "http://api/www/hello.txt"), r => r == "synced again " + token, seconds: 30));

        host.Invoke("Stop-DevService api").AssertNoErrors();
        Assert.Equal(original, TemplateJson(client, ns.Name, "api"));
    }

    [SkippableFact]
    public async Task When_the_local_process_exits_the_session_ends_and_the_service_is_back_in_prod_mode()
    {
        var client = TestCluster.Require();
        var port = FreePort();
        using var project = Project("t", port, command: "sleep 4; echo done");
        using var host = Deployed(project, client, ns.Name);
        var original = TemplateJson(client, ns.Name, "api");

        host.Invoke("Start-DevService api -Strategy Intercept").AssertNoErrors();
        await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevService api").OfType("DevService").Single().Str("Mode")), m => m == "Prod", seconds: 60);
        Assert.Equal(original, TemplateJson(client, ns.Name, "api"));
    }

    /// <summary>Run in the client pod against the intercepted Service: load, big bodies both ways, a slow reader beside a fast one.</summary>
    private const string Load = """
        import hashlib, http.client, sys, threading, time
        token, n = sys.argv[1], 50 * 1024 * 1024
        def get(path, timeout=120):
            c = http.client.HTTPConnection("api", 80, timeout=timeout); c.request("GET", path); return c.getresponse()
        results = []
        def one():
            try: results.append(get("/token").read().decode())
            except Exception as e: results.append(repr(e))
        threads = [threading.Thread(target=one) for _ in range(100)]
        [t.start() for t in threads]; [t.join() for t in threads]
        print("concurrent", sum(r == token for r in results), *set(r for r in results if r != token))
        pattern = bytes(range(256)) * (n // 256)
        expected = hashlib.sha256(pattern).hexdigest()
        r, h = get("/blob/%d" % n), hashlib.sha256()
        while True:
            b = r.read(1 << 20)
            if not b: break
            h.update(b)
        print("down", h.hexdigest() == expected)
        c = http.client.HTTPConnection("api", 80, timeout=120); c.request("POST", "/upload", body=pattern)
        print("up", c.getresponse().read().decode() == expected)
        slow = get("/blob/%d" % (20 * 1024 * 1024)); slow.read(1024)  # and then reads no more
        t = time.time(); ok = get("/token", 30).read().decode() == token
        print("fast", ok, "%.2f" % (time.time() - t))
        """;

    [SkippableFact]
    public async Task In_a_Debian_image_it_carries_load_big_bodies_and_a_slow_reader_and_survives_a_killed_link()
    {
        var client = TestCluster.Require();
        var token = "token-" + Guid.NewGuid().ToString("N")[..8];
        using var project = Project(token, FreePort(), image: Bookworm);
        using var host = Deployed(project, client, ns.Name);
        host.Invoke("Start-DevService api -Strategy Intercept").AssertNoErrors();
        Assert.Equal(token, await EventuallyAsync(() => FromClientAsync(client, "http://api/token"), r => r == token, seconds: 30));

        var report = (await ExecAsync(client, ns.Name, "client", "c", "python3", "-c", Load, token)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("concurrent 100", report[0]);
        Assert.Equal("down True", report[1]);
        Assert.Equal("up True", report[2]);
        Assert.StartsWith("fast True", report[3]);
        Assert.True(double.Parse(report[3].Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture) < 5, report[3]);

        // The link (a port-forward to the agent) is cut from the pod's side: another client attaches
        // in the pod and says READY, the agent drops DevK8s's link for it (the newest client wins),
        // then that client goes away. DevK8s reconnects and requests go through again.
        var dev = (await client.CoreV1.ListNamespacedPodAsync(ns.Name, labelSelector: "app=api")).Items
            .Single(p => p.Metadata.DeletionTimestamp is null && p.Spec.Containers[0].Command?.Contains("/bin/sh") == true);
        await ExecAsync(client, ns.Name, dev.Metadata.Name, "main", "/bin/sh", "-c",
            "(printf '\\001\\000\\000\\000\\000\\000\\000\\000\\016devk8s-relay/1'; sleep 2) | /tmp/devk8s-agent attach >/dev/null");
        await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevSession api").OfType("DevSession").Single().Detail("RelayConnections")),
            n => n is int c && c >= 2, seconds: 30);
        Assert.Equal(token, await EventuallyAsync(() => FromClientAsync(client, "http://api/token"), r => r == token, seconds: 30));
        host.Invoke("Stop-DevService api").AssertNoErrors();
    }
}
