using System.Net;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Local;
using DevK8s.Engine.Logs;
using DevK8s.Engine.Relay;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.Intercept.Builtin;

/// <summary>
/// Intercept through DevK8s's own relay: the dev container runs the agent on the container's ports,
/// one port-forward link carries every connection both ways, and the local process gets the pod's real
/// environment with the namespace's Services mapped to local listeners. Needs only the namespaced
/// rights: patch the workload, exec into its pod (the upload), port-forward to it (the link), list Services.
/// </summary>
public sealed class BuiltinIntercept : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(60);

    private readonly string _service;
    private readonly ILogSink _log;
    private readonly List<RelayListener> _outbound = [];
    private IDisposable? _shutdown;
    private Task? _cleanup;

    public RelayClient Relay { get; }
    public InboundPorts Inbound { get; }
    public IReadOnlyList<LocalServicePort> Outbound { get; private set; } = [];
    public LocalProcess? Process { get; private set; }

    /// <summary>Completes with the local process's exit code once it has exited and the relay is closed.</summary>
    public Task<int> Finished { get; private set; } = Task.FromResult(0);

    private BuiltinIntercept(string service, ILogSink log, RelayClient relay, InboundPorts inbound) =>
        (_service, _log, Relay, Inbound) = (service, log, relay, inbound);

    /// <summary>The dev template: the agent instead of the app (command replaced, not wrapped), the agent's readiness for the app's probes.</summary>
    public static async Task<DevTemplatePlan> PlanAsync(KubeTarget target, ServiceConfig service, InterceptConfig config, CancellationToken ct)
    {
        var workload = await Workload.ReadAsync(target, service.Workload, ct).ConfigureAwait(false)
            ?? throw new DevModeException($"{service.Workload} does not exist in namespace {target.Namespace}.",
                "Deploy the project in prod mode first (Deploy-DevProject), or fix 'workload' in devk8s.yaml.");
        // In dev mode already (a switch), the live template is ours: plan from the recorded original.
        var template = workload.Annotations.TryGetValue(DevAnnotations.Original, out var saved)
            ? OriginalSpec.FromJson(saved).Template
            : workload.Template;
        var inbound = await ResolveInboundAsync(target, service, config, template.Spec, template.Metadata?.Labels, ct).ConfigureAwait(false);
        return PlanFor(inbound.AgentPorts);
    }

    /// <summary>
    /// The app's probes would reach a process that runs on this machine and starts only after the
    /// pod: the agent's readiness port answers exactly while this machine is attached, so the
    /// Service keeps the old pod until then and drops the dev pod when the link is lost.
    /// </summary>
    internal static DevTemplatePlan PlanFor(IEnumerable<int> agentPorts) =>
        new DevTemplatePlan
        {
            Command = RelayAgent.ContainerCommand(agentPorts),
            RelaxProbes = true,
            ReadinessProbe = new V1Probe
            {
                TcpSocket = new V1TCPSocketAction { Port = RelayAgent.DefaultReadyPort },
                // Ready within a second of attaching; a reconnect (backoff from 200 ms) does not flap it.
                PeriodSeconds = 1, TimeoutSeconds = 1, SuccessThreshold = 1, FailureThreshold = 3,
            },
            ReadyOnceAttached = true,
            Watch = new RolloutWatchOptions(TimeSpan.FromMinutes(3)),
        };

    private static async Task<InboundPorts> ResolveInboundAsync(KubeTarget target, ServiceConfig service, InterceptConfig config, V1PodSpec spec,
        IDictionary<string, string>? labels, CancellationToken ct)
    {
        var container = (service.Container is null ? spec.Containers.FirstOrDefault() : spec.Containers.FirstOrDefault(c => c.Name == service.Container))
            ?? throw new DevModeException($"{service.Workload} has no container named '{service.Container}'.", "Fix 'container' for this service in devk8s.yaml.");
        var services = await target.Client.CoreV1.ListNamespacedServiceAsync(target.Namespace, cancellationToken: ct).ConfigureAwait(false);
        return InboundPorts.Resolve(service.Name, config.Ports, container, InboundPorts.Selecting(services.Items, labels));
    }

    /// <summary>
    /// Connects the relay to the dev pod, maps the namespace's Services, reads the pod's environment
    /// and starts the local command. Throws (having cleaned up) when any of it fails.
    /// </summary>
    public static async Task<BuiltinIntercept> StartAsync(DevRuntimeContext context, string? envFile, CancellationToken ct)
    {
        var service = context.Service;
        var config = service.Intercept!;
        var target = context.Target;
        var log = context.Logs;
        var devPod = context.Pod ?? throw new InvalidOperationException("the builtin intercept needs the dev pod");
        var pod = await target.Client.CoreV1.ReadNamespacedPodAsync(devPod.Name, target.Namespace, cancellationToken: ct).ConfigureAwait(false);
        var inbound = await ResolveInboundAsync(target, service, config, pod.Spec, pod.Metadata.Labels, ct).ConfigureAwait(false);

        void Log(string stream, string message) =>
            log.Write(new DevLogRecord(DateTimeOffset.Now, service.Name, null, null, stream, message, LogSource.Local));

        // Every (re)connect follows the workload to its current dev pod and uploads the agent if a
        // new or restarted container lacks it.
        var connect = PortForwardRelayTransport.Connect(target, async c =>
        {
            // Running, not ready: the pod gets ready only once this link is up.
            var current = await context.Controller.FindDevPodAsync(context.Record.SessionId, c, readyOnly: false).ConfigureAwait(false)
                ?? throw new IOException($"no running dev pod of {service.Workload} yet");
            return (current.Name, current.Container);
        });
        var relay = new RelayClient(connect, inbound.ContainerToLocal, new RelayOptions(), message => Log("stdout", message));
        var intercept = new BuiltinIntercept(service.Name, log, relay, inbound);
        try
        {
            context.Progress?.Report($"{service.Name}: uploading the relay agent to {devPod.Name} and connecting");
            relay.Start();
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(ConnectTimeout);
                try { await relay.WaitConnectedAsync(timeout.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new DevModeException($"the relay to {devPod.Name} did not connect within {ConnectTimeout.TotalSeconds:0} s (see the log lines above for why).",
                        "Check that the container has sh, head and a writable /tmp, and that you may create pods/exec and pods/portforward in this namespace (Test-DevEnvironment).");
                }
            }

            // Attached, the dev pod turns ready: once the rollout is done, the Service sends
            // everything here and nothing to the old pod.
            context.Progress?.Report($"{service.Name}: relay connected; waiting for the dev pod to take over the Service");
            await context.Controller.WaitForRolloutAsync(context.Progress, TimeSpan.FromMinutes(3), ct).ConfigureAwait(false);

            var services = await target.Client.CoreV1.ListNamespacedServiceAsync(target.Namespace, cancellationToken: ct).ConfigureAwait(false);
            intercept.MapServices(services.Items);
            var podEnv = await PodEnvironment.ReadAsync(target, devPod.Name, devPod.Container, ct).ConfigureAwait(false);
            // The pod's own values, then the local service mappings over them (the pod's point at
            // ClusterIPs this machine cannot reach), then devk8s.yaml's env over both (BuildEnvironment).
            var remote = new Dictionary<string, string>(podEnv, StringComparer.Ordinal);
            foreach (var (k, v) in ServiceVariables.For(intercept.Outbound)) remote[k] = v;
            if (envFile is not null) InterceptRunner.WriteEnvFile(envFile, remote, config.Env);
            var environment = InterceptRunner.BuildEnvironment(remote, config.Env);

            intercept._shutdown = ShutdownHooks.Add(() => intercept.CleanUpAsync().Wait(TimeSpan.FromSeconds(10)));
            Log("stdout", $"relay up: {string.Join(", ", inbound.AgentPorts.Select(p => $"container port {p} → 127.0.0.1:{(inbound.ContainerToLocal.TryGetValue(p, out var l) ? l : p)}"))}; " +
                          $"{intercept.Outbound.Count} Service ports mapped to local listeners; {podEnv.Count} pod variables; starting '{config.Command}' in {config.WorkingDirectory}");
            intercept.Process = LocalProcess.Start(config.Command, config.WorkingDirectory, environment, service.Name, log);
            // A command that dies at once (not found, bad config) is an error, with what it printed.
            var early = await Task.WhenAny(intercept.Process.Exited, Task.Delay(TimeSpan.FromSeconds(2), ct)).ConfigureAwait(false);
            if (early == intercept.Process.Exited)
            {
                var code = await intercept.Process.Exited.ConfigureAwait(false);
                var lines = intercept.Process.LastLines;
                throw new DevModeException($"the local command '{config.Command}' exited at once with code {code}." + (lines.Count == 0 ? "" : $" Last output:\n  {string.Join("\n  ", lines.TakeLast(10))}"),
                    "Fix intercept.command / intercept.workingDirectory in devk8s.yaml, or run the service under your debugger with -EnvFile.");
            }
            intercept.Finished = intercept.WatchAsync();
            return intercept;
        }
        catch
        {
            await intercept.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A local listener for every TCP port of every Service with a ClusterIP (dialled by ClusterIP in the pod: no DNS needed there).</summary>
    private void MapServices(IEnumerable<V1Service> services)
    {
        var mapped = new List<LocalServicePort>();
        foreach (var svc in services.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            var ip = svc.Spec?.ClusterIP;
            if (string.IsNullOrEmpty(ip) || ip == "None" || !IPAddress.TryParse(ip, out _)) continue;
            foreach (var port in (svc.Spec!.Ports ?? []).Where(p => p.Protocol is null or "TCP"))
            {
                var listener = Relay.Listen(ip, port.Port);
                _outbound.Add(listener);
                mapped.Add(new LocalServicePort(svc.Metadata.Name, port.Name, port.Port, listener.LocalEndPoint));
            }
        }
        Outbound = mapped;
    }

    private async Task<int> WatchAsync()
    {
        var code = await Process!.Exited.ConfigureAwait(false);
        _log.Write(new DevLogRecord(DateTimeOffset.Now, _service, null, null, "stdout", $"local command exited with code {code}; ending the intercept", LogSource.Local));
        await CleanUpAsync().ConfigureAwait(false);
        return code;
    }

    /// <summary>Stops the local tree, closes the local listeners and the relay; one clean-up for every caller.</summary>
    public Task CleanUpAsync()
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _cleanup, mine.Task, null) is { } running) return running;
        _ = CleanUpOnceAsync().ContinueWith(_ => mine.SetResult(), TaskScheduler.Default);
        return mine.Task;
    }

    private async Task CleanUpOnceAsync()
    {
        if (Process is not null) await Process.StopAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        foreach (var l in _outbound) l.Dispose();
        await Relay.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _shutdown?.Dispose();
        await CleanUpAsync().ConfigureAwait(false);
        if (Process is not null) await Process.DisposeAsync().ConfigureAwait(false);
    }
}
