using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DevK8s.Engine.Local;

namespace DevK8s.Engine.Intercept;

public sealed record TelepresenceStatus(bool Connected, string? Context, string? Namespace, IReadOnlyList<string> Intercepts);

public sealed record InterceptInfo(string Id, string Name, IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// The telepresence command line, always with --output json: errors come in the "err" field with
/// exit code 1, so nothing depends on scraping prose (the version banner excepted, which has no
/// JSON form before 2.21).
/// </summary>
public sealed partial class TelepresenceCli(string path)
{
    public static readonly Version Minimum = new(2, 20);
    /// <summary>--port became repeatable in 2.22.0.</summary>
    public static readonly Version MultiplePorts = new(2, 22);

    public string Path { get; } = path;

    public static TelepresenceCli Locate(string? configured)
    {
        var found = ExecutableFinder.Find(configured ?? "telepresence");
        return found is not null
            ? new TelepresenceCli(found)
            : throw new TelepresenceException("TelepresenceNotFound",
                configured is null ? "telepresence is not on PATH; the Intercept strategy runs through it." : $"telepresence was not found at '{configured}' (intercept.telepresence in devk8s.yaml).",
                "Install Telepresence 2.20 or newer (https://telepresence.io/docs/install/client) and make sure it is on PATH, or set intercept.telepresence.");
    }

    public async Task<Version> VersionAsync(CancellationToken ct)
    {
        var (_, stdout, _) = await RunAsync(["version"], ct).ConfigureAwait(false);
        var match = ClientVersion().Match(stdout);
        if (!match.Success)
            throw new TelepresenceException("TelepresenceNotFound", $"{Path} did not report a client version.", "Reinstall Telepresence 2.20 or newer.");
        var version = Version.Parse(match.Groups[1].Value);
        if (version < Minimum)
            throw new TelepresenceException("TelepresenceTooOld", $"{Path} is Telepresence {version}; DevK8s needs {Minimum} or newer.", "Upgrade Telepresence (https://telepresence.io/docs/install/client).");
        return version;
    }

    public async Task<TelepresenceStatus> StatusAsync(CancellationToken ct)
    {
        var json = await RunJsonAsync("status", ["status"], ct).ConfigureAwait(false);
        var user = json["user_daemon"] as JsonObject;
        var status = user?["status"]?.GetValue<string>();
        var intercepts = (user?["intercepts"] as JsonArray)?.Select(i => i?["name"]?.GetValue<string>()).OfType<string>().ToList() ?? [];
        return new TelepresenceStatus(status == "Connected", user?["kubernetes_context"]?.GetValue<string>(), user?["namespace"]?.GetValue<string>(), intercepts);
    }

    public Task ConnectAsync(string context, string ns, CancellationToken ct) =>
        RunJsonAsync("connect", ["connect", "--context", context, "--namespace", ns], ct);

    public async Task<InterceptInfo> InterceptAsync(string workload, IReadOnlyList<string> ports, string envJsonFile, CancellationToken ct)
    {
        var args = new List<string> { "intercept", workload };
        foreach (var port in ports) { args.Add("--port"); args.Add(port); }
        args.AddRange(["--env-json", envJsonFile, "--mount", "false", "--detailed-output"]);
        var json = await RunJsonAsync("intercept", args, ct).ConfigureAwait(false);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(envJsonFile) && new FileInfo(envJsonFile).Length > 0)
            foreach (var (k, v) in JsonNode.Parse(await File.ReadAllTextAsync(envJsonFile, ct).ConfigureAwait(false))!.AsObject())
                if (v is not null) environment[k] = v.GetValue<string>();
        return new InterceptInfo(json["id"]?.GetValue<string>() ?? "", json["name"]?.GetValue<string>() ?? workload, environment);
    }

    public Task LeaveAsync(string name, CancellationToken ct) => RunJsonAsync("leave", ["leave", name], ct);

    public Task QuitAsync(CancellationToken ct) => RunJsonAsync("quit", ["quit"], ct);

    /// <summary>Runs a command with --output json; a wrapper object's "err" or exit code 1 becomes a TelepresenceException.</summary>
    private async Task<JsonObject> RunJsonAsync(string command, IReadOnlyList<string> args, CancellationToken ct)
    {
        var (exit, stdout, stderr) = await RunAsync([.. args, "--output", "json"], ct).ConfigureAwait(false);
        JsonObject? json = null;
        try { json = JsonNode.Parse(stdout.Trim()) as JsonObject; }
        catch (JsonException) { }
        var err = json?["err"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(err) || exit != 0)
            throw TelepresenceException.FromError(command, err ?? (stderr.Length > 0 ? stderr : stdout));
        return json ?? new JsonObject();
    }

    /// <summary>
    /// How long one telepresence command may take. Agent injection can take a minute on a slow
    /// cluster; beyond two something is wrong. DEVK8S_TELEPRESENCE_TIMEOUT (seconds) overrides it.
    /// </summary>
    public static TimeSpan CommandTimeout =>
        double.TryParse(Environment.GetEnvironmentVariable("DEVK8S_TELEPRESENCE_TIMEOUT"), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromMinutes(2);

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var timeout = CommandTimeout;
        try
        {
            var result = await ProcessRunner.RunAsync(new ProcessSpec([Path, .. args]), timeout, ct).ConfigureAwait(false);
            return (result.ExitCode, result.Stdout, result.Stderr);
        }
        catch (LocalProcessException e) when (e.ErrorId == LocalProcessException.TimedOut)
        {
            var command = args[0];
            throw command == "intercept"
                ? new TelepresenceException("AgentTimeout",
                    $"telepresence intercept did not finish within {timeout.TotalSeconds:0.#} s and was stopped: the traffic-agent was not injected in time.",
                    TelepresenceException.AgentTimeoutAction)
                : new TelepresenceException("TelepresenceFailed",
                    $"telepresence {command} did not finish within {timeout.TotalSeconds:0.#} s and was stopped.",
                    $"Run 'telepresence {command}' by hand to see where it waits; 'telepresence quit -s' restarts its daemons.");
        }
    }

    [GeneratedRegex(@"Client\s*:\s*v?(\d+\.\d+(?:\.\d+)?)")]
    private static partial Regex ClientVersion();
}
