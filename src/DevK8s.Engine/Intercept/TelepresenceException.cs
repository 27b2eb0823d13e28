namespace DevK8s.Engine.Intercept;

/// <summary>A Telepresence failure with a stable id and what to do about it.</summary>
public sealed class TelepresenceException(string errorId, string message, string recommendedAction) : Exception(message)
{
    public string ErrorId { get; } = errorId;
    public string RecommendedAction { get; } = recommendedAction;

    internal const string AgentTimeoutAction =
        "A firewall or admission webhook often blocks the agent injector (telepresenceio/telepresence#2758): check that the API server can reach the traffic-manager's webhook port, then retry.";

    /// <summary>Maps Telepresence's own error text (the "err" field of its JSON output) to an id and a fix.</summary>
    public static TelepresenceException FromError(string command, string err)
    {
        var text = err.Trim();
        bool Has(string s) => text.Contains(s, StringComparison.OrdinalIgnoreCase);
        if (Has("traffic manager not found") || Has("traffic-manager not found"))
            return new("TrafficManagerMissing", $"telepresence {command}: the cluster has no Telepresence traffic-manager ({text})",
                "A cluster admin installs it once with 'telepresence helm install' (it needs cluster-admin rights; telepresenceio/telepresence#4215).");
        if (Has("already exists"))
            return new("InterceptNameTaken", $"telepresence {command}: {text}",
                "Someone (or an earlier session) already intercepts this workload: 'telepresence list --intercepts' shows who; 'telepresence leave <name>' ends yours.");
        if (Has("already in use"))
            return new("LocalPortInUse", $"telepresence {command}: {text}",
                "Free that local port or change intercept.ports in devk8s.yaml.");
        if (Has("waiting for agent") || Has("agent to arrive") || Has("timed out"))
            return new("AgentTimeout", $"telepresence {command}: the traffic-agent was not injected in time ({text})", AgentTimeoutAction);
        return new("TelepresenceFailed", $"telepresence {command} failed: {text}", "Run the same telepresence command by hand with --output json to see the details.");
    }
}
