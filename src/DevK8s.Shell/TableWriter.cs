using System.Collections;
using System.Management.Automation;

namespace DevK8s.Shell;

/// <summary>Prints consecutive objects of one type as a table, the way Format-Table would by default.</summary>
internal sealed class TableWriter(TextWriter writer)
{
    private readonly List<PSObject> _batch = [];
    private string? _type;

    // The columns of module/DevK8s.format.ps1xml, in the same order.
    private static readonly Dictionary<string, string[]> Views = new()
    {
        ["DevK8s.DevProject"] = ["Name", "Namespace", "Context", "ServiceNames", "Path"],
        ["DevK8s.DevServiceDefinition"] = ["Name", "Workload", "Container", "Strategy", "Strategies"],
        ["DevK8s.DevService"] = ["Name", "Mode", "Strategy", "Ready", "Owner", "Workload", "Container", "Image"],
        ["DevK8s.DevApplyResult"] = ["Kind", "Name", "Namespace", "Action", "Source"],
        ["DevK8s.DevCheck"] = ["Name", "Status", "Detail", "Fix"],
        ["DevK8s.DevSession"] = ["Service", "Strategy", "State", "Pod", "Owner", "StartedAt"],
        ["DevK8s.DevSyncResult"] = ["Service", "Kind", "FilesSent", "FilesDeleted", "Bytes", "Duration", "Action"],
    };

    public void Write(PSObject item)
    {
        var type = item.BaseObject.GetType().FullName;
        if (type != _type) Flush();
        _type = type;
        _batch.Add(item);
        // Objects without a known view print at once rather than waiting for the end.
        if (!Views.ContainsKey(type!)) Flush();
    }

    public void Flush()
    {
        if (_batch.Count == 0) return;
        var first = _batch[0];
        if (first.BaseObject is string or ValueType)
        {
            foreach (var o in _batch) writer.WriteLine(o.ToString());
        }
        else
        {
            var columns = Views.TryGetValue(_type!, out var view) ? view : first.Properties.Select(p => p.Name).Take(8).ToArray();
            var rows = _batch.Select(o => columns.Select(c => Cell(o, c)).ToArray()).ToList();
            var widths = columns.Select((c, i) => Math.Min(60, Math.Max(c.Length, rows.Max(r => r[i].Length)))).ToArray();
            writer.WriteLine();
            writer.WriteLine(string.Join(' ', columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
            writer.WriteLine(string.Join(' ', widths.Select(w => new string('-', w))));
            foreach (var row in rows)
                writer.WriteLine(string.Join(' ', row.Select((v, i) => (v.Length > widths[i] ? v[..(widths[i] - 1)] + "…" : v).PadRight(widths[i]))).TrimEnd());
            writer.WriteLine();
        }
        _batch.Clear();
        writer.Flush();
    }

    private static string Cell(PSObject o, string name) => o.Properties[name]?.Value switch
    {
        null => "",
        string s => s,
        IEnumerable e => string.Join(", ", e.Cast<object>()),
        var v => v.ToString() ?? "",
    };
}
