using DevK8s.Engine.Cluster;
using DevK8s.Engine.Exec;

namespace DevK8s.Engine.Binary;

/// <summary>
/// One exec that asks the container what the artifact needs: `uname -m`, the C library and its
/// version, and whether the loader, libraries and commands exist. A POSIX sh script (dash, bash,
/// busybox sh); its questions go in as arguments, so the script text never changes.
/// </summary>
public static class ContainerProbe
{
    private const string Marker = "devk8s-probe 1";

    // Arguments: p:PATH (does it exist), l:SONAME (in which library directory), c:NAME (command -v),
    // d:DIR (an extra library directory, from the artifact's RUNPATH).
    // Library directories: the extra ones, LD_LIBRARY_PATH, /etc/ld.so.conf(.d), then the defaults
    // and Debian's multiarch folders; the same places the loader searches, minus ld.so.cache.
    // glibc's version: getconf, else `ldd --version`, else the banner libc.so.6 prints when run,
    // else a libc-X.Y.so file name (glibc before 2.34). musl's: the banner of its loader.
    internal static readonly string Script = Exec.ContainerScripts.Lf("""
        nl='
        '
        echo 'devk8s-probe 1'
        echo "machine $(uname -m 2>/dev/null)"
        dirs=
        for a in "$@"; do case $a in d:*) dirs="$dirs$nl${a#d:}";; esac; done
        oldifs=$IFS; IFS=:
        for d in ${LD_LIBRARY_PATH:-}; do dirs="$dirs$nl$d"; done
        IFS=$oldifs
        for f in /etc/ld.so.conf /etc/ld.so.conf.d/*.conf; do
          [ -f "$f" ] || continue
          while IFS= read -r l || [ -n "$l" ]; do case $l in /*) dirs="$dirs$nl${l%%[ 	#]*}";; esac; done < "$f"
        done
        for d in /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib /lib/*-linux-gnu* /usr/lib/*-linux-gnu*; do
          [ -d "$d" ] && dirs="$dirs$nl$d"
        done
        IFS=$nl; set -f
        libc= ; ver=
        v=$(getconf GNU_LIBC_VERSION 2>/dev/null) && case $v in glibc\ *) libc=glibc; ver=${v#glibc };; esac
        if [ -z "$libc" ]; then
          v=$(ldd --version 2>/dev/null | head -n 1)
          case $v in *GLIBC*|*"GNU libc"*) libc=glibc; ver=${v##* };; esac
        fi
        for d in $dirs; do
          [ -n "$libc" ] && break
          if [ -e "$d/libc.so.6" ]; then
            libc=glibc
            v=$("$d/libc.so.6" 2>/dev/null | head -n 1)
            case $v in *"version "*) v=${v##*version }; ver=${v%.};; esac
            continue
          fi
          set +f
          for f in "$d"/ld-musl-*.so.1; do
            [ -e "$f" ] || continue
            libc=musl
            v=$("$f" 2>&1 | grep '^Version ')
            ver=${v#Version }
          done
          set -f
        done
        if [ "$libc" = glibc ] && [ -z "$ver" ]; then
          set +f
          for d in $dirs; do for f in "$d"/libc-*.so; do [ -e "$f" ] && { v=${f##*/libc-}; ver=${v%.so}; }; done; done
          set -f
        fi
        echo "libc ${libc:-none} $ver"
        for a in "$@"; do
          case $a in
            p:*) if [ -e "${a#p:}" ]; then echo "path 1 ${a#p:}"; else echo "path 0 ${a#p:}"; fi ;;
            c:*) if w=$(command -v "${a#c:}" 2>/dev/null); then echo "cmd 1 ${a#c:} $w"; else echo "cmd 0 ${a#c:}"; fi ;;
            l:*) n=${a#l:}; found=
                 for d in $dirs; do [ -e "$d/$n" ] && { found=$d/$n; break; }; done
                 if [ -n "$found" ]; then echo "lib 1 $n $found"; else echo "lib 0 $n"; fi ;;
          esac
        done
        echo end
        """);

    /// <summary>What to ask the container about an artifact that will run at <paramref name="target"/>.</summary>
    public static IReadOnlyList<string> Questions(ArtifactInfo info, string target)
    {
        var questions = new List<string>();
        if (info.Interpreter is not null) questions.Add("p:" + info.Interpreter);
        if (info.Format == ArtifactFormat.Script && info.ScriptInterpreter is not null)
        {
            questions.Add("p:" + info.ScriptInterpreter);
            if (ScriptCommand(info) is { } command) questions.Add("c:" + command);
        }
        var origin = TargetDirectory(target);
        foreach (var dir in info.RunPath)
            questions.Add("d:" + dir.Replace("${ORIGIN}", origin, StringComparison.Ordinal).Replace("$ORIGIN", origin, StringComparison.Ordinal));
        foreach (var lib in info.Needed) questions.Add("l:" + lib);
        return questions;
    }

    /// <summary>The exec's argv: sh -c SCRIPT devk8s-probe QUESTIONS...</summary>
    public static IReadOnlyList<string> Command(IReadOnlyList<string> questions) => ["/bin/sh", "-c", Script, "devk8s-probe", .. questions];

    /// <summary>Runs the probe in the container through <see cref="PodExec"/> and parses its answer.</summary>
    public static async Task<ContainerOffer> RunAsync(KubeTarget kube, string pod, string container, ArtifactInfo info, string target, CancellationToken ct)
    {
        var result = await PodExec.RunAsync(kube, pod, container, Command(Questions(info, target)), ct).ConfigureAwait(false);
        if (result.ExitCode != 0 || !result.Stdout.StartsWith(Marker, StringComparison.Ordinal))
            throw new ExecException(
                $"cannot ask {pod}/{container} what it offers the artifact: /bin/sh exited with {result.ExitCode}" +
                (string.IsNullOrWhiteSpace(result.Stderr) ? "" : $" ({result.Stderr.Trim()})") +
                ". The Binary strategy needs /bin/sh in the image.", result.ExitCode, result.Stderr);
        return Parse(result.Stdout);
    }

    /// <summary>Reads the probe's output; throws FormatException when it is cut short or not the probe's.</summary>
    public static ContainerOffer Parse(string output)
    {
        var lines = output.ReplaceLineEndings("\n").Split('\n');
        if (lines.Length == 0 || lines[0] != Marker)
            throw new FormatException($"the container's answer does not start with '{Marker}': {First(output)}");
        if (!lines.Contains("end"))
            throw new FormatException($"the container's answer was cut short: {First(output)}");

        string? machine = null;
        var libc = LibcKind.Unknown;
        Version? version = null;
        var paths = new Dictionary<string, bool>(StringComparer.Ordinal);
        var libs = new Dictionary<string, string?>(StringComparer.Ordinal);
        var commands = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var (key, rest) = Split(line);
            switch (key)
            {
                case "machine":
                    machine = rest.Length == 0 ? null : rest;
                    break;
                case "libc":
                    var (kind, ver) = Split(rest);
                    libc = kind switch { "glibc" => LibcKind.Glibc, "musl" => LibcKind.Musl, "none" => LibcKind.None, _ => LibcKind.Unknown };
                    version = ParseVersion(ver);
                    break;
                case "path":
                    var (pathFound, path) = Split(rest);
                    paths[path] = pathFound == "1";
                    break;
                case "lib":
                    var (libFound, libRest) = Split(rest);
                    var (soname, where) = Split(libRest);
                    libs[soname] = libFound == "1" ? where : null;
                    break;
                case "cmd":
                    var (cmdFound, cmdRest) = Split(rest);
                    var (name, at) = Split(cmdRest);
                    commands[name] = cmdFound == "1" ? at : null;
                    break;
            }
        }
        return new ContainerOffer { Machine = machine, Libc = libc, LibcVersion = version, Paths = paths, Libraries = libs, Commands = commands };
    }

    /// <summary>For `#!/usr/bin/env [-S] python3`, the command env must find on PATH.</summary>
    internal static string? ScriptCommand(ArtifactInfo info) =>
        info.ScriptInterpreter is { } interpreter && Path.GetFileName(interpreter) == "env"
            ? info.ScriptArguments.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('='))
            : null;

    private static string TargetDirectory(string target)
    {
        var slash = target.LastIndexOf('/');
        return slash <= 0 ? "/" : target[..slash];
    }

    // "2.36", "2.36-9+deb12u4", "1.2.4" → a Version; "2.36." and anything unparsable → what can be read.
    private static Version? ParseVersion(string text)
    {
        var digits = new string(text.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').ToArray()).Trim('.');
        return Version.TryParse(digits.Contains('.') ? digits : digits + ".0", out var v) ? v : null;
    }

    private static (string Head, string Tail) Split(string text)
    {
        var space = text.IndexOf(' ');
        return space < 0 ? (text, "") : (text[..space], text[(space + 1)..]);
    }

    private static string First(string output) => output.Length > 200 ? output[..200] + "..." : output;
}
