namespace DevK8s.Engine.Relay;

/// <summary>Timings of the relay client. Defaults suit a link through the Kubernetes API server.</summary>
public sealed record RelayOptions
{
    /// <summary>Ping interval; a link silent for three intervals is dropped and reconnected.</summary>
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>First wait after a failed or lost link; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);
}
