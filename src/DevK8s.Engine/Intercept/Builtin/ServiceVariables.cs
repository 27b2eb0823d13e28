using System.Net;

namespace DevK8s.Engine.Intercept.Builtin;

/// <summary>One Service port as the local process reaches it: through a relay listener on this machine.</summary>
public sealed record LocalServicePort(string Service, string? PortName, int ServicePort, IPEndPoint Local);

/// <summary>
/// Kubernetes' service variables (the docker-links style Kubernetes injects into every container),
/// rewritten to point at DevK8s's local listeners: what code that reads them needs to work unchanged.
/// </summary>
public static class ServiceVariables
{
    /// <summary>
    /// For each Service: &lt;SVC&gt;_SERVICE_HOST, _SERVICE_PORT (its first port), _SERVICE_PORT_&lt;NAME&gt;,
    /// &lt;SVC&gt;_PORT and &lt;SVC&gt;_PORT_&lt;port&gt;_TCP[_PROTO|_PORT|_ADDR]. The names keep the Service's
    /// port numbers (code looks them up by those); the values are the local addresses.
    /// </summary>
    public static Dictionary<string, string> For(IEnumerable<LocalServicePort> ports)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in ports.GroupBy(p => p.Service))
        {
            var prefix = Name(service.Key);
            var first = service.First();
            env[$"{prefix}_SERVICE_HOST"] = first.Local.Address.ToString();
            env[$"{prefix}_SERVICE_PORT"] = first.Local.Port.ToString();
            env[$"{prefix}_PORT"] = Url(first.Local);
            foreach (var p in service)
            {
                if (!string.IsNullOrEmpty(p.PortName)) env[$"{prefix}_SERVICE_PORT_{Name(p.PortName)}"] = p.Local.Port.ToString();
                var link = $"{prefix}_PORT_{p.ServicePort}_TCP";
                env[link] = Url(p.Local);
                env[$"{link}_PROTO"] = "tcp";
                env[$"{link}_PORT"] = p.Local.Port.ToString();
                env[$"{link}_ADDR"] = p.Local.Address.ToString();
            }
        }
        return env;
    }

    /// <summary>As Kubernetes spells a Service or port name in a variable: upper case, '-' → '_'.</summary>
    public static string Name(string name) => name.ToUpperInvariant().Replace('-', '_');

    private static string Url(IPEndPoint e) => $"tcp://{e.Address}:{e.Port}";
}
