using System.Text;
using System.Text.Json;
using DevK8s.Engine.Local;

namespace DevK8s.Engine.Image;

/// <summary>A user name and password (or token used as a password) for one registry.</summary>
public sealed record RegistryCredential(string Username, string Password);

/// <summary>Where the registry client gets credentials for a registry host; null means anonymous.</summary>
public interface IRegistryCredentials
{
    RegistryCredential? Find(string registry);
}

/// <summary>No credentials: every registry is tried anonymously.</summary>
public sealed class AnonymousCredentials : IRegistryCredentials
{
    public static readonly AnonymousCredentials Instance = new();
    public RegistryCredential? Find(string registry) => null;
}

/// <summary>Fixed credentials per registry host (tests, or a caller that has its own source).</summary>
public sealed class StaticCredentials(IReadOnlyDictionary<string, RegistryCredential> byRegistry) : IRegistryCredentials
{
    public RegistryCredential? Find(string registry) => byRegistry.GetValueOrDefault(registry);
}

/// <summary>
/// Credentials from the docker config (what <c>docker login</c> writes): <c>auths.&lt;host&gt;.auth</c>,
/// base64 of "user:password", or a credential helper (<c>credHelpers.&lt;host&gt;</c>, else
/// <c>credsStore</c>) asked the way docker asks it: <c>docker-credential-&lt;name&gt; get</c> with the
/// server on stdin, answering {ServerURL, Username, Secret}. Identity tokens (OAuth refresh tokens)
/// are not supported and are reported as such rather than silently falling back to anonymous access.
/// </summary>
public sealed class DockerConfigCredentials : IRegistryCredentials
{
    private readonly Dictionary<string, JsonElement> _auths = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _helpers = new(StringComparer.OrdinalIgnoreCase);
    private readonly string? _store;
    private readonly Func<string, string?> _findProgram;
    private readonly Dictionary<string, RegistryCredential?> _fromHelpers = new(StringComparer.OrdinalIgnoreCase);

    public string Path { get; }

    private DockerConfigCredentials(string path, JsonElement? root, Func<string, string?>? findProgram)
    {
        Path = path;
        _findProgram = findProgram ?? (name => Local.ExecutableFinder.Find(name));
        if (root is not { } r) return;
        if (r.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
            foreach (var entry in auths.EnumerateObject())
                _auths[NormalizeKey(entry.Name)] = entry.Value.Clone();
        if (r.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
            foreach (var entry in helpers.EnumerateObject())
                if (entry.Value.GetString() is { Length: > 0 } helper) _helpers[NormalizeKey(entry.Name)] = helper;
        if (r.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } s) _store = s;
    }

    /// <summary>$DOCKER_CONFIG/config.json, else ~/.docker/config.json.</summary>
    public static string DefaultPath()
    {
        var dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrWhiteSpace(dir))
            dir = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return System.IO.Path.Combine(dir, "config.json");
    }

    /// <summary>Reads the docker config; a missing file means anonymous access everywhere.</summary>
    /// <param name="findProgram">Where credential helpers are looked up (PATH by default).</param>
    public static DockerConfigCredentials Load(string? path = null, Func<string, string?>? findProgram = null)
    {
        path ??= DefaultPath();
        if (!File.Exists(path)) return new DockerConfigCredentials(path, null, findProgram);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return new DockerConfigCredentials(path, doc.RootElement.Clone(), findProgram);
        }
        catch (JsonException e)
        {
            throw new RegistryException(RegistryErrorKind.Configuration, $"The docker config {path} is not valid JSON ({e.Message}).",
                "Fix or remove it, then run docker login again.", inner: e);
        }
    }

    public RegistryCredential? Find(string registry)
    {
        var key = NormalizeKey(registry);
        if (_helpers.TryGetValue(key, out var helper)) return FromHelper(registry, key, helper);
        if (_auths.TryGetValue(key, out var entry) && entry.ValueKind == JsonValueKind.Object)
        {
            if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
                return Decode(registry, encoded);
            if (entry.TryGetProperty("username", out var u) && entry.TryGetProperty("password", out var p) &&
                u.GetString() is { Length: > 0 } user)
                return new RegistryCredential(user, p.GetString() ?? "");
            if (entry.TryGetProperty("identitytoken", out _))
                throw Unsupported(registry, "its entry holds an OAuth identity token");
        }
        // With a credsStore, docker login leaves an empty auths entry (or none) and keeps the secret in the store.
        return _store is not null ? FromHelper(registry, key, _store) : null;
    }

    private RegistryCredential? FromHelper(string registry, string key, string helper)
    {
        lock (_fromHelpers)
        {
            if (_fromHelpers.TryGetValue(key, out var known)) return known;
            var credential = AskHelper(registry, key, helper);
            _fromHelpers[key] = credential;
            return credential;
        }
    }

    private RegistryCredential? AskHelper(string registry, string key, string helper)
    {
        var program = "docker-credential-" + helper;
        var path = _findProgram(program) ?? throw new RegistryException(RegistryErrorKind.Configuration,
            $"{Path} says the credentials for {registry} are kept by {program}, which is not on PATH.",
            $"Install {program}, or remove \"credsStore\"/\"credHelpers\" from {Path} and run docker login {registry} again.");
        // Docker keys Docker Hub's entry by its v1 URL; everything else by host.
        var spec = new ProcessSpec([path, "get"]) { Input = key == ImageReference.DockerHub ? "https://index.docker.io/v1/" : key };
        ProcessResult result;
        try
        {
            // A helper answers from its store at once; one that prompts for a password is what the timeout catches.
            result = ProcessRunner.RunAsync(spec, TimeSpan.FromSeconds(15), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (LocalProcessException e) when (e.ErrorId == LocalProcessException.TimedOut)
        {
            throw new RegistryException(RegistryErrorKind.Configuration, $"{program} did not answer within 15 s for {registry}.", "Unlock the credential store (it may be waiting for a password prompt) and try again.");
        }
        catch (LocalProcessException e)
        {
            throw new RegistryException(RegistryErrorKind.Configuration, $"{program} could not be started for {registry}: {e.Message}", $"Check it by hand: echo {key} | {program} get");
        }
        var output = result.Stdout.Trim();
        if (result.ExitCode != 0)
        {
            // The helpers' agreed answer for "nothing stored": anonymous access, as docker does.
            if ((output + result.Stderr).Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
            throw new RegistryException(RegistryErrorKind.Configuration, $"{program} failed for {registry}: {(output.Length > 0 ? output : result.Stderr.Trim())}",
                $"Check it by hand: echo {key} | {program} get");
        }
        try
        {
            using var doc = JsonDocument.Parse(output);
            var user = doc.RootElement.GetProperty("Username").GetString() ?? "";
            var secret = doc.RootElement.GetProperty("Secret").GetString() ?? "";
            if (user == "<token>") throw Unsupported(registry, $"{program} holds an OAuth identity token for it");
            return new RegistryCredential(user, secret);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new RegistryException(RegistryErrorKind.Configuration, $"{program} answered something other than {{Username, Secret}} for {registry}.",
                $"Check it by hand: echo {key} | {program} get", inner: e);
        }
    }

    private RegistryCredential Decode(string registry, string encoded)
    {
        string text;
        try { text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
        catch (FormatException e)
        {
            throw new RegistryException(RegistryErrorKind.Configuration, $"The credentials for {registry} in {Path} are not valid base64.",
                $"Run: docker login {registry}", inner: e);
        }
        var colon = text.IndexOf(':');
        if (colon <= 0)
            throw new RegistryException(RegistryErrorKind.Configuration, $"The credentials for {registry} in {Path} are not 'user:password'.",
                $"Run: docker login {registry}");
        return new RegistryCredential(text[..colon], text[(colon + 1)..]);
    }

    private RegistryException Unsupported(string registry, string why) =>
        new(RegistryErrorKind.Configuration,
            $"The credentials for {registry} cannot be used: {why} ({Path}), which DevK8s does not support yet.",
            $"Log in with a user name and password instead, or add a plain entry for it: set \"auths\": {{\"{registry}\": {{\"auth\": \"<base64 of user:password>\"}}}} in a docker config of its own and point DOCKER_CONFIG at its folder.");

    /// <summary>"https://index.docker.io/v1/", "docker.io" and "http://host:5000/" all name one registry.</summary>
    internal static string NormalizeKey(string key)
    {
        var k = key.Trim();
        var scheme = k.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) k = k[(scheme + 3)..];
        var slash = k.IndexOf('/');
        if (slash >= 0) k = k[..slash];
        return k.ToLowerInvariant() is "index.docker.io" or "registry-1.docker.io" or "docker.io" ? ImageReference.DockerHub : k.ToLowerInvariant();
    }
}
