using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace DevK8s.Engine.Image;

/// <summary>How a <see cref="RegistryClient"/> reaches registries.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Credentials per registry host; the docker config in normal use.</summary>
    public IRegistryCredentials Credentials { get; init; } = AnonymousCredentials.Instance;

    /// <summary>
    /// Hosts (host:port) spoken to over plain HTTP besides loopback ones: the cluster's own registry
    /// as published by KEP-1755, which the KEP defines as local and insecure. Everything else uses HTTPS.
    /// </summary>
    public IReadOnlyCollection<string> PlainHttpHosts { get; init; } = [];

    /// <summary>A handler of the caller's (proxy settings, tests); the client owns one otherwise.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>A manifest as the registry served it: its bytes (digests are over these), media type and digest.</summary>
public sealed record ManifestResponse(byte[] Bytes, string MediaType, string Digest);

/// <summary>
/// A small client of the OCI distribution API: the calls a daemonless image push needs (manifest and
/// blob reads, blob existence, cross-repository mount, monolithic upload, manifest write), with the
/// auth handshakes of the spec. Thread-safe; keep one per operation to reuse tokens and connections.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    private readonly RegistryClientOptions _options;
    private readonly HttpClient _http;

    public RegistryClient(RegistryClientOptions? options = null)
    {
        _options = options ?? new RegistryClientOptions();
        _http = _options.Handler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(15) });
        _http.Timeout = _options.RequestTimeout;
    }

    public void Dispose() => _http.Dispose();

    /// <summary>GET a manifest or index by tag or digest; a digest reference is checked against the bytes.</summary>
    public async Task<ManifestResponse> GetManifestAsync(ImageReference image, CancellationToken ct = default)
    {
        var what = $"Reading the manifest of {image}";
        using var response = await SendAsync(image.ApiHost, () =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, ApiUri(image, "manifests/" + image.ManifestReference));
            foreach (var type in MediaTypes.ManifestAccept) r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return r;
        }, [PullScope(image.Repository)], what, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, image.Registry, what, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var digest = Sha256Digest(bytes);
        if (image.Digest is { } pinned && pinned.StartsWith("sha256:", StringComparison.Ordinal) && pinned != digest)
            throw new RegistryException(RegistryErrorKind.Protocol, $"{what}: the registry served a manifest whose digest is {digest}, not {pinned}.", "The registry or a proxy in between altered it; try again or check the registry.");
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? MediaTypeInBody(bytes) ?? "";
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsImageManifest(mediaType))
            mediaType = MediaTypeInBody(bytes) ?? mediaType;
        return new ManifestResponse(bytes, mediaType, digest);
    }

    private static string? MediaTypeInBody(byte[] bytes)
    {
        try { return System.Text.Json.Nodes.JsonNode.Parse(bytes)?["mediaType"]?.GetValue<string>(); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>GET a small blob (an image config) into memory, checked against its digest.</summary>
    public async Task<byte[]> GetBlobBytesAsync(ImageReference repository, string digest, CancellationToken ct = default)
    {
        var what = $"Reading blob {Short(digest)} of {repository.Name}";
        using var response = await SendAsync(repository.ApiHost, () => new HttpRequestMessage(HttpMethod.Get, ApiUri(repository, "blobs/" + digest)),
            [PullScope(repository.Repository)], what, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, repository.Registry, what, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (digest.StartsWith("sha256:", StringComparison.Ordinal) && Sha256Digest(bytes) != digest)
            throw new RegistryException(RegistryErrorKind.Protocol, $"{what}: the content does not match its digest.", "Try again; if it persists, the registry's storage is damaged.");
        return bytes;
    }

    /// <summary>Opens a blob for streaming (copying a base layer between registries). The caller disposes the stream.</summary>
    public async Task<Stream> OpenBlobAsync(ImageReference repository, string digest, CancellationToken ct = default)
    {
        var what = $"Reading blob {Short(digest)} of {repository.Name}";
        var response = await SendAsync(repository.ApiHost, () => new HttpRequestMessage(HttpMethod.Get, ApiUri(repository, "blobs/" + digest)),
            [PullScope(repository.Repository)], what, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, repository.Registry, what, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
    }

    /// <summary>HEAD a blob: true when the repository already has it (so it need not be sent).</summary>
    public async Task<bool> BlobExistsAsync(ImageReference repository, string digest, CancellationToken ct = default)
    {
        var what = $"Checking blob {Short(digest)} in {repository.Name}";
        using var response = await SendAsync(repository.ApiHost, () => new HttpRequestMessage(HttpMethod.Head, ApiUri(repository, "blobs/" + digest)),
            [PushScope(repository.Repository)], what, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await EnsureSuccessAsync(response, repository.Registry, what, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Cross-repository mount (<c>POST blobs/uploads/?mount=&amp;from=</c>): 201 means the registry linked
    /// the blob without any bytes sent. A registry that cannot mount answers 202 with an upload session,
    /// returned so the caller can upload into it.
    /// </summary>
    public async Task<(bool Mounted, Uri? UploadLocation)> MountBlobAsync(ImageReference target, string digest, string fromRepository, CancellationToken ct = default)
    {
        var what = $"Mounting blob {Short(digest)} from {fromRepository} into {target.Name}";
        var query = $"blobs/uploads/?mount={Uri.EscapeDataString(digest)}&from={Uri.EscapeDataString(fromRepository)}";
        using var response = await SendAsync(target.ApiHost, () => new HttpRequestMessage(HttpMethod.Post, ApiUri(target, query)) { Content = new ByteArrayContent([]) },
            [PushScope(target.Repository), PullScope(fromRepository)], what, ct, retryable: false).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created) return (true, null);
        await EnsureSuccessAsync(response, target.Registry, what, ct).ConfigureAwait(false);
        return (false, UploadLocation(response, what));
    }

    /// <summary>
    /// Monolithic upload: POST a session (unless <paramref name="location"/> already holds one), then
    /// one PUT of the whole blob with <c>?digest=</c>. Returns the bytes sent.
    /// </summary>
    public async Task<long> UploadBlobAsync(ImageReference target, string digest, Func<Stream> openContent, long length, Uri? location = null, CancellationToken ct = default)
    {
        var what = $"Uploading blob {Short(digest)} ({length} bytes) to {target.Name}";
        var scopes = new[] { PushScope(target.Repository) };
        if (location is null)
        {
            using var started = await SendAsync(target.ApiHost, () => new HttpRequestMessage(HttpMethod.Post, ApiUri(target, "blobs/uploads/")) { Content = new ByteArrayContent([]) },
                scopes, what, ct, retryable: false).ConfigureAwait(false);
            await EnsureSuccessAsync(started, target.Registry, what, ct).ConfigureAwait(false);
            location = UploadLocation(started, what);
        }
        var put = new UriBuilder(location);
        var q = put.Query.TrimStart('?');
        put.Query = (q.Length > 0 ? q + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        using var response = await SendAsync(target.ApiHost, () =>
        {
            var content = new StreamContent(openContent());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.ContentLength = length;
            return new HttpRequestMessage(HttpMethod.Put, put.Uri) { Content = content };
        }, scopes, what, ct, retryable: false).ConfigureAwait(false);
        await EnsureSuccessAsync(response, target.Registry, what, ct).ConfigureAwait(false);
        return length;
    }

    /// <summary>PUT a manifest under a tag or its digest; returns the digest the registry stored it under.</summary>
    public async Task<string> PutManifestAsync(ImageReference target, string reference, byte[] manifest, string mediaType, CancellationToken ct = default)
    {
        var what = $"Writing the manifest of {target.Name}:{reference}";
        using var response = await SendAsync(target.ApiHost, () =>
        {
            var content = new ByteArrayContent(manifest);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return new HttpRequestMessage(HttpMethod.Put, ApiUri(target, "manifests/" + reference)) { Content = content };
        }, [PushScope(target.Repository)], what, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, target.Registry, what, ct).ConfigureAwait(false);
        var digest = Sha256Digest(manifest);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { Length: > 0 } stored && stored != digest)
            throw new RegistryException(RegistryErrorKind.Protocol, $"{what}: the registry stored it as {stored}, but its bytes hash to {digest}.", "The registry rewrote the manifest; deploy by the registry's digest or use another registry.");
        return digest;
    }

    private static Uri UploadLocation(HttpResponseMessage response, string what)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException(RegistryErrorKind.Protocol, $"{what}: the registry started an upload without a Location header.", "");
        return location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
    }

    public static string Sha256Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;
}
