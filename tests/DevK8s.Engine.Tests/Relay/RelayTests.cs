using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using DevK8s.Engine.Relay;
using Xunit;
using Xunit.Abstractions;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>
/// The C# relay client against the real Go agent on this machine, linked through the agent's own
/// "attach" process as the exec stream links them in a cluster. "Pod side" connections dial the
/// agent's app port; the "local process" is a TestServer the client dials.
/// </summary>
public class RelayTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LocalAgent _agent = null!;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));
    private CancellationToken Ct => _timeout.Token;

    public Task InitializeAsync()
    {
        _agent = new LocalAgent();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _timeout.Dispose();
    }

    private async Task<RelayClient> ConnectedClient(int localPort)
    {
        var client = _agent.Client(localPort, log: line => output.WriteLine(line));
        client.Start();
        await client.WaitConnectedAsync(Ct);
        return client;
    }

    [Fact]
    public async Task Hundred_concurrent_connections_each_reach_the_local_process_and_get_their_own_answer()
    {
        using var local = new TestServer(async s =>
        {
            var line = await new StreamReader(s).ReadLineAsync();
            await s.WriteAsync(Encoding.UTF8.GetBytes($"local answers {line}\n"));
        });
        await using var client = await ConnectedClient(local.Port);

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            using var c = await Net.ConnectAsync(_agent.AppPort, Ct);
            await c.GetStream().WriteAsync(Encoding.UTF8.GetBytes($"request-{i}\n"), Ct);
            return Encoding.UTF8.GetString(await Net.ReadAllAsync(c.GetStream(), Ct));
        }));

        for (var i = 0; i < 100; i++) Assert.Equal($"local answers request-{i}\n", answers[i]);
    }

    [Fact]
    public async Task Fifty_megabytes_up_and_down_at_once_arrive_intact_through_an_inbound_connection()
    {
        var up = Net.Random(50 << 20);
        var down = Net.Random(50 << 20);
        var receivedByLocal = new TaskCompletionSource<byte[]>();
        using var local = new TestServer(async s =>
        {
            var send = s.WriteAsync(down).AsTask();
            receivedByLocal.SetResult(SHA256.HashData(await Net.ReadAllAsync(s, Ct)));
            await send;
        });
        await using var client = await ConnectedClient(local.Port);

        var watch = Stopwatch.StartNew();
        using var pod = await Net.ConnectAsync(_agent.AppPort, Ct);
        var sending = Task.Run(async () => { await pod.GetStream().WriteAsync(up, Ct); pod.Client.Shutdown(SocketShutdown.Send); });
        var got = await Net.ReadAllAsync(pod.GetStream(), Ct);
        await sending;
        output.WriteLine($"100 MB relayed (50 each way at once) in {watch.ElapsedMilliseconds} ms");

        Assert.Equal(SHA256.HashData(up), await receivedByLocal.Task.WaitAsync(Ct));
        Assert.Equal(down.Length, got.Length);
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(got));
    }

    [Fact]
    public async Task Fifty_megabytes_up_and_down_arrive_intact_through_an_outbound_listener()
    {
        var down = Net.Random(50 << 20);
        var receivedByService = new TaskCompletionSource<byte[]>();
        // Stands for a cluster Service: the agent dials it, the local process reaches it through the listener.
        using var service = new TestServer(async s =>
        {
            var send = s.WriteAsync(down).AsTask();
            receivedByService.SetResult(SHA256.HashData(await Net.ReadAllAsync(s, Ct)));
            await send;
        });
        await using var client = await ConnectedClient(LocalAgent.FreePort());
        using var listener = client.Listen("127.0.0.1", service.Port);

        var up = Net.Random(50 << 20);
        using var process = await Net.ConnectAsync(listener.LocalEndPoint.Port, Ct);
        var sending = Task.Run(async () => { await process.GetStream().WriteAsync(up, Ct); process.Client.Shutdown(SocketShutdown.Send); });
        var got = await Net.ReadAllAsync(process.GetStream(), Ct);
        await sending;

        Assert.Equal(SHA256.HashData(up), await receivedByService.Task.WaitAsync(Ct));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(got));
    }

    [Fact]
    public async Task An_outbound_connection_to_an_address_nothing_serves_fails_within_a_second()
    {
        await using var client = await ConnectedClient(LocalAgent.FreePort());
        using var listener = client.Listen("127.0.0.1", LocalAgent.FreePort());
        await AssertFailsFast(listener.LocalEndPoint.Port);
        await AssertFailsFast(listener.LocalEndPoint.Port);
    }

    [Fact]
    public async Task Slow_readers_on_either_side_do_not_stall_another_connection()
    {
        var big = Net.Random(16 << 20);
        var releaseLocalReader = new TaskCompletionSource();
        var receivedByLocal = new TaskCompletionSource<byte[]>();
        using var local = new TestServer(async s =>
        {
            var mode = new byte[1];
            await s.ReadExactlyAsync(mode, Ct);
            switch ((char)mode[0])
            {
                case 'D': await s.WriteAsync(big, Ct); break; // the pod side will not read for a while
                case 'U':
                    await releaseLocalReader.Task; // this local process reads nothing for a while
                    receivedByLocal.SetResult(SHA256.HashData(await Net.ReadAllAsync(s, Ct)));
                    break;
                default: await s.CopyToAsync(s, Ct); break;
            }
        });
        await using var client = await ConnectedClient(local.Port);

        using var slowDown = await Net.ConnectAsync(_agent.AppPort, Ct);
        await slowDown.GetStream().WriteAsync("D"u8.ToArray(), Ct);
        using var slowUp = await Net.ConnectAsync(_agent.AppPort, Ct);
        await slowUp.GetStream().WriteAsync("U"u8.ToArray(), Ct);
        var upload = Task.Run(async () => { await slowUp.GetStream().WriteAsync(big, Ct); slowUp.Client.Shutdown(SocketShutdown.Send); });
        await Task.Delay(500, Ct); // both windows fill up and stay full

        var watch = Stopwatch.StartNew();
        using var fast = await Net.ConnectAsync(_agent.AppPort, Ct);
        await fast.GetStream().WriteAsync("Eping"u8.ToArray(), Ct);
        var answer = new byte[4];
        await fast.GetStream().ReadExactlyAsync(answer, Ct);
        output.WriteLine($"fast round trip beside two stalled 16 MB streams: {watch.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal("ping", Encoding.ASCII.GetString(answer));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"the fast connection took {watch.Elapsed}");
        Assert.False(upload.IsCompleted, "the upload finished although the local process read nothing: no backpressure");

        releaseLocalReader.SetResult();
        var gotDown = await Net.ReadAllAsync(slowDown.GetStream(), Ct);
        await upload.WaitAsync(Ct);
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(gotDown));
        Assert.Equal(SHA256.HashData(big), await receivedByLocal.Task.WaitAsync(Ct));
    }

    [Fact]
    public async Task A_killed_link_resets_open_connections_then_reconnects_and_new_requests_succeed()
    {
        var pattern = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789abcdef", 4096)));
        using var local = new TestServer(async s =>
        {
            var mode = new byte[1];
            await s.ReadExactlyAsync(mode, Ct);
            if (mode[0] == 'E') { await s.CopyToAsync(s, Ct); return; }
            while (true) await s.WriteAsync(pattern, Ct); // endless: the cut always lands mid-transfer
        });
        await using var client = await ConnectedClient(local.Port);
        using var pod = await Net.ConnectAsync(_agent.AppPort, Ct);
        await pod.GetStream().WriteAsync("F"u8.ToArray(), Ct);
        var first = new byte[64 * 1024];
        await pod.GetStream().ReadExactlyAsync(first, Ct);

        _agent.KillLink();

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(5));
        var ending = await Record.ExceptionAsync(async () =>
        {
            int n;
            while ((n = await pod.GetStream().ReadAsync(buffer, limit.Token)) > 0) received.Write(buffer, 0, n);
        });
        Assert.False(limit.IsCancellationRequested, "the cut connection hung instead of being reset");
        Assert.IsType<IOException>(ending); // a reset, not a clean end a reader could take as complete
        var tail = received.ToArray();
        for (var i = 0; i < tail.Length; i++)
            Assert.True(tail[i] == pattern[(first.Length + i) % pattern.Length], $"byte {i} after the cut is corrupted");

        var watch = Stopwatch.StartNew();
        while (client.Connections < 2) await Task.Delay(10, Ct);
        output.WriteLine($"reconnected {watch.ElapsedMilliseconds} ms after the link died");
        using var again = await Net.ConnectAsync(_agent.AppPort, Ct);
        await again.GetStream().WriteAsync("Eafter"u8.ToArray(), Ct);
        var answer = new byte[5];
        await again.GetStream().ReadExactlyAsync(answer, Ct);
        Assert.Equal("after", Encoding.ASCII.GetString(answer));
    }

    [Fact]
    public async Task A_link_gone_silent_is_dropped_within_three_keepalives_and_replaced()
    {
        using var local = new TestServer(async s =>
        {
            var mode = new byte[1];
            await s.ReadExactlyAsync(mode, Ct);
            if (mode[0] == 'E') { await s.CopyToAsync(s, Ct); return; }
            var chunk = new byte[1024];
            while (true) { await s.WriteAsync(chunk, Ct); await Task.Delay(5, Ct); }
        });
        StallableStream? last = null;
        var client = new RelayClient(async ct => last = new StallableStream(await _agent.ConnectAsync(ct)),
            new Dictionary<int, int> { [_agent.AppPort] = local.Port },
            // 500 ms: short enough for a quick test, long enough that a starved test machine is not "silent".
            new RelayOptions { Keepalive = TimeSpan.FromMilliseconds(500), MinBackoff = TimeSpan.FromMilliseconds(50) }, output.WriteLine);
        await using var _ = client;
        client.Start();
        await client.WaitConnectedAsync(Ct);
        using var open = await Net.ConnectAsync(_agent.AppPort, Ct);
        await open.GetStream().WriteAsync("F"u8.ToArray(), Ct);
        await open.GetStream().ReadExactlyAsync(new byte[4096], Ct);

        var watch = Stopwatch.StartNew();
        last!.Stall();
        while (client.Connections < 2)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "a silent link was not replaced");
            await Task.Delay(10, Ct);
        }
        output.WriteLine($"silent link replaced after {watch.ElapsedMilliseconds} ms");
        var cut = await Record.ExceptionAsync(async () => { while (await open.GetStream().ReadAsync(new byte[4096], Ct) > 0) { } });
        Assert.IsType<IOException>(cut);
        using var again = await Net.ConnectAsync(_agent.AppPort, Ct);
        await again.GetStream().WriteAsync("Eok"u8.ToArray(), Ct);
        var answer = new byte[2];
        await again.GetStream().ReadExactlyAsync(answer, Ct);
        Assert.Equal("ok", Encoding.ASCII.GetString(answer));
    }

    [Fact]
    public async Task Without_a_link_or_a_local_process_connections_fail_within_a_second_and_readiness_follows_the_link()
    {
        Assert.False(_agent.ReadinessAccepts(), "readiness passed before any client attached");
        await AssertFailsFast(_agent.AppPort);

        var log = new List<string>();
        var client = _agent.Client(LocalAgent.FreePort(), log: line => { lock (log) log.Add(line); }); // nothing listens there
        client.Start();
        await client.WaitConnectedAsync(Ct);
        Assert.True(_agent.ReadinessAccepts(), "readiness fails although a client is attached");
        await AssertFailsFast(_agent.AppPort);
        await AssertFailsFast(_agent.AppPort);
        lock (log) Assert.Single(log, l => l.Contains("is the local process running"));

        await client.DisposeAsync();
        var watch = Stopwatch.StartNew();
        while (_agent.ReadinessAccepts())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "readiness still passes after the client left");
            await Task.Delay(20, Ct);
        }
        await AssertFailsFast(_agent.AppPort);
    }

    [Fact]
    public async Task Opening_a_connection_costs_no_round_trip_of_its_own()
    {
        var oneWay = TimeSpan.FromMilliseconds(50);
        using var local = TestServer.Echo();
        var client = new RelayClient(async ct => new DelayedStream(await _agent.ConnectAsync(ct), oneWay),
            new Dictionary<int, int> { [_agent.AppPort] = local.Port }, new RelayOptions { Keepalive = TimeSpan.FromSeconds(1) });
        await using var _ = client;
        client.Start();
        await client.WaitConnectedAsync(Ct);

        var times = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            var watch = Stopwatch.StartNew();
            using var c = await Net.ConnectAsync(_agent.AppPort, Ct);
            await c.GetStream().WriteAsync("hello"u8.ToArray(), Ct);
            await c.GetStream().ReadExactlyAsync(new byte[5], Ct);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        output.WriteLine($"new connection + request + answer over a link with {2 * oneWay.TotalMilliseconds} ms round trip: median {median:0.0} ms");
        // One link round trip is the floor; an acknowledged open would add a second one.
        var roundTrip = 2 * oneWay.TotalMilliseconds;
        Assert.InRange(median, roundTrip, 1.5 * roundTrip);
    }

    [Fact]
    public async Task Relay_adds_well_under_four_milliseconds_per_round_trip_on_a_local_link()
    {
        using var local = TestServer.Echo();
        await using var client = await ConnectedClient(local.Port);
        var direct = await RoundTrips(local.Port);
        var relayed = await RoundTrips(_agent.AppPort);
        output.WriteLine($"2000 round trips, p50/p99 ms: direct {direct.P50:0.000}/{direct.P99:0.000}, relayed {relayed.P50:0.000}/{relayed.P99:0.000}");
        Assert.True(relayed.P50 - direct.P50 < 4, $"relay adds {relayed.P50 - direct.P50:0.000} ms at p50");
    }

    private async Task<(double P50, double P99)> RoundTrips(int port)
    {
        using var c = await Net.ConnectAsync(port, Ct);
        var s = c.GetStream();
        var message = new byte[100];
        var times = new double[2000];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await s.WriteAsync(message, Ct);
            await s.ReadExactlyAsync(message, Ct);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return (times[1000], times[1980]);
    }

    /// <summary>The connection must end in a reset or refusal within a second: no hang, no data.</summary>
    private async Task AssertFailsFast(int port)
    {
        var watch = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(1));
        var error = await Record.ExceptionAsync(async () =>
        {
            using var c = await Net.ConnectAsync(port, limit.Token);
            await c.GetStream().WriteAsync("hello"u8.ToArray(), limit.Token);
            var n = await c.GetStream().ReadAsync(new byte[16], limit.Token);
            Assert.Equal(0, n); // a clean close without data also counts as failing fast
        });
        Assert.False(limit.IsCancellationRequested, "the connection hung instead of failing fast");
        Assert.True(error is null or IOException or SocketException, $"unexpected {error}");
        output.WriteLine($"failed fast after {watch.Elapsed.TotalMilliseconds:0.0} ms ({error?.GetType().Name ?? "closed"})");
    }
}
