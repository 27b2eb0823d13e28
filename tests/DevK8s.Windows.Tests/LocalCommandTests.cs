using System.Collections.Concurrent;
using DevK8s.Engine.Config;
using DevK8s.Engine.Local;
using DevK8s.Engine.Logs;
using Xunit;

namespace DevK8s.Windows.Tests;

/// <summary>Local commands on Windows: cmd.exe gets a shell line as written, and an argv naming a .cmd script runs.</summary>
public class LocalCommandTests
{
    private sealed class Lines : ILogSink
    {
        public ConcurrentQueue<string> Stdout { get; } = new();
        public void Write(DevLogRecord record) { if (record.Stream == "stdout") Stdout.Enqueue(record.Message); }
    }

    private static async Task<List<string>> RunAsync(CommandSpec command, IReadOnlyDictionary<string, string> env, string dir)
    {
        var lines = new Lines();
        await using var process = LocalProcess.Start(command, dir, env, "test", lines);
        var code = await process.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, code);
        return lines.Stdout.Select(l => l.Trim()).ToList();
    }

    private static Dictionary<string, string> Environment_() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");

    [Fact]
    public async Task A_shell_line_with_quotes_and_operators_runs_as_written_in_cmd()
    {
        var dir = Directory.CreateTempSubdirectory("devk8s-cmd-").FullName;
        var output = await RunAsync(CommandSpec.FromShell("echo \"a b\"& echo second"), Environment_(), dir);
        Assert.Equal(new[] { "\"a b\"", "second" }, output);
    }

    [Fact]
    public async Task An_argv_naming_a_cmd_script_on_PATH_runs_with_its_arguments()
    {
        var dir = Directory.CreateTempSubdirectory("devk8s-cmd-").FullName;
        File.WriteAllText(Path.Combine(dir, "hello.cmd"), "@echo off\r\necho [%~1] [%~2]\r\n");
        var env = Environment_();
        var pathKey = env.Keys.First(k => k.Equals("PATH", StringComparison.OrdinalIgnoreCase));
        env[pathKey] = dir + ";" + env[pathKey];
        // Found on the child's PATH (not this process's), through PATHEXT, and run through cmd.
        var output = await RunAsync(CommandSpec.FromArgv(["hello", "x y", "z"]), env, dir);
        Assert.Equal(new[] { "[x y] [z]" }, output);
    }
}
