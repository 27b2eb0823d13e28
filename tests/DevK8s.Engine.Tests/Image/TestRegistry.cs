using DevK8s.Engine.Image;
using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

/// <summary>
/// The test cluster's registry (127.0.0.1:5000, started by tests/cluster/up) with the base images
/// tests/cluster/local-registry-hosting pushes. Like every cluster-backed test, these fail with
/// what to run when it is missing, and are skipped only with DEVK8S_TEST_NO_CLUSTER=1.
/// </summary>
internal static class TestRegistry
{
    public const string Host = "127.0.0.1:5000";
    public static readonly ImageReference Bookworm = ImageReference.Parse($"{Host}/devk8s-base/bookworm:1");
    public static readonly ImageReference Busybox = ImageReference.Parse($"{Host}/devk8s-base/busybox:1");

    private static readonly Lazy<Task<string?>> Problem = new(CheckAsync);

    public static async Task RequireAsync()
    {
        Skip.If(TestCluster.OptedOut, "DEVK8S_TEST_NO_CLUSTER=1: registry-backed test not run");
        if (await Problem.Value is { } problem) throw new InvalidOperationException(problem);
    }

    private static async Task<string?> CheckAsync()
    {
        using var client = new RegistryClient();
        try
        {
            await client.GetManifestAsync(Bookworm);
            await client.GetManifestAsync(Busybox);
            return null;
        }
        catch (RegistryException e) when (e.Kind == RegistryErrorKind.NotFound)
        {
            return $"The base images are not in the test registry ({e.Message}). Run: tests/cluster/local-registry-hosting";
        }
        catch (RegistryException e)
        {
            return $"The test cluster's registry at {Host} does not answer ({e.Message}). Start it with: tests/cluster/up";
        }
    }

    public static string NewRepository(string purpose) => $"devk8s-test/{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
}
