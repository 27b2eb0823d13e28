using System.Diagnostics;
using System.Reflection;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// Real programs compiled once per test run with the machine's compilers. tests/run installs them
/// (gcc, musl-tools, gcc-aarch64-linux-gnu); a missing compiler fails the tests, never skips them.
/// </summary>
public sealed class RealBinaries : IDisposable
{
    // sqrt pulls in libm, so the dynamic build has two DT_NEEDED entries; arc4random is new in glibc 2.36.
    private const string Program = "#include <stdio.h>\n#include <math.h>\nint main(int c, char **v) { printf(\"%f\\n\", sqrt((double)c)); return 0; }\n";
    private const string NeedsGlibc236 = "#include <stdio.h>\n#include <stdlib.h>\nint main(void) { printf(\"%u\\n\", arc4random()); return 0; }\n";
    private const string Library = "int answer(void) { return 42; }\n";

    public string Dir { get; } = Directory.CreateTempSubdirectory("devk8s-artifact-").FullName;
    public string GlibcDynamic => Path.Combine(Dir, "glibc-dynamic");
    public string GlibcStatic => Path.Combine(Dir, "glibc-static");
    public string GlibcStaticPie => Path.Combine(Dir, "glibc-static-pie");
    public string Glibc236 => Path.Combine(Dir, "glibc-2.36");
    public string SharedLibrary => Path.Combine(Dir, "libanswer.so");
    /// <summary>A library whose dynamic strings pass 1 MB, with its DT_NEEDED name stored past that mark.</summary>
    public string BigStrings => Path.Combine(Dir, "libbig.so");
    /// <summary>Linked against libanswer.so (DT_NEEDED), which no container has.</summary>
    public string NeedsLibanswer => Path.Combine(Dir, "needs-libanswer");
    public string MuslDynamic => Path.Combine(Dir, "musl-dynamic");
    public string MuslStatic => Path.Combine(Dir, "musl-static");
    public string Aarch64Dynamic => Path.Combine(Dir, "aarch64-dynamic");
    public string GoStatic => Path.Combine(Dir, "go-static");
    /// <summary>The C build with the .comment rustc writes (verified with rustc 1.95: "rustc version 1.95.0 (...)").</summary>
    public string RustComment => Path.Combine(Dir, "rust-comment");

    /// <summary>The .NET SDK's win-x64 apphost.exe, restored by the test project (PackageDownload).</summary>
    public static string WinApphost => typeof(RealBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "WinApphost").Value!;

    public RealBinaries()
    {
        File.WriteAllText(Path.Combine(Dir, "p.c"), Program);
        File.WriteAllText(Path.Combine(Dir, "r.c"), NeedsGlibc236);
        File.WriteAllText(Path.Combine(Dir, "l.c"), Library);
        Compile("gcc", "gcc", "-O2", "-o", GlibcDynamic, "p.c", "-lm");
        Compile("gcc", "gcc", "-O2", "-static", "-o", GlibcStatic, "p.c", "-lm");
        Compile("gcc", "gcc", "-O2", "-static-pie", "-o", GlibcStaticPie, "p.c", "-lm");
        Compile("gcc", "gcc", "-O2", "-o", Glibc236, "r.c");
        Compile("gcc", "gcc", "-O2", "-shared", "-fPIC", "-o", SharedLibrary, "l.c");
        File.WriteAllText(Path.Combine(Dir, "u.c"), "int answer(void);\nint main(void) { return answer(); }\n");
        Compile("gcc", "gcc", "-O2", "-o", NeedsLibanswer, "u.c", "-L.", "-lanswer");
        File.WriteAllText(Path.Combine(Dir, "big.c"), "#include <math.h>\n" + string.Concat(Enumerable.Range(0, 3000)
            .Select(i => $"int f{i:D5}_{new string('x', 400)}(void) {{ return {i}; }}\n")) + "double use(double x) { return sqrt(x); }\n");
        Compile("gcc", "gcc", "-O0", "-shared", "-fPIC", "-o", BigStrings, "big.c", "-lm");
        Compile("musl-tools", "musl-gcc", "-O2", "-o", MuslDynamic, "p.c", "-lm");
        Compile("musl-tools", "musl-gcc", "-O2", "-static", "-o", MuslStatic, "p.c", "-lm");
        Compile("gcc-aarch64-linux-gnu", "aarch64-linux-gnu-gcc", "-O2", "-o", Aarch64Dynamic, "p.c", "-lm");
        File.WriteAllText(Path.Combine(Dir, "main.go"), "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n");
        Compile("golang-go", "go", "build", "-o", GoStatic, "main.go");
        File.WriteAllBytes(Path.Combine(Dir, "comment"), "rustc version 1.95.0 (59807616e 2026-04-14)\0"u8.ToArray());
        Compile("binutils", "objcopy", "--remove-section=.comment", "--add-section", ".comment=comment", GlibcDynamic, RustComment);
    }

    private void Compile(string package, string compiler, params string[] args)
    {
        var info = new ProcessStartInfo(compiler) { WorkingDirectory = Dir, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        // go needs a build cache; CI shells may have no HOME to put the default one in.
        info.Environment["GOCACHE"] = Path.Combine(Dir, "gocache");
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{compiler} is not installed: tests/run installs it (apt-get install {package}).");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"{compiler} {string.Join(' ', args)} failed: {stderr}");
        }
    }

    public string Write(string name, string text)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Dir, true);
}

/// <summary>One compile of the real binaries and one set of chroots for every artifact-check test class.</summary>
[CollectionDefinition(Name)]
public sealed class ArtifactCollection : ICollectionFixture<RealBinaries>, ICollectionFixture<ShellRoots>
{
    public const string Name = "artifact check";
}
