using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Module.Tests;

/// <summary>
/// The stand-in `telepresence` (tests/DevK8s.FakeTelepresence) behind an executable of its own,
/// with a private state folder: situations are simulated by writing state files.
/// </summary>
internal sealed class TelepresenceStandIn : IDisposable
{
    public string State { get; } = Directory.CreateTempSubdirectory("devk8s-tp-state-").FullName;
    public string Executable { get; }

    public TelepresenceStandIn(string version = "2.22.4")
    {
        var dll = Path.Combine(PowerShellHost.RepoRoot, "tests", "DevK8s.FakeTelepresence", "bin", BuildConfiguration(), "net10.0", "telepresence.dll");
        Assert.True(File.Exists(dll), $"stand-in not built: {dll}");
        Executable = Path.Combine(State, "bin", "telepresence");
        Directory.CreateDirectory(Path.GetDirectoryName(Executable)!);
        File.WriteAllText(Executable, $"#!/bin/sh\nTELEPRESENCE_FAKE_STATE='{State}' exec dotnet '{dll}' \"$@\"\n");
        File.SetUnixFileMode(Executable, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(State, "version"), version);
        File.WriteAllText(Path.Combine(State, "env.json"), $$"""{"SECRET_TOKEN":"{{SecretValue}}","DB_URL":"postgres://db:5432","PATH":"/usr/local/sbin:/container/only"}""");
    }

    public const string SecretValue = "s3cr3t-value-from-a-Secret";

    public string[] Calls => File.Exists(Path.Combine(State, "calls.log")) ? File.ReadAllLines(Path.Combine(State, "calls.log")) : [];
    public void Set(string file, string text = "") => File.WriteAllText(Path.Combine(State, file), text);
    public void Dispose() => Directory.Delete(State, true);

    private static string BuildConfiguration() => AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
}
