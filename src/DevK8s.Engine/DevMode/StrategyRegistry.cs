using DevK8s.Engine.Config;

namespace DevK8s.Engine.DevMode;

/// <summary>Every strategy DevK8s offers. A new strategy is a folder under the engine plus one line here.</summary>
public static class StrategyRegistry
{
    private static readonly IReadOnlyDictionary<Strategy, IDevStrategy> All = new IDevStrategy[]
    {
        new Sync.SyncStrategy(),
        new Intercept.InterceptStrategy(),
        new Image.ImageStrategy(),
        new Binary.BinaryStrategy(),
    }.ToDictionary(s => s.Kind);

    public static IReadOnlyCollection<IDevStrategy> Available => All.Values.ToList();

    public static bool TryGet(Strategy kind, out IDevStrategy strategy) => All.TryGetValue(kind, out strategy!);

    public static IDevStrategy Get(Strategy kind) =>
        All.TryGetValue(kind, out var s) ? s
        : throw new DevModeException($"the {kind} strategy is not available in this version of DevK8s; {string.Join(" and ", All.Keys)} are.",
            $"Use -Strategy {string.Join(" or -Strategy ", All.Keys)}.");

    /// <summary>The strategy a parameter belongs to, for "this parameter belongs to …" errors.</summary>
    public static IEnumerable<(Strategy Strategy, StrategyParameter Parameter)> AllParameters =>
        All.Values.SelectMany(s => s.Parameters.Select(p => (s.Kind, p)));
}
