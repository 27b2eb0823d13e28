namespace DevK8s.Engine.Binary;

/// <summary>The "what to do" half of a refusal, worded for the toolchain that built the artifact.</summary>
internal static class Remedy
{
    public static string For(ArtifactProblem problem, ArtifactInfo info, ContainerOffer offer, string artifactPath)
    {
        var machine = offer.Machine is { Length: > 0 } m ? m : info.Machine ?? "x86_64";
        if (problem == ArtifactProblem.ScriptLineEndings)
            return $"Fix: save {Path.GetFileName(artifactPath)} with LF line endings (with git: `*.sh text eol=lf` in .gitattributes, then check it out again).";
        if (problem == ArtifactProblem.ScriptInterpreterMissing)
            return $"Fix: install {ScriptNeed(info)} in the image, or point the #! line at an interpreter the image has (`#!/bin/sh` where that is enough).";
        if (problem == ArtifactProblem.NotLinuxProgram && info.Format is ArtifactFormat.ElfSharedLibrary or ArtifactFormat.Unknown or ArtifactFormat.ElfOther
            && info.Toolchain != Toolchain.DotNet)
            return "Fix: set `artifact` to the program the build writes (cargo: target/<profile>/<bin name>; Go: the -o file; .NET: the publish folder's executable).";

        var crossBuild = problem is ArtifactProblem.NotLinuxProgram or ArtifactProblem.MachineMismatch;
        return info.Toolchain switch
        {
            Toolchain.Rust => Rust(problem, machine, offer, crossBuild),
            Toolchain.Go => Go(machine),
            Toolchain.DotNet => DotNet(machine, offer),
            _ => Other(problem, info, offer, machine, crossBuild),
        };
    }

    private static string Rust(ArtifactProblem problem, string machine, ContainerOffer offer, bool crossBuild)
    {
        var arm = MachineNames.Family(machine) == "arm";
        var musl = arm ? "armv7-unknown-linux-musleabihf" : $"{MachineNames.RustArch(machine)}-unknown-linux-musl";
        var gnu = arm ? "armv7-unknown-linux-gnueabihf" : $"{MachineNames.RustArch(machine)}-unknown-linux-gnu";
        var staticBuild = $"a static musl build: `rustup target add {musl}` then `cargo build --release --target {musl}` (the binary is then under target/{musl}/release/; set `artifact` to it)";
        if (crossBuild)
            return $"Fix: cross-build for Linux {machine}: `rustup target add {musl}` then `cargo zigbuild --release --target {musl}` " +
                   $"(cargo-zigbuild brings a Linux linker, also on Windows and macOS; `cross build --release --target {musl}` works too where Docker runs), and set `artifact` to target/{musl}/release/<bin>.";
        if (problem == ArtifactProblem.GlibcTooOld && offer.LibcVersion is { } glibc)
            return $"Fix: link against the container's glibc with `cargo zigbuild --release --target {gnu}.{glibc.Major}.{glibc.Minor}`, or make {staticBuild}.";
        return $"Fix: make {staticBuild}.";
    }

    private static string Go(string machine)
    {
        var arch = MachineNames.GoArch(machine);
        return $"Fix: build a static Linux binary: `CGO_ENABLED=0 GOOS=linux GOARCH={arch} go build -o <artifact>` " +
               $"(in PowerShell on Windows: `$env:CGO_ENABLED='0'; $env:GOOS='linux'; $env:GOARCH='{arch}'; go build -o <artifact>`).";
    }

    private static string DotNet(string machine, ContainerOffer offer)
    {
        var rid = (offer.Libc == LibcKind.Musl ? "linux-musl-" : "linux-") + MachineNames.DotNetArch(machine);
        var publish = $"`dotnet publish -c Release -r {rid} --self-contained` (works from Windows and macOS too) and set `artifact` to the executable in bin/Release/<tfm>/{rid}/publish/";
        return offer.Libc == LibcKind.None
            ? $"Fix: .NET needs a C library and this image has none: base it on one with glibc or musl (e.g. mcr.microsoft.com/dotnet/runtime-deps), then {publish}."
            : $"Fix: {publish}.";
    }

    private static string Other(ArtifactProblem problem, ArtifactInfo info, ContainerOffer offer, string machine, bool crossBuild)
    {
        if (crossBuild)
            return $"Fix: build it for Linux {machine}. Rust: `cargo zigbuild --release --target {MachineNames.RustArch(machine)}-unknown-linux-musl`; " +
                   $"Go: `CGO_ENABLED=0 GOOS=linux GOARCH={MachineNames.GoArch(machine)} go build`; .NET: `dotnet publish -r linux-{MachineNames.DotNetArch(machine)} --self-contained`; " +
                   $"C/C++: a cross compiler for {machine}-linux (e.g. zig cc -target {MachineNames.RustArch(machine)}-linux-musl) or a build inside WSL or a Linux container.";
        var image = problem switch
        {
            ArtifactProblem.LoaderMissing => $"use an image that has {info.Interpreter}",
            ArtifactProblem.GlibcTooOld => $"build on a system whose glibc is {offer.LibcVersion} or older, or use an image with glibc {info.GlibcNeeded} or newer",
            _ => "add the missing libraries to the image",
        };
        return $"Fix: link it statically (gcc/clang `-static`, or musl-gcc `-static`), or {image}.";
    }

    private static string ScriptNeed(ArtifactInfo info) =>
        ContainerProbe.ScriptCommand(info) ?? info.ScriptInterpreter ?? "the interpreter";
}
