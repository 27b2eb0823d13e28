using DevK8s.Engine.Yaml;

namespace DevK8s.Engine.Config;

/// <summary>Parses and validates devk8s.yaml. Either a complete, valid config or every error at once.</summary>
public static class ConfigLoader
{
    public const string FileName = "devk8s.yaml";

    internal static readonly string[] RootKeys = ["version", "name", "namespace", "context", "manifests", "services"];
    internal static readonly string[] ServiceKeys = ["workload", "container", "strategy", "image", "sync", "binary", "intercept"];
    internal static readonly string[] ImageKeys = ["repository", "context", "dockerfile", "builder", "buildArgs", "prebuild", "base", "layers", "rolloutTimeoutSeconds"];
    internal static readonly string[] ImageLayerKeys = ["from", "to"];
    internal static readonly string[] SyncKeys = ["paths", "exclude", "onChange", "useGitignore", "debounceMs"];
    internal static readonly string[] SyncPathKeys = ["from", "to"];
    internal static readonly string[] SyncRuleKeys = ["match", "action", "command"];
    internal static readonly string[] BinaryKeys = ["build", "workingDirectory", "artifact", "target", "command", "watch"];
    internal static readonly string[] InterceptKeys = ["engine", "ports", "command", "workingDirectory", "env", "telepresence"];
    private static readonly string[] WorkloadKinds = ["deployment", "statefulset"];
    private static readonly string[] Builders = ["auto", "docker", "podman", "nerdctl", "buildah"];

    public static ProjectConfig Load(string path)
    {
        var full = Path.GetFullPath(path);
        string text;
        try { text = File.ReadAllText(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError(full, 1, 1, "", $"cannot read the file: {e.Message}")]);
        }
        return Parse(text, full);
    }

    public static ProjectConfig Parse(string text, string filePath)
    {
        var reader = new ConfigReader(filePath, Path.GetDirectoryName(filePath)!);
        IReadOnlyList<(SourcePosition Start, YNode? Root)> documents;
        try { documents = YamlTree.ParseDocuments(text); }
        catch (YamlSyntaxError e)
        {
            throw new ConfigException([new ConfigError(filePath, e.Position, "", $"invalid YAML: {e.Message}")]);
        }
        if (documents.Count == 0 || documents[0].Root is null)
            throw new ConfigException([new ConfigError(filePath, 1, 1, "", "the file is empty; it needs at least 'services'")]);
        if (documents.Count > 1)
            reader.Error(new YScalar(documents[1].Start, "", true, null), "", "only one YAML document is allowed (remove the second '---')");

        var root = documents[0].Root!;
        var map = reader.Mapping(root, "", RootKeys);
        if (map is null) throw new ConfigException(reader.Errors);

        if (ConfigReader.Get(map, "version") is { } versionNode && reader.Int(versionNode, "version", 0, int.MaxValue) is { } version && version != 1)
            reader.Error(versionNode, "version", $"version {version} is not supported by this DevK8s; use version: 1");

        var name = reader.String(ConfigReader.Get(map, "name"), "name");
        if (name is not null && !ConfigReader.IsDnsLabel(name))
            reader.Error(ConfigReader.Get(map, "name")!, "name", $"'{name}' must be a lowercase DNS label (a-z, 0-9, '-')");
        name ??= ToLabel(Path.GetFileName(Path.GetDirectoryName(filePath)!));

        var ns = reader.String(ConfigReader.Get(map, "namespace"), "namespace");
        if (ns is not null && !ConfigReader.IsDnsLabel(ns))
            reader.Error(ConfigReader.Get(map, "namespace")!, "namespace", $"'{ns}' is not a valid namespace name (lowercase a-z, 0-9, '-', at most 63)");
        var context = reader.String(ConfigReader.Get(map, "context"), "context");

        var manifests = new List<string>();
        if (ConfigReader.Get(map, "manifests") is { } manifestsNode)
        {
            if (manifestsNode is YSequence seq)
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    if (reader.ProjectPath(seq.Items[i], $"manifests[{i}]", mustExist: true, required: true) is { } p) manifests.Add(p);
                }
            else
                reader.Error(manifestsNode, "manifests", $"expected a list of files or folders, found {ConfigReader.Describe(manifestsNode)}");
        }

        var services = new List<ServiceConfig>();
        var servicesNode = ConfigReader.Get(map, "services");
        if (servicesNode is null or YScalar { IsNull: true })
            reader.Error(servicesNode ?? root, "services", "at least one service is required");
        foreach (var entry in reader.OpenMapping(servicesNode, "services"))
            if (ReadService(reader, entry) is { } service) services.Add(service);

        if (reader.Errors.Count > 0)
            throw new ConfigException(reader.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
        return new ProjectConfig(filePath, name, ns, context, manifests, services);
    }

    private static ServiceConfig? ReadService(ConfigReader r, YEntry entry)
    {
        var name = entry.Key.Value;
        var path = $"services.{name}";
        var errorsBefore = r.Errors.Count;
        if (!ConfigReader.IsDnsLabel(name))
            r.Error(entry.Key, path, $"service name '{name}' must be a lowercase DNS label (a-z, 0-9, '-')");
        var map = entry.Value is YScalar { IsNull: true }
            ? new Dictionary<string, YEntry>()
            : r.Mapping(entry.Value, path, ServiceKeys);
        if (map is null) return null;

        var workload = new WorkloadRef("deployment", name);
        if (ConfigReader.Get(map, "workload") is { } workloadNode)
        {
            var text = r.String(workloadNode, $"{path}.workload", required: true);
            if (text is not null)
            {
                var parts = text.Split('/');
                var kind = parts[0].ToLowerInvariant() switch { "deploy" => "deployment", "sts" => "statefulset", var k => k };
                if (parts.Length != 2 || parts[1].Length == 0 || !WorkloadKinds.Contains(kind))
                    r.Error(workloadNode, $"{path}.workload", $"'{text}' must be deployment/<name> or statefulset/<name>");
                else if (!ConfigReader.IsDnsLabel(parts[1]) && !parts[1].Split('.').All(ConfigReader.IsDnsLabel))
                    r.Error(workloadNode, $"{path}.workload", $"'{parts[1]}' is not a valid workload name");
                else workload = new WorkloadRef(kind, parts[1]);
            }
        }
        var container = r.String(ConfigReader.Get(map, "container"), $"{path}.container", required: ConfigReader.Get(map, "container") is not null);
        var strategyNode = ConfigReader.Get(map, "strategy");
        var strategy = r.Enum<Strategy>(strategyNode, $"{path}.strategy");

        var image = ReadImage(r, ConfigReader.Get(map, "image"), $"{path}.image");
        var sync = ReadSync(r, ConfigReader.Get(map, "sync"), $"{path}.sync");
        var binary = ReadBinary(r, ConfigReader.Get(map, "binary"), $"{path}.binary");
        var intercept = ReadIntercept(r, ConfigReader.Get(map, "intercept"), $"{path}.intercept");

        var service = new ServiceConfig(name, workload, container, strategy, image, sync, binary, intercept);
        if (strategy is { } chosen && !service.Strategies.Contains(chosen) && r.Errors.Count == errorsBefore)
        {
            var key = chosen.ToString().ToLowerInvariant();
            r.Error(strategyNode!, $"{path}.strategy", $"strategy '{key}' needs a '{key}' section in this service");
        }
        // Without an explicit default, the fastest configured loop wins.
        var fallback = new[] { Strategy.Sync, Strategy.Binary, Strategy.Intercept, Strategy.Image }.Where(service.Strategies.Contains).Cast<Strategy?>().FirstOrDefault();
        return r.Errors.Count == errorsBefore ? service with { DefaultStrategy = strategy ?? fallback } : null;
    }

    private static ImageConfig? ReadImage(ConfigReader r, YNode? node, string path)
    {
        var map = r.Mapping(node, path, ImageKeys);
        if (map is null) return null;
        var errorsBefore = r.Errors.Count;
        // Optional: without it, the cluster's published local registry (KEP-1755) is used.
        var repository = r.String(ConfigReader.Get(map, "repository"), $"{path}.repository");
        if (repository is not null && (repository.Contains(' ') || repository.Contains('@') || repository != repository.ToLowerInvariant()))
            r.Error(ConfigReader.Get(map, "repository")!, $"{path}.repository", $"'{repository}' is not an image repository (lowercase, no tag or digest), e.g. 127.0.0.1:5000/shop/api");
        var context = r.ProjectPath(ConfigReader.Get(map, "context"), $"{path}.context", mustExist: true, defaultValue: ".");
        var dockerfile = r.ProjectPath(ConfigReader.Get(map, "dockerfile"), $"{path}.dockerfile", mustExist: true);
        var builder = r.String(ConfigReader.Get(map, "builder"), $"{path}.builder") ?? "auto";
        if (!Builders.Contains(builder))
            r.Error(ConfigReader.Get(map, "builder")!, $"{path}.builder", $"'{builder}' is not one of {string.Join(", ", Builders)}");
        var buildArgs = r.StringMap(ConfigReader.Get(map, "buildArgs"), $"{path}.buildArgs");
        var prebuild = r.Command(ConfigReader.Get(map, "prebuild"), $"{path}.prebuild", local: true);
        var timeout = r.Int(ConfigReader.Get(map, "rolloutTimeoutSeconds"), $"{path}.rolloutTimeoutSeconds", 1, 3600);

        var baseNode = ConfigReader.Get(map, "base");
        var baseImage = r.String(baseNode, $"{path}.base", required: baseNode is not null);
        var layers = new List<ImageLayerFile>();
        var layersNode = ConfigReader.Get(map, "layers");
        if (layersNode is not null)
        {
            if (layersNode is not YSequence seq || seq.Items.Count == 0)
                r.Error(layersNode, $"{path}.layers", $"expected a list of {{ from, to }}, found {ConfigReader.Describe(layersNode)}");
            else
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    var itemPath = $"{path}.layers[{i}]";
                    var item = r.Mapping(seq.Items[i], itemPath, ImageLayerKeys);
                    if (item is null) continue;
                    // The artifact may appear only once the prebuild ran.
                    var from = r.ProjectPath(ConfigReader.Get(item, "from"), $"{itemPath}.from", mustExist: false, required: true, parent: seq.Items[i]);
                    var to = r.ContainerPath(ConfigReader.Get(item, "to"), $"{itemPath}.to", required: true, parent: seq.Items[i]);
                    if (from is not null && to is not null) layers.Add(new ImageLayerFile(from, to));
                }
        }
        if (baseNode is not null && layersNode is null)
            r.Error(baseNode, $"{path}.base", "a base needs 'layers' (the local files to add, each { from, to })");
        else if (layersNode is not null && baseNode is null)
            r.Error(layersNode, $"{path}.layers", "layers need a 'base' image to go on (e.g. base: 127.0.0.1:5000/devk8s-base/bookworm:1)");
        if (baseNode is not null)
            foreach (var key in new[] { "dockerfile", "builder", "buildArgs" })
                if (ConfigReader.Get(map, key) is { } conflicting)
                    r.Error(conflicting, $"{path}.{key}", "does not apply with 'base' and 'layers': DevK8s assembles that image itself, without a builder");
        if (baseImage is not null)
        {
            try { Image.ImageReference.Parse(baseImage); }
            catch (FormatException e) { r.Error(baseNode!, $"{path}.base", e.Message); }
        }
        if (r.Errors.Count != errorsBefore || context is null) return null;
        return new ImageConfig(repository, context, dockerfile, builder, buildArgs, prebuild)
        {
            Base = baseImage, Layers = layers, RolloutTimeoutSeconds = timeout,
        };
    }

    private static SyncConfig? ReadSync(ConfigReader r, YNode? node, string path)
    {
        var map = r.Mapping(node, path, SyncKeys);
        if (map is null) return null;
        var paths = new List<SyncPath>();
        var pathsNode = ConfigReader.Get(map, "paths");
        if (pathsNode is YSequence seq && seq.Items.Count > 0)
        {
            for (var i = 0; i < seq.Items.Count; i++)
            {
                var itemPath = $"{path}.paths[{i}]";
                var item = r.Mapping(seq.Items[i], itemPath, SyncPathKeys);
                if (item is null) continue;
                var from = r.ProjectPath(ConfigReader.Get(item, "from"), $"{itemPath}.from", mustExist: true, required: true, parent: seq.Items[i]);
                var to = r.ContainerPath(ConfigReader.Get(item, "to"), $"{itemPath}.to", required: true, parent: seq.Items[i]);
                if (from is not null && to is not null) paths.Add(new SyncPath(from, to));
            }
        }
        else
            r.Error(pathsNode ?? node!, $"{path}.paths", "at least one { from, to } mapping is required");

        var exclude = r.StringList(ConfigReader.Get(map, "exclude"), $"{path}.exclude");
        var rules = new List<SyncRule>();
        if (ConfigReader.Get(map, "onChange") is { } rulesNode)
        {
            if (rulesNode is not YSequence ruleSeq)
                r.Error(rulesNode, $"{path}.onChange", $"expected a list of {{ match, action, command }}, found {ConfigReader.Describe(rulesNode)}");
            else
                for (var i = 0; i < ruleSeq.Items.Count; i++)
                {
                    var rulePath = $"{path}.onChange[{i}]";
                    var rule = r.Mapping(ruleSeq.Items[i], rulePath, SyncRuleKeys);
                    if (rule is null) continue;
                    var match = r.String(ConfigReader.Get(rule, "match"), $"{rulePath}.match", required: true, parent: ruleSeq.Items[i]);
                    var actionNode = ConfigReader.Get(rule, "action");
                    var action = actionNode is null ? (ConfigReader.Get(rule, "command") is null ? SyncAction.Restart : SyncAction.Run) : r.Enum<SyncAction>(actionNode, $"{rulePath}.action");
                    var command = r.Command(ConfigReader.Get(rule, "command"), $"{rulePath}.command", required: action == SyncAction.Run, parent: ruleSeq.Items[i]);
                    if (action != SyncAction.Run && command is not null)
                        r.Error(ConfigReader.Get(rule, "command")!, $"{rulePath}.command", $"a command only applies to action: run (this rule's action is {action.ToString()!.ToLowerInvariant()})");
                    if (match is not null && action is { } a) rules.Add(new SyncRule(match, a, command));
                }
        }
        var useGitignore = r.Bool(ConfigReader.Get(map, "useGitignore"), $"{path}.useGitignore") ?? true;
        var debounce = r.Int(ConfigReader.Get(map, "debounceMs"), $"{path}.debounceMs", 0, 10_000) ?? 30;
        return new SyncConfig(paths, exclude, rules, useGitignore, debounce);
    }

    private static BinaryConfig? ReadBinary(ConfigReader r, YNode? node, string path)
    {
        var map = r.Mapping(node, path, BinaryKeys);
        if (map is null) return null;
        var build = r.Command(ConfigReader.Get(map, "build"), $"{path}.build", required: true, parent: node, local: true);
        var workdir = r.ProjectPath(ConfigReader.Get(map, "workingDirectory"), $"{path}.workingDirectory", mustExist: true, defaultValue: ".");
        var artifact = r.ProjectPath(ConfigReader.Get(map, "artifact"), $"{path}.artifact", mustExist: false, required: true, parent: node);
        var target = r.ContainerPath(ConfigReader.Get(map, "target"), $"{path}.target", required: true, parent: node);
        var command = r.Command(ConfigReader.Get(map, "command"), $"{path}.command");
        var watch = r.StringList(ConfigReader.Get(map, "watch"), $"{path}.watch");
        if (ConfigReader.Get(map, "watch") is YSequence watchSeq)
            for (var i = 0; i < watchSeq.Items.Count && i < watch.Count; i++)
                if (WatchPatternProblem(watch[i]) is { } problem)
                    r.Error(watchSeq.Items[i], $"{path}.watch[{i}]", problem);
        return build is null || workdir is null || artifact is null || target is null ? null : new BinaryConfig(build, workdir, artifact, target, command, watch);
    }

    /// <summary>Watch patterns are gitignore-style and relative to the project: they cannot reach outside it.</summary>
    private static string? WatchPatternProblem(string pattern)
    {
        var body = pattern.TrimStart('!');
        if (body.StartsWith('~') || (body.Length > 1 && body[1] == ':') || body.StartsWith('\\'))
            return $"'{pattern}' must be a gitignore-style pattern relative to the project folder, e.g. src/ or crates/**/*.rs";
        if (body.Split('/').Any(segment => segment == ".."))
            return $"'{pattern}' must not contain '..': watch patterns only match inside the project folder";
        return null;
    }

    private static InterceptConfig? ReadIntercept(ConfigReader r, YNode? node, string path)
    {
        var map = r.Mapping(node, path, InterceptKeys);
        if (map is null) return null;
        var ports = r.StringList(ConfigReader.Get(map, "ports"), $"{path}.ports");
        if (ConfigReader.Get(map, "ports") is YSequence portSeq)
            for (var i = 0; i < portSeq.Items.Count && i < ports.Count; i++)
                if (!IsPortSpec(ports[i]))
                    r.Error(portSeq.Items[i], $"{path}.ports[{i}]", $"'{ports[i]}' must be LOCAL or LOCAL:SERVICE_PORT, e.g. 8080 or 8080:http");
        var command = r.Command(ConfigReader.Get(map, "command"), $"{path}.command", required: true, parent: node, local: true);
        var workdir = r.ProjectPath(ConfigReader.Get(map, "workingDirectory"), $"{path}.workingDirectory", mustExist: true, defaultValue: ".");
        var env = r.StringMap(ConfigReader.Get(map, "env"), $"{path}.env");
        var telepresence = r.String(ConfigReader.Get(map, "telepresence"), $"{path}.telepresence");
        var engine = ConfigReader.Get(map, "engine") is { } engineNode ? r.Enum<InterceptEngine>(engineNode, $"{path}.engine") : InterceptEngine.Builtin;
        if (engine == InterceptEngine.Builtin && ConfigReader.Get(map, "telepresence") is { } tpNode)
            r.Error(tpNode, $"{path}.telepresence", "only the Telepresence engine uses this path; add 'engine: telepresence' or remove it");
        return command is null || workdir is null || engine is null ? null : new InterceptConfig(ports, command, workdir, env, telepresence, engine.Value);
    }

    private static bool IsPortSpec(string spec)
    {
        var parts = spec.Split(':');
        static bool IsPort(string p) => int.TryParse(p, out var n) && n is > 0 and < 65536;
        return parts.Length switch
        {
            1 => IsPort(parts[0]),
            2 => IsPort(parts[0]) && (IsPort(parts[1]) || ConfigReader.IsDnsLabel(parts[1])),
            _ => false,
        };
    }

    private static string ToLabel(string folder)
    {
        var chars = folder.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var label = new string(chars).Trim('-');
        return label.Length == 0 ? "project" : label[..Math.Min(63, label.Length)];
    }
}
