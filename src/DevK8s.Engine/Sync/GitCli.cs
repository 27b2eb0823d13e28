using System.Diagnostics;
using System.Text;

namespace DevK8s.Engine.Sync;

/// <summary>
/// Runs the user's git for the few facts only git knows exactly (index modes, line-ending settings).
/// Reading .git directly would mean reimplementing index versions, worktrees and config includes.
/// </summary>
public static class GitCli
{
    /// <summary>git's exit code and stdout (UTF-8), or null when git is not installed or does not answer in time.</summary>
    public static (int ExitCode, string Stdout)? Run(string directory, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("-C");
        info.ArgumentList.Add(directory);
        foreach (var a in args) info.ArgumentList.Add(a);
        // Plain output whatever the user's settings: no pager, no prompts, no translated messages.
        info.Environment["GIT_PAGER"] = "cat";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["LC_ALL"] = "C";
        using var process = new Process { StartInfo = info };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception) { return null; }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(20)))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return null;
        }
        return (process.ExitCode, stdout.GetAwaiter().GetResult());
    }
}
