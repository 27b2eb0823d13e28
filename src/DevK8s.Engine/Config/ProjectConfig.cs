namespace DevK8s.Engine.Config;

public enum Strategy { Image, Sync, Binary, Intercept }

public enum SyncAction { None, Restart, Run }

/// <summary>A command: one shell line (run by sh -c / cmd /c) or an argument vector.</summary>
public sealed record CommandSpec(string? Shell, IReadOnlyList<string>? Argv)
{
    public static CommandSpec FromShell(string line) => new(line, null);
    public static CommandSpec FromArgv(IReadOnlyList<string> argv) => new(null, argv);
    public override string ToString() => Shell ?? string.Join(' ', Argv!.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}

public sealed record WorkloadRef(string Kind, string Name)
{
    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>
/// The Image strategy's section. <see cref="Repository"/> null means the cluster's published local
/// registry (KEP-1755). With <see cref="Base"/> set, DevK8s assembles the image itself from the base
/// and <see cref="Layers"/> (no builder, no Dockerfile).
/// </summary>
public sealed record ImageConfig(
    string? Repository, string Context, string? Dockerfile, string Builder,
    IReadOnlyDictionary<string, string> BuildArgs, CommandSpec? Prebuild)
{
    public string? Base { get; init; }
    public IReadOnlyList<ImageLayerFile> Layers { get; init; } = [];
    /// <summary>How long a rollout may take to become ready; null: the workload's progressDeadlineSeconds.</summary>
    public int? RolloutTimeoutSeconds { get; init; }
    public bool Daemonless => Base is not null;
}

/// <summary>A local file or folder (absolute) and where it lands in the image.</summary>
public sealed record ImageLayerFile(string From, string To);

public sealed record SyncPath(string From, string To);

public sealed record SyncRule(string Match, SyncAction Action, CommandSpec? Command);

public sealed record SyncConfig(
    IReadOnlyList<SyncPath> Paths, IReadOnlyList<string> Exclude, IReadOnlyList<SyncRule> OnChange,
    bool UseGitignore, int DebounceMs);

/// <summary><see cref="Watch"/>: gitignore-style patterns relative to the project; empty means the working directory.</summary>
public sealed record BinaryConfig(
    CommandSpec Build, string WorkingDirectory, string Artifact, string Target, CommandSpec? Command, IReadOnlyList<string>? Watch = null)
{
    public IReadOnlyList<string> WatchPatterns => Watch ?? [];
}

/// <summary>Who routes the traffic: DevK8s's own relay (namespace rights only) or Telepresence.</summary>
public enum InterceptEngine { Builtin, Telepresence }

public sealed record InterceptConfig(
    IReadOnlyList<string> Ports, CommandSpec Command, string WorkingDirectory,
    IReadOnlyDictionary<string, string> Env, string? Telepresence, InterceptEngine Engine = InterceptEngine.Builtin);

public sealed record ServiceConfig(
    string Name, WorkloadRef Workload, string? Container, Strategy? DefaultStrategy,
    ImageConfig? Image, SyncConfig? Sync, BinaryConfig? Binary, InterceptConfig? Intercept)
{
    public IReadOnlyList<Strategy> Strategies =>
        new (Strategy, object?)[] { (Strategy.Image, Image), (Strategy.Sync, Sync), (Strategy.Binary, Binary), (Strategy.Intercept, Intercept) }
            .Where(p => p.Item2 is not null).Select(p => p.Item1).ToArray();
}

/// <summary>A parsed, validated devk8s.yaml. Paths are absolute.</summary>
public sealed record ProjectConfig(
    string FilePath, string Name, string? Namespace, string? Context,
    IReadOnlyList<string> Manifests, IReadOnlyList<ServiceConfig> Services)
{
    public string Directory => System.IO.Path.GetDirectoryName(FilePath)!;

    public ServiceConfig? FindService(string name) =>
        Services.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
