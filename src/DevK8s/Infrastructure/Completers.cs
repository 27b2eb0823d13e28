using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;

namespace DevK8s.Infrastructure;

/// <summary>Completes -Name with the service names of the devk8s.yaml found from the current folder.</summary>
public sealed class ServiceNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var directory = CurrentLocation() ?? Environment.CurrentDirectory;
        var path = fakeBoundParameters?["Path"] as string;
        var pattern = WildcardPattern.Get((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return CompletionSource.ServiceNames(path, directory)
            .Where(pattern.IsMatch)
            .Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, name));
    }

    // A completer gets no session state; a nested pipeline on the calling runspace reads $PWD
    // (the process's current directory is not the session's location).
    private static string? CurrentLocation()
    {
        if (Runspace.DefaultRunspace is null) return null;
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddScript("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath");
        try { return ps.Invoke<string>().FirstOrDefault(); }
        catch (PSInvalidOperationException) { return null; }
    }
}

/// <summary>Completes -Context with the contexts of the kubeconfig.</summary>
public sealed class ContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return CompletionSource.ContextNames()
            .Where(pattern.IsMatch)
            .Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, name));
    }
}

/// <summary>Engine calls for completers, behind a method boundary; completion never throws.</summary>
internal static class CompletionSource
{
    public static IEnumerable<string> ServiceNames(string? path, string directory)
    {
        try
        {
            var file = Engine.Config.ProjectLocator.Resolve(path, directory);
            return Engine.Config.ConfigLoader.Load(file).Services.Select(s => s.Name).ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }

    public static IEnumerable<string> ContextNames()
    {
        try
        {
            return Engine.Cluster.KubeTarget.ListContexts();
        }
        catch (Exception)
        {
            return [];
        }
    }
}
