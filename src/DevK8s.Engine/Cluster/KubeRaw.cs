using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace DevK8s.Engine.Cluster;

/// <summary>
/// Requests on arbitrary resource paths through KubernetesClient's own HttpClient and credentials:
/// the typed API has no call for "any kind" (discovery, server-side apply of a manifest).
/// </summary>
internal static class KubeRaw
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(
        KubeTarget target, HttpMethod method, string pathAndQuery, string? body, string? contentType, CancellationToken ct)
    {
        var client = (Kubernetes)target.Client;
        var uri = new Uri(client.BaseUri, pathAndQuery);
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (client.Credentials is not null)
            await client.Credentials.ProcessHttpRequestAsync(request, ct).ConfigureAwait(false);
        using var response = await client.HttpClient.SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound && method == HttpMethod.Get)
            return (response.StatusCode, null);
        if (!response.IsSuccessStatusCode)
            throw KubeApiException.FromBody(response.StatusCode, text);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
