using DevK8s.Engine.Cluster;
using Xunit;

namespace DevK8s.Engine.Tests.Cluster;

/// <summary>
/// kubeconfig credential plugins (users[].user.exec) reach the plugin with their arguments whole; on
/// Windows a .cmd plugin runs through cmd (the real run is in the Windows leg: ExecPluginTests there).
/// </summary>
public class ExecPluginTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s exec plugin ").FullName; // a space in the plugin's path too

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_plugin_gets_each_argument_whole_and_its_token_is_used()
    {
        var plugin = Path.Combine(_dir, "kube login");
        var record = Path.Combine(_dir, "args.txt");
        File.WriteAllText(plugin, $$$"""
            #!/bin/sh
            printf '%s\n' "$@" > '{{{record}}}'
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-for-%s"}}' "$2"
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var kubeconfig = Path.Combine(_dir, "config");
        File.WriteAllText(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]
            contexts: [{ name: dev, context: { cluster: c, user: u } }]
            users:
              - name: u
                user:
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: "./kube login"
                    args: ["--cluster", "my cluster", "a\"quote", "", "back\\slash\\"]
            """);
        using var target = KubeTarget.Open(new KubeTargetOptions(KubeconfigPath: kubeconfig));
        Assert.Equal(new[] { "--cluster", "my cluster", "a\"quote", "", "back\\slash\\" }, File.ReadAllText(record).Split('\n')[..^1]);
        Assert.Equal("token-for-my cluster", target.Configuration.AccessToken);
    }

    [Fact]
    public void On_Windows_a_cmd_plugin_found_through_PATHEXT_runs_through_ComSpec_with_cmd_quoting()
    {
        const string comSpec = @"C:\Windows\System32\cmd.exe";
        static string? Resolve(string name) => name switch
        {
            "gcloud" => @"C:\Program Files\Google\Cloud SDK\bin\gcloud.cmd",
            "kubelogin" => @"C:\Users\me\bin\kubelogin.exe",
            _ => null,
        };
        var (command, args) = ExecPlugins.Launch("gcloud", ["config", "config-helper", "--format=json", "a b"], windows: true, Resolve, comSpec);
        Assert.Equal(comSpec, command);
        Assert.Equal(["/d /s /c \"\"C:\\Program Files\\Google\\Cloud SDK\\bin\\gcloud.cmd\" config config-helper --format=json \"a b\"\""], args);

        (command, args) = ExecPlugins.Launch("kubelogin", ["get-token", "--server-id", "a b"], windows: true, Resolve, comSpec);
        Assert.Equal(@"C:\Users\me\bin\kubelogin.exe", command);
        Assert.Equal(["get-token --server-id \"a b\""], args);
    }
}
