using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace DevK8s.Engine.Tests.Image;

/// <summary>
/// A token service of the distribution spec's bearer flow, served by the test on loopback: it takes
/// GET ?service=&amp;scope=... with Basic credentials and answers a JWT signed RS256 by a key whose
/// certificate travels in the x5c header, which the registry (auth: token, rootcertbundle) trusts.
/// Requests are recorded so tests can check what the client asked for.
/// </summary>
public sealed class TokenServer : IDisposable
{
    public const string Service = "devk8s-test-registry";
    public const string Issuer = "devk8s-test-issuer";

    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly string _user, _password;
    private readonly List<(string? Service, IReadOnlyList<string> Scopes, string? User)> _requests = [];

    public int Port { get; }
    public string Realm => $"http://127.0.0.1:{Port}/token";
    public string CertificatePem => _certificate.ExportCertificatePem();

    public IReadOnlyList<(string? Service, IReadOnlyList<string> Scopes, string? User)> Requests { get { lock (_requests) return _requests.ToList(); } }

    public TokenServer(string user, string password)
    {
        (_user, _password) = (user, password);
        var request = new CertificateRequest("CN=devk8s-test-token-signer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Port = RegistryProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Answer(context); }
            finally { context.Response.Close(); }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        var query = context.Request.QueryString;
        var scopes = (query.GetValues("scope") ?? []).SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        string? user = null, password = null;
        if (context.Request.Headers["Authorization"] is { } header && header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
            var colon = pair.IndexOf(':');
            (user, password) = (pair[..colon], pair[(colon + 1)..]);
        }
        lock (_requests) _requests.Add((query["service"], scopes, user));
        if (context.Request.Url!.AbsolutePath != "/token" || user != _user || password != _password)
        {
            context.Response.StatusCode = 401;
            Write(context, """{"errors":[{"code":"UNAUTHORIZED","message":"invalid user name or password"}]}""");
            return;
        }
        var token = Sign(user, query["service"] ?? "", scopes);
        Write(context, new JsonObject { ["token"] = token, ["access_token"] = token, ["expires_in"] = 300, ["issued_at"] = DateTime.UtcNow.ToString("o") }.ToJsonString());
    }

    private static void Write(HttpListenerContext context, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
    }

    private string Sign(string subject, string audience, IEnumerable<string> scopes)
    {
        var access = new JsonArray();
        foreach (var scope in scopes)
        {
            // type:name:actions, where the name itself may hold ':' (a registry host with a port)
            var first = scope.IndexOf(':');
            var last = scope.LastIndexOf(':');
            if (first < 0 || last == first) continue;
            access.Add(new JsonObject
            {
                ["type"] = scope[..first],
                ["name"] = scope[(first + 1)..last],
                ["actions"] = new JsonArray(scope[(last + 1)..].Split(',').Select(a => (JsonNode)a).ToArray()),
            });
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["sub"] = subject, ["aud"] = audience,
            ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now, ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _listener.Close();
        _certificate.Dispose();
        _key.Dispose();
    }
}
