using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DevK8s.Engine.Yaml;

/// <summary>Position of a node in its source file (1-based, as editors show it).</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public static SourcePosition From(Mark mark) => new((int)mark.Line, (int)mark.Column);
}

/// <summary>
/// A YAML node that keeps its position and, for mappings, every key including duplicates:
/// YamlDotNet's representation model throws on the first duplicate, and a strict config
/// must report all problems of a file at once.
/// </summary>
public abstract record YNode(SourcePosition Position);

public sealed record YScalar(SourcePosition Position, string Value, bool Plain, string? Tag) : YNode(Position)
{
    /// <summary>A plain (unquoted) null per the YAML 1.2 core schema.</summary>
    public bool IsNull => Plain && Tag is null && Value is "" or "~" or "null" or "Null" or "NULL";
}

public sealed record YSequence(SourcePosition Position, IReadOnlyList<YNode> Items) : YNode(Position);

public sealed record YEntry(YScalar Key, YNode Value);

public sealed record YMapping(SourcePosition Position, IReadOnlyList<YEntry> Entries) : YNode(Position);

/// <summary>A YAML syntax error with the position the parser reported.</summary>
public sealed class YamlSyntaxError(SourcePosition position, string message) : Exception(message)
{
    public SourcePosition Position { get; } = position;
}

public static class YamlTree
{
    /// <summary>Parses every document of a YAML text; an empty document yields null.</summary>
    public static IReadOnlyList<(SourcePosition Start, YNode? Root)> ParseDocuments(string text)
    {
        var documents = new List<(SourcePosition, YNode?)>();
        try
        {
            var parser = new Parser(new StringReader(text));
            var anchors = new Dictionary<string, YNode>();
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out var start))
            {
                YNode? root = null;
                if (!parser.Accept<DocumentEnd>(out _))
                    root = ReadNode(parser, anchors);
                parser.Consume<DocumentEnd>();
                documents.Add((SourcePosition.From(start.Start), root is YScalar s && s.IsNull ? null : root));
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            var message = CleanMessage(e);
            var at = SourcePosition.From(e.Start);
            // YamlDotNet reports a tab indentation at the start of the enclosing mapping; point at the tab.
            if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FirstTabIndentedLine(text) is { } line)
                at = new SourcePosition(line, 1);
            throw new YamlSyntaxError(at, message);
        }
        return documents;
    }

    private static YNode ReadNode(IParser parser, Dictionary<string, YNode> anchors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
                throw new YamlSyntaxError(SourcePosition.From(alias.Start), $"unknown alias '*{alias.Value.Value}'");
            return target;
        }
        YNode node;
        string? anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
            var tag = scalar.Tag.IsEmpty || scalar.Tag.Value == "!" ? null : scalar.Tag.Value;
            node = new YScalar(SourcePosition.From(scalar.Start), scalar.Value, scalar.Style == ScalarStyle.Plain, tag);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            anchor = seqStart.Anchor.IsEmpty ? null : seqStart.Anchor.Value;
            var items = new List<YNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
                items.Add(ReadNode(parser, anchors));
            node = new YSequence(SourcePosition.From(seqStart.Start), items);
        }
        else
        {
            var mapStart = parser.Consume<MappingStart>();
            anchor = mapStart.Anchor.IsEmpty ? null : mapStart.Anchor.Value;
            var entries = new List<YEntry>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, anchors);
                var key = keyNode as YScalar
                    ?? throw new YamlSyntaxError(keyNode.Position, "a mapping key must be a plain string");
                entries.Add(new YEntry(key, ReadNode(parser, anchors)));
            }
            node = new YMapping(SourcePosition.From(mapStart.Start), entries);
        }
        if (anchor is not null) anchors[anchor] = node;
        return node;
    }

    private static int? FirstTabIndentedLine(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].TrimStart(' ').StartsWith('\t')) return i + 1;
        return null;
    }

    // YamlDotNet prefixes its messages with "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the
    // position is reported separately, so keep only the human part.
    private static string CleanMessage(YamlException e)
    {
        var message = e.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && cut > 0)
            message = message[(cut + 3)..];
        return message.Trim();
    }
}
