namespace DevK8s.Tests.Shared;

/// <summary>Second processes for tests that need one: out/shell's PowerShell with the module.</summary>
public static class ShellProcess
{
    /// <summary>
    /// DevK8s in a PowerShell process of its own (out/shell, as a second terminal or another machine
    /// would run it), in <paramref name="workingDirectory"/>, against the test cluster unless
    /// <paramref name="environment"/> names another KUBECONFIG. Its output is redirected: read it.
    /// </summary>
    public static System.Diagnostics.Process Start(string workingDirectory, string command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(PowerShellHost.RepoRoot, "out", "shell", "devk8s-shell.dll"), "-Command", command])
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["KUBECONFIG"] = TestCluster.KubeconfigPath },
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        return System.Diagnostics.Process.Start(info)!;
    }
}
