using System.Diagnostics;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// Runs the probe script the way an exec would: under dash and busybox sh on this machine, and in
/// chroot folders that look like the slim images users deploy to (busybox-static alone; busybox with
/// musl's loader, like Alpine). chroot needs root, which tests/run and CI have.
/// </summary>
public sealed class ShellRoots : IDisposable
{
    private static readonly string[] Applets = ["sh", "uname", "head", "grep", "cat", "ls"];
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-probe-roots-").FullName;

    public string BusyboxOnly { get; }
    public string BusyboxMusl { get; }

    public ShellRoots()
    {
        if (!File.Exists("/bin/busybox"))
            throw new InvalidOperationException("/bin/busybox is missing: tests/run installs busybox-static.");
        BusyboxOnly = MakeRoot("busybox");
        BusyboxMusl = MakeRoot("musl");
        var musl = new FileInfo("/lib/ld-musl-x86_64.so.1");
        if (!musl.Exists) throw new InvalidOperationException("/lib/ld-musl-x86_64.so.1 is missing: tests/run installs musl-tools.");
        Directory.CreateDirectory(Path.Combine(BusyboxMusl, "lib"));
        File.Copy(musl.ResolveLinkTarget(true)?.FullName ?? musl.FullName, Path.Combine(BusyboxMusl, "lib/ld-musl-x86_64.so.1"));
        File.SetUnixFileMode(Path.Combine(BusyboxMusl, "lib/ld-musl-x86_64.so.1"), (UnixFileMode)0b111_101_101);
    }

    private string MakeRoot(string name)
    {
        var root = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin/busybox"));
        foreach (var applet in Applets) File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        // Every container has /dev/null (the runtime mounts /dev); the probe's redirections need it.
        Directory.CreateDirectory(Path.Combine(root, "dev"));
        Run("mknod", ["-m", "666", Path.Combine(root, "dev/null"), "c", "1", "3"]);
        return root;
    }

    /// <summary>A folder of busybox applets only, for PATH: no getconf, no ldd.</summary>
    public string BusyboxApplets()
    {
        var bin = Path.Combine(_dir, "applets");
        if (Directory.Exists(bin)) return bin;
        Directory.CreateDirectory(bin);
        foreach (var applet in Applets) File.CreateSymbolicLink(Path.Combine(bin, applet), "/bin/busybox");
        return bin;
    }

    public static string Run(string program, IEnumerable<string> args, string? path = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (path is not null) info.Environment["PATH"] = path;
        info.Environment.Remove("LD_LIBRARY_PATH");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} exited {process.ExitCode}: {stderr}");
        return stdout.Result;
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
