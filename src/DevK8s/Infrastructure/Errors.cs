using System.Management.Automation;

namespace DevK8s.Infrastructure;

/// <summary>ErrorRecords with stable ids and a recommended action, as users script against them.</summary>
internal static class Errors
{
    public static ErrorRecord Create(Exception exception, string id, ErrorCategory category, object? target, string? action = null)
    {
        var record = new ErrorRecord(exception, "DevK8s." + id, category, target);
        if (action is not null) record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = action };
        return record;
    }

    public static ErrorRecord Create(string message, string id, ErrorCategory category, object? target, string? action = null) =>
        Create(new InvalidOperationException(message), id, category, target, action);
}
