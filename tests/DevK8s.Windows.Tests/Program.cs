using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DevK8s.Windows.Tests;

/// <summary>
/// xunit's entry point, plus child modes for the process-tree tests: a real Windows program whose
/// reaction to console control events is known (cmd.exe's is not: it prompts on Ctrl+Break in a batch
/// file), started as `DevK8s.Windows.Tests.exe --child MODE ...`.
/// </summary>
internal static partial class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--child") return Child(args[1], args[2..]);
        if (args.Any(arg => arg == "--server" || arg == "--internal-msbuild-node"))
            return Xunit.MicrosoftTestingPlatform.TestPlatformTestFramework.RunAsync(args, SelfRegisteredExtensions.AddSelfRegisteredExtensions).GetAwaiter().GetResult();
        return Xunit.Runner.InProc.SystemConsole.ConsoleRunner.Run(args).GetAwaiter().GetResult();
    }

    /// <summary>The command line that starts this executable in a child mode.</summary>
    public static string[] ChildArgv(string mode, params string[] args) => [Environment.ProcessPath!, "--child", mode, .. args];

    private static int Child(string mode, string[] args)
    {
        switch (mode)
        {
            case "sleep":
                // Default console control handling: Ctrl+C and Ctrl+Break end it at once.
                Say("ready");
                Thread.Sleep(Timeout.Infinite);
                return 0;
            case "spawn-grandchild":
                // Starts a grandchild as its first act and leaves without waiting for it: an orphan
                // that only a job (not a walk of the parent/child tree) still holds.
                using (var grandchild = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, "--child sleep") { UseShellExecute = false, RedirectStandardOutput = true }))
                    Say($"grandchild {grandchild!.Id}");
                return 0;
            case "cleanup-on-stop":
            {
                // args: the file to write, the milliseconds the clean-up takes, optionally a stop file
                // (the stop request where Wine delivers no Ctrl+Break).
                var done = new ManualResetEventSlim();
                var once = 0;
                void CleanUp()
                {
                    if (Interlocked.Exchange(ref once, 1) == 1) return;
                    File.WriteAllText(args[0], "cleaning up");
                    Thread.Sleep(int.Parse(args[1]));
                    File.WriteAllText(args[0], "cleaned up");
                    done.Set();
                }
                // SIGQUIT is CTRL_BREAK_EVENT on Windows.
                using var registration = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context => { context.Cancel = true; CleanUp(); });
                if (args.Length > 2) WhenFileAppears(args[2], CleanUp);
                Say("ready");
                done.Wait();
                return 0;
            }
            case "ignore-stop":
            {
                using var registration = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context =>
                {
                    context.Cancel = true;
                    Say("ignored the stop request");
                });
                if (args.Length > 0) WhenFileAppears(args[0], () => Say("ignored the stop request"));
                Say("ready");
                Thread.Sleep(Timeout.Infinite);
                return 0;
            }
            case "echo-stdin":
            {
                // Raw bytes, stdin to stdout: what a credential helper or git sees and answers.
                using var stdin = Console.OpenStandardInput();
                using var stdout = Console.OpenStandardOutput();
                stdin.CopyTo(stdout);
                stdout.Write("<end>"u8);
                return 0;
            }
            case "ctrl-c-ignored":
                // The flag Windows' (and Wine's) console control routine consults before it runs any
                // Ctrl+C handler: RTL_USER_PROCESS_PARAMETERS.ConsoleFlags, set by
                // SetConsoleCtrlHandler(NULL, TRUE) and, for the new group's root, by CREATE_NEW_PROCESS_GROUP.
                Say(CtrlCIgnored() ? "ctrl-c ignored" : "ctrl-c delivered");
                return 0;
            default:
                Console.Error.WriteLine($"unknown child mode {mode}");
                return 2;
        }
    }

    private static void WhenFileAppears(string path, Action action) =>
        new Thread(() =>
        {
            while (!File.Exists(path)) Thread.Sleep(20);
            action();
        }) { IsBackground = true }.Start();

    private static unsafe bool CtrlCIgnored()
    {
        var basic = stackalloc nint[6]; // PROCESS_BASIC_INFORMATION: ExitStatus, PebBaseAddress, ...
        uint length;
        if (NtQueryInformationProcess(-1, 0, basic, (uint)(6 * sizeof(nint)), &length) != 0) throw new InvalidOperationException("NtQueryInformationProcess failed");
        var parameters = *(byte**)((byte*)basic[1] + 0x20); // PEB.ProcessParameters (x64)
        return (*(uint*)(parameters + 0x18) & 1) != 0;        // RTL_USER_PROCESS_PARAMETERS.ConsoleFlags (x64)
    }

    [LibraryImport("ntdll.dll")]
    private static unsafe partial int NtQueryInformationProcess(nint process, int infoClass, void* info, uint length, uint* returnLength);

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
