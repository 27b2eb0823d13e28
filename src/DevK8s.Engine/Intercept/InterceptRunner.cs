using System.Text;
using DevK8s.Engine.Config;
using DevK8s.Engine.Local;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Intercept;

/// <summary>
/// The seed author's loop as one object: connect (or reuse a matching connection), intercept the
/// workload, run the local command with the remote environment, and when that command ends or the
/// session stops, kill its process tree, leave the intercept and quit the connection if we opened it.
/// </summary>
public sealed class InterceptRunner : IAsyncDisposable
{
    // Variables that describe this machine, not the service: the remote values would break the local command.
    private static readonly HashSet<string> HostOnly = new(StringComparer.OrdinalIgnoreCase)
        {
            "PATH", "HOME", "USER", "SHELL", "TMPDIR", "TEMP", "TMP", "PWD", "HOSTNAME", "TERM", "LANG",
            // Toolchain and trust locations: the container's paths do not exist on this machine.
            "JAVA_HOME", "CARGO_HOME", "RUSTUP_HOME", "GOPATH", "GOROOT", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
            "NODE_PATH", "DOTNET_ROOT", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "LD_LIBRARY_PATH",
            "USERPROFILE", "APPDATA", "LOCALAPPDATA", "SYSTEMROOT", "COMSPEC", "PATHEXT", "WINDIR",
        };

    private readonly TelepresenceCli _cli;
    private readonly string _service;
    private readonly ILogSink _log;
    private bool _connectedByUs;
    private readonly object _cleanupGate = new();
    private Task? _cleanup;
    private IDisposable? _shutdown;

    public string InterceptName { get; private set; } = "";
    public string InterceptId { get; private set; } = "";
    public IReadOnlyList<string> Ports { get; private set; } = [];
    public LocalProcess? Process { get; private set; }
    public Version? Version { get; private set; }

    /// <summary>Completes once the local command has exited and the intercept was left.</summary>
    public Task<int> Finished { get; private set; } = Task.FromResult(0);

    private InterceptRunner(TelepresenceCli cli, string service, ILogSink log) => (_cli, _service, _log) = (cli, service, log);

    public static async Task<InterceptRunner> StartAsync(string context, string ns, ServiceConfig service, InterceptConfig config,
        string? envFile, ILogSink log, IProgress<string>? progress, CancellationToken ct)
    {
        var cli = TelepresenceCli.Locate(config.Telepresence);
        var runner = new InterceptRunner(cli, service.Name, log) { Ports = config.Ports, InterceptName = service.Workload.Name };
        runner.Version = await cli.VersionAsync(ct).ConfigureAwait(false);
        if (config.Ports.Count > 1 && runner.Version < TelepresenceCli.MultiplePorts)
            throw new TelepresenceException("TelepresenceTooOld", $"intercepting {config.Ports.Count} ports needs Telepresence {TelepresenceCli.MultiplePorts} or newer (--port is repeatable since 2.22.0); this is {runner.Version}.",
                "Upgrade Telepresence, or keep one entry in intercept.ports.");

        var status = await cli.StatusAsync(ct).ConfigureAwait(false);
        if (status.Connected && (status.Context != context || status.Namespace != ns))
            throw new TelepresenceException("ConnectedElsewhere",
                $"Telepresence is connected to context '{status.Context}', namespace '{status.Namespace}', not '{context}'/'{ns}'.",
                $"Run 'telepresence quit' to end that connection, or use -Context {status.Context} -Namespace {status.Namespace}.");
        if (!status.Connected)
        {
            progress?.Report($"telepresence connect --context {context} --namespace {ns}");
            await cli.ConnectAsync(context, ns, ct).ConfigureAwait(false);
            runner._connectedByUs = true;
        }

        try
        {
            progress?.Report($"telepresence intercept {runner.InterceptName} {string.Join(' ', config.Ports.Select(p => "--port " + p))}");
            var remote = await InterceptWithPrivateEnvFileAsync(cli, runner.InterceptName, config.Ports, ct).ConfigureAwait(false);
            runner.InterceptId = remote.Id;
            // From here on, the PowerShell process going away (exit, window closed, SIGTERM) must not
            // leave an intercept routing traffic to nothing: clean up synchronously, bounded.
            runner._shutdown = ShutdownHooks.Add(() => runner.CleanUpAsync().Wait(ShutdownHooks.Budget));
            var environment = BuildEnvironment(remote.Environment, config.Env);
            if (envFile is not null) WriteEnvFile(envFile, remote.Environment, config.Env);
            log.Write(new DevLogRecord(DateTimeOffset.Now, service.Name, null, null, "stdout",
                $"intercept {remote.Id} active; {remote.Environment.Count} remote variables; starting '{config.Command}' in {config.WorkingDirectory}", LogSource.Local));

            runner.Process = LocalProcess.Start(config.Command, config.WorkingDirectory, environment, service.Name, log);
            // A command that dies at once (not found, bad config) is an error, with what it printed.
            var early = await Task.WhenAny(runner.Process.Exited, Task.Delay(TimeSpan.FromSeconds(2), ct)).ConfigureAwait(false);
            // Ctrl+C during that wait ends the delay, not the command: it must not look like a good start.
            ct.ThrowIfCancellationRequested();
            if (early == runner.Process.Exited)
            {
                var code = await runner.Process.Exited.ConfigureAwait(false);
                var lines = runner.Process.LastLines;
                throw new TelepresenceException("LocalCommandFailed",
                    $"the local command '{config.Command}' exited at once with code {code}." + (lines.Count == 0 ? "" : $" Last output:\n  {string.Join("\n  ", lines.TakeLast(10))}"),
                    "Fix intercept.command / intercept.workingDirectory in devk8s.yaml, or run the service under your debugger with -EnvFile.");
            }
            runner.Finished = runner.WatchAsync();
            return runner;
        }
        catch
        {
            await runner.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The env file is created owner-only and removed whatever happens: it holds Secret values.</summary>
    private static async Task<InterceptInfo> InterceptWithPrivateEnvFileAsync(TelepresenceCli cli, string name, IReadOnlyList<string> ports, CancellationToken ct)
    {
        var file = PrivateFile.Create("devk8s-env-", ".json");
        try { return await cli.InterceptAsync(name, ports, file, ct).ConfigureAwait(false); }
        finally { File.Delete(file); }
    }

    internal static Dictionary<string, string> BuildEnvironment(IReadOnlyDictionary<string, string> remote, IReadOnlyDictionary<string, string> local)
    {
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        foreach (var (k, v) in remote) if (!HostOnly.Contains(k)) env[k] = v;
        foreach (var (k, v) in local) env[k] = v;
        return env;
    }

    /// <summary>A dotenv file (KEY=value, one per line) an IDE debugger can load; owner-only.</summary>
    public static void WriteEnvFile(string path, IReadOnlyDictionary<string, string> remote, IReadOnlyDictionary<string, string> local)
    {
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in remote) if (!HostOnly.Contains(k)) merged[k] = v;
        foreach (var (k, v) in local) merged[k] = v;
        var text = new StringBuilder();
        foreach (var (k, v) in merged)
            text.Append(k).Append('=').Append(v.Contains('\n') || v.Contains(' ') || v.Contains('"') ? "\"" + v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"" : v).Append('\n');
        PrivateFile.Write(path, text.ToString());
    }

    private async Task<int> WatchAsync()
    {
        var code = await Process!.Exited.ConfigureAwait(false);
        _log.Write(new DevLogRecord(DateTimeOffset.Now, _service, null, null, "stdout", $"local command exited with code {code}; leaving the intercept", LogSource.Local));
        await CleanUpAsync().ConfigureAwait(false);
        return code;
    }

    /// <summary>
    /// Kills the local tree, leaves the intercept, quits if we connected. Every caller gets the same
    /// clean-up and waits for it: the exit hook (SIGTERM during start, say) must not return while a
    /// clean-up another path began is still leaving the intercept, or the process ends first.
    /// </summary>
    public Task CleanUpAsync()
    {
        lock (_cleanupGate) return _cleanup ??= CleanUpOnceAsync();
    }

    private async Task CleanUpOnceAsync()
    {
        await Task.Yield(); // off the caller's lock
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        if (Process is not null) await Process.StopAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        try { if (InterceptId.Length > 0) await _cli.LeaveAsync(InterceptName, timeout.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is TelepresenceException or OperationCanceledException) { Warn($"leaving the intercept failed: {e.Message}"); }
        try { if (_connectedByUs) await _cli.QuitAsync(timeout.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is TelepresenceException or OperationCanceledException) { Warn($"telepresence quit failed: {e.Message}"); }
    }

    private void Warn(string message) =>
        _log.Write(new DevLogRecord(DateTimeOffset.Now, _service, null, null, "warning", message, LogSource.Local));

    public async ValueTask DisposeAsync()
    {
        // The exit hook stays registered until the clean-up is done, so an exit meanwhile waits for it.
        await CleanUpAsync().ConfigureAwait(false);
        _shutdown?.Dispose();
        if (Process is not null) await Process.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Files only the current user can read (0600 on Unix; the user profile's temp folder on Windows).</summary>
internal static class PrivateFile
{
    public static string Create(string prefix, string suffix)
    {
        var path = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N") + suffix);
        Write(path, "");
        return path;
    }

    public static void Write(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        // Windows: a DACL for the current user only, set at creation (outside %TEMP% the folder's ACL would be inherited).
        using (var stream = OperatingSystem.IsWindows() ? WindowsFileAcl.CreateOwnerOnly(path) : new FileStream(path, options))
        using (var writer = new StreamWriter(stream)) writer.Write(text);
        // An existing file keeps its mode on open: tighten it explicitly.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
