using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;

namespace DevK8s.Engine.Image;

// Sending requests: scheme choice, the auth handshake of the distribution spec, and turning
// transport failures into RegistryExceptions that say what to do.
public sealed partial class RegistryClient
{
    private sealed class HostAuth
    {
        public volatile AuthChallenge? Challenge;
        public readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> Tokens = new();
    }

    private readonly ConcurrentDictionary<string, HostAuth> _auth = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How many token requests went to token services (to prove the per-scope cache works).</summary>
    public int TokenRequests => _tokenRequests;
    private int _tokenRequests;

    /// <summary>"http" for loopback registries and those named in <see cref="RegistryClientOptions.PlainHttpHosts"/>, else "https".</summary>
    public string SchemeFor(string registry) =>
        IsLoopback(registry) || _options.PlainHttpHosts.Contains(registry, StringComparer.OrdinalIgnoreCase) ? "http" : "https";

    internal static bool IsLoopback(string registry)
    {
        var host = registry;
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            host = close > 0 ? host[1..close] : host;
        }
        else if (host.Count(c => c == ':') == 1) host = host[..host.IndexOf(':')];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
               (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private Uri ApiUri(ImageReference repo, string pathAndQuery) => new($"{SchemeFor(repo.ApiHost)}://{repo.ApiHost}/v2/{repo.Repository}/{pathAndQuery}");

    internal static string PullScope(string repository) => $"repository:{repository}:pull";
    internal static string PushScope(string repository) => $"repository:{repository}:pull,push";

    /// <summary>
    /// Sends a request made by <paramref name="make"/> (called again for a retry, so bodies can be
    /// re-read), authenticating as the registry demands: a 401 carries a challenge; Basic sends the
    /// docker config's credentials, Bearer fetches a token for the scopes from the realm and caches it.
    /// 502/503/504 are retried for requests that are safe to repeat.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string registry, Func<HttpRequestMessage> make, IReadOnlyCollection<string> scopes,
        string what, CancellationToken ct, bool retryable = true)
    {
        var auth = _auth.GetOrAdd(registry, _ => new HostAuth());
        var answeredChallenge = false;
        for (var attempt = 1; ; attempt++)
        {
            var request = make();
            await AuthorizeAsync(request, registry, auth, scopes, what, ct).ConfigureAwait(false);
            var response = await TransportAsync(request, registry, what, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized && !answeredChallenge &&
                response.Headers.WwwAuthenticate.FirstOrDefault() is { } header)
            {
                var challenge = AuthChallenge.Parse(header.Scheme, header.Parameter);
                auth.Challenge = challenge;
                answeredChallenge = true;
                if (challenge.IsBasic && _options.Credentials.Find(registry) is null)
                    return response;
                if (challenge.IsBearer)
                {
                    // A token we sent was refused (expired or too narrow): ask again with what the registry asked for.
                    var wanted = MergeScopes(scopes.Concat(challenge.Scopes));
                    auth.Tokens[ScopeKey(scopes)] = await FetchTokenAsync(registry, challenge, wanted, what, ct).ConfigureAwait(false);
                }
                response.Dispose();
                continue;
            }
            if (retryable && attempt < 3 && response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                response.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(300 * attempt), ct).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    private async Task AuthorizeAsync(HttpRequestMessage request, string registry, HostAuth auth, IReadOnlyCollection<string> scopes, string what, CancellationToken ct)
    {
        var challenge = auth.Challenge;
        if (challenge is null) return;
        if (challenge.IsBasic)
        {
            if (_options.Credentials.Find(registry) is { } credential) request.Headers.Authorization = BasicHeader(credential);
            return;
        }
        if (!challenge.IsBearer) return;
        var key = ScopeKey(scopes);
        if (!auth.Tokens.TryGetValue(key, out var cached) || cached.Expires <= DateTimeOffset.UtcNow)
        {
            cached = await FetchTokenAsync(registry, challenge, scopes, what, ct).ConfigureAwait(false);
            auth.Tokens[key] = cached;
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cached.Token);
    }

    /// <summary>One scope per resource with the union of its actions: "repository:a:pull" and "repository:a:pull,push" ask for "repository:a:pull,push".</summary>
    internal static IReadOnlyList<string> MergeScopes(IEnumerable<string> scopes)
    {
        var merged = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var scope in scopes)
        {
            var last = scope.LastIndexOf(':');
            if (last <= 0) continue;
            var resource = scope[..last];
            if (!merged.TryGetValue(resource, out var actions))
            {
                merged[resource] = actions = new SortedSet<string>(StringComparer.Ordinal);
                order.Add(resource);
            }
            actions.UnionWith(scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries));
        }
        return order.Select(r => $"{r}:{string.Join(',', merged[r])}").ToList();
    }

    private static string ScopeKey(IEnumerable<string> scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential c) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Password}")));

    /// <summary>The token request of the distribution spec: GET realm?service=..&amp;scope=.., with Basic credentials when known.</summary>
    private async Task<(string Token, DateTimeOffset Expires)> FetchTokenAsync(string registry, AuthChallenge challenge, IEnumerable<string> scopes, string what, CancellationToken ct)
    {
        if (challenge.Realm is not { Length: > 0 } realm || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new RegistryException(RegistryErrorKind.Protocol, $"{what}: {registry} asked for a bearer token without a usable realm ('{challenge.Realm}').", "");
        var query = new List<string>();
        if (challenge.Service is { Length: > 0 } service) query.Add("service=" + Uri.EscapeDataString(service));
        query.AddRange(scopes.Distinct().Select(s => "scope=" + Uri.EscapeDataString(s)));
        var builder = new UriBuilder(realmUri);
        var existing = builder.Query.TrimStart('?');
        builder.Query = string.Join('&', (existing.Length > 0 ? new[] { existing } : []).Concat(query));
        var credential = _options.Credentials.Find(registry);
        var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is not null) request.Headers.Authorization = BasicHeader(credential);
        Interlocked.Increment(ref _tokenRequests);
        using var response = await TransportAsync(request, realmUri.Authority, $"{what} (token from {realmUri.GetLeftPart(UriPartial.Path)})", ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var said = RegistryException.ParseErrors(body) is { Count: > 0 } errors ? $" ({string.Join("; ", errors.Select(e => $"{e.Code}: {e.Message}"))})" : "";
            throw new RegistryException(RegistryErrorKind.Unauthorized,
                $"{what} failed: the token service of {registry} refused {(credential is null ? "anonymous access" : $"the credentials of user '{credential.Username}'")}{said}.",
                credential is null ? RegistryException.UnauthorizedHint(registry) : $"Check the password, then run: docker login {registry}",
                response.StatusCode);
        }
        if (!response.IsSuccessStatusCode)
            throw RegistryException.FromResponse(response.StatusCode, body, $"{what} (token request)", registry);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var token = root.TryGetProperty("token", out var t) ? t.GetString() : null;
            token ??= root.TryGetProperty("access_token", out var a) ? a.GetString() : null;
            if (string.IsNullOrEmpty(token)) throw new JsonException("no 'token' or 'access_token'");
            // The spec's default lifetime is 60 s; renew a little early so a token never expires in flight.
            var seconds = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var n) && n > 0 ? n : 60;
            return (token, DateTimeOffset.UtcNow.AddSeconds(Math.Max(seconds - 10, 5)));
        }
        catch (JsonException e)
        {
            throw new RegistryException(RegistryErrorKind.Protocol, $"{what}: the token service of {registry} answered without a token ({e.Message}).", "", inner: e);
        }
    }

    private async Task<HttpResponseMessage> TransportAsync(HttpRequestMessage request, string host, string what, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw TransportFailure(e, host, what, request.RequestUri!);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RegistryException(RegistryErrorKind.Unreachable, $"{what}: {host} did not answer within {_http.Timeout.TotalSeconds:0} s.",
                "Check that the registry is up and reachable from this machine.", inner: e);
        }
    }

    private RegistryException TransportFailure(HttpRequestException e, string host, string what, Uri uri)
    {
        var socket = FindInner<SocketException>(e);
        var tls = FindInner<AuthenticationException>(e);
        if (e.HttpRequestError == HttpRequestError.NameResolutionError ||
            socket?.SocketErrorCode is SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData)
            return new RegistryException(RegistryErrorKind.UnknownHost, $"{what}: the registry host '{host}' does not resolve.",
                "Check the registry name in the image reference. For the cluster's own registry, leave 'repository' out so DevK8s uses the one the cluster publishes (kube-public/local-registry-hosting).", inner: e);
        if (tls is not null || e.HttpRequestError == HttpRequestError.SecureConnectionError)
            return new RegistryException(RegistryErrorKind.Tls, $"{what}: the TLS handshake with {host} failed ({(tls ?? (Exception)e).Message}).",
                "If the registry uses a private CA, add that CA to this machine's trusted certificates. If it speaks plain HTTP, DevK8s allows that only for loopback hosts and the registry the cluster publishes (KEP-1755).", inner: e);
        if (socket?.SocketErrorCode == SocketError.ConnectionRefused || e.HttpRequestError == HttpRequestError.ConnectionError)
            return new RegistryException(RegistryErrorKind.Unreachable, $"{what}: nothing answers at {uri.Scheme}://{host} ({e.Message}).",
                "Check that the registry runs and the host and port are right.", inner: e);
        return new RegistryException(RegistryErrorKind.Unreachable, $"{what}: the connection to {host} failed ({e.Message}).",
            "Check that the registry is reachable from this machine.", inner: e);
    }

    private static T? FindInner<T>(Exception e) where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException) if (x is T t) return t;
        return null;
    }

    /// <summary>Throws the registry's own error for a failed response, with the step that failed.</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string registry, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = response.RequestMessage?.Method == HttpMethod.Head ? "" : await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var error = RegistryException.FromResponse(response.StatusCode, body, what, registry);
        if (error.Kind == RegistryErrorKind.Unauthorized && _options.Credentials.Find(registry) is { } credential)
            error = new RegistryException(RegistryErrorKind.Unauthorized, error.Summary +
                $" The credentials of user '{credential.Username}' were refused.", $"Check the password, then run: docker login {registry}",
                error.Status, error.Errors);
        response.Dispose();
        throw error;
    }
}
