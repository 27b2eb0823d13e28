using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using DevK8s.Engine.Image;
using Xunit;
using Xunit.Abstractions;

namespace DevK8s.Engine.Tests.Image;

/// <summary>
/// A second docker-registry with an htpasswd file (bcrypt, made by htpasswd from apache2-utils);
/// the busybox base comes from the cluster's registry, so these pushes also copy base layers across registries.
/// </summary>
public sealed class BasicAuthRegistryFixture : IAsyncLifetime
{
    public const string User = "alice";
    public const string Password = "wonder-land-42";
    public RegistryProcess Registry { get; private set; } = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-basic-registry-").FullName;

    public async Task InitializeAsync()
    {
        if (DevK8s.Tests.Shared.TestCluster.OptedOut) return;
        var htpasswd = new ProcessStartInfo("htpasswd") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-Bbn", User, Password }) htpasswd.ArgumentList.Add(a);
        using (var p = Process.Start(htpasswd) ?? throw new InvalidOperationException("htpasswd did not start: apt-get install apache2-utils"))
        {
            File.WriteAllText(Path.Combine(_dir, "htpasswd"), await p.StandardOutput.ReadToEndAsync());
            await p.WaitForExitAsync();
            if (p.ExitCode != 0) throw new InvalidOperationException("htpasswd failed: " + await p.StandardError.ReadToEndAsync());
        }
        Registry = await RegistryProcess.StartAsync(_dir, "  htpasswd:\n    realm: devk8s-test\n    path: {dir}/htpasswd");
    }

    public Task DisposeAsync()
    {
        Registry?.Dispose();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }
}

public class BasicAuthRegistryTests(BasicAuthRegistryFixture fixture, ITestOutputHelper output) : IClassFixture<BasicAuthRegistryFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-basic-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string DockerConfig(string user, string password)
    {
        var path = Path.Combine(_dir, "config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        File.WriteAllText(path, new JsonObject { ["auths"] = new JsonObject { [$"http://{fixture.Registry.Host}"] = new JsonObject { ["auth"] = auth } } }.ToJsonString());
        return path;
    }

    private async Task<AssembledImage> PushAsync(RegistryClient client, string repository)
    {
        var file = Path.Combine(_dir, "hello.txt");
        File.WriteAllText(file, "hello from a basic-auth registry\n");
        using var layer = LayerBuilder.Build([new LayerFile(file, "/srv/hello.txt")]);
        return await new ImageAssembler(client).AssembleAsync(new AssembleRequest(TestRegistry.Busybox, ImageReference.Parse($"{fixture.Registry.Host}/{repository}:1"), layer));
    }

    [SkippableFact]
    public async Task Credentials_from_the_docker_config_push_and_pull()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = DockerConfigCredentials.Load(DockerConfig(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password)) });
        var pushed = await PushAsync(client, "team/basic");
        output.WriteLine($"pushed {pushed.PinnedReference}: {pushed.BytesUploaded} bytes, {pushed.BlobsUploaded} blobs uploaded (base copied across registries)");
        Assert.Equal(3, pushed.BlobsUploaded); // the busybox layer, copied from the cluster's registry, the new layer and the config
        var back = await client.GetManifestAsync(pushed.Image);
        Assert.Equal(pushed.Digest, back.Digest);
        var layers = JsonNode.Parse(back.Bytes)!["layers"]!.AsArray();
        Assert.Equal("hello from a basic-auth registry\n",
            Encoding.UTF8.GetString((await ClusterRegistryPushTests.FileInLayerAsync(client, pushed.Image, layers[^1]!["digest"]!.GetValue<string>(), "/srv/hello.txt"))!));
    }

    [SkippableFact]
    public async Task A_wrong_password_is_refused_with_the_user_and_what_to_do()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = DockerConfigCredentials.Load(DockerConfig(BasicAuthRegistryFixture.User, "wrong")) });
        var e = await Assert.ThrowsAsync<RegistryException>(() => PushAsync(client, "team/denied"));
        Assert.Equal(RegistryErrorKind.Unauthorized, e.Kind);
        Assert.Contains("user 'alice' were refused", e.Message);
        Assert.Contains($"docker login {fixture.Registry.Host}", e.Message);
        // A GET carries the registry's error JSON (a HEAD has no body).
        var get = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{fixture.Registry.Host}/team/denied:1")));
        Assert.Contains(get.Errors, x => x.Code == "UNAUTHORIZED");
        Assert.Contains("UNAUTHORIZED: authentication required", get.Message);
    }

    [SkippableFact]
    public async Task Without_credentials_the_error_says_to_log_in()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{fixture.Registry.Host}/team/basic:1")));
        Assert.Equal(RegistryErrorKind.Unauthorized, e.Kind);
        Assert.Contains($"docker login {fixture.Registry.Host}", e.Message);
        Assert.Contains("config.json", e.Message);
    }
}

/// <summary>
/// A second docker-registry configured with <c>auth: token</c>: its challenges send the client to a
/// token endpoint the test serves (<see cref="TokenServer"/>), whose RS256 JWTs the registry verifies
/// against the signer's certificate in its rootcertbundle: the spec's bearer flow end to end.
/// </summary>
public sealed class BearerRegistryFixture : IAsyncLifetime
{
    public const string User = "bob";
    public const string Password = "token-pass-7";
    public RegistryProcess Registry { get; private set; } = null!;
    public TokenServer Tokens { get; } = new(User, Password);
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-token-registry-").FullName;

    public async Task InitializeAsync()
    {
        if (DevK8s.Tests.Shared.TestCluster.OptedOut) return;
        File.WriteAllText(Path.Combine(_dir, "signer.pem"), Tokens.CertificatePem);
        Registry = await RegistryProcess.StartAsync(_dir,
            $"  token:\n    realm: {Tokens.Realm}\n    service: {TokenServer.Service}\n    issuer: {TokenServer.Issuer}\n    rootcertbundle: {{dir}}/signer.pem");
    }

    public Task DisposeAsync()
    {
        Registry?.Dispose();
        Tokens.Dispose();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }
}

public class BearerTokenRegistryTests(BearerRegistryFixture fixture, ITestOutputHelper output) : IClassFixture<BearerRegistryFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-bearer-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private RegistryClient Client(string user, string password) => new(new RegistryClientOptions
    {
        Credentials = new StaticCredentials(new Dictionary<string, RegistryCredential> { [fixture.Registry.Host] = new(user, password) }),
    });

    private async Task<AssembledImage> PushAsync(RegistryClient client, string repository)
    {
        var file = Path.Combine(_dir, "app");
        File.WriteAllText(file, "#!/bin/sh\necho bearer\n");
        using var layer = LayerBuilder.Build([new LayerFile(file, "/app/run")]);
        return await new ImageAssembler(client).AssembleAsync(new AssembleRequest(TestRegistry.Busybox, ImageReference.Parse($"{fixture.Registry.Host}/{repository}:1"), layer));
    }

    [SkippableFact]
    public async Task Push_gets_one_token_per_scope_from_the_realm_with_service_scope_and_basic_credentials()
    {
        await TestRegistry.RequireAsync();
        using var client = Client(BearerRegistryFixture.User, BearerRegistryFixture.Password);
        var before = fixture.Tokens.Requests.Count;
        var pushed = await PushAsync(client, "team/bearer");
        var back = await client.GetManifestAsync(pushed.Image);
        Assert.Equal(pushed.Digest, back.Digest);

        var requests = fixture.Tokens.Requests.Skip(before).ToList();
        foreach (var r in requests) output.WriteLine($"token request: service={r.Service} user={r.User} scope={string.Join(' ', r.Scopes)}");
        Assert.All(requests, r => Assert.Equal((TokenServer.Service, BearerRegistryFixture.User), (r.Service, r.User)));
        Assert.Equal(["repository:team/bearer:pull,push"], requests[0].Scopes);
        Assert.Equal(["repository:team/bearer:pull"], requests[1].Scopes);
        // Many registry calls, one token per distinct scope: push (HEAD, POST, PUT), then pull (GET manifest).
        Assert.Equal(2, requests.Count);
        Assert.Equal(2, client.TokenRequests);
    }

    [SkippableFact]
    public async Task The_token_service_refusing_the_password_names_the_user()
    {
        await TestRegistry.RequireAsync();
        using var client = Client(BearerRegistryFixture.User, "nope");
        var e = await Assert.ThrowsAsync<RegistryException>(() => PushAsync(client, "team/refused"));
        Assert.Equal(RegistryErrorKind.Unauthorized, e.Kind);
        Assert.Contains("token service", e.Message);
        Assert.Contains("user 'bob'", e.Message);
        Assert.Contains("UNAUTHORIZED: invalid user name or password", e.Message);
    }

    [SkippableFact]
    public async Task Anonymous_access_is_refused_with_docker_login_advice()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{fixture.Registry.Host}/team/bearer:1")));
        Assert.Equal(RegistryErrorKind.Unauthorized, e.Kind);
        Assert.Contains("anonymous access", e.Message);
        Assert.Contains($"docker login {fixture.Registry.Host}", e.Message);
    }
}
