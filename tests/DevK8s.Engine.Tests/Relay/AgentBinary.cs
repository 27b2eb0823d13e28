using System.Diagnostics;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>The Go agent, built from src/agent for this machine once per test run.</summary>
internal static class AgentBinary
{
    private static readonly Dictionary<string, string> Built = [];

    /// <summary>The agent for this machine (amd64 here).</summary>
    public static string Path => For(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64");

    /// <summary>The agent for linux/<paramref name="arch"/>, as build.sh makes it.</summary>
    public static string For(string arch)
    {
        lock (Built)
        {
            if (!Built.TryGetValue(arch, out var path)) Built[arch] = path = Build(arch);
            return path;
        }
    }

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "DevK8s.sln"))) return dir.FullName;
            throw new InvalidOperationException("cannot find the repository root (DevK8s.sln) above " + AppContext.BaseDirectory);
        }
    }

    private static string Build(string arch)
    {
        var go = new[] { "/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Go is needed to build the relay agent: apt-get install -y golang-go (or run ./build.sh)");
        var output = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"devk8s-agent-test-{Environment.ProcessId}-{arch}");
        var info = new ProcessStartInfo(go, ["build", "-trimpath", "-o", output, "."])
        {
            WorkingDirectory = System.IO.Path.Combine(RepoRoot, "src", "agent"),
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        info.Environment["CGO_ENABLED"] = "0";
        info.Environment["GOOS"] = "linux";
        info.Environment["GOARCH"] = arch;
        info.Environment.TryAdd("HOME", System.IO.Path.GetTempPath());
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"go build of src/agent failed: {errors.Result}");
        return output;
    }
}
