using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DevK8s.Engine.Tests.Image;

/// <summary>
/// A private instance of Debian's docker-registry on a free loopback port, configured by the test
/// (its auth section). Only the process started here is ever stopped.
/// </summary>
public sealed class RegistryProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    public string Directory { get; }
    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    public int Pid => _process.Id;

    private RegistryProcess(Process process, string directory, int port) => (_process, Directory, Port) = (process, directory, port);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <param name="authYaml">The config's <c>auth:</c> section, indented by two spaces under it; {dir} is replaced by the instance's folder.</param>
    public static async Task<RegistryProcess> StartAsync(string directory, string authYaml)
    {
        const string binary = "/usr/bin/docker-registry";
        if (!File.Exists(binary))
            throw new InvalidOperationException($"{binary} is missing: tests/cluster/up installs it (apt-get install docker-registry).");
        var port = FreePort();
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "data"));
        var config = Path.Combine(directory, "registry.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: {directory}/data
            http:
              addr: 127.0.0.1:{port}
            auth:
            {authYaml.Replace("{dir}", directory)}
            """);
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(config);
        var process = Process.Start(info)!;
        var registry = new RegistryProcess(process, directory, port);
        process.OutputDataReceived += (_, e) => { lock (registry._log) registry._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (registry._log) registry._log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited) break;
            try
            {
                using var r = await http.GetAsync($"http://{registry.Host}/v2/");
                return registry;
            }
            catch (HttpRequestException) { await Task.Delay(100); }
        }
        var log = registry.Log;
        registry.Dispose();
        throw new InvalidOperationException($"docker-registry on {registry.Host} did not answer within 10 s. Its output:\n{log}");
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
