using System.Collections.Concurrent;
using System.Diagnostics;
using DevK8s.Engine.Local;
using DevK8s.Engine.Logs;
using Xunit;

namespace DevK8s.Engine.Tests.Local;

/// <summary>The one local process runner: groups without the setsid program, timeouts, tree kill, output as log records.</summary>
public sealed class ProcessRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-runner-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Sink : ILogSink
    {
        public ConcurrentQueue<DevLogRecord> Records { get; } = new();
        public void Write(DevLogRecord record) => Records.Enqueue(record);
    }

    private static ProcessSpec Sh(string script, IReadOnlyDictionary<string, string>? env = null, string? dir = null) =>
        new(["/bin/sh", "-c", script]) { Environment = env, WorkingDirectory = dir };

    private static bool Alive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1][0] != 'Z';

    private static string[] Stat(int pid) => File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].Split(' ');

    private int ReadPid(string file, int seconds = 10)
    {
        var path = Path.Combine(_dir, file);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var pid)) return pid;
            Thread.Sleep(20);
        }
        throw new TimeoutException($"{file} was not written");
    }

    private static void WaitGone(int pid, int seconds = 5)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Alive(pid)) { if (DateTime.UtcNow > deadline) throw new TimeoutException($"{pid} still runs"); Thread.Sleep(20); }
    }

    [Fact]
    public async Task Output_exit_code_working_directory_and_exactly_the_given_environment()
    {
        var env = new Dictionary<string, string> { ["ONLY"] = "this", ["PATH"] = "/usr/bin:/bin" };
        var result = await ProcessRunner.RunAsync(Sh("pwd; echo \"ONLY=$ONLY HOME=$HOME\"; echo oops >&2; exit 3", env, _dir), TimeSpan.FromSeconds(10), default);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal($"{_dir}\nONLY=this HOME=\n", result.Stdout);
        Assert.Equal("oops\n", result.Stderr);
    }

    [Fact]
    public async Task Starts_without_the_setsid_program_and_resets_the_signals_the_runtime_ignores()
    {
        // PATH has no setsid (nor anything else): the group comes from posix_spawn itself.
        var env = new Dictionary<string, string> { ["PATH"] = "/nonexistent" };
        var result = await ProcessRunner.RunAsync(new ProcessSpec(["/bin/sh", "-c", "while read -r k v; do [ \"$k\" = SigIgn: ] && echo $v; done < /proc/$$/status; :"]) { Environment = env },
            TimeSpan.FromSeconds(10), default);
        Assert.Equal(0, result.ExitCode);
        // .NET ignores SIGPIPE in its own process; a child must get the default back (bit 13 = 0x1000).
        Assert.Equal(0UL, Convert.ToUInt64(result.Stdout.Trim(), 16) & 0x1000UL);
    }

    [Fact]
    public async Task A_started_process_is_its_group_leader()
    {
        var log = new Sink();
        await using var process = ProcessRunner.Start(Sh("sleep 30"), "svc", log);
        var stat = Stat(process.Pid);
        Assert.Equal(process.Pid.ToString(), stat[2]); // state, ppid, pgrp
        Assert.NotEqual(Environment.ProcessId.ToString(), stat[2]);
    }

    [Fact]
    public async Task A_timeout_stops_the_whole_tree_and_is_ProcessTimedOut_with_the_last_output()
    {
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<LocalProcessException>(() => ProcessRunner.RunAsync(
            Sh($"sleep 60 & echo $! > {_dir}/gc; echo waiting; wait"), TimeSpan.FromSeconds(1), default));
        Assert.Equal(LocalProcessException.TimedOut, error.ErrorId);
        Assert.Contains("did not finish within 1 s", error.Message);
        Assert.Contains("waiting", error.Message);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10); // 1 s, then TERM; the upper bound only says it did not hang
        WaitGone(ReadPid("gc"));
    }

    [Fact]
    public async Task Cancellation_stops_the_tree_and_throws_OperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var run = ProcessRunner.RunAsync(Sh($"sleep 60 & echo $! > {_dir}/gc; wait"), TimeSpan.FromSeconds(60), cts.Token);
        var grandchild = ReadPid("gc");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        WaitGone(grandchild);
    }

    [Fact]
    public async Task Stop_reaches_a_re_parented_grandchild_and_kills_what_ignores_TERM_after_the_grace()
    {
        var log = new Sink();
        // The intermediate shell exits at once: the grandchild is re-parented, out of reach of a parent-child walk.
        await using var process = ProcessRunner.Start(Sh($"sh -c 'trap \"\" TERM; sleep 60 & echo $! > {_dir}/gc'; trap '' TERM; echo up; exec sleep 60"), "svc", log);
        var grandchild = ReadPid("gc");
        // "up" comes after the trap: only then does the process really ignore TERM (a loaded machine is slow to get there).
        var ready = Stopwatch.StartNew();
        while (!log.Records.Any(r => r.Message == "up") && ready.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
        var clock = Stopwatch.StartNew();
        await process.StopAsync(TimeSpan.FromSeconds(1));
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 10); // the 1 s grace, then KILL
        WaitGone(grandchild);
        Assert.Equal(128 + 9, await process.Exited);
    }

    [Fact]
    public async Task A_long_running_process_streams_each_line_as_a_local_log_record()
    {
        var log = new Sink();
        await using var process = ProcessRunner.Start(Sh("echo one; echo two >&2; exit 5"), "api", log);
        Assert.Equal(5, await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new[] { ("stdout", "one"), ("stderr", "two") }, log.Records.Select(r => (r.Stream, r.Message)).OrderBy(r => r.Message == "two"));
        Assert.All(log.Records, r => Assert.Equal(("api", LogSource.Local), (r.Service, r.Source)));
        Assert.Equal(new[] { "one", "two" }, process.LastLines.Order());
    }

    [Fact]
    public async Task Input_reaches_stdin_and_output_comes_back_exactly_as_written()
    {
        // git -z listings and credential helpers need both: NULs, CR LF and a last line without a break survive.
        var result = await ProcessRunner.RunAsync(Sh("cat; printf 'x\\000y\\r\\nz'") with { Input = "héllo\nwörld" }, TimeSpan.FromSeconds(10), default);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("héllo\nwörldx\0y\r\nz", result.Stdout);
    }

    [Fact]
    public async Task Input_the_program_never_reads_does_not_hold_up_the_run()
    {
        var result = await ProcessRunner.RunAsync(Sh("exit 4") with { Input = new string('x', 4 << 20) }, TimeSpan.FromSeconds(10), default)
            .WaitAsync(TimeSpan.FromSeconds(8));
        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public async Task Without_input_stdin_is_empty()
    {
        var result = await ProcessRunner.RunAsync(Sh("wc -c"), TimeSpan.FromSeconds(10), default);
        Assert.Equal("0", result.Stdout.Trim());
    }

    [Fact]
    public async Task Log_records_are_the_lines_a_terminal_would_show()
    {
        var log = new Sink();
        await using var process = ProcessRunner.Start(Sh("printf 'one\\r\\ntwo\\rthree\\n\\nlast'"), "api", log);
        Assert.Equal(0, await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)));
        for (var i = 0; i < 100 && log.Records.Count < 5; i++) await Task.Delay(20); // the pumps finish reading after the exit
        Assert.Equal(new[] { "one", "two", "three", "", "last" }, log.Records.Select(r => r.Message));
    }

    [Fact]
    public async Task A_missing_program_or_folder_has_its_own_id()
    {
        var program = await Assert.ThrowsAsync<LocalProcessException>(() => ProcessRunner.RunAsync(new ProcessSpec(["/no/such/program"]), TimeSpan.FromSeconds(5), default));
        Assert.Equal(LocalProcessException.ProgramNotFound, program.ErrorId);
        var folder = await Assert.ThrowsAsync<LocalProcessException>(() => ProcessRunner.RunAsync(Sh("true", dir: Path.Combine(_dir, "missing")), TimeSpan.FromSeconds(5), default));
        Assert.Equal(LocalProcessException.WorkingDirectoryNotFound, folder.ErrorId);
        Assert.Contains("missing", folder.Message);
    }
}
