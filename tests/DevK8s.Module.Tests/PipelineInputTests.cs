using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Module.Tests;

/// <summary>
/// Piping nothing into a service cmdlet is no work, not an error (Get-DevService | Where-Object Mode
/// -eq Dev | Stop-DevService with nothing in dev mode); calling it with no name at all still is one.
/// Neither reaches a cluster: the project names a context that does not exist.
/// </summary>
public class PipelineInputTests
{
    private const string Config = "namespace: shop\ncontext: no-such-context\nservices:\n  api:\n    sync: {paths: [{from: src, to: /app}]}\n";

    [Theory]
    [InlineData("Stop-DevService", "StopDevServiceCommand")]
    [InlineData("Start-DevService", "StartDevServiceCommand")]
    [InlineData("Sync-DevService", "SyncDevServiceCommand")]
    [InlineData("Switch-DevStrategy -Strategy Binary", "SwitchDevStrategyCommand")]
    public void An_empty_pipeline_does_nothing_and_no_name_at_all_is_NameRequired(string command, string cmdlet)
    {
        using var project = new TempProject(Config);
        project.Write("src/app.py", "print('hi')\n");
        using var host = new PowerShellHost(project.Directory);

        var piped = host.Invoke($"@() | {command}");
        piped.AssertNoErrors();
        Assert.Empty(piped.Output);

        var bare = host.Invoke(command);
        var error = Assert.Single(bare.Errors);
        Assert.Equal($"DevK8s.NameRequired,DevK8s.Cmdlets.{cmdlet}", error.FullyQualifiedErrorId);
    }
}
