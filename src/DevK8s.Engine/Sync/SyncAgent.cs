using System.Text;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;

namespace DevK8s.Engine.Sync;

/// <summary>What the container holds under a sync target: md5 of files, links, folders (relative paths).</summary>
public sealed record RemoteTree(Dictionary<string, string> FileHashes, HashSet<string> Links, HashSet<string> Directories)
{
    /// <summary>Files' permission bits, when asked for; empty when the image has no stat.</summary>
    public Dictionary<string, UnixFileMode> Modes { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A shell loop in the container that reads length-framed requests on one long-lived exec channel
/// and answers each with one line. Kubernetes before 1.29 cannot close an exec's stdin, so every
/// payload is framed by its length (head -c) instead of ended by EOF; one open channel saves the
/// ~150 ms an exec costs per change.
/// </summary>
public sealed class SyncAgent : IAsyncDisposable
{
    // Requests: "<op> <seq> <len> <arg>\n" then <len> bytes. Answer: "ok <seq> <status>".
    // Every branch consumes exactly <len> bytes (cat >/dev/null drains what a failed step left),
    // and commands run with stdin from /dev/null so nothing can eat the request stream.
    private static readonly string Script = ContainerScripts.Lf("""
        d=${DEVK8S_STATE:-/tmp/.devk8s}; mkdir -p "$d"
        while IFS=' ' read -r op seq len arg; do
          case "$op" in
            T) head -c "$len" | { mkdir -p "$arg" && tar -xmof - -C "$arg"; s=$?; cat >/dev/null; exit $s; }; s=$? ;;
            Z) head -c "$len" | { mkdir -p "$arg" && gzip -dc | tar -xmof - -C "$arg"; s=$?; cat >/dev/null; exit $s; }; s=$? ;;
            D) head -c "$len" | { s=0; while IFS= read -r p; do rm -rf -- "$arg/$p" || s=1; done; exit $s; }; s=$? ;;
            H) if [ -d "$arg" ]; then cd "$arg" && { find . -type f -exec md5sum {} + ; find . -type l | while IFS= read -r p; do echo "l $p"; done; find . -mindepth 1 -type d | while IFS= read -r p; do echo "d $p"; done; } </dev/null; s=$?; cd /; else s=0; fi ;;
            M) if [ -d "$arg" ]; then cd "$arg" && find . -type f -exec stat -c 'm %a %n' {} + </dev/null 2>/dev/null; cd /; fi; s=0 ;;
            B) t=${arg#* }; h=${arg%% *}; n="$t.devk8s-new"; hs=md5sum; command -v sha256sum >/dev/null 2>&1 && hs=sha256sum; x=$(head -c "$len" | { case "$h" in gz,*) gzip -dc ;; *) cat ;; esac; cat >/dev/null; } | { tee "$n" || echo tee-failed; } | $hs); x=${x%% *}; s=0; if [ ! -f "$n" ]; then s=1; else case ",$h," in *",$x,"*) chmod 0755 "$n" && mv -f "$n" "$t" || s=5 ;; *) s=4 ;; esac; fi; [ $s = 0 ] || rm -f "$n" ;;
            S) x=$(sha256sum "$arg" 2>/dev/null </dev/null || md5sum "$arg" 2>/dev/null </dev/null); echo "h ${x%% *}"; s=0 ;;
            X) head -c "$len" > "$d/cmd"; ( cd "$arg" 2>/dev/null; sh "$d/cmd" ) </dev/null 1>&2; s=$? ;;
            R) if [ -f "$d/supervisor" ]; then kill -USR1 "$(cat "$d/supervisor")" </dev/null; s=$?; else s=3; fi ;;
            P) s=0 ;;
            Q) echo "ok $seq 0"; exit 0 ;;
            *) s=2 ;;
          esac
          echo "ok $seq $s"
        done
        """);

    private readonly Stream _stdin;
    private readonly StreamReader _stdout;
    private readonly ExecChannel? _channel;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _seq;

    public string Pod { get; }
    public Task Closed { get; }

    /// <summary>The agent's script: run it with sh -c, then speak to its stdin and stdout.</summary>
    public static string ShellScript => Script;

    /// <summary>An agent over any pair of streams (an exec channel, or a local sh in tests).</summary>
    public SyncAgent(Stream stdin, Stream stdout, Task closed, string pod, ExecChannel? owner = null)
    {
        _stdin = stdin;
        _stdout = new StreamReader(stdout, Encoding.UTF8);
        Closed = closed;
        Pod = pod;
        _channel = owner;
    }

    /// <summary>Opens the agent in the dev pod; its stderr (tar errors, hook output) goes to <paramref name="stderr"/>.</summary>
    public static async Task<SyncAgent> StartAsync(KubeTarget target, DevPod pod, Action<string> stderr, CancellationToken ct)
    {
        var channel = await ExecChannel.OpenAsync(target, pod.Name, pod.Container, ["/bin/sh", "-c", Script], ct).ConfigureAwait(false);
        _ = Task.Run(async () =>
        {
            using var reader = new StreamReader(channel.Stderr, Encoding.UTF8);
            try { while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) stderr(line); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.WebSockets.WebSocketException) { }
        }, CancellationToken.None);
        var agent = new SyncAgent(channel.Stdin, channel.Stdout, channel.Closed, pod.Name, channel);
        // A round trip proves the shell loop runs before anything depends on it.
        await agent.PingAsync(ct).ConfigureAwait(false);
        return agent;
    }

    public async Task<int> SendTarAsync(string targetDir, TarBatch batch, CancellationToken ct) =>
        await RequestAsync(batch.Compressed ? 'Z' : 'T', targetDir, batch.Content, batch.Length, null, ct).ConfigureAwait(false);

    public async Task<int> DeleteAsync(string targetDir, IEnumerable<string> relativePaths, CancellationToken ct)
    {
        var list = string.Join("", relativePaths.Select(p => LocalTree.IsSafeName(p) ? p + "\n" : throw new ArgumentException($"unsafe path '{p}'")));
        return await RequestAsync('D', targetDir, Encoding.UTF8.GetBytes(list), null, ct).ConfigureAwait(false);
    }

    /// <param name="withModes">Also list file modes (one more pass, for clients without Unix modes); best effort: images without stat give none.</param>
    public async Task<RemoteTree> ListAsync(string targetDir, CancellationToken ct, bool withModes = false)
    {
        var tree = new RemoteTree(new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        if (withModes)
            await RequestAsync('M', targetDir, ReadOnlyMemory<byte>.Empty, line => AddMode(tree.Modes, line), ct).ConfigureAwait(false);
        await RequestAsync('H', targetDir, ReadOnlyMemory<byte>.Empty, line =>
        {
            if (line.StartsWith("l ./", StringComparison.Ordinal)) tree.Links.Add(line[4..]);
            else if (line.StartsWith("d ./", StringComparison.Ordinal)) tree.Directories.Add(line[4..]);
            else if (line.Length > 36 && line[32] == ' ' && line[34..].StartsWith("./", StringComparison.Ordinal)) tree.FileHashes[line[36..]] = line[..32];
        }, ct).ConfigureAwait(false);
        return tree;
    }

    // "m <octal mode> ./<path>"
    private static void AddMode(Dictionary<string, UnixFileMode> modes, string line)
    {
        if (!line.StartsWith("m ", StringComparison.Ordinal)) return;
        var space = line.IndexOf(' ', 2);
        if (space is < 3 or > 6 || !line.AsSpan(space + 1).StartsWith("./")) return;
        var mode = 0;
        foreach (var digit in line[2..space])
        {
            if (digit is < '0' or > '7') return;
            mode = mode * 8 + (digit - '0');
        }
        modes[line[(space + 3)..]] = (UnixFileMode)mode;
    }

    /// <summary>
    /// Installs a program at <paramref name="target"/>: the payload (gzip, or raw when
    /// <paramref name="gzipped"/> is false) is written to target.devk8s-new and hashed on the way
    /// (sha256, or md5 where the image has no sha256sum), made executable and renamed over the target.
    /// A rename never truncates the running executable, so there is no "text file busy". Status 0:
    /// installed; 4: the bytes written did not match the hash (a corrupt transfer or a write error,
    /// which the agent's stderr names); 5: chmod or mv failed; 1: the file could not be created.
    /// </summary>
    public Task<int> InstallBinaryAsync(string target, bool gzipped, IEnumerable<string> hashes, Stream payload, long length, CancellationToken ct) =>
        RequestAsync('B', $"{(gzipped ? "gz" : "raw")},{string.Join(',', hashes)} {target}", payload, length, null, ct);

    /// <summary>The sha256 (or md5, where the image has no sha256sum) of a file in the container; null when it is absent.</summary>
    public async Task<string?> FileHashAsync(string path, CancellationToken ct)
    {
        string? hash = null;
        await RequestAsync('S', path, ReadOnlyMemory<byte>.Empty, line =>
        {
            if (line.StartsWith("h ", StringComparison.Ordinal) && line.Length > 2) hash = line[2..].Trim();
        }, ct).ConfigureAwait(false);
        return string.IsNullOrEmpty(hash) ? null : hash;
    }

    public Task<int> PingAsync(CancellationToken ct) => RequestAsync('P', "", ReadOnlyMemory<byte>.Empty, null, ct);

    /// <summary>Asks the restart supervisor to restart the process: TERM to its process group, KILL after the grace, start again. 3: no supervisor.</summary>
    public Task<int> RestartAsync(CancellationToken ct) => RequestAsync('R', "", ReadOnlyMemory<byte>.Empty, null, ct);

    public Task<int> RunAsync(string workingDir, string shellCommand, CancellationToken ct) =>
        RequestAsync('X', workingDir, Encoding.UTF8.GetBytes(ContainerScripts.Lf(shellCommand)), null, ct);

    private Task<int> RequestAsync(char op, string arg, ReadOnlyMemory<byte> payload, Action<string>? onLine, CancellationToken ct) =>
        RequestAsync(op, arg, new MemoryStream(payload.ToArray(), writable: false), payload.Length, onLine, ct);

    /// <summary>
    /// How long one request may take before the channel counts as hung (a frozen node, a half-open
    /// connection): generous for payloads (1 MB/s) and for hooks, which run the user's commands.
    /// </summary>
    internal static TimeSpan Deadline(char op, long length) =>
        op == 'X' ? TimeSpan.FromMinutes(15) : TimeSpan.FromSeconds(30) + TimeSpan.FromSeconds(length / (1 << 20));

    private async Task<int> RequestAsync(char op, string arg, Stream payload, long length, Action<string>? onLine, CancellationToken cancel)
    {
        if (arg.Contains('\n')) throw new ArgumentException("argument must be one line", nameof(arg));
        var limit = Deadline(op, length);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(limit);
        var ct = deadline.Token;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var seq = ++_seq;
            var header = Encoding.UTF8.GetBytes($"{op} {seq} {length} {(arg.Length == 0 ? "-" : arg)}\n");
            if (length < 64 * 1024 && payload is MemoryStream small)
            {
                // One frame for header and payload: small changes cost one WebSocket message.
                var frame = new byte[header.Length + length];
                header.CopyTo(frame, 0);
                small.ReadExactly(frame, header.Length, (int)length);
                await _stdin.WriteAsync(frame, ct).ConfigureAwait(false);
            }
            else
            {
                await _stdin.WriteAsync(header, ct).ConfigureAwait(false);
                // 1 MB WebSocket messages: a 50 MB binary arrives about a quarter faster than with 64 KB ones.
                await payload.CopyToAsync(_stdin, length > 4 << 20 ? 1 << 20 : 1 << 16, ct).ConfigureAwait(false);
            }
            await _stdin.FlushAsync(ct).ConfigureAwait(false);
            var ack = $"ok {seq} ";
            while (true)
            {
                var line = await _stdout.ReadLineAsync(ct).ConfigureAwait(false)
                    ?? throw new IOException($"the sync channel to {Pod} closed");
                if (line.StartsWith(ack, StringComparison.Ordinal)) return int.Parse(line[ack.Length..]);
                onLine?.Invoke(line);
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // The stream is mid-request now: callers drop this channel and open a new one.
            throw new TimeoutException($"the pod channel to {Pod} did not answer within {limit.TotalSeconds:0} s");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Cuts the channel: the request under way fails at once, and so does every later one.</summary>
    public void Abort() => _channel?.Abort();

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (!Closed.IsCompleted) await RequestAsync('Q', "", ReadOnlyMemory<byte>.Empty, null, quick.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException) { }
        if (_channel is not null) await _channel.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
