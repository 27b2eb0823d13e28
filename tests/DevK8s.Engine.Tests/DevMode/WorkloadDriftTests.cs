using System.Text.Json;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.DevMode;
using k8s.Models;
using Xunit;

namespace DevK8s.Engine.Tests.DevMode;

/// <summary>Drift is read from managedFields: who changed which spec fields since the session started.</summary>
public class WorkloadDriftTests
{
    private static readonly DevSessionRecord Session = new("me@host", "abc123", "Sync", new DateTimeOffset(2026, 11, 25, 10, 0, 0, 500, TimeSpan.Zero));

    private static V1ManagedFieldsEntry Entry(string manager, DateTime time, string fields) => new()
    {
        Manager = manager, Operation = "Update", Time = time, FieldsV1 = JsonDocument.Parse(fields).RootElement,
    };

    [Fact]
    public void Others_spec_changes_since_the_session_started_are_named_with_their_fields()
    {
        var meta = new V1ObjectMeta
        {
            ManagedFields =
            [
                Entry("devk8s", new DateTime(2026, 11, 25, 10, 0, 1, DateTimeKind.Utc), """{"f:spec":{"f:replicas":{}}}"""),
                Entry("kubectl-client-side-apply", new DateTime(2026, 11, 25, 9, 0, 0, DateTimeKind.Utc), """{"f:spec":{"f:template":{}}}"""),
                Entry("kube-controller-manager", new DateTime(2026, 11, 25, 10, 5, 0, DateTimeKind.Utc), """{"f:status":{"f:replicas":{}},"f:metadata":{"f:annotations":{}}}"""),
                Entry("kubectl-edit", new DateTime(2026, 11, 25, 10, 0, 0, DateTimeKind.Utc),
                    """{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"main\"}":{".":{},"f:image":{},"f:env":{"k:{\"name\":\"DEBUG\"}":{".":{},"f:name":{},"f:value":{}}}}}}}}}"""),
            ],
        };
        var drift = Assert.Single(WorkloadDriftReader.Read(meta, Session));
        Assert.Equal("kubectl-edit", drift.Manager);
        Assert.Equal(new[]
        {
            "spec.template.spec.containers[name=main].image",
            "spec.template.spec.containers[name=main].env[name=DEBUG].name",
            "spec.template.spec.containers[name=main].env[name=DEBUG].value",
        }, drift.Fields);
        Assert.StartsWith("changed by kubectl-edit at ", drift.ToString());
    }

    [Fact]
    public void No_writer_but_DevK8s_and_controllers_means_no_drift() =>
        Assert.Empty(WorkloadDriftReader.Read(new V1ObjectMeta
        {
            ManagedFields = [Entry("devk8s", new DateTime(2026, 11, 25, 10, 0, 3, DateTimeKind.Utc), """{"f:spec":{"f:template":{}}}""")],
        }, Session));
}
