using System.Collections.Concurrent;
using System.Diagnostics;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Binary;

/// <summary>
/// One service in Binary dev mode: a member of its shared build, deploying each changed artifact
/// over the session's pod channel (check, gzip, verify, rename, restart), and redeploying the last
/// good one when the pod is replaced.
/// </summary>
internal sealed class BinaryRuntime : IDevRuntime, IBuildSubscriber
{
    private readonly DevRuntimeContext _context;
    private readonly BinaryConfig _config;
    private readonly PodChannel _channel;
    private readonly BuildGroup _group;
    private readonly SemaphoreSlim _deploying = new(1, 1);
    private readonly SemaphoreSlim _lost = new(0);
    // Process-wide: a Sync ↔ Binary switch keeps the pod, and what its image offers does not change.
    private static readonly ConcurrentDictionary<string, ContainerOffer> Offers = new(StringComparer.Ordinal);
    private Task _warmUp = Task.CompletedTask;
    private volatile IProgress<string>? _progress;
    private volatile Artifact? _lastGood;
    private volatile string? _deployedHash;
    private long _bytesSent;
    private int _deploys;
    private DeployOutcome? _last;

    public BinaryRuntime(DevRuntimeContext context)
    {
        _context = context;
        _config = context.Service.Binary!;
        Watch = BinaryWatch.For(context.Project, _config);
        _channel = new PodChannel(context.Target, context.Controller, context.Record.SessionId, context.Service.Workload.ToString(), Log);
        _channel.ConnectionChanged += c => ConnectionChanged?.Invoke(c);
        // A replaced pod or restarted container starts from the image's binary: put ours back.
        _channel.Lost += () =>
        {
            _deployedHash = null;
            try { _lost.Release(); } catch (ObjectDisposedException) { }
        };
        _group = BuildCoordinator.Join(_config, this);
    }

    public string Service => _context.Service.Name;
    public BinaryWatch Watch { get; }
    public string ArtifactPath => Path.GetFullPath(_config.Artifact);
    public event Action<bool>? ConnectionChanged;

    private string ArtifactName => Path.GetRelativePath(_context.Project.Directory, _config.Artifact).Replace('\\', '/');

    /// <summary>Runs the shared build now and returns what it did for this service.</summary>
    public async Task<DeployOutcome> BuildAndDeployAsync(IProgress<string>? progress, CancellationToken ct)
    {
        _progress = progress;
        // The pod side (channel, probe) gets ready while the build runs: at start, and on a switch
        // with the artifact already built, they are most of the wait.
        if (_lastGood is null && _warmUp.IsCompleted) _warmUp = WarmUpAsync(ct);
        try
        {
            var round = await _group.RequestAsync().WaitAsync(ct).ConfigureAwait(false);
            return round.Outcomes.TryGetValue(Service, out var mine) ? mine
                : new DeployOutcome(Service, DeployKind.Failed, $"{Service} left the build before it finished.", null, null);
        }
        finally
        {
            _progress = null;
        }
    }

    private async Task WarmUpAsync(CancellationToken ct)
    {
        try
        {
            await _channel.OpenAsync(ct).ConfigureAwait(false);
            if (File.Exists(_config.Artifact) && _channel.Pod is { } pod)
                await OfferAsync(pod, ArtifactInspector.Inspect(_config.Artifact), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Only a head start: the deploy opens, probes and reports failures itself.
        }
    }

    private async Task<ContainerOffer> OfferAsync(DevPod pod, ArtifactInfo info, CancellationToken ct)
    {
        var key = $"{_context.Target.Context}/{_context.Target.Namespace}/{pod.Name}/{pod.Container}\n{string.Join("\n", ContainerProbe.Questions(info, _config.Target))}";
        if (Offers.TryGetValue(key, out var offer)) return offer;
        offer = await ContainerProbe.RunAsync(_context.Target, pod.Name, pod.Container, info, _config.Target, ct).ConfigureAwait(false);
        Offers[key] = offer;
        return offer;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await _lost.WaitAsync(ct).ConfigureAwait(false);
            if (_lastGood is null) continue;
            try
            {
                Log("stdout", $"the pod channel was lost; making sure the pod runs the last good {ArtifactName}");
                // null: whatever is the last good artifact once the deploy under way (if any) is done.
                _context.OnPush(await DeployAsync(null, "redeploy", null, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
            {
                Log("error", $"redeploying {ArtifactName} failed: {e.Message}");
            }
        }
    }

    public async Task<PushReport> PushAsync(CancellationToken ct)
    {
        var outcome = await BuildAndDeployAsync(null, ct).ConfigureAwait(false);
        if (!outcome.Ok) throw outcome.ToException();
        return outcome.Report!;
    }

    void IBuildSubscriber.BuildLog(DevLogRecord record) => _context.Logs.Write(record with { Pod = _channel.Pod?.Name });

    void IBuildSubscriber.BuildProgress(string line) => _progress?.Report($"{Service}: {line}");

    async Task<DeployOutcome> IBuildSubscriber.OnBuiltAsync(BuildResult build, CancellationToken ct)
    {
        var outcome = await DecideAsync(build, ct).ConfigureAwait(false);
        _last = outcome;
        if (!outcome.Ok && outcome.Kind != DeployKind.BuildFailed) Log("error", outcome.Fix is null ? outcome.Message : $"{outcome.Message} {outcome.Fix}");
        else if (outcome.Kind == DeployKind.Unchanged) Log("stdout", outcome.Message);
        if (outcome.Report is { } report) _context.OnPush(report);
        return outcome;
    }

    private async Task<DeployOutcome> DecideAsync(BuildResult build, CancellationToken ct)
    {
        if (!build.Succeeded)
            return new DeployOutcome(Service, DeployKind.BuildFailed,
                $"the build failed{(build.ExitCode is { } code ? $" (exit {code})" : "")}: {build.Command} in {build.WorkingDirectory}; " +
                $"{(_lastGood is null ? "the pod keeps its binary" : "the pod keeps running the last good binary")}. Last lines:{Environment.NewLine}{build.Tail()}",
                "Fix the error; the next save of a watched file rebuilds (or run Sync-DevService).", null);
        if (!File.Exists(_config.Artifact))
            return new DeployOutcome(Service, DeployKind.ArtifactMissing,
                $"the build succeeded but the artifact {ArtifactName} does not exist (looked for {_config.Artifact}; build: {build.Command} in {build.WorkingDirectory}).",
                "Set binary.artifact in devk8s.yaml to the file the build produces (cargo: target/release/<bin> or target/<triple>/release/<bin>), or make the build produce it.", null);
        try
        {
            var artifact = Artifact.Read(_config.Artifact);
            if (_deployedHash == artifact.Sha256 && _channel.IsOpen)
                return new DeployOutcome(Service, DeployKind.Unchanged,
                    $"build #{build.Number}: {ArtifactName} is unchanged (sha256 {artifact.Sha256[..12]}); {Service} not touched.", null,
                    Report($"build #{build.Number}: unchanged, not touched", 0, TimeSpan.Zero));
            return new DeployOutcome(Service, DeployKind.Deployed, "", null,
                await DeployAsync(artifact, $"build #{build.Number} ({build.Duration.TotalSeconds:0.0} s)", ArtifactInspector.Inspect(_config.Artifact), ct).ConfigureAwait(false));
        }
        catch (ArtifactRefusedException refused)
        {
            return new DeployOutcome(Service, DeployKind.Refused, refused.Verdict.Message, refused.Verdict.Fix, null);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
        {
            return new DeployOutcome(Service, DeployKind.Failed, $"deploying {ArtifactName} to {Service} failed: {e.Message}",
                e is DevModeException d ? d.RecommendedAction : "Check the pod (Get-DevService, Watch-DevLog), then Sync-DevService.", null);
        }
    }

    /// <summary>
    /// Check (once per pod and artifact shape), send, verify, rename, restart. Retries over a new
    /// channel when the pod goes away mid-copy, so the replacement gets the artifact too.
    /// </summary>
    private async Task<PushReport> DeployAsync(Artifact? next, string why, ArtifactInfo? info, CancellationToken ct)
    {
        await _deploying.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var artifact = next ?? _lastGood!;
            var stopwatch = Stopwatch.StartNew();
            await _warmUp.ConfigureAwait(false);
            info ??= ArtifactInspector.Inspect(artifact.Path);
            long sent = 0;
            var restarted = false;
            await _channel.RunAsync(async (agent, _) =>
            {
                var pod = _channel.Pod!;
                var verdict = ArtifactCheck.Evaluate(info, await OfferAsync(pod, info, ct).ConfigureAwait(false), ArtifactName, _config.Target);
                if (!verdict.Ok) throw new ArtifactRefusedException(verdict);

                var remote = await agent.FileHashAsync(_config.Target, ct).ConfigureAwait(false);
                if (artifact.Matches(remote))
                {
                    // The container already has these bytes (the image was built from the same code).
                    _deployedHash = artifact.Sha256;
                    return;
                }
                // The remote hash's length says which tool the image has; without a file there, send both.
                string[] hashes = remote switch { null => [artifact.Sha256, artifact.Md5], { Length: 32 } => [artifact.Md5], _ => [artifact.Sha256] };
                artifact.Prepare();
                using var payload = new MemoryStream(artifact.Payload, writable: false);
                var status = await agent.InstallBinaryAsync(_config.Target, artifact.Gzipped, hashes, payload, artifact.Payload.Length, ct).ConfigureAwait(false);
                if (status != 0) throw new DevModeException(InstallFailure(status, pod.Name), InstallFix(status));
                sent = artifact.Payload.Length;
                var restart = await agent.RestartAsync(ct).ConfigureAwait(false);
                if (restart != 0) Log("warning", $"{_config.Target} is in place but the restart failed (status {restart}): is the container running under the DevK8s supervisor?");
                restarted = restart == 0;
                _deployedHash = artifact.Sha256;
            }, $"deploying {ArtifactName}", ct).ConfigureAwait(false);
            _lastGood = artifact;
            Interlocked.Add(ref _bytesSent, sent);
            Interlocked.Increment(ref _deploys);
            var summary = sent == 0
                ? $"{why}: {_config.Target} in {_channel.Pod?.Name} already has {ArtifactName} (sha256 {artifact.Sha256[..12]}); nothing sent"
                : $"{why}: sent {sent} bytes ({(artifact.Gzipped ? "gzip" : "raw: it does not compress")} of {artifact.Size}) to {_config.Target}, sha256 {artifact.Sha256[..12]} verified{(restarted ? ", restarted" : "")} in {stopwatch.ElapsedMilliseconds} ms";
            Log("stdout", summary);
            return Report(summary, sent, stopwatch.Elapsed);
        }
        finally
        {
            _deploying.Release();
        }
    }

    private string InstallFailure(int status, string pod) => status switch
    {
        4 => $"the copy of {ArtifactName} written in {pod} did not match its hash (a corrupt transfer, or a write error such as a full disk: see the log lines above); nothing was replaced",
        1 => $"{_config.Target}.devk8s-new could not be created in {pod} (see the log lines above)",
        5 => $"{ArtifactName} arrived in {pod} but making it executable or renaming it over {_config.Target} failed (see the log lines above)",
        _ => $"writing {_config.Target}.devk8s-new in {pod} failed (status {status}; see the log lines above)",
    };

    private string InstallFix(int status) => status == 4
        ? "Run Sync-DevService to send it again; if it keeps failing, the pod's disk may be full."
        : $"The container's user must be able to write the folder of {_config.Target}: pick a target in a writable folder (e.g. /tmp/app) and run it through binary.command, or make the folder writable in the image.";

    private PushReport Report(string summary, long bytes, TimeSpan duration) =>
        new(Service, Strategy.Binary, _channel.Pod?.Name, summary, bytes, duration, DateTimeOffset.Now);

    public IReadOnlyList<KeyValuePair<string, object?>> Details =>
    [
        new("Build", _config.Build.ToString()),
        new("WorkingDirectory", _config.WorkingDirectory),
        new("SharedWith", _group.Services.Where(s => s != Service).ToArray()),
        new("Builds", _group.Builds),
        new("Building", _group.Building),
        new("LastBuild", _group.LastBuild is { } b ? $"#{b.Number} {(b.Succeeded ? "ok" : "failed")} in {b.Duration.TotalSeconds:0.0} s at {b.Finished:HH:mm:ss}" : null),
        new("Artifact", ArtifactName),
        new("Target", _config.Target),
        new("DeployedSha256", _deployedHash),
        new("Deploys", _deploys),
        new("BytesSent", Interlocked.Read(ref _bytesSent)),
        new("LastOutcome", _last is null ? null : $"{_last.Kind}: {(_last.Report?.Summary ?? _last.Message)}"),
        new("Watching", Watch.Root),
    ];

    private void Log(string stream, string message) =>
        _context.Logs.Write(new DevLogRecord(DateTimeOffset.Now, Service, _channel.Pod?.Name, null, stream, message, LogSource.Sync));

    public async ValueTask DisposeAsync()
    {
        BuildCoordinator.Leave(_group, this);
        await _channel.DisposeAsync().ConfigureAwait(false);
        _lost.Dispose();
    }
}

/// <summary>The artifact check said no: never retried, the verdict names the problem and the fix.</summary>
internal sealed class ArtifactRefusedException(ArtifactVerdict verdict) : Exception(verdict.Message)
{
    public ArtifactVerdict Verdict { get; } = verdict;
}
