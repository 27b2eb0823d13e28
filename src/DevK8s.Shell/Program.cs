using System.Management.Automation;
using System.Management.Automation.Runspaces;
using DevK8s.Shell;

// Usage: devk8s-shell -File <script.ps1> [args...] | -Command <text>
if (args.Length < 2 || args[0] is not ("-File" or "-Command"))
{
    Console.Error.WriteLine("usage: devk8s-shell -File <script.ps1> [args...]\n       devk8s-shell -Command <powershell text>");
    return 2;
}

var manifest = Path.Combine(RepoRoot.Find(), "DevK8s.psd1");
var iss = InitialSessionState.CreateDefault2();
// DEVK8S_SHELL_NO_IMPORT=1 leaves the import to the script (bench/import-time measures it).
if (Environment.GetEnvironmentVariable("DEVK8S_SHELL_NO_IMPORT") != "1") iss.ImportPSModule(manifest);
using var runspace = RunspaceFactory.CreateRunspace(iss);
runspace.Open();
runspace.SessionStateProxy.Path.SetLocation(Environment.CurrentDirectory);

using var ps = PowerShell.Create();
ps.Runspace = runspace;
// This engine-only host lacks Microsoft.PowerShell.Utility; define the few commands scripts use.
ps.AddScript(UtilityShims.Script).Invoke();
ps.Commands.Clear();
if (args[0] == "-File")
{
    ps.AddCommand(Path.GetFullPath(args[1]));
    foreach (var a in args.Skip(2)) ps.AddArgument(a);
}
else ps.AddScript(string.Join(' ', args.Skip(1)));

Console.CancelKeyPress += (_, e) => { e.Cancel = true; ps.BeginStop(null, null); };
ps.Streams.Error.DataAdded += (_, e) => Console.Error.WriteLine(ErrorText(ps.Streams.Error[e.Index]));
ps.Streams.Warning.DataAdded += (_, e) => Console.Error.WriteLine("WARNING: " + ps.Streams.Warning[e.Index].Message);
ps.Streams.Verbose.DataAdded += (_, e) => Console.Error.WriteLine("VERBOSE: " + ps.Streams.Verbose[e.Index].Message);
var table = new TableWriter(Console.Out);
ps.Streams.Information.DataAdded += (_, e) =>
{
    table.Flush();
    Console.WriteLine(ps.Streams.Information[e.Index].MessageData);
};
ps.Streams.Progress.DataAdded += (_, e) =>
{
    var p = ps.Streams.Progress[e.Index];
    if (p.RecordType != ProgressRecordType.Completed) Console.Error.WriteLine($"... {p.Activity}: {p.StatusDescription}");
};

var output = new PSDataCollection<PSObject>();
output.DataAdded += (_, e) => table.Write(output[e.Index]);
try
{
    ps.Invoke(null, output);
}
catch (PipelineStoppedException)
{
    return 130;
}
catch (RuntimeException e)
{
    Console.Error.WriteLine(ErrorText(e.ErrorRecord));
    return 1;
}
finally
{
    table.Flush();
}
return ps.HadErrors ? 1 : 0;

static string ErrorText(ErrorRecord e) =>
    $"ERROR [{e.FullyQualifiedErrorId}]: {e.Exception.Message}" +
    (e.ErrorDetails?.RecommendedAction is { Length: > 0 } action ? $"\n  -> {action}" : "");
