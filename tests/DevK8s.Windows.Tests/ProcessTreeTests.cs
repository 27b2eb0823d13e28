using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using DevK8s.Engine.Local;
using Xunit;

namespace DevK8s.Windows.Tests;

/// <summary>
/// Process trees on Windows: everything the local process starts is in its job from its first
/// instruction, a stop is Ctrl+Break to its process group and the job's end after the grace (as TERM
/// then KILL on Linux), the console's Ctrl+C stays with DevK8s, and the child inherits its pipes only.
/// The children are this test executable in a child mode (Program.cs).
/// </summary>
public partial class ProcessTreeTests
{
    private static Dictionary<string, string> Environment_() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");

    private static ProcessTree Start(params string[] argv) => ProcessTree.Start(argv, AppContext.BaseDirectory, Environment_());

    private static async Task<string> LineAsync(StreamReader reader)
    {
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(line);
        return line!.Trim();
    }

    [Fact]
    public async Task A_grandchild_started_at_once_and_orphaned_by_the_child_is_stopped_with_the_tree()
    {
        using var tree = Start(Program.ChildArgv("spawn-grandchild"));
        var line = await LineAsync(tree.StandardOutput);
        Assert.StartsWith("grandchild ", line);
        Assert.Equal(0, await tree.Exited.WaitAsync(TimeSpan.FromSeconds(30)));
        using var grandchild = Process.GetProcessById(int.Parse(line["grandchild ".Length..]));
        try
        {
            Assert.False(grandchild.HasExited, "the grandchild should still run after its parent left");
            // As on Linux, where the process group outlives its leader: the tree is alive while a descendant runs.
            Assert.True(tree.Alive, "Alive is false while the orphaned grandchild still runs");
            await tree.KillAsync(TimeSpan.FromSeconds(1));
            Assert.True(grandchild.WaitForExit(TimeSpan.FromSeconds(5)), "the orphaned grandchild survived KillAsync");
            Assert.False(tree.Alive);
        }
        finally
        {
            if (!grandchild.HasExited) grandchild.Kill(); // by the PID this test started, never by name
        }
    }

    // The grace, with the stop request as a file the child watches: Wine 8 delivers no console
    // control events (GenerateConsoleCtrlEvent fails: its condrv ioctl is not implemented), so under
    // Wine these show the waiting and the job's termination, and the Needs=console-events tests below
    // show the same with a real Ctrl+Break on Windows.

    [Fact]
    public Task A_child_that_handles_the_stop_request_finishes_its_cleanup_within_the_grace() => HandledStopAsync(realCtrlBreak: false);

    [Fact]
    public Task A_child_that_ignores_the_stop_request_is_killed_when_the_grace_ends() => IgnoredStopAsync(realCtrlBreak: false);

    [Fact]
    [Trait("Needs", "console-events")]
    public Task A_child_that_handles_Ctrl_Break_finishes_its_cleanup_within_the_grace() => HandledStopAsync(realCtrlBreak: true);

    [Fact]
    [Trait("Needs", "console-events")]
    public Task A_child_that_ignores_Ctrl_Break_is_killed_when_the_grace_ends() => IgnoredStopAsync(realCtrlBreak: true);

    [Fact]
    public async Task When_no_stop_request_can_be_sent_the_tree_is_ended_at_once_not_after_the_grace()
    {
        var stop = Path.Combine(Directory.CreateTempSubdirectory("devk8s-stop-").FullName, "stop");
        using var tree = Start(Program.ChildArgv("ignore-stop", stop));
        tree.RequestStop = () => false; // this process has no console: Ctrl+Break cannot be sent
        Assert.Equal("ready", await LineAsync(tree.StandardOutput));
        var clock = Stopwatch.StartNew();
        await tree.KillAsync(TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the stop took {clock.Elapsed}");
        await tree.Exited.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(tree.Alive);
    }

    private static async Task HandledStopAsync(bool realCtrlBreak)
    {
        var dir = Directory.CreateTempSubdirectory("devk8s-stop-").FullName;
        var (file, stop) = (Path.Combine(dir, "cleanup.txt"), Path.Combine(dir, "stop"));
        using var tree = Start(Program.ChildArgv("cleanup-on-stop", file, "700", stop));
        if (!realCtrlBreak) tree.RequestStop = () => { File.WriteAllText(stop, ""); return true; };
        Assert.Equal("ready", await LineAsync(tree.StandardOutput));
        var clock = Stopwatch.StartNew();
        await tree.KillAsync(TimeSpan.FromSeconds(8));
        clock.Stop();
        Assert.True(tree.Exited.IsCompleted, "KillAsync returned before the child ended");
        Assert.Equal(0, await tree.Exited); // its own exit after the clean-up, not the job's termination
        Assert.Equal("cleaned up", File.ReadAllText(file));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(600), $"returned after {clock.Elapsed}, before the clean-up could finish");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"waited {clock.Elapsed}: KillAsync did not notice the child had ended");
    }

    private static async Task IgnoredStopAsync(bool realCtrlBreak)
    {
        var stop = Path.Combine(Directory.CreateTempSubdirectory("devk8s-stop-").FullName, "stop");
        using var tree = Start(Program.ChildArgv("ignore-stop", stop));
        if (!realCtrlBreak) tree.RequestStop = () => { File.WriteAllText(stop, ""); return true; };
        Assert.Equal("ready", await LineAsync(tree.StandardOutput));
        var grace = TimeSpan.FromSeconds(2);
        var clock = Stopwatch.StartNew();
        await tree.KillAsync(grace);
        clock.Stop();
        Assert.True(clock.Elapsed >= grace, $"killed after {clock.Elapsed}, before the {grace} grace");
        Assert.True(clock.Elapsed < grace + TimeSpan.FromSeconds(2), $"killed after {clock.Elapsed}, long after the {grace} grace");
        Assert.NotEqual(0, await tree.Exited.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(tree.Alive);
        // The request did arrive (the child said so): the grace was for a child that had been asked to stop.
        Assert.Equal("ignored the stop request", await LineAsync(tree.StandardOutput));
    }

    [Fact]
    public async Task A_local_process_starts_with_the_consoles_Ctrl_C_ignored_and_an_ordinary_child_does_not()
    {
        // What Wine shows of item 2: the flag Windows checks before it runs a Ctrl+C handler. The
        // control (an ordinary Process.Start child) shows the flag is not simply inherited from here.
        using var tree = Start(Program.ChildArgv("ctrl-c-ignored"));
        Assert.Equal("ctrl-c ignored", await LineAsync(tree.StandardOutput));
        using var control = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, "--child ctrl-c-ignored") { UseShellExecute = false, RedirectStandardOutput = true })!;
        Assert.Equal("ctrl-c delivered", await LineAsync(control.StandardOutput));
    }

    [Fact]
    [Trait("Needs", "console-events")]
    public async Task Ctrl_C_in_the_console_does_not_reach_a_local_process()
    {
        // A control started the ordinary way shows the Ctrl+C was really delivered to this console.
        using var control = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, "--child sleep") { UseShellExecute = false, RedirectStandardOutput = true })!;
        using var tree = Start(Program.ChildArgv("sleep"));
        Assert.Equal("ready", await LineAsync(tree.StandardOutput));
        Assert.Equal("ready", await LineAsync(control.StandardOutput));
        try
        {
            // This test process ignores the Ctrl+C it sends itself (the runner would cancel the run),
            // set after both children started so neither inherits the setting.
            Assert.True(SetConsoleCtrlHandler(IntPtr.Zero, true));
            try
            {
                Assert.True(GenerateConsoleCtrlEvent(0 /* CTRL_C_EVENT */, 0), $"GenerateConsoleCtrlEvent: Win32 error {Marshal.GetLastPInvokeError()}");
                Assert.True(control.WaitForExit(TimeSpan.FromSeconds(10)), "the control process did not get the console's Ctrl+C");
                await Task.Delay(1000); // the local process got the same event; give it time to act on it
            }
            finally { SetConsoleCtrlHandler(IntPtr.Zero, false); }
            Assert.False(tree.Exited.IsCompleted, $"the local process ended on the console's Ctrl+C (exit code {(tree.Exited.IsCompleted ? tree.Exited.Result : 0)})");
        }
        finally
        {
            if (!control.HasExited) control.Kill();
            await tree.KillAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task The_child_inherits_its_pipes_and_no_other_handle_of_this_process()
    {
        // An inheritable pipe of this process, as another component might hold at that moment:
        // were it inherited, the long-running child would keep its write end open and the read
        // below would not see end-of-file until the child dies.
        using var other = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
        using var tree = Start(Program.ChildArgv("sleep"));
        Assert.Equal("ready", await LineAsync(tree.StandardOutput));
        other.DisposeLocalCopyOfClientHandle();
        try
        {
            var read = other.ReadAsync(new byte[1]).AsTask();
            var finished = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5)));
            Assert.True(finished == read, "the child inherited an unrelated inheritable handle of this process");
            Assert.Equal(0, await read);
        }
        finally { await tree.KillAsync(TimeSpan.Zero); }
    }

    [Fact]
    public async Task Input_reaches_the_childs_stdin_and_its_output_comes_back_exactly()
    {
        var result = await ProcessRunner.RunAsync(new ProcessSpec(Program.ChildArgv("echo-stdin")) { Input = "https://index.docker.io/v1/\r\nnext\0ü" },
            TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("https://index.docker.io/v1/\r\nnext\0ü<end>", result.Stdout);
        var empty = await ProcessRunner.RunAsync(new ProcessSpec(Program.ChildArgv("echo-stdin")), TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal("<end>", empty.Stdout);
    }

    [Fact]
    public async Task A_program_that_cannot_start_is_reported_with_its_name_and_the_Windows_error()
    {
        var e = await Assert.ThrowsAsync<LocalProcessException>(() =>
            ProcessRunner.RunAsync(new ProcessSpec(["devk8s-no-such-program", "x"]), TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal(LocalProcessException.StartFailed, e.ErrorId);
        Assert.Contains("CreateProcessW failed for devk8s-no-such-program", e.Message);
        Assert.Contains("(Win32 error 2)", e.Message);
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool SetConsoleCtrlHandler(IntPtr handler, [MarshalAs(UnmanagedType.Bool)] bool add);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GenerateConsoleCtrlEvent(uint ctrlEvent, uint processGroupId);
}
