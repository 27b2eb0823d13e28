using DevK8s.Engine.Config;
using Xunit;

namespace DevK8s.Engine.Tests;

/// <summary>Local commands may differ per OS (cmd.exe and sh rarely share a line); container commands may not.</summary>
public class PerOsCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-peros-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private ProjectConfig Load(string yaml)
    {
        File.WriteAllText(Path.Combine(_dir, "devk8s.yaml"), yaml);
        return ConfigLoader.Load(Path.Combine(_dir, "devk8s.yaml"));
    }

    [Fact]
    public void The_current_OS_entry_is_taken_else_default()
    {
        var project = Load("""
            services:
              api:
                intercept:
                  command:
                    windows: npm.cmd run dev
                    default: [npm, run, dev]
                binary:
                  build: { linux: make api, windows: nmake api, macos: make api }
                  artifact: bin/api
                  target: /usr/local/bin/api
            """);
        var api = project.FindService("api")!;
        if (OperatingSystem.IsWindows()) Assert.Equal("npm.cmd run dev", api.Intercept!.Command.Shell);
        else Assert.Equal(new[] { "npm", "run", "dev" }, api.Intercept!.Command.Argv);
        Assert.Equal(OperatingSystem.IsWindows() ? "nmake api" : "make api", api.Binary!.Build.Shell);
    }

    [Fact]
    public void Errors_keep_positions_a_missing_OS_is_named_and_container_commands_take_one_form()
    {
        var error = Assert.Throws<ConfigException>(() => Load("""
            services:
              api:
                intercept:
                  command:
                    window: run.cmd
                sync:
                  paths: [{from: ., to: /app}]
                  onChange:
                    - match: "*.txt"
                      action: run
                      command: { linux: echo hi }
            """));
        var messages = error.Errors.Select(e => $"{e.Line}:{e.Column} {e.Key}: {e.Message}").ToList();
        Assert.Contains(messages, m => m.StartsWith("5:9 ") && m.Contains("window") && m.Contains("did you mean 'windows'"));
        Assert.Contains(messages, m => m.StartsWith("11:20 ") && m.Contains("runs in the container"));
        var other = OperatingSystem.IsWindows() ? "linux: make" : "windows: nmake";
        var missing = Assert.Throws<ConfigException>(() => Load($"services:\n  api:\n    intercept:\n      command: {{ {other} }}\n"));
        Assert.Contains(missing.Errors, e => e.Message.Contains("no entry for") && e.Message.Contains("add '"));
    }
}
