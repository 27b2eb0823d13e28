using DevK8s.Engine.Binary;
using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// The shared build, locally with a real shell build: saves coalesce (one build at a time, at most
/// one queued), every member gets each build's outcome, the artifact is never watched, and the last
/// member leaving kills a running build's whole process tree.
/// </summary>
public sealed class BuildGroupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("devk8s-buildgroup-").FullName;

    public BuildGroupTests() => Directory.CreateDirectory(_dir);

    /// <summary>The project; the builds count their runs outside it, so counting never triggers a build.</summary>
    private string _dir => Path.Combine(_root, "project");
    private string RunsFile => Path.Combine(_root, "runs");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ProjectConfig Project(string build, string? watch = null)
    {
        var file = Path.Combine(_dir, "devk8s.yaml");
        var watchLine = watch is null ? "" : $"\n      watch: [{watch}]";
        File.WriteAllText(file, $"""
            services:
              a:
                binary:
                  build: '{build}'
                  artifact: out/a
                  target: /app/a{watchLine}
              b:
                binary:
                  build: '{build}'
                  artifact: out/b
                  target: /app/b{watchLine}
            """);
        return ConfigLoader.Load(file);
    }

    private sealed class Member(string service, BinaryWatch watch) : IBuildSubscriber
    {
        public string Service { get; } = service;
        public BinaryWatch Watch { get; } = watch;
        public string ArtifactPath { get; init; } = "";
        public List<int> Built { get; } = [];
        public List<string> Lines { get; } = [];
        public void BuildLog(DevLogRecord record) { lock (Lines) Lines.Add($"{record.Service}/{record.Source}: {record.Message}"); }
        public void BuildProgress(string line) { }
        public Task<DeployOutcome> OnBuiltAsync(BuildResult build, CancellationToken ct)
        {
            lock (Built) Built.Add(build.Number);
            return Task.FromResult(new DeployOutcome(Service, build.Succeeded ? DeployKind.Unchanged : DeployKind.BuildFailed, build.Tail(), null, null));
        }
    }

    private (Member A, Member B, BuildGroup Group) Join(ProjectConfig project)
    {
        var a = new Member("a", BinaryWatch.For(project, project.Services[0].Binary!)) { ArtifactPath = project.Services[0].Binary!.Artifact };
        var b = new Member("b", BinaryWatch.For(project, project.Services[1].Binary!)) { ArtifactPath = project.Services[1].Binary!.Artifact };
        var group = BuildCoordinator.Join(project.Services[0].Binary!, a);
        Assert.Same(group, BuildCoordinator.Join(project.Services[1].Binary!, b));
        return (a, b, group);
    }

    private int Runs() => File.Exists(RunsFile) ? File.ReadAllLines(RunsFile).Length : 0;

    [Fact]
    public async Task Requests_during_a_build_coalesce_into_one_more_and_every_member_gets_each_outcome()
    {
        var (a, b, group) = Join(Project($"echo run >> {RunsFile}; sleep 0.5; echo built"));
        try
        {
            var first = group.RequestAsync();
            await Task.Delay(150);
            var queued = Enumerable.Range(0, 5).Select(_ => group.RequestAsync()).ToList();
            Assert.Single(queued.Distinct());
            var round1 = await first;
            var round2 = await queued[0];
            Assert.Equal((1, 2), (round1.Build.Number, round2.Build.Number));
            Assert.Equal(2, Runs());
            Assert.Equal(2, group.Builds);
            Assert.Equal([1, 2], a.Built);
            Assert.Equal([1, 2], b.Built);
            Assert.Equal(["a", "b"], round2.Outcomes.Keys.Order());
            Assert.Contains("b/Build: built", b.Lines);
        }
        finally
        {
            BuildCoordinator.Leave(group, a);
            BuildCoordinator.Leave(group, b);
        }
    }

    [Fact]
    public async Task A_failed_build_hands_every_member_the_last_lines_and_exit_code()
    {
        var (a, b, group) = Join(Project("echo error: expected one of x; exit 3"));
        try
        {
            var round = await group.RequestAsync();
            Assert.False(round.Build.Succeeded);
            Assert.Equal(3, round.Build.ExitCode);
            Assert.Contains("error: expected one of x", round.Outcomes["a"].Message);
            Assert.Equal(DeployKind.BuildFailed, round.Outcomes["b"].Kind);
        }
        finally
        {
            BuildCoordinator.Leave(group, a);
            BuildCoordinator.Leave(group, b);
        }
    }

    [Fact]
    public async Task One_save_runs_one_build_and_neither_artifact_nor_ignored_files_run_another()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "src"));
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        File.WriteAllText(Path.Combine(_dir, ".gitignore"), "*.log\n");
        // Default watch (the working directory); each build rewrites both members' artifacts.
        var (a, b, group) = Join(Project($"echo run >> {RunsFile}; echo $$ > out/a; echo $$ > out/b"));
        try
        {
            File.WriteAllText(Path.Combine(_dir, "src", "main.c"), "int main;\n");
            await ClusterlessEventually(() => Runs() == 1);
            await Task.Delay(1500);
            File.WriteAllText(Path.Combine(_dir, "debug.log"), "ignored\n");
            Directory.CreateDirectory(Path.Combine(_dir, "target", "release"));
            File.WriteAllText(Path.Combine(_dir, "target", "release", "x"), "never watched\n");
            await Task.Delay(1000);
            Assert.Equal(1, Runs());
            Assert.Equal([1], a.Built);
            Assert.Equal([1], b.Built);
        }
        finally
        {
            BuildCoordinator.Leave(group, a);
            BuildCoordinator.Leave(group, b);
        }
    }

    [Fact]
    public async Task A_watch_list_limits_what_rebuilds()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "src"));
        Directory.CreateDirectory(Path.Combine(_dir, "docs"));
        var (a, b, group) = Join(Project($"echo run >> {RunsFile}", watch: "src/"));
        try
        {
            File.WriteAllText(Path.Combine(_dir, "docs", "notes.md"), "no build\n");
            await Task.Delay(1000);
            Assert.Equal(0, Runs());
            File.WriteAllText(Path.Combine(_dir, "src", "main.c"), "int main;\n");
            await ClusterlessEventually(() => Runs() == 1);
        }
        finally
        {
            BuildCoordinator.Leave(group, a);
            BuildCoordinator.Leave(group, b);
        }
    }

    [Fact]
    public async Task The_last_member_leaving_kills_a_running_build_with_its_children()
    {
        var (a, b, group) = Join(Project("sleep 600 & echo $! > sleeper; wait"));
        var round = group.RequestAsync();
        var pidFile = Path.Combine(_dir, "sleeper");
        await ClusterlessEventually(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim());
        BuildCoordinator.Leave(group, a);
        await Task.Delay(300);
        Assert.True(Directory.Exists($"/proc/{pid}"), "one member left: the build goes on for the other");
        BuildCoordinator.Leave(group, b);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => round);
        await ClusterlessEventually(() => !Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z");
    }

    private static async Task ClusterlessEventually(Func<bool> done, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }
}
