using System.Collections.Concurrent;
using System.Diagnostics;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Sync;

public sealed record SyncOptions(bool Poll = false, TimeSpan? PollInterval = null);

/// <summary>
/// Keeps a container's copy of the sync paths equal to the local folders: a content compare at
/// start (and after every reconnect), then batches of changes over one long-lived channel.
/// Changes that arrive while the pod or the API server is away stay queued and are sent on
/// reconnect, after a full compare: nothing saved is silently dropped.
/// </summary>
public sealed class SyncSession : IAsyncDisposable
{
    private readonly KubeTarget _target;
    private readonly ServiceConfig _service;
    private readonly SyncConfig _config;
    private readonly DevModeController _controller;
    private readonly string _sessionId;
    private readonly SyncOptions _options;
    private readonly ILogSink _log;
    private readonly Action<DevSyncReport> _report;
    private readonly Mapping[] _mappings;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Exec.PodChannel _channel;

    private sealed class Mapping(SyncPath path, SyncFilter filter)
    {
        public SyncPath Path { get; } = path;
        public SyncFilter Filter { get; } = filter;
        public ConcurrentDictionary<string, byte> Dirty { get; } = new(StringComparer.Ordinal);
        /// <summary>What the container holds, by content hash, as far as this session knows.</summary>
        public Dictionary<string, string> Remote { get; set; } = new(StringComparer.Ordinal);
        public ChangeWatcher? Watcher { get; set; }
        public FileModes Modes { get; } = new(path.From);
    }

    public SyncSession(KubeTarget target, ServiceConfig service, DevModeController controller, string sessionId,
        SyncOptions options, ILogSink log, Action<DevSyncReport> report)
    {
        _target = target;
        _service = service;
        _config = service.Sync ?? throw new ArgumentException($"service {service.Name} has no sync section", nameof(service));
        _controller = controller;
        _sessionId = sessionId;
        _options = options;
        _log = log;
        _report = report;
        _mappings = _config.Paths.Select(p => new Mapping(p, SyncFilter.For(p, _config, FindProjectRoot(p.From)))).ToArray();
        _channel = new Exec.PodChannel(target, controller, sessionId, service.Workload.ToString(), Log);
        _channel.ConnectionChanged += connected => ConnectionChanged?.Invoke(connected);
        // A replaced pod or a restarted container starts from the image: wake the watch loop so it
        // reconnects and compares everything, even when nothing changes locally.
        _channel.Lost += Wake;
    }

    public string? Pod => _channel.Pod?.Name;

    /// <summary>Raised with false when the channel to the pod is lost, true when one is open again.</summary>
    public event Action<bool>? ConnectionChanged;
    public bool Watching => _mappings.Any(m => m.Watcher is not null);

    /// <summary>Connects to the dev pod and makes the container match the local folders.</summary>
    public async Task<DevSyncReport> SyncAllAsync(SyncKind kind, CancellationToken ct)
    {
        var agent = await _channel.OpenAsync(ct).ConfigureAwait(false);
        var stopwatch = Stopwatch.StartNew();
        int sent = 0, deleted = 0;
        long bytes = 0;
        var paths = new List<string>();
        foreach (var m in _mappings)
        {
            var local = LocalTree.Scan(m.Path.From, m.Filter, Warn);
            var localPaths = local.Keys.ToHashSet(StringComparer.Ordinal);
            var remote = await agent.ListAsync(m.Path.To, ct, m.Modes.WantsRemoteModes).ConfigureAwait(false);
            m.Modes.SetRemote(remote.Modes);
            var send = new List<LocalEntry>();
            var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in local.Values)
            {
                switch (entry.Kind)
                {
                    case EntryKind.File:
                        if (TryHash(m, entry.Path) is not { } hash) continue; // locked: retried shortly
                        hashes[entry.Path] = hash;
                        if (!remote.FileHashes.TryGetValue(entry.Path, out var theirs) || theirs != hash) send.Add(entry);
                        break;
                    case EntryKind.Symlink:
                        if (!remote.Links.Contains(entry.Path)) send.Add(entry);
                        break;
                    case EntryKind.Directory:
                        if (!remote.Directories.Contains(entry.Path)) send.Add(entry);
                        break;
                }
            }
            // Remote leftovers in scope go; excluded remote files (caches, uploads) are not ours to touch.
            var gone = remote.FileHashes.Keys.Where(p => !local.ContainsKey(p) && !m.Filter.IsExcluded(p, false))
                .Concat(remote.Links.Where(p => !local.ContainsKey(p) && !m.Filter.IsExcluded(p, false)))
                .Concat(remote.Directories.Where(p => !local.ContainsKey(p) && !m.Filter.IsExcluded(p, true)))
                .Where(LocalTree.IsSafeName)
                .Where(p => LocalFileSystem.CanExistLocally(p, localPaths, OperatingSystem.IsWindows(), LocalFileSystem.IsCaseInsensitive))
                .ToList();
            gone = gone.Where(p => !gone.Any(parent => p.StartsWith(parent + "/", StringComparison.Ordinal))).ToList();

            var (s, d, b) = await ApplyAsync(agent, m, send, gone, compress: true, ct).ConfigureAwait(false);
            sent += s; deleted += d; bytes += b;
            paths.AddRange(send.Where(e => e.Kind == EntryKind.File).Select(e => e.Path));
            m.Remote = hashes;
        }
        var report = new DevSyncReport(_service.Name, agent.Pod, kind, sent, deleted, bytes, stopwatch.Elapsed, paths, null, DateTimeOffset.Now);
        // A full compare of a big tree leaves tens of MB of scan garbage; a dev session then idles
        // for hours, so hand that memory back to the OS now rather than keep it reserved.
        if (_mappings.Sum(m => m.Remote.Count) > 20_000)
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _report(report);
        return report;
    }

    /// <summary>Watches the local folders and syncs every change until cancelled.</summary>
    public async Task WatchAsync(CancellationToken ct)
    {
        foreach (var m in _mappings)
        {
            var mapping = m;
            m.Watcher = new ChangeWatcher(m.Path.From, m.Filter, _options.Poll, _options.PollInterval ?? TimeSpan.FromMilliseconds(500),
                path => { mapping.Dirty[path] = 0; Wake(); },
                () => { mapping.Dirty["."] = 0; Wake(); });
        }
        var debounce = TimeSpan.FromMilliseconds(_config.DebounceMs);
        while (!ct.IsCancellationRequested)
        {
            await _signal.WaitAsync(ct).ConfigureAwait(false);
            // Quiet period: editors write a file in several steps; cap so a busy tree still syncs.
            var started = Stopwatch.StartNew();
            while (started.Elapsed < TimeSpan.FromSeconds(1) && await _signal.WaitAsync(debounce, ct).ConfigureAwait(false)) { }
            while (_signal.CurrentCount > 0) _signal.Wait(0, CancellationToken.None);
            await SyncChangesWithRetryAsync(ct).ConfigureAwait(false);
        }
    }

    private Task SyncChangesWithRetryAsync(CancellationToken ct) =>
        _channel.RunAsync(async (agent, reopened) =>
        {
            if (reopened) await ReconnectAsync(ct).ConfigureAwait(false);
            else await SyncChangesAsync(agent, ct).ConfigureAwait(false);
        }, "sync", ct);

    /// <summary>A new pod or a new channel: compare everything again, which covers all pending changes.</summary>
    private async Task ReconnectAsync(CancellationToken ct)
    {
        var pending = _mappings.ToDictionary(m => m, m => m.Dirty.Keys.ToList());
        await SyncAllAsync(SyncKind.Resync, ct).ConfigureAwait(false);
        foreach (var (m, paths) in pending)
            foreach (var p in paths) m.Dirty.TryRemove(p, out _);
    }

    private async Task SyncChangesAsync(SyncAgent agent, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        int sent = 0, deleted = 0;
        long bytes = 0;
        var changed = new List<(Mapping Mapping, string Path)>();
        foreach (var m in _mappings)
        {
            var batch = m.Dirty.Keys.ToList();
            if (batch.Count == 0) continue;
            if (batch.Contains("."))
            {
                // Events were lost: only a full compare is safe.
                foreach (var p in batch) m.Dirty.TryRemove(p, out _);
                await SyncAllAsync(SyncKind.Resync, ct).ConfigureAwait(false);
                return;
            }
            var send = new Dictionary<string, LocalEntry>(StringComparer.Ordinal);
            var gone = new List<string>();
            var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var path in batch)
            {
                if (!LocalTree.IsSafeName(path)) continue;
                var entry = LocalTree.Stat(m.Path.From, path, m.Filter, Warn);
                // After a case-only rename the old spelling still "exists" on a case-insensitive disk.
                if (entry is not null && LocalFileSystem.IsCaseInsensitive && !LocalFileSystem.ExistsWithExactCase(m.Path.From, path)) entry = null;
                if (entry is null)
                {
                    if (!m.Filter.IsExcluded(path, false) && !m.Filter.IsExcluded(path, true)) gone.Add(path);
                    continue;
                }
                if (entry.Kind == EntryKind.Directory)
                {
                    // A new or renamed folder arrives with everything in it.
                    send[entry.Path] = entry;
                    foreach (var (rel, child) in LocalTree.Scan(Full(m, entry.Path), m.Filter, Warn))
                        send[entry.Path + "/" + rel] = child with { Path = entry.Path + "/" + rel };
                }
                else send[entry.Path] = entry;
            }
            // Editors fire several events per save: skip files whose content the container already has.
            var locked = new List<string>();
            foreach (var entry in send.Values.Where(e => e.Kind == EntryKind.File).ToList())
            {
                string hash;
                try
                {
                    if (TryHash(m, entry.Path) is not { } h) { send.Remove(entry.Path); locked.Add(entry.Path); continue; }
                    hash = h;
                }
                catch (FileNotFoundException) { send.Remove(entry.Path); gone.Add(entry.Path); continue; }
                if (m.Remote.TryGetValue(entry.Path, out var known) && known == hash) send.Remove(entry.Path);
                else hashes[entry.Path] = hash;
            }
            var (s, d, b) = await ApplyAsync(agent, m, send.Values.ToList(), gone, compress: send.Values.Sum(e => e.Size) > 1 << 20, ct).ConfigureAwait(false);
            foreach (var p in batch) m.Dirty.TryRemove(p, out _);
            foreach (var p in locked) m.Dirty[p] = 0;
            foreach (var (p, h) in hashes) m.Remote[p] = h;
            foreach (var p in gone) m.Remote.Remove(p);
            sent += s; deleted += d; bytes += b;
            changed.AddRange(send.Keys.Concat(gone).Select(p => (m, p)));
        }
        if (changed.Count == 0) return;
        var action = await RunOnChangeAsync(agent, changed, ct).ConfigureAwait(false);
        _report(new DevSyncReport(_service.Name, agent.Pod, SyncKind.Change, sent, deleted, bytes, stopwatch.Elapsed,
            changed.Select(c => c.Path).ToList(), action, DateTimeOffset.Now));
    }

    private async Task<(int Sent, int Deleted, long Bytes)> ApplyAsync(SyncAgent agent, Mapping m, List<LocalEntry> send, List<string> gone, bool compress, CancellationToken ct)
    {
        long bytes = 0;
        if (gone.Count > 0)
        {
            var status = await agent.DeleteAsync(m.Path.To, gone, ct).ConfigureAwait(false);
            if (status != 0) Warn($"removing {gone.Count} path(s) under {m.Path.To} failed (status {status})");
        }
        if (send.Count > 0)
        {
            using var batch = TarBatch.Build(m.Path.From, send, compress, m.Modes);
            bytes = batch.Length;
            var status = await agent.SendTarAsync(m.Path.To, batch, ct).ConfigureAwait(false);
            if (status != 0)
                throw new Exec.PodRequestFailedException($"extracting {send.Count} file(s) into {agent.Pod}:{m.Path.To} failed (tar status {status}); see the sync log lines above", status);
        }
        return (send.Count(e => e.Kind != EntryKind.Directory), gone.Count, bytes);
    }

    /// <summary>First matching rule per changed file; one restart and each command at most once per batch.</summary>
    private async Task<string?> RunOnChangeAsync(SyncAgent agent, List<(Mapping Mapping, string Path)> changed, CancellationToken ct)
    {
        if (_config.OnChange.Count == 0) return null;
        var matchers = _config.OnChange.Select(r => (Rule: r, Rules: IgnoreRules.Parse([r.Match]))).ToList();
        var restart = false;
        var commands = new List<(SyncRule Rule, string Dir)>();
        foreach (var (m, path) in changed)
        {
            var rule = matchers.FirstOrDefault(x => x.Rules.IsIgnored(path, false)).Rule;
            if (rule is null) continue;
            if (rule.Action == SyncAction.Restart) restart = true;
            else if (rule.Action == SyncAction.Run && !commands.Any(c => c.Rule == rule)) commands.Add((rule, m.Path.To));
        }
        var done = new List<string>();
        foreach (var (rule, dir) in commands)
        {
            var status = await agent.RunAsync(dir, rule.Command!.ToString(), ct).ConfigureAwait(false);
            done.Add($"run '{rule.Command}' (exit {status})");
        }
        if (restart)
        {
            var status = await agent.RestartAsync(ct).ConfigureAwait(false);
            done.Add(status == 0 ? "restart" : $"restart failed (status {status})");
        }
        return done.Count == 0 ? null : string.Join("; ", done);
    }

    /// <summary>
    /// The file's hash, or null when another program holds it locked (SQLite, .vs): that is not a
    /// broken channel, so it is skipped with a warning and tried again a second later.
    /// </summary>
    private string? TryHash(Mapping m, string relative)
    {
        try { return LocalTree.Hash(Full(m, relative)); }
        catch (IOException e) when (LocalFileSystem.IsLocked(e))
        {
            Warn($"{relative} is locked by another program ({e.Message}); it is synced once it is free");
            m.Dirty[relative] = 0;
            _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => Wake(), TaskScheduler.Default);
            return null;
        }
    }

    private static string Full(Mapping m, string relative) => System.IO.Path.Combine(m.Path.From, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    private static string FindProjectRoot(string from)
    {
        for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, ConfigLoader.FileName))) return dir.FullName;
        return from;
    }

    private void Wake()
    {
        try { _signal.Release(); } catch (ObjectDisposedException) { }
    }

    private void Warn(string message) => Log("warning", message);

    private void Log(string stream, string message) =>
        _log.Write(new DevLogRecord(DateTimeOffset.Now, _service.Name, _channel?.Pod?.Name, null, stream, message, LogSource.Sync));

    public async ValueTask DisposeAsync()
    {
        foreach (var m in _mappings) m.Watcher?.Dispose();
        await _channel.DisposeAsync().ConfigureAwait(false);
        _signal.Dispose();
    }
}
