using DevK8s.Engine.Local;
using Xunit;

namespace DevK8s.Engine.Tests;

/// <summary>Windows command lines, built as cmd.exe and the C runtime parse them (run for real in the Windows leg).</summary>
public class WindowsCommandLineTests
{
    private const string ComSpec = @"C:\Windows\System32\cmd.exe";

    private static string? Resolve(string name) => name switch
    {
        "npm" => @"C:\Program Files\nodejs\npm.cmd",
        "cargo" => @"C:\Users\me\.cargo\bin\cargo.exe",
        _ => null,
    };

    [Fact]
    public void A_shell_line_reaches_cmd_exactly_as_written()
    {
        var (file, args) = WindowsCommandLine.For(["cmd.exe", "/d", "/s", "/c", "echo \"a b\" & set X=1 && run.cmd"], Resolve, ComSpec);
        Assert.Equal(ComSpec, file);
        Assert.Equal("/d /s /c \"echo \"a b\" & set X=1 && run.cmd\"", args);
    }

    [Fact]
    public void An_argv_naming_a_cmd_script_runs_through_cmd_with_cmd_quoting()
    {
        var (file, args) = WindowsCommandLine.For(["npm", "run", "dev", "--", "--host=a b", "say \"hi\""], Resolve, ComSpec);
        Assert.Equal(ComSpec, file);
        Assert.Equal("/d /s /c \"\"C:\\Program Files\\nodejs\\npm.cmd\" run dev -- \"--host=a b\" \"say \"\"hi\"\"\"\"", args);
    }

    [Fact]
    public void An_argv_naming_an_exe_starts_it_directly_with_C_runtime_quoting()
    {
        var (file, args) = WindowsCommandLine.For(["cargo", "run", "--bin", "gateway", "--", "a b", "q\"uote", @"C:\dir\", ""], Resolve, ComSpec);
        Assert.Equal(@"C:\Users\me\.cargo\bin\cargo.exe", file);
        Assert.Equal("run --bin gateway -- \"a b\" \"q\\\"uote\" C:\\dir\\ \"\"", args);
        Assert.Equal("\"C:\\dir one\\\\\"", WindowsCommandLine.QuoteForProgram(@"C:\dir one\")); // a trailing backslash before the closing quote is doubled
    }
}
