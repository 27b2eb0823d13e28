using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Doctor;
using DevK8s.Engine.Sync;

namespace DevK8s.Infrastructure;

/// <summary>Engine records to the module's own output types (never third-party types on the pipeline).</summary>
internal static class Mapper
{
    public static DevStrategy ToOutput(Strategy s) => (DevStrategy)(int)s;

    public static DevProject ToOutput(ProjectConfig p) => new()
    {
        Name = p.Name,
        Path = p.FilePath,
        Directory = p.Directory,
        Namespace = p.Namespace,
        Context = p.Context,
        Manifests = p.Manifests.Select(m => System.IO.Path.GetRelativePath(p.Directory, m)).ToArray(),
        Services = p.Services.Select(s => new DevServiceDefinition
        {
            Name = s.Name,
            Workload = s.Workload.ToString(),
            Container = s.Container,
            Strategy = s.DefaultStrategy is { } d ? ToOutput(d) : null,
            Strategies = s.Strategies.Select(ToOutput).ToArray(),
        }).ToArray(),
    };

    public static DevService ToOutput(ServiceStatus s, string context, string projectPath) => new()
    {
        Name = s.Service.Name,
        Namespace = s.Namespace,
        Context = context,
        Workload = s.Service.Workload.ToString(),
        Container = s.Container,
        Mode = (DevMode)(int)s.Mode,
        Strategy = s.Session is { } session && Enum.TryParse<DevStrategy>(session.Strategy, true, out var strategy) ? strategy : null,
        Owner = s.Session?.Owner,
        Since = s.Session?.StartedAt,
        Ready = s.Mode == ServiceMode.Missing ? "-" : $"{s.ReadyReplicas}/{s.DesiredReplicas}",
        Image = s.Image,
        ProjectPath = projectPath,
        Changes = s.Changes.ToArray(),
        Session = s.Lease is null ? null : s.Lease.Live ? DevSessionLiveness.Live : DevSessionLiveness.Stale,
        LastSeen = s.Lease?.LastSeen,
        Drift = s.Drift.Select(d => d.ToString()).ToArray(),
    };

    public static DevApplyResult ToOutput(ApplyResult r) => new()
    {
        Kind = r.Object.Kind,
        Name = r.Object.Name,
        Namespace = r.Namespace.Length == 0 ? null : r.Namespace,
        Action = (DevApplyAction)(int)r.Action,
        Source = r.Object.Source,
        ResourceVersion = r.ResourceVersion,
        Reason = r.Reason,
    };

    public static DevCheck ToOutput(CheckResult c) => new()
    {
        Name = c.Name,
        Status = (DevCheckStatus)(int)c.Status,
        Detail = c.Detail,
        Fix = c.Fix,
    };

    public static DevSyncResult ToOutput(DevSyncReport r) => new()
    {
        Service = r.Service,
        Pod = r.Pod,
        Kind = (DevSyncKind)(int)r.Kind,
        FilesSent = r.FilesSent,
        FilesDeleted = r.FilesDeleted,
        Bytes = r.BytesSent,
        Duration = r.Duration,
        Paths = r.Paths.ToArray(),
        Action = r.Action,
        Time = r.Time,
    };

    public static DevSession ToOutput(Engine.DevMode.DevSession s) => new()
    {
        Service = s.Service.Name,
        Strategy = Enum.Parse<DevStrategy>(s.Record.Strategy, ignoreCase: true),
        Namespace = s.Target.Namespace,
        Context = s.Target.Context,
        Workload = s.Service.Workload.ToString(),
        Pod = s.Pod,
        State = (DevSessionState)(int)s.State,
        StartedAt = s.Record.StartedAt,
        Owner = s.Record.Owner,
        SessionId = s.Record.SessionId,
        LastPush = s.LastPush is null ? null : ToOutput(s.LastPush),
        Error = s.Failure?.Message,
        ProjectPath = s.Project.FilePath,
        Changes = s.Changes.ToArray(),
        Details = ToDetails(s.Strategy.Kind, s.Details),
    };

    public static DevPushResult ToOutput(PushReport r) => new()
    {
        Service = r.Service,
        Strategy = ToOutput(r.Strategy),
        Pod = r.Pod,
        Summary = r.Summary,
        Bytes = r.BytesSent,
        Duration = r.Duration,
        Time = r.Time,
    };

    /// <summary>A strategy's details as one object with its own type name (DevK8s.DevSyncDetails…), so each gets its view.</summary>
    private static System.Management.Automation.PSObject ToDetails(Strategy strategy, IReadOnlyList<KeyValuePair<string, object?>> details)
    {
        var o = new System.Management.Automation.PSObject();
        o.TypeNames.Insert(0, $"DevK8s.Dev{strategy}Details");
        foreach (var (name, value) in details)
            o.Properties.Add(new System.Management.Automation.PSNoteProperty(name, value switch
            {
                DevSyncReport sync => ToOutput(sync),
                PushReport push => ToOutput(push),
                _ => value,
            }));
        return o;
    }

    public static DevLogRecord ToOutput(Engine.Logs.DevLogRecord r) => new()
    {
        Time = r.Time,
        Service = r.Service,
        Pod = r.Pod,
        Container = r.Container,
        Stream = r.Stream,
        Message = r.Message,
        Source = (DevLogSource)(int)r.Source,
    };
}
