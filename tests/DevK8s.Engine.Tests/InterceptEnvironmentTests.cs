using DevK8s.Engine.Intercept;
using Xunit;

namespace DevK8s.Engine.Tests;

/// <summary>The local process's environment: the service's variables, but this machine's toolchain and trust paths.</summary>
public class InterceptEnvironmentTests
{
    [Fact]
    public void Remote_toolchain_and_certificate_paths_never_replace_local_ones_and_devk8s_yaml_wins()
    {
        var remote = new Dictionary<string, string>
        {
            ["DB_URL"] = "postgres://db:5432", ["JAVA_HOME"] = "/usr/lib/jvm/container", ["CARGO_HOME"] = "/usr/local/cargo",
            ["PYTHONPATH"] = "/app", ["SSL_CERT_FILE"] = "/etc/ssl/container.pem", ["PATH"] = "/container/bin", ["GREETING"] = "remote",
        };
        var env = InterceptRunner.BuildEnvironment(remote, new Dictionary<string, string> { ["GREETING"] = "local" });
        Assert.Equal("postgres://db:5432", env["DB_URL"]);
        Assert.Equal("local", env["GREETING"]);
        foreach (var name in new[] { "JAVA_HOME", "CARGO_HOME", "PYTHONPATH", "SSL_CERT_FILE", "PATH" })
            Assert.Equal(Environment.GetEnvironmentVariable(name), env.GetValueOrDefault(name));
    }
}
