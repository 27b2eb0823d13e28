using System.Reflection;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;
using Xunit;

namespace DevK8s.Engine.Tests;

/// <summary>
/// Scripts reach the container's sh exactly as sent; a CR from a Windows checkout makes sh read
/// "do\r" and every Sync start fails. tests/crlf-clone-check proves the same from a real CRLF clone.
/// </summary>
public class ContainerScriptsTests
{
    public static TheoryData<string> ScriptNames => new(ContainerScripts.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void No_script_sent_to_a_container_contains_a_carriage_return(string name)
    {
        var text = ContainerScripts.All.Single(s => s.Name == name).Text;
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.DoesNotContain('\r', text);
    }

    [Fact]
    public void Every_multi_line_string_field_of_the_engine_is_a_listed_script()
    {
        // A new script written as a field is caught here until it is listed in ContainerScripts.All.
        var listed = ContainerScripts.All.Select(s => s.Text).ToHashSet();
        var unlisted = typeof(ContainerScripts).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(f => f.FieldType == typeof(string) && !f.DeclaringType!.IsGenericTypeDefinition)
            .Select(f => (Field: $"{f.DeclaringType!.FullName}.{f.Name}", Value: (string?)(f.IsLiteral ? f.GetRawConstantValue() : f.GetValue(null))))
            .Where(f => f.Value is not null && f.Value.Contains('\n') && !listed.Contains(ContainerScripts.Lf(f.Value)))
            .Select(f => f.Field)
            .ToList();
        Assert.Empty(unlisted);
    }

    [Fact]
    public void A_crlf_copy_of_the_supervisor_command_is_still_recognised_as_wrapped()
    {
        // A session wrapped by a build from a CRLF checkout must be taken over, not wrapped twice.
        var crlf = RestartSupervisor.Script.Replace("\n", "\r\n");
        Assert.True(RestartSupervisor.IsWrapped(["/bin/sh", "-c", crlf, "devk8s-supervisor", "node", "server.js"]));
        Assert.False(RestartSupervisor.IsWrapped(["/bin/sh", "-c", "echo other", "x", "y"]));
    }

    [Fact]
    public void Lf_turns_every_line_ending_into_a_newline_and_keeps_the_rest()
    {
        Assert.Equal("a\nb\nc\n\td", ContainerScripts.Lf("a\r\nb\rc\n\td"));
    }
}
