namespace DevK8s;

/// <summary>One problem in devk8s.yaml or a manifest: file:line:column, the key, and what is wrong.</summary>
public sealed class DevConfigError
{
    public required string File { get; init; }
    public int Line { get; init; }
    public int Column { get; init; }
    public required string Key { get; init; }
    public required string Message { get; init; }

    public override string ToString() =>
        Key.Length == 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: {Key}: {Message}";
}

/// <summary>Every error of an invalid config file at once; Errors holds them one by one.</summary>
public sealed class DevConfigException(string message, DevConfigError[] errors) : Exception(message)
{
    public DevConfigError[] Errors { get; } = errors;
}
