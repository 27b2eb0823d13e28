using DevK8s.Engine.DevMode;
using DevK8s.Engine.Sync;

namespace DevK8s.Engine.Exec;

/// <summary>
/// Every shell script DevK8s sends to a container, listed in one place so one test covers them all.
/// C# raw strings keep the line endings of the file they sit in, and Git for Windows checks files out
/// with CRLF by default: a script with "do\r" kills sh with an error that names no cause. So each
/// script passes through <see cref="Lf"/>, whatever the checkout did.
/// </summary>
public static class ContainerScripts
{
    /// <summary>Checks that a running container has what dev mode needs; prints "missing:&lt;tool&gt;" per gap.</summary>
    public static readonly string ToolProbe = ToolProbeFor(Sync.SyncStrategy.Tools);

    /// <summary>Prints "missing:&lt;tool&gt;" for each tool the image lacks (what a strategy's plan needs).</summary>
    public static string ToolProbeFor(IEnumerable<string> tools) =>
        Lf($"for t in {string.Join(' ', tools)}; do command -v $t >/dev/null || echo missing:$t; done");

    /// <summary>Name and text of each script, as sent.</summary>
    public static IReadOnlyList<(string Name, string Text)> All =>
    [
        ("sync agent", SyncAgent.ShellScript),
        ("restart supervisor", RestartSupervisor.Script),
        ("tool probe", ToolProbe),
        ("artifact probe", Binary.ContainerProbe.Script),
    ];

    /// <summary>The text with every line ending as "\n", the only one sh reads as a line end.</summary>
    public static string Lf(string text) => text.ReplaceLineEndings("\n");
}
