using System.Management.Automation;
using DevK8s.Engine.Config;

namespace DevK8s.Infrastructure;

/// <summary>Resolves -Name (wildcards) against the configured services; unknown names are errors.</summary>
internal static class ServiceSelection
{
    public static List<ServiceConfig> Select(PSCmdlet cmdlet, ProjectConfig project, IReadOnlyCollection<string> names)
    {
        if (names.Count == 0) return project.Services.ToList();
        var selected = new List<ServiceConfig>();
        foreach (var name in names)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matches = project.Services.Where(s => pattern.IsMatch(s.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                cmdlet.WriteError(Errors.Create(
                    $"No service '{name}' in {project.FilePath}. Configured: {string.Join(", ", project.Services.Select(s => s.Name))}.",
                    "ServiceNotFound", ErrorCategory.ObjectNotFound, name, "Use one of the configured names (Tab completes them)."));
            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }
        return selected;
    }
}
