namespace DevK8s.Engine.Binary;

/// <summary>
/// Decides, before anything is copied, whether the artifact can run in the container: a Linux
/// program for the container's CPU whose loader, libraries and glibc version the container has.
/// Checks run from the most basic up, and the first failing one is the verdict. What the probe
/// could not tell (no uname, an unknown libc) is not held against the artifact.
/// </summary>
public static class ArtifactCheck
{
    // musl's loader is its libc and answers for these names itself; they are never files.
    private static readonly HashSet<string> MuslBuiltIn = new(StringComparer.Ordinal)
        { "libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so", "libutil.so", "libxnet.so", "libcrypt.so", "libresolv.so" };

    public static ArtifactVerdict Evaluate(ArtifactInfo info, ContainerOffer offer, string artifactPath, string target)
    {
        var subject = $"{artifactPath} ({info.Description})";
        var where = $"the container ({offer.Describe()})";
        ArtifactVerdict Refuse(ArtifactProblem problem, string what) =>
            new(false, problem, $"{subject} cannot run as {target} in {where}: {what}.", Remedy.For(problem, info, offer, artifactPath));

        switch (info.Format)
        {
            case ArtifactFormat.Pe:
            case ArtifactFormat.MachO:
                return Refuse(ArtifactProblem.NotLinuxProgram, $"it is a {(info.Format == ArtifactFormat.Pe ? "Windows" : "macOS")} binary and the container runs Linux");
            case ArtifactFormat.ElfSharedLibrary:
            case ArtifactFormat.ElfOther:
            case ArtifactFormat.Unknown:
                return Refuse(ArtifactProblem.NotLinuxProgram, "it is not a Linux program");
            case ArtifactFormat.Script:
                return EvaluateScript(info, offer, Refuse) ?? Pass(subject, where);
        }

        if (offer.Machine is { Length: > 0 } machine && info.Machine is not null
            && MachineNames.Family(machine) != MachineNames.Family(info.Machine))
            return Refuse(ArtifactProblem.MachineMismatch, $"it is built for {info.Machine} and the container's CPU is {machine}");
        if (info.IsStatic) return Pass(subject, where);

        if (info.Interpreter is { } loader && offer.Paths.TryGetValue(loader, out var hasLoader) && !hasLoader)
            return Refuse(ArtifactProblem.LoaderMissing, $"it is dynamically linked and its loader {loader} does not exist in the container");
        if (info.GlibcNeeded is { } needed && offer.Libc == LibcKind.Glibc && offer.LibcVersion is { } has && has < needed)
            return Refuse(ArtifactProblem.GlibcTooOld, $"it needs GLIBC_{needed} and the container's glibc is {has}");
        var musl = info.Interpreter?.Contains("ld-musl", StringComparison.Ordinal) == true;
        var missing = info.Needed
            .Where(lib => !(musl && MuslBuiltIn.Contains(lib)))
            .Where(lib => offer.Libraries.TryGetValue(lib, out var at) && at is null)
            .ToList();
        if (missing.Count > 0)
            return Refuse(ArtifactProblem.LibraryMissing,
                $"it needs {string.Join(", ", missing)}, which the container does not have (looked in /lib, /lib64, /usr/lib, /usr/lib64, /usr/local/lib, the multiarch folders, /etc/ld.so.conf and LD_LIBRARY_PATH)");
        return Pass(subject, where);
    }

    private static ArtifactVerdict? EvaluateScript(ArtifactInfo info, ContainerOffer offer, Func<ArtifactProblem, string, ArtifactVerdict> refuse)
    {
        if (info.ScriptHasCrLf)
            return refuse(ArtifactProblem.ScriptLineEndings, "its #! line ends in a Windows line ending (CR LF), so Linux looks for a program named \"" + info.ScriptInterpreter + "\\r\"");
        if (info.ScriptInterpreter is not { } interpreter)
            return refuse(ArtifactProblem.ScriptInterpreterMissing, "its #! line names no interpreter");
        if (offer.Paths.TryGetValue(interpreter, out var present) && !present)
            return refuse(ArtifactProblem.ScriptInterpreterMissing, $"its interpreter {interpreter} does not exist in the container");
        if (ContainerProbe.ScriptCommand(info) is { } command && offer.Commands.TryGetValue(command, out var path) && path is null)
            return refuse(ArtifactProblem.ScriptInterpreterMissing, $"its #! line runs {command} through env and the container has no {command} on PATH");
        return null;
    }

    private static ArtifactVerdict Pass(string subject, string where) => new(true, null, $"{subject} fits {where}.", null);
}
