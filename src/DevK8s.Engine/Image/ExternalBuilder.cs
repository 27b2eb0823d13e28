using DevK8s.Engine.Config;
using DevK8s.Engine.Local;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Image;

/// <summary>
/// docker, podman, nerdctl or buildah run as the developer would: output streamed as Build log
/// records and as progress, the whole process tree killed on cancellation, the output's tail in
/// the error when it fails.
/// </summary>
public sealed class ExternalBuilder
{
    private ExternalBuilder(string name, string path) => (Name, Path) = (name, path);

    public string Name { get; }
    public string Path { get; }

    /// <summary>The configured builder, or with "auto" the first the doctor would find.</summary>
    public static ExternalBuilder Resolve(string configured)
    {
        var candidates = configured == "auto" ? Doctor.EnvironmentDoctor.Builders : [configured];
        foreach (var name in candidates)
            if (ExecutableFinder.Find(name) is { } path) return new ExternalBuilder(name, path);
        throw new ImageLoopException("BuilderNotFound",
            configured == "auto" ? "no docker, podman, nerdctl or buildah on PATH: the Image strategy builds with one of them."
                : $"the image builder '{configured}' (image.builder in devk8s.yaml) is not on PATH.",
            "Install Docker or Podman and make sure it is on PATH (Test-DevEnvironment checks it); or build without one: image.base and image.layers.");
    }

    public IReadOnlyList<string> BuildArgs(string reference, string context, string dockerfile, IReadOnlyDictionary<string, string> buildArgs)
    {
        var args = new List<string> { Path, Name == "buildah" ? "bud" : "build", "-f", dockerfile, "-t", reference };
        foreach (var (k, v) in buildArgs.OrderBy(p => p.Key, StringComparer.Ordinal)) { args.Add("--build-arg"); args.Add($"{k}={v}"); }
        args.Add(context);
        return args;
    }

    /// <summary>The push command; plain HTTP only for the registries DevK8s speaks plain HTTP to (loopback, KEP-1755).</summary>
    public IReadOnlyList<string> PushArgs(string reference, bool plainHttp) => Name switch
    {
        "buildah" => plainHttp ? [Path, "push", "--tls-verify=false", reference, "docker://" + reference] : [Path, "push", reference, "docker://" + reference],
        "podman" => plainHttp ? [Path, "push", "--tls-verify=false", reference] : [Path, "push", reference],
        "nerdctl" => plainHttp ? [Path, "push", "--insecure-registry", reference] : [Path, "push", reference],
        _ => [Path, "push", reference],
    };

    /// <summary>Runs a command to the end; throws <see cref="ImageLoopException"/> with the output's tail when it fails.</summary>
    public static async Task RunAsync(CommandSpec command, string workingDirectory, string service, string step, ILogSink logs, IProgress<string>? progress,
        string errorId, string action, CancellationToken ct)
    {
        var sink = new BuildSink(logs, line => progress?.Report($"{service}: {step}: {Shorten(line)}"));
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        LocalProcess process;
        try { process = LocalProcess.Start(command, workingDirectory, environment, service, sink); }
        catch (LocalProcessException e) { throw new ImageLoopException(errorId, $"{service}: {step} failed to start: {e.Message}", action); }
        await using (process.ConfigureAwait(false))
        {
            int code;
            try { code = await process.Exited.WaitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                await process.StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                throw;
            }
            if (code != 0)
            {
                var tail = process.LastLines;
                throw new ImageLoopException(errorId,
                    $"{service}: {step} failed (exit code {code}): {command}" + (tail.Count == 0 ? "" : "\n  " + string.Join("\n  ", tail)), action, tail);
            }
        }
    }

    private static string Shorten(string line) => line.Length <= 120 ? line : line[..117] + "...";

    /// <summary>Labels a tool's output as Build records (the tool runs locally, but it is the build talking).</summary>
    private sealed class BuildSink(ILogSink inner, Action<string> progress) : ILogSink
    {
        public void Write(DevLogRecord record)
        {
            inner.Write(record with { Source = LogSource.Build });
            progress(record.Message);
        }
    }
}
