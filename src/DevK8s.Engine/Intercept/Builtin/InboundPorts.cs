using DevK8s.Engine.DevMode;
using k8s.Models;

namespace DevK8s.Engine.Intercept.Builtin;

/// <summary>
/// Where the agent listens in the dev container and where each port's connections go on this
/// machine: intercept.ports entries ("LOCAL" or "LOCAL:SERVICE_PORT", the service port by name or
/// number) resolved through the Services that select the pods to container ports.
/// </summary>
public sealed record InboundPorts(IReadOnlyDictionary<int, int> ContainerToLocal, IReadOnlyList<int> AgentPorts)
{
    public static InboundPorts Resolve(string service, IReadOnlyList<string> specs, V1Container container, IReadOnlyList<V1Service> selecting)
    {
        var declared = (container.Ports ?? []).Where(p => p.Protocol is null or "TCP").ToList();
        var servicePorts = selecting.SelectMany(s => s.Spec?.Ports ?? []).Where(p => p.Protocol is null or "TCP").ToList();
        var map = new Dictionary<int, int>();
        foreach (var spec in specs)
        {
            var parts = spec.Split(':');
            var local = int.Parse(parts[0]);
            var containerPort = parts.Length == 2 ? ContainerPortFor(parts[1]) : DefaultContainerPort(local);
            if (map.TryGetValue(containerPort, out var other) && other != local)
                throw new DevModeException($"{service}: intercept.ports maps container port {containerPort} twice (to {other} and {local}).", "Keep one entry per service port in intercept.ports.");
            map[containerPort] = local;
        }
        // Every port the container or its Services use gets a listener: traffic for an unmapped
        // port goes to the same port number on this machine rather than to a closed port.
        var agent = new SortedSet<int>(map.Keys);
        foreach (var p in declared) agent.Add(p.ContainerPort);
        foreach (var p in servicePorts) if (TargetOf(p) is { } t) agent.Add(t);
        if (agent.Count == 0)
            throw new DevModeException($"{service}: no port to intercept: the container declares none, no Service selects its pods and intercept.ports is empty.",
                "Add intercept.ports, e.g. [\"8080:http\"] (local 8080 gets what the Service's port 'http' receives).");
        return new InboundPorts(map, [.. agent]);

        int ContainerPortFor(string remote)
        {
            var number = int.TryParse(remote, out var n) ? n : (int?)null;
            var byService = servicePorts.FirstOrDefault(p => number is null ? p.Name == remote : p.Port == number);
            if (byService is not null && TargetOf(byService) is { } target) return target;
            var byContainer = declared.FirstOrDefault(p => number is null ? p.Name == remote : p.ContainerPort == number);
            if (byContainer is not null) return byContainer.ContainerPort;
            if (number is { } literal) return literal;
            throw new DevModeException($"{service}: intercept.ports names port '{remote}', but no Service selecting its pods and no container port has that name.",
                $"Use a port name or number the Service declares ({Describe()}).");
        }

        int DefaultContainerPort(int local)
        {
            if (servicePorts.Count == 1 && TargetOf(servicePorts[0]) is { } only) return only;
            if (servicePorts.Count == 0 && declared.Count == 1) return declared[0].ContainerPort;
            return local;
        }

        // A named targetPort means the container port of that name; none means the Service's port.
        int? TargetOf(V1ServicePort p)
        {
            var t = p.TargetPort?.Value;
            if (string.IsNullOrEmpty(t)) return p.Port;
            if (int.TryParse(t, out var n)) return n;
            return declared.FirstOrDefault(c => c.Name == t)?.ContainerPort;
        }

        string Describe() => servicePorts.Count == 0 ? "none declared" : string.Join(", ", servicePorts.Select(p => p.Name is null ? $"{p.Port}" : $"{p.Name}={p.Port}"));
    }

    /// <summary>The Services whose selector matches these pod labels.</summary>
    public static IReadOnlyList<V1Service> Selecting(IEnumerable<V1Service> services, IDictionary<string, string>? podLabels) =>
        services.Where(s => s.Spec?.Selector is { Count: > 0 } sel && podLabels is not null
                            && sel.All(kv => podLabels.TryGetValue(kv.Key, out var v) && v == kv.Value)).ToList();
}
