using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Doctor;

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
    };

    public static DevApplyResult ToOutput(ApplyResult r) => new()
    {
        Kind = r.Object.Kind,
        Name = r.Object.Name,
        Namespace = r.Namespace.Length == 0 ? null : r.Namespace,
        Action = (DevApplyAction)(int)r.Action,
        Source = r.Object.Source,
        ResourceVersion = r.ResourceVersion,
    };

    public static DevCheck ToOutput(CheckResult c) => new()
    {
        Name = c.Name,
        Status = (DevCheckStatus)(int)c.Status,
        Detail = c.Detail,
        Fix = c.Fix,
    };
}
