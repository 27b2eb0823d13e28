using System.Collections.ObjectModel;
using System.Management.Automation;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;

namespace DevK8s.Infrastructure;

/// <summary>
/// The strategy-specific parameters of Start-DevService and Switch-DevStrategy, declared by each
/// strategy in the engine and offered as dynamic parameters: only the chosen strategy's when it is
/// known at binding time (from -Strategy, or the one named service's default), every strategy's
/// otherwise, so a parameter that does not apply is a clear error naming its strategy.
/// </summary>
internal static class StrategyParameters
{
    public static RuntimeDefinedParameterDictionary For(DevStrategy? strategy)
    {
        var parameters = new RuntimeDefinedParameterDictionary();
        foreach (var (owner, p) in StrategyRegistry.AllParameters)
        {
            if (strategy is { } s && (int)s != (int)owner) continue;
            if (parameters.ContainsKey(p.Name)) continue;
            var type = p.Kind == StrategyParameterKind.Switch ? typeof(SwitchParameter) : typeof(string);
            var attributes = new Collection<Attribute> { new ParameterAttribute { HelpMessage = $"{owner}: {p.HelpMessage}" } };
            parameters.Add(p.Name, new RuntimeDefinedParameter(p.Name, type, attributes));
        }
        return parameters;
    }

    /// <summary>The strategy the user means, when it can be told before the pipeline runs.</summary>
    public static DevStrategy? Resolve(PSCmdlet cmdlet, DevStrategy? given, string[]? names, string? path)
    {
        if (given is not null || names is not { Length: 1 } || WildcardPattern.ContainsWildcardCharacters(names[0])) return given;
        try
        {
            var file = ProjectLocator.Resolve(path, cmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath);
            return ConfigLoader.Load(file).FindService(names[0])?.DefaultStrategy is { } d ? (DevStrategy)(int)d : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null; // the cmdlet reports config errors itself, with positions
        }
    }

    /// <summary>
    /// The values bound for <paramref name="strategy"/>, with paths resolved; an error record for
    /// a parameter that belongs to another strategy.
    /// </summary>
    public static (Dictionary<string, object?> Options, ErrorRecord? Error) Bind(PSCmdlet cmdlet, RuntimeDefinedParameterDictionary? bound, Strategy strategy, string service)
    {
        var options = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (bound is null) return (options, null);
        var mine = StrategyRegistry.Get(strategy).Parameters;
        foreach (var p in bound.Values.Where(v => v.IsSet))
        {
            var declared = mine.FirstOrDefault(m => string.Equals(m.Name, p.Name, StringComparison.OrdinalIgnoreCase));
            if (declared is null)
            {
                var owners = StrategyRegistry.AllParameters.Where(x => string.Equals(x.Parameter.Name, p.Name, StringComparison.OrdinalIgnoreCase)).Select(x => x.Strategy.ToString());
                return (options, Errors.Create($"-{p.Name} belongs to the {string.Join("/", owners)} strategy; {service} starts with {strategy}.",
                    "ParameterNotForStrategy", ErrorCategory.InvalidArgument, service,
                    $"Drop -{p.Name}, or pass -Strategy {string.Join("/", owners)}."));
            }
            options[declared.Name] = declared.Kind switch
            {
                StrategyParameterKind.Switch => ((SwitchParameter)p.Value).IsPresent,
                StrategyParameterKind.Path => cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath((string)p.Value),
                _ => p.Value,
            };
        }
        return (options, null);
    }
}
