using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Sync;
using Xunit;

namespace DevK8s.Engine.Tests.DevMode;

/// <summary>
/// The supervisor script run locally as the container runs it, under dash with GNU tools and under
/// busybox (what slim images ship), with restart requests sent the way the sync agent sends them.
/// </summary>
public sealed class RestartSupervisorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-supervisor-").FullName;
    private readonly List<Process> _started = [];

    private string State => Path.Combine(_dir, "state");

    public void Dispose()
    {
        foreach (var p in _started)
        {
            // Exactly the processes this test started; TERM lets the supervisor end its own group.
            try { if (!p.HasExited) { Signal(p.Id, "TERM"); if (!p.WaitForExit(8000)) p.Kill(); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        Directory.Delete(_dir, true);
    }

    public static TheoryData<string> Toolsets => new() { "gnu", "busybox" };

    private ProcessStartInfo Shell(string toolset, bool withSetsid = true)
    {
        if (toolset == "gnu") return new ProcessStartInfo("/bin/sh") { Environment = { ["DEVK8S_STATE"] = State } };
        Assert.True(File.Exists("/bin/busybox"), "busybox-static is installed by tests/cluster/up; run it first");
        var bin = Path.Combine(_dir, "bin-" + (withSetsid ? "busybox" : "nosetsid"));
        if (!Directory.Exists(bin))
        {
            Directory.CreateDirectory(bin);
            foreach (var applet in new[] { "sh", "kill", "sleep", "mkdir", "cat", "echo", "rm", "head", "tar", "find", "md5sum", "[" }.Concat(withSetsid ? ["setsid"] : []))
                File.CreateSymbolicLink(Path.Combine(bin, applet), "/bin/busybox");
        }
        return new ProcessStartInfo(Path.Combine(bin, "sh")) { Environment = { ["PATH"] = bin, ["DEVK8S_STATE"] = State } };
    }

    private Process StartSupervisor(ProcessStartInfo shell, int grace, string childScript)
    {
        shell.RedirectStandardError = true;
        shell.RedirectStandardOutput = true;
        foreach (var a in RestartSupervisor.Wrap(["sh", "-c", childScript], grace).Skip(1)) shell.ArgumentList.Add(a);
        var process = Process.Start(shell)!;
        _started.Add(process);
        _ = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }

    private SyncAgent StartAgent(ProcessStartInfo shell)
    {
        shell.RedirectStandardInput = true;
        shell.RedirectStandardOutput = true;
        shell.RedirectStandardError = true;
        shell.ArgumentList.Add("-c");
        shell.ArgumentList.Add(SyncAgent.ShellScript);
        var process = Process.Start(shell)!;
        _started.Add(process);
        _ = process.StandardError.ReadToEndAsync();
        return new SyncAgent(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, process.WaitForExitAsync(), "local");
    }

    private static void Signal(int pid, string signal) => Process.Start("/bin/kill", ["-" + signal, pid.ToString()])!.WaitForExit();

    private static bool Alive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1][0] != 'Z';

    private string Read(string file) => File.Exists(Path.Combine(_dir, file)) ? File.ReadAllText(Path.Combine(_dir, file)).Trim() : "";

    private static string WaitFor(Func<string> probe, Func<string, bool> done, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var value = probe();
            if (done(value)) return value;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"condition not met after {seconds}s; last value: '{probe()}'");
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try { client.Connect(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task A_restart_ends_the_grandchild_that_holds_the_port_so_the_new_one_can_bind_it(string toolset)
    {
        var port = FreePort();
        // The app starts a server in the background and waits, as dev servers with a watcher do.
        var child = $"/bin/busybox httpd -f -p 127.0.0.1:{port} -h {_dir} & echo $! > {_dir}/server.pid; echo $$ > {_dir}/child.pid; wait";
        StartSupervisor(Shell(toolset), grace: 5, child);
        var server1 = int.Parse(WaitFor(() => Read("server.pid"), v => v.Length > 0));
        var child1 = Read("child.pid");
        WaitFor(() => Listening(port).ToString(), v => v == "True");

        await using var agent = StartAgent(Shell(toolset));
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, await agent.RestartAsync(default));

        var child2 = WaitFor(() => Read("child.pid"), v => v.Length > 0 && v != child1);
        var server2 = int.Parse(WaitFor(() => Read("server.pid"), v => v.Length > 0 && v != server1.ToString()));
        Assert.False(Alive(server1), "the grandchild of the first run must be gone");
        Assert.True(Alive(server2), "the new server must have bound the same port (the old one released it)");
        WaitFor(() => Listening(port).ToString(), v => v == "True");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4.5), $"a process that obeys TERM restarts at once, took {clock.Elapsed}");
        Assert.NotEqual(child1, child2);
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task A_group_that_ignores_TERM_is_killed_after_the_grace(string toolset)
    {
        // Ignored signals are inherited: the grandchild ignores TERM too.
        var child = $"trap '' TERM; sleep 60 & echo $! > {_dir}/grandchild.pid; echo $$ > {_dir}/child.pid; while :; do sleep 1; done";
        StartSupervisor(Shell(toolset), grace: 2, child);
        var grandchild = int.Parse(WaitFor(() => Read("grandchild.pid"), v => v.Length > 0));
        var child1 = Read("child.pid");

        await using var agent = StartAgent(Shell(toolset));
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, await agent.RestartAsync(default));
        WaitFor(() => Read("child.pid"), v => v.Length > 0 && v != child1);
        var took = clock.Elapsed;

        Assert.False(Alive(grandchild), "KILL must reach the grandchild");
        Assert.InRange(took.TotalSeconds, 1.8, 10); // the 2 s grace, then KILL
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public void Stopping_the_pod_ends_the_whole_group_and_the_supervisor(string toolset)
    {
        var child = $"sleep 60 & echo $! > {_dir}/grandchild.pid; wait";
        var supervisor = StartSupervisor(Shell(toolset), grace: 5, child);
        var grandchild = int.Parse(WaitFor(() => Read("grandchild.pid"), v => v.Length > 0));

        Signal(supervisor.Id, "TERM"); // what the kubelet sends PID 1
        Assert.True(supervisor.WaitForExit(5000), "the supervisor must exit on TERM");
        Assert.Equal(143, supervisor.ExitCode);
        WaitFor(() => Alive(grandchild).ToString(), v => v == "False", 3);
    }

    [Fact]
    public async Task Without_setsid_in_the_image_a_restart_still_restarts_the_process()
    {
        var child = $"echo $$ > {_dir}/child.pid; while :; do sleep 1; done";
        StartSupervisor(Shell("busybox", withSetsid: false), grace: 5, child);
        var child1 = WaitFor(() => Read("child.pid"), v => v.Length > 0);
        await using var agent = StartAgent(Shell("busybox", withSetsid: false));
        Assert.Equal(0, await agent.RestartAsync(default));
        // TERM first; KILL after the 5 s grace would also do: this test is about the restart happening at all.
        WaitFor(() => Read("child.pid"), v => v.Length > 0 && v != child1, 15);
        Assert.False(Alive(int.Parse(child1)));
    }

    /// <summary>
    /// Requests back to back, as a build that finishes twice in a row sends them: each one may land
    /// while the previous restart is still starting the process (before the supervisor knows its PID),
    /// and the last one must still be honoured: a process starts after it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task Restart_requests_back_to_back_all_take_effect_the_last_process_starts_after_the_last_request(string toolset)
    {
        var child = $"echo \"start $(cat {_dir}/marker) $$\" >> {_dir}/starts.log; while :; do sleep 1; done";
        File.WriteAllText(Path.Combine(_dir, "marker"), "0");
        StartSupervisor(Shell(toolset), grace: 5, child);
        WaitFor(() => Read("starts.log"), v => v.Length > 0);
        await using var agent = StartAgent(Shell(toolset));
        const int requests = 25;
        for (var i = 1; i <= requests; i++)
        {
            File.WriteAllText(Path.Combine(_dir, "marker"), i.ToString());
            Assert.Equal(0, await agent.RestartAsync(default));
        }
        WaitFor(() => Read("starts.log").Split('\n')[^1], v => v.StartsWith($"start {requests} ", StringComparison.Ordinal), 10);
        // Every process but the last was ended.
        var pids = Read("starts.log").Split('\n').Select(l => int.Parse(l.Split(' ')[2])).ToList();
        Assert.True(Alive(pids[^1]), "the last process must run");
        Assert.All(pids.SkipLast(1), pid => Assert.False(Alive(pid), $"{pid} outlived its restart"));
    }

    /// <summary>The form the script uses for a process group, in the two shells' own kill builtins.</summary>
    [Theory]
    [MemberData(nameof(Toolsets))]
    public void Both_shells_accept_kill_SIG_minus_PGID(string toolset)
    {
        var shell = Shell(toolset);
        shell.RedirectStandardOutput = true;
        shell.ArgumentList.Add("-c");
        shell.ArgumentList.Add("setsid sleep 30 & g=$!; sleep 0.2; kill -0 -$g && kill -TERM -$g && echo sent; sleep 0.2; kill -0 $g 2>/dev/null && echo alive; wait");
        using var process = Process.Start(shell)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal("sent", output);
    }

    /// <summary>Kubernetes expands $(VAR) and $$ in a container command: the script must survive that unchanged.</summary>
    [Fact]
    public void The_script_has_nothing_Kubernetes_would_expand()
    {
        Assert.DoesNotContain("$$", RestartSupervisor.Script);
        Assert.DoesNotMatch(@"\$\([A-Za-z_][A-Za-z0-9_]*\)", RestartSupervisor.Script);
    }

    [Fact]
    public void Unwrap_gives_back_the_original_argv_and_IsWrapped_recognises_both_overloads()
    {
        string[] argv = ["node", "server.js", "--port", "8080"];
        Assert.Equal(argv, RestartSupervisor.Unwrap(RestartSupervisor.Wrap(argv)));
        Assert.Equal(argv, RestartSupervisor.Unwrap(RestartSupervisor.Wrap(argv, 12)));
        Assert.Equal("12", RestartSupervisor.Wrap(argv, 12)[4]);
        Assert.True(RestartSupervisor.IsWrapped(RestartSupervisor.Wrap(argv)));
        Assert.Null(RestartSupervisor.Unwrap(argv));
        Assert.Null(RestartSupervisor.Unwrap(null));
    }
}
