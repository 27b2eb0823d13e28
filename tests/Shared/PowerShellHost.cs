using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace DevK8s.Tests.Shared;

/// <summary>The result of one script run in the hosted engine.</summary>
public sealed record PwshResult(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings, IReadOnlyList<string> Information)
{
    /// <summary>Output objects of a DevK8s type, by type name (the test does not reference the module).</summary>
    public List<PSObject> OfType(string typeName) => Output.Where(o => o.BaseObject.GetType().FullName == "DevK8s." + typeName).ToList();

    /// <summary>The one output object of a type, after checking there were no errors (so a failure shows them, not an empty list).</summary>
    public PSObject Single(string typeName)
    {
        AssertNoErrors();
        return Xunit.Assert.Single(OfType(typeName));
    }

    public void AssertNoErrors()
    {
        if (Errors.Count > 0)
            throw new Xunit.Sdk.XunitException("PowerShell errors:\n" + string.Join("\n", Errors.Select(e => $"[{e.FullyQualifiedErrorId}] {e}")));
    }
}

public static class PSObjectExtensions
{
    public static object? Prop(this PSObject o, string name) => o.Properties[name]?.Value is { } v ? (v is PSObject p ? p.BaseObject : v) : null;
    public static string? Str(this PSObject o, string name) => o.Prop(name)?.ToString();
    /// <summary>A property of a DevSession's strategy-specific Details object.</summary>
    public static object? Detail(this PSObject o, string name) =>
        o.Properties["Details"]?.Value is PSObject details && details.Properties[name]?.Value is { } v ? (v is PSObject p ? p.BaseObject : v) : null;
}

/// <summary>
/// A runspace with the real PowerShell 7.6 engine that has imported DevK8s exactly as shipped
/// (the psd1 at the repository root), with its own current folder and environment.
/// </summary>
public sealed class PowerShellHost : IDisposable
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static readonly string ModuleManifest = Path.Combine(RepoRoot, "DevK8s.psd1");

    private readonly Runspace _runspace;

    public PowerShellHost(string? workingDirectory = null, bool importModule = true)
    {
        var iss = InitialSessionState.CreateDefault2();
        if (importModule) iss.ImportPSModule(ModuleManifest);
        _runspace = RunspaceFactory.CreateRunspace(iss);
        _runspace.Open();
        // pwsh runs pipelines on a thread whose DefaultRunspace is the session (completers rely on it).
        Runspace.DefaultRunspace = _runspace;
        // Set-Location lives in Microsoft.PowerShell.Management, which this engine-only host lacks.
        if (workingDirectory is not null) _runspace.SessionStateProxy.Path.SetLocation(workingDirectory);
    }

    public Runspace Runspace => _runspace;

    /// <summary>Runs a script; $args holds the arguments. Terminating errors become Errors too.</summary>
    public PwshResult Invoke(string script, params object?[] args)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        Runspace.DefaultRunspace = _runspace;
        ps.AddScript(script);
        foreach (var a in args) ps.AddArgument(a);
        var errors = new List<ErrorRecord>();
        Collection<PSObject> output;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            output = [];
            errors.Add(e.ErrorRecord);
        }
        errors.InsertRange(0, ps.Streams.Error);
        return new PwshResult(output, errors,
            ps.Streams.Warning.Select(w => w.Message).ToList(),
            ps.Streams.Information.Select(i => i.MessageData?.ToString() ?? "").ToList());
    }

    /// <summary>Runs a script and presses Ctrl+C (PowerShell.Stop) after <paramref name="after"/>.</summary>
    public (PSInvocationState State, TimeSpan StopTook) InvokeAndStop(string script, TimeSpan after)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        var async = ps.BeginInvoke();
        Thread.Sleep(after);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        ps.Stop();
        try { ps.EndInvoke(async); } catch (PipelineStoppedException) { }
        return (ps.InvocationStateInfo.State, stopwatch.Elapsed);
    }

    /// <summary>Runs a script and presses Ctrl+C once <paramref name="when"/> holds (checked every 20 ms, at most <paramref name="max"/>).</summary>
    public (PSInvocationState State, TimeSpan StopTook) InvokeAndStop(string script, Func<bool> when, TimeSpan max)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        var async = ps.BeginInvoke();
        var deadline = DateTime.UtcNow + max;
        while (!when() && DateTime.UtcNow < deadline && !async.IsCompleted) Thread.Sleep(20);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        ps.Stop();
        try { ps.EndInvoke(async); } catch (PipelineStoppedException) { }
        return (ps.InvocationStateInfo.State, stopwatch.Elapsed);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DevK8s.sln"))) return dir.FullName;
        throw new InvalidOperationException("DevK8s.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose() => _runspace.Dispose();
}
