using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevK8s.Engine.Relay;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>
/// The agent running on this machine as it runs in a pod: "serve" on free ports, and a link that is
/// what the port-forward carries in a cluster, here the stdin and stdout of "devk8s-agent attach". Every
/// process started here is tracked by its own handle and stopped exactly.
/// </summary>
internal sealed class LocalAgent : IAsyncDisposable
{
    private readonly Process _serve;
    private readonly List<Process> _attaches = [];
    private readonly StringBuilder _log = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-relay-").FullName;

    public int AppPort { get; } = FreePort();
    public int ReadyPort { get; } = FreePort();
    public string Control => System.IO.Path.Combine(_dir, "agent.sock");
    public string Log { get { lock (_log) return _log.ToString(); } }

    public LocalAgent()
    {
        var info = new ProcessStartInfo(AgentBinary.Path, ["serve", "--bind", "127.0.0.1", "--control", Control, "--ready", ReadyPort.ToString(), "--keepalive", "1s", AppPort.ToString()])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        _serve = Process.Start(info)!;
        _serve.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _serve.BeginErrorReadLine();
        for (var end = DateTime.UtcNow.AddSeconds(10); !File.Exists(Control); Thread.Sleep(20))
            if (DateTime.UtcNow > end || _serve.HasExited) throw new InvalidOperationException("the agent did not start: " + Log);
    }

    /// <summary>The transport factory a RelayClient gets: each call is a fresh "attach" process.</summary>
    public Task<Stream> ConnectAsync(CancellationToken ct)
    {
        var attach = Process.Start(new ProcessStartInfo(AgentBinary.Path, ["attach", "--control", Control])
        { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        attach.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine("attach: " + e.Data); };
        attach.BeginErrorReadLine();
        lock (_attaches) _attaches.Add(attach);
        return Task.FromResult<Stream>(new DuplexStream(attach.StandardOutput.BaseStream, attach.StandardInput.BaseStream));
    }

    /// <summary>Cuts the link the way a dropped exec stream does: the attach process dies.</summary>
    public void KillLink()
    {
        lock (_attaches)
            foreach (var p in _attaches.Where(p => !p.HasExited)) p.Kill();
    }

    public RelayClient Client(int localPort, RelayOptions? options = null, Action<string>? log = null) =>
        new(ConnectAsync, new Dictionary<int, int> { [AppPort] = localPort },
            options ?? new RelayOptions { Keepalive = TimeSpan.FromSeconds(1), MinBackoff = TimeSpan.FromMilliseconds(50) }, log);

    public bool ReadinessAccepts()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try { socket.Connect(IPAddress.Loopback, ReadyPort); return true; }
        catch (SocketException) { return false; }
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        Process[] all;
        lock (_attaches) all = [.. _attaches, _serve];
        foreach (var p in all)
        {
            try { if (!p.HasExited) p.Kill(); await p.WaitForExitAsync(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        Directory.Delete(_dir, true);
    }
}
