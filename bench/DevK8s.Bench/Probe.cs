using System.Diagnostics;
using System.Text;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Exec;

namespace DevK8s.Bench;

/// <summary>
/// Watches from inside the container: told a token first, it polls the files until the token is
/// readable and answers at once over its open exec channel. The same probe times every method.
/// </summary>
internal sealed class Probe : IAsyncDisposable
{
    private const string Script = """
        while read -r want; do
          until grep -qF "$want" /app/d000/f000.txt /app/d000/f001.txt 2>/dev/null; do usleep 200 2>/dev/null || :; done
          echo "seen $want"
        done
        """;

    private readonly ExecChannel _channel;
    private readonly StreamReader _out;

    private Probe(ExecChannel channel) => (_channel, _out) = (channel, new StreamReader(channel.Stdout, Encoding.UTF8));

    public static async Task<Probe> OpenAsync(KubeTarget target, string pod) =>
        new(await ExecChannel.OpenAsync(target, pod, "web", ["sh", "-c", Script], CancellationToken.None));

    public async Task<double> TimeAsync(string token, Action change)
    {
        await _channel.Stdin.WriteAsync(Encoding.UTF8.GetBytes(token + "\n"));
        await Task.Delay(20); // the probe is polling before the change is made
        var stopwatch = Stopwatch.StartNew();
        change();
        while (await _out.ReadLineAsync() is { } line)
            if (line == "seen " + token) return stopwatch.Elapsed.TotalMilliseconds;
        throw new IOException("probe channel closed");
    }

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}
