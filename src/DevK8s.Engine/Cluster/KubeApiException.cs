using System.Net;
using System.Text.Json;
using k8s.Autorest;

namespace DevK8s.Engine.Cluster;

/// <summary>An API server refusal, with the server's own message (from its Status object).</summary>
public sealed class KubeApiException(HttpStatusCode status, string reason, string message)
    : Exception($"{message} (HTTP {(int)status} {reason})")
{
    public HttpStatusCode Status { get; } = status;
    public string Reason { get; } = reason;

    public static KubeApiException FromBody(HttpStatusCode status, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
            var reason = root.TryGetProperty("reason", out var r) ? r.GetString() : null;
            return new KubeApiException(status, reason ?? status.ToString(), message ?? body);
        }
        catch (JsonException)
        {
            return new KubeApiException(status, status.ToString(), body.Length > 500 ? body[..500] : body);
        }
    }

    /// <summary>Turns the client library's exception into one that carries the server's message.</summary>
    public static Exception Wrap(Exception e) =>
        e is HttpOperationException { Response: { } response }
            ? FromBody(response.StatusCode, response.Content ?? "")
            : e;
}
