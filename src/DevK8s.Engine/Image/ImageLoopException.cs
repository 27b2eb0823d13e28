namespace DevK8s.Engine.Image;

/// <summary>
/// A step of the Image loop failed before anything changed in the cluster: BuilderNotFound,
/// PrebuildFailed, BuildFailed, PushFailed. The message carries the tool's or registry's own words.
/// </summary>
public sealed class ImageLoopException(string errorId, string message, string recommendedAction, IReadOnlyList<string>? lastLines = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string ErrorId { get; } = errorId;
    public string RecommendedAction { get; } = recommendedAction;
    public IReadOnlyList<string> LastLines { get; } = lastLines ?? [];
}
