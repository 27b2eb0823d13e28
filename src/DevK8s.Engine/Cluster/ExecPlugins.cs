using DevK8s.Engine.Local;
using k8s.KubeConfigModels;

namespace DevK8s.Engine.Cluster;

/// <summary>
/// Rewrites each user's credential plugin (users[].user.exec) into what KubernetesClient can start as
/// kubectl would run it. KubernetesClient hands the command to Process.Start as the file name and the
/// arguments joined with spaces (KubernetesClientConfiguration.CreateRunnableExternalProcess), so an
/// argument with a space splits in two, and on Windows only an .exe is found on PATH: gcloud.cmd or a
/// kubelogin wrapper .cmd is "not found". Here the command is resolved through PATHEXT, a .cmd/.bat
/// goes through %ComSpec% quoted for cmd, and every argument is quoted so that it arrives whole
/// (WindowsCommandLine; .NET on Unix splits Arguments by the same rules as CommandLineToArgvW).
/// </summary>
internal static class ExecPlugins
{
    public static void PrepareForLaunch(K8SConfiguration config)
    {
        var comSpec = Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe";
        foreach (var user in config.Users ?? [])
        {
            if (user.UserCredentials?.ExternalExecution is not { Command: { Length: > 0 } command } exec) continue;
            (exec.Command, exec.Arguments) = Launch(command, exec.Arguments?.ToList() ?? [], OperatingSystem.IsWindows(), ExecutableFinder.Find, comSpec);
        }
    }

    /// <summary>The file name and the one-element (already quoted) argument list for Process.Start.</summary>
    internal static (string Command, List<string> Arguments) Launch(string command, IReadOnlyList<string> arguments, bool windows, Func<string, string?> resolve, string comSpec)
    {
        if (!windows) return (command, arguments.Count == 0 ? [] : [string.Join(' ', arguments.Select(WindowsCommandLine.QuoteForProgram))]);
        var (file, line) = WindowsCommandLine.For([command, .. arguments], resolve, comSpec);
        return (file, line.Length == 0 ? [] : [line]);
    }
}
