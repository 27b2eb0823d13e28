using System.Globalization;
using System.Management.Automation;

namespace DevK8s.Infrastructure;

/// <summary>
/// Binds a duration parameter in seconds, as Wait-Job -Timeout does. A TimeSpan parameter would take
/// an integer as ticks (-Timeout 25 is 2.5 µs, so the command ends at once); here 25, 2.5, '00:00:25'
/// and a TimeSpan object all mean what a reader expects.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class SecondsAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject o ? o.BaseObject : inputData;
        return value switch
        {
            null => null!,
            TimeSpan span => span.TotalSeconds,
            string text when text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) => parsed.TotalSeconds,
            _ => value, // numbers and numeric strings: the double parameter converts them
        };
    }
}
