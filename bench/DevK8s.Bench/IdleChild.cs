using System.Diagnostics;
using System.Text.Json;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Sync;

namespace DevK8s.Bench;

/// <summary>P3: a dev session watching a large tree, measured in a process that does nothing else.</summary>
internal static class IdleChild
{
    public sealed record Result(double WorkingSetMb, double CpuPercent, bool Native);

    public static async Task<Result> MeasureAsync(string work, Args options)
    {
        var root = Path.Combine(work, "idle");
        Directory.CreateDirectory(root);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        info.ArgumentList.Add(typeof(IdleChild).Assembly.Location);
        info.ArgumentList.Add("--idle-child");
        info.ArgumentList.Add(root);
        info.ArgumentList.Add("--idle-files");
        info.ArgumentList.Add(options.IdleFiles.ToString());
        using var child = Process.Start(info)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonSerializer.Deserialize<Result>(last)!;
    }

    public static async Task<int> RunAsync(string root, Args options)
    {
        using var target = KubeTarget.Open(new KubeTargetOptions(Namespace: "devk8s-bench"));
        var project = await Setup.ProjectAsync(target, root, options.IdleFiles, "tree", "/idle");
        var service = project.FindService("bench")!;
        var session = await DevSessions.StartAsync(target, project, service, Strategy.Sync, force: true, new Dictionary<string, object?>(), null, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(30));
        self.Refresh();
        var cpu = (self.TotalProcessorTime - cpu0).TotalMilliseconds / wall.Elapsed.TotalMilliseconds * 100;
        var result = new Result(self.WorkingSet64 / 1048576.0, cpu, session.Details.Any(d => d.Key == "Watching" && d.Value is true));
        await session.DisposeAsync();
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
