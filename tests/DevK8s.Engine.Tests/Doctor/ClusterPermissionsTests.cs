using DevK8s.Engine.Doctor;
using Xunit;

namespace DevK8s.Engine.Tests.Doctor;

public class ClusterPermissionsTests
{
    private static bool Has(string verb, string resource, string? sub = null, string? group = null) =>
        EnvironmentDoctor.Permissions.Any(p => p.Verb == verb && p.Resource == resource && p.Subresource == sub && (group is null || p.Group == group));

    [Fact]
    public void The_doctor_checks_the_lease_verbs_of_coordination_k8s_io()
    {
        foreach (var verb in new[] { "create", "get", "update", "delete" })
            Assert.True(Has(verb, "leases", group: "coordination.k8s.io"), $"{verb} leases");
    }

    [Fact]
    public void Dev_mode_is_checked_for_update_on_both_workload_kinds_as_it_replaces_them()
    {
        foreach (var kind in new[] { "deployments", "statefulsets" })
            foreach (var verb in new[] { "get", "list", "update" })
                Assert.True(Has(verb, kind, group: "apps"), $"{verb} {kind}");
        Assert.DoesNotContain(EnvironmentDoctor.Permissions, p => p.Resource == "statefulsets" && p.Verb == "patch");
    }

    [Fact]
    public void Pod_access_deploy_and_nothing_the_code_does_not_call()
    {
        Assert.True(Has("create", "pods", "exec"));
        Assert.True(Has("get", "pods", "log"));
        Assert.True(Has("list", "pods"));
        Assert.Contains(EnvironmentDoctor.Permissions, p => p is { Verb: "create", Resource: "namespaces", Namespaced: false });
        // The builtin intercept's link is a port-forward (a WebSocket GET before 1.30, create since).
        Assert.True(Has("create", "pods", "portforward"));
        Assert.True(Has("get", "pods", "portforward"));
        // No watch calls exist in the engine; the doctor must not demand them.
        Assert.DoesNotContain(EnvironmentDoctor.Permissions, p => p.Verb == "watch");
        Assert.All(EnvironmentDoctor.Permissions, p => Assert.False(string.IsNullOrWhiteSpace(p.UsedBy)));
    }
}
