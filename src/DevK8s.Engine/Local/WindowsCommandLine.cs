using System.Text;

namespace DevK8s.Engine.Local;

/// <summary>
/// How a command becomes a Windows command line. A shell line goes to %ComSpec% as
/// `/d /s /c "line"`: with /s cmd strips exactly the outer quotes and runs the rest as typed, so
/// the line must not be escaped the way ProcessStartInfo.ArgumentList escapes (backslash-quote,
/// which cmd does not undo). An argv whose program resolves to a .cmd or .bat (npm, yarn) cannot be
/// started directly either: it runs through cmd the same way, each argument quoted for cmd.
/// </summary>
public static class WindowsCommandLine
{
    /// <summary>The marker LocalProcess uses for "run this line in the platform shell".</summary>
    public const string ShellMarker = "cmd.exe";

    public static (string FileName, string Arguments) For(IReadOnlyList<string> argv, Func<string, string?> resolve, string comSpec)
    {
        if (argv.Count == 5 && argv[0] == ShellMarker && argv[1] == "/d" && argv[2] == "/s" && argv[3] == "/c")
            return (comSpec, $"/d /s /c \"{argv[4]}\"");
        var program = resolve(argv[0]) ?? argv[0];
        var ext = Path.GetExtension(program);
        if (ext.Equals(".cmd", StringComparison.OrdinalIgnoreCase) || ext.Equals(".bat", StringComparison.OrdinalIgnoreCase))
            return (comSpec, $"/d /s /c \"{string.Join(' ', new[] { program }.Concat(argv.Skip(1)).Select(QuoteForCmd))}\"");
        return (program, string.Join(' ', argv.Skip(1).Select(QuoteForProgram)));
    }

    /// <summary>Quoting that CommandLineToArgvW (the C runtime's parser) undoes exactly.</summary>
    public static string QuoteForProgram(string arg)
    {
        if (arg.Length > 0 && arg.IndexOfAny([' ', '\t', '"']) < 0) return arg;
        var sb = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in arg)
        {
            if (c == '\\') { backslashes++; continue; }
            sb.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes);
            backslashes = 0;
            sb.Append(c);
        }
        sb.Append('\\', backslashes * 2).Append('"');
        return sb.ToString();
    }

    /// <summary>For cmd: quote what has spaces or cmd's metacharacters; a quote inside is doubled.</summary>
    public static string QuoteForCmd(string arg) =>
        arg.Length > 0 && arg.IndexOfAny([' ', '\t', '&', '|', '<', '>', '^', '(', ')', '"', '%', '!']) < 0 ? arg : "\"" + arg.Replace("\"", "\"\"") + "\"";
}
