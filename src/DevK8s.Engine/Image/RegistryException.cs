using System.Net;
using System.Text.Json;

namespace DevK8s.Engine.Image;

/// <summary>What kind of trouble a registry call ran into; each kind has its own next step.</summary>
public enum RegistryErrorKind
{
    /// <summary>No or wrong credentials (401), or the token service refused them.</summary>
    Unauthorized,
    /// <summary>Authenticated, but not allowed (403, DENIED).</summary>
    Denied,
    /// <summary>Repository, manifest or blob does not exist.</summary>
    NotFound,
    /// <summary>The host name does not resolve.</summary>
    UnknownHost,
    /// <summary>Nothing listens there, or the connection broke or timed out.</summary>
    Unreachable,
    /// <summary>The TLS handshake failed (self-signed or expired certificate, or a plain HTTP registry).</summary>
    Tls,
    /// <summary>The registry answered with something this client does not understand or accept.</summary>
    Protocol,
    /// <summary>A configuration problem on this machine (docker config, unsupported credential store).</summary>
    Configuration,
}

/// <summary>
/// A registry refusal or failure, carrying the registry's own error codes and messages
/// (the distribution spec's <c>errors[].code/message</c>) and what to do about it.
/// </summary>
public sealed class RegistryException(RegistryErrorKind kind, string message, string hint, HttpStatusCode? status = null,
    IReadOnlyList<RegistryError>? errors = null, Exception? inner = null)
    : Exception(hint.Length == 0 ? message : $"{message} {hint}", inner)
{
    public RegistryErrorKind Kind { get; } = kind;
    public HttpStatusCode? Status { get; } = status;
    public IReadOnlyList<RegistryError> Errors { get; } = errors ?? [];
    public string Hint { get; } = hint;
    /// <summary>What happened, without the advice.</summary>
    public string Summary { get; } = message;

    /// <summary>The registry's error JSON, or nothing when the body is not that shape.</summary>
    public static IReadOnlyList<RegistryError> ParseErrors(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("errors", out var list) || list.ValueKind != JsonValueKind.Array) return [];
            return list.EnumerateArray()
                .Select(e => new RegistryError(
                    e.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "",
                    e.TryGetProperty("message", out var m) ? m.GetString() ?? "" : ""))
                .ToList();
        }
        catch (JsonException) { return []; }
    }

    internal static RegistryException FromResponse(HttpStatusCode status, string body, string what, string registry)
    {
        var errors = ParseErrors(body);
        var said = errors.Count > 0
            ? string.Join("; ", errors.Select(e => e.Message.Length == 0 ? e.Code : $"{e.Code}: {e.Message}"))
            : body.Length == 0 ? "" : body.Length > 300 ? body[..300] : body;
        var codes = errors.Select(e => e.Code).ToHashSet(StringComparer.Ordinal);
        var (kind, hint) =
            status == HttpStatusCode.Unauthorized || codes.Contains("UNAUTHORIZED") ? (RegistryErrorKind.Unauthorized, UnauthorizedHint(registry))
            : status == HttpStatusCode.Forbidden || codes.Contains("DENIED") ? (RegistryErrorKind.Denied, $"Your account may not do this on {registry}: check the repository name and your permissions there.")
            : status == HttpStatusCode.NotFound ? (RegistryErrorKind.NotFound, $"Check the image name and tag, and that it was pushed to {registry}.")
            : (RegistryErrorKind.Protocol, "");
        var message = $"{what} failed: {registry} answered HTTP {(int)status}" + (said.Length == 0 ? "." : $" ({said}).");
        return new RegistryException(kind, message, hint, status, errors);
    }

    internal static string UnauthorizedHint(string registry) =>
        $"Log in with: docker login {registry} (DevK8s reads the credentials from the docker config, ~/.docker/config.json or $DOCKER_CONFIG).";
}

/// <summary>One entry of a registry's error JSON.</summary>
public sealed record RegistryError(string Code, string Message);
