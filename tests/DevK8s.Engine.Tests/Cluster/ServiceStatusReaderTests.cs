using System.Text.Json.Nodes;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using Xunit;

namespace DevK8s.Engine.Tests.Cluster;

/// <summary>Get-DevService's cluster side, against a stand-in API server that counts the requests.</summary>
public sealed class ServiceStatusReaderTests : IDisposable
{
    private readonly StandInApiServer _server = new(request => request.Url!.AbsolutePath switch
    {
        "/apis/apps/v1/namespaces/dev/deployments" => (200, List("DeploymentList", ["api", "web", "worker"])),
        "/apis/apps/v1/namespaces/dev/statefulsets" => (200, List("StatefulSetList", ["db", "cache"])),
        _ => StandInApiServer.NotFound(),
    });

    public void Dispose() => _server.Dispose();

    private static string List(string kind, string[] names) => new JsonObject
    {
        ["kind"] = kind, ["apiVersion"] = "apps/v1", ["metadata"] = new JsonObject(),
        ["items"] = new JsonArray(names.Select(n => (JsonNode)JsonNode.Parse("""
            {"metadata":{"name":"NAME","namespace":"dev"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"NAME"}},
             "template":{"metadata":{"labels":{"app":"NAME"}},"spec":{"containers":[{"name":"main","image":"img/NAME:1"}]}}},"status":{"readyReplicas":1}}
            """.Replace("NAME", n))!).ToArray()),
    }.ToJsonString();

    private static ServiceConfig Service(string name, string kind = "deployment") =>
        new(name, new WorkloadRef(kind, name), null, null, null, null, null, null);

    [Fact]
    public async Task Many_services_cost_one_list_call_per_workload_kind_and_nothing_else()
    {
        ServiceConfig[] services = [Service("api"), Service("web"), Service("worker"), Service("gone"), Service("db", "statefulset"), Service("cache", "statefulset")];
        var statuses = await ServiceStatusReader.ReadAsync(_server.Target, services, default);

        Assert.Equal(new[] { "GET /apis/apps/v1/namespaces/dev/deployments", "GET /apis/apps/v1/namespaces/dev/statefulsets" }, _server.Requests.Order());
        Assert.Equal(new[] { "api:Prod:img/api:1", "web:Prod:img/web:1", "worker:Prod:img/worker:1", "gone:Missing:", "db:Prod:img/db:1", "cache:Prod:img/cache:1" },
            statuses.Select(s => $"{s.Service.Name}:{s.Mode}:{s.Image}"));
    }

    [Fact]
    public async Task A_kind_no_service_uses_is_not_listed()
    {
        await ServiceStatusReader.ReadAsync(_server.Target, [Service("api"), Service("web")], default);
        Assert.Equal(new[] { "GET /apis/apps/v1/namespaces/dev/deployments" }, _server.Requests);
    }
}
