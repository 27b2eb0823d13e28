using System.Net;
using System.Net.Sockets;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// Who owns a dev session: user@host. The host is the full host name: Environment.MachineName is
/// the NetBIOS name on Windows, cut to 15 characters, so two machines named
/// "build-agent-windows-01" and "build-agent-windows-02" would look like one owner.
/// </summary>
public static class OwnerIdentity
{
    public static string Current { get; } = Format(Environment.UserName, HostName());

    /// <summary>How older versions wrote the owner (NetBIOS name on Windows).</summary>
    public static string Legacy { get; } = Format(Environment.UserName, Environment.MachineName);

    public static string Format(string user, string host) => $"{user}@{host}";

    /// <summary>
    /// Whether a recorded owner is this user on this machine, also as older versions recorded it.
    /// Host names and Windows user names ignore case.
    /// </summary>
    public static bool IsCurrent(string? recorded) =>
        recorded is not null && (string.Equals(recorded, Current, StringComparison.OrdinalIgnoreCase)
                                 || string.Equals(recorded, Legacy, StringComparison.OrdinalIgnoreCase));

    private static string HostName()
    {
        try
        {
            var name = Dns.GetHostName();
            return string.IsNullOrWhiteSpace(name) ? Environment.MachineName : name;
        }
        catch (SocketException) { return Environment.MachineName; }
    }
}
