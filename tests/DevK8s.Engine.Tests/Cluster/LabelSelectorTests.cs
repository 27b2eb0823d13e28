using DevK8s.Engine.Cluster;
using k8s.Models;
using Xunit;

namespace DevK8s.Engine.Tests.Cluster;

public class LabelSelectorTests
{
    private static V1LabelSelectorRequirement Req(string key, string op, List<string>? values = null) =>
        new() { Key = key, OperatorProperty = op, Values = values };

    [Fact]
    public void Match_expressions_are_rendered_with_the_labels_in_the_list_call_syntax()
    {
        var selector = new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["app"] = "api" },
            MatchExpressions =
            [
                Req("tier", "In", ["web", "edge"]),
                Req("track", "NotIn", ["canary"]),
                Req("owner", "Exists"),
                Req("legacy", "DoesNotExist"),
            ],
        };
        Assert.Equal("app=api,tier in (web,edge),track notin (canary),owner,!legacy", ServiceStatusReader.ToLabelSelector(selector));
    }

    [Fact]
    public void A_selector_of_expressions_only_is_not_empty()
    {
        // An empty string would select every pod in the namespace.
        var selector = new V1LabelSelector { MatchExpressions = [Req("app", "In", ["api"])] };
        Assert.Equal("app in (api)", ServiceStatusReader.ToLabelSelector(selector));
    }

    [Fact]
    public void An_unknown_operator_is_an_error_naming_it_rather_than_a_wider_selector()
    {
        var selector = new V1LabelSelector { MatchExpressions = [Req("app", "Gt", ["1"])] };
        var error = Assert.Throws<ArgumentException>(() => ServiceStatusReader.ToLabelSelector(selector));
        Assert.Contains("'Gt'", error.Message);
    }
}
