using DevK8s.Engine.Yaml;

namespace DevK8s.Engine.Config;

/// <summary>One problem in a config file, located the way editors and compilers report it.</summary>
public sealed record ConfigError(string File, int Line, int Column, string Key, string Message)
{
    public ConfigError(string file, SourcePosition at, string key, string message)
        : this(file, at.Line, at.Column, key, message) { }

    public override string ToString() =>
        string.IsNullOrEmpty(Key) ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: {Key}: {Message}";
}

/// <summary>Thrown when a config file is invalid; carries every error of the file.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(FormatMessage(errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;

    private static string FormatMessage(IReadOnlyList<ConfigError> errors) =>
        errors.Count == 1
            ? errors[0].ToString()
            : $"{errors.Count} errors in {errors[0].File}:{Environment.NewLine}" +
              string.Join(Environment.NewLine, errors.Select(e => "  " + e));
}
