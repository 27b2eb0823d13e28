using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using DevK8s.Engine.Exec;
using Xunit;

namespace DevK8s.Engine.Tests.Exec;

/// <summary>
/// The exec channel's demultiplexing against a WebSocket peer on loopback that speaks as the API
/// server does (v4.channel.k8s.io: a channel byte, then the data); the real API server is in the
/// cluster tests, where every sync, upload and probe goes through this channel.
/// </summary>
public sealed class ExecChannelTests : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private WebSocket _server = null!;
    private ExecChannel _channel = null!;

    private async Task OpenAsync()
    {
        _listener.Start();
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)_listener.LocalEndpoint).Port);
        var accepted = await _listener.AcceptTcpClientAsync();
        _server = WebSocket.CreateFromStream(accepted.GetStream(), isServer: true, subProtocol: null, keepAliveInterval: Timeout.InfiniteTimeSpan);
        _channel = new ExecChannel(WebSocket.CreateFromStream(client.GetStream(), isServer: false, subProtocol: null, keepAliveInterval: Timeout.InfiniteTimeSpan), "pod/main");
    }

    private Task SendAsync(byte channel, string text, bool endOfMessage = true) =>
        _server.SendAsync(new[] { channel }.Concat(Encoding.UTF8.GetBytes(text)).ToArray(), WebSocketMessageType.Binary, endOfMessage, default);

    private static async Task<string> ReadAllAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task Each_channel_gets_its_own_messages_in_order_and_the_status_gives_the_exit_code()
    {
        await OpenAsync();
        await SendAsync(1, "out 1\n");
        await SendAsync(2, "err 1\n");
        await SendAsync(1, "out 2\n");
        // A message sent in two frames still belongs to the channel its first byte named.
        await SendAsync(2, "err ", endOfMessage: false);
        await _server.SendAsync(Encoding.UTF8.GetBytes("2\n"), WebSocketMessageType.Binary, true, default);
        await SendAsync(3, """{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}""");
        await _server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);

        var stdout = ReadAllAsync(_channel.Stdout);
        var stderr = ReadAllAsync(_channel.Stderr);
        Assert.Equal(7, await _channel.WaitForExitAsync(default));
        Assert.Equal("out 1\nout 2\n", await stdout);
        Assert.Equal("err 1\nerr 2\n", await stderr);
    }

    [Fact]
    public async Task Stdin_writes_arrive_as_channel_zero_messages()
    {
        await OpenAsync();
        await _channel.Stdin.WriteAsync(Encoding.UTF8.GetBytes("hello"));
        var buffer = new byte[64];
        var r = await _server.ReceiveAsync(buffer, default);
        Assert.True(r.EndOfMessage);
        Assert.Equal(new byte[] { 0, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' }, buffer[..r.Count]);
    }

    [Fact]
    public async Task A_write_larger_than_a_message_goes_out_in_messages_of_at_most_1_MiB_each_in_order()
    {
        await OpenAsync();
        var payload = new byte[ExecInputStream.MaxMessage * 2 + 5];
        Random.Shared.NextBytes(payload);
        var write = _channel.Stdin.WriteAsync(payload).AsTask();
        var received = new List<byte>();
        var sizes = new List<int>();
        var buffer = new byte[ExecInputStream.MaxMessage + 1];
        while (received.Count < payload.Length)
        {
            var size = 0;
            ValueWebSocketReceiveResult r;
            do
            {
                r = await _server.ReceiveAsync(buffer.AsMemory(size), default);
                size += r.Count;
            } while (!r.EndOfMessage);
            Assert.Equal(0, buffer[0]);
            sizes.Add(size - 1);
            received.AddRange(buffer[1..size]);
        }
        await write;
        Assert.Equal([ExecInputStream.MaxMessage, ExecInputStream.MaxMessage, 5], sizes);
        Assert.Equal(payload, received.ToArray());
    }

    [Fact]
    public async Task A_pending_read_ends_when_its_token_is_cancelled()
    {
        await OpenAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var read = _channel.Stdout.ReadAsync(new byte[16], cancel.Token).AsTask();
        var finished = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.Same(read, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    [Fact]
    public async Task A_connection_that_drops_before_the_status_is_an_error_not_exit_code_zero()
    {
        await OpenAsync();
        await SendAsync(1, "partial");
        _server.Abort();
        _server.Dispose();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _channel.WaitForExitAsync(default));
        Assert.Contains("pod/main", error.Message);
        await _channel.Closed.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_write_under_way_fails_at_once_when_the_server_closes_without_reading_it()
    {
        // A deleted pod's exec: the server sends its close and reads no more, but keeps the TCP
        // connection open. A 64 MiB write cannot fit in the socket buffers, so it is still under way.
        await OpenAsync();
        var write = _channel.Stdin.WriteAsync(new byte[64 << 20]).AsTask();
        await Task.Delay(300);
        Assert.False(write.IsCompleted, "the write should be held up by the server not reading");
        await _server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await _channel.Closed.WaitAsync(TimeSpan.FromSeconds(5));

        var finished = await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.Same(write, finished);
        var error = await Assert.ThrowsAsync<IOException>(() => write);
        Assert.Contains("pod/main", error.Message);
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null) await _channel.DisposeAsync();
        _server?.Dispose();
        _listener.Stop();
    }
}
