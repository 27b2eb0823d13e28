using DevK8s.Engine.Sync;

namespace DevK8s.Engine.Doctor;

/// <summary>
/// Warns when git checks the project out with CRLF (Git for Windows' default core.autocrlf=true):
/// synced files then differ from the image on every text line, and shell scripts fail in Linux
/// containers with "\r: not found".
/// </summary>
public static class LineEndingCheck
{
    public const string Name = "Line endings";
    private const int Examples = 3;

    private const string Fix =
        "Add the line '* text=auto eol=lf' to the project's .gitattributes (or run: git config core.autocrlf input); " +
        "then, with your changes committed or stashed, check the files out again: git rm -r --cached -q . ; git reset --hard";

    public static CheckResult Run(string projectDirectory)
    {
        if (GitCli.Run(projectDirectory, ["rev-parse", "--is-inside-work-tree"]) is not (0, var inside) || inside.Trim() != "true")
            return new CheckResult(Name, CheckStatus.Pass, $"{projectDirectory} is not a git checkout: nothing converts its line endings", null);
        if (GitCli.Run(projectDirectory, ["ls-files", "--eol", "-z"]) is not (0, var listing))
            return new CheckResult(Name, CheckStatus.Warn, "git could not list the project's files", "Run 'git ls-files --eol' in the project folder to see why.");

        var files = Parse(listing);
        // A file whose own attributes ask for CRLF (a .cmd or .bat) is meant to be that way.
        var converted = files.Where(f => f.Index == "lf" && f.WorkTree == "crlf" && !f.Attributes.Contains("eol=crlf")).Select(f => f.Path).ToList();
        if (converted.Count > 0)
            return new CheckResult(Name, CheckStatus.Warn,
                $"{converted.Count} text file(s) are checked out with CRLF though git stores them with LF (e.g. {string.Join(", ", converted.Take(Examples))}): " +
                "synced files then differ from the image, and shell scripts fail in the container", Fix);

        var autocrlf = Config(projectDirectory, "core.autocrlf");
        var eol = Config(projectDirectory, "core.eol");
        var converts = autocrlf == "true" || (autocrlf != "input" && eol == "crlf");
        // Files whose attributes pin LF (or mark them not text) are safe from that setting.
        var exposed = files.Count(f => f.Index == "lf" && !f.Attributes.Contains("eol=lf") && !f.Attributes.Contains("-text") && !f.Attributes.Contains("binary"));
        if (converts && exposed > 0)
            return new CheckResult(Name, CheckStatus.Warn,
                $"{(autocrlf == "true" ? "core.autocrlf=true" : "core.eol=crlf")}: git will check {exposed} text file(s) out with CRLF the next time it writes them " +
                "(none is converted yet); synced files would then differ from the image", Fix);
        return new CheckResult(Name, CheckStatus.Pass, $"{files.Count} tracked file(s) checked out as stored (no CRLF conversion)", null);
    }

    /// <summary>`git ls-files --eol -z`: "i/&lt;eol&gt; w/&lt;eol&gt; attr/&lt;attributes&gt;\t&lt;path&gt;\0" per file.</summary>
    public static List<(string Index, string WorkTree, string Attributes, string Path)> Parse(string listing)
    {
        var files = new List<(string, string, string, string)>();
        foreach (var record in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t');
            if (tab < 0) continue;
            var info = record[..tab];
            var attr = info.IndexOf("attr/", StringComparison.Ordinal);
            var fields = (attr < 0 ? info : info[..attr]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string Field(string prefix) => fields.FirstOrDefault(f => f.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..] ?? "";
            files.Add((Field("i/"), Field("w/"), attr < 0 ? "" : info[(attr + 5)..].Trim(), record[(tab + 1)..]));
        }
        return files;
    }

    private static string? Config(string directory, string key) =>
        GitCli.Run(directory, ["config", "--get", key]) is (0, var value) ? value.Trim().ToLowerInvariant() : null;
}
