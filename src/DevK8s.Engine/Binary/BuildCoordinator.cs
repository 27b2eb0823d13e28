using DevK8s.Engine.Config;

namespace DevK8s.Engine.Binary;

/// <summary>
/// Process-wide: services in Binary dev mode whose build command and working directory are equal
/// share one <see cref="BuildGroup"/>, so one save runs one build for all of them.
/// </summary>
public static class BuildCoordinator
{
    private static readonly Dictionary<string, BuildGroup> Groups = new(StringComparer.Ordinal);

    internal static string KeyOf(BinaryConfig config) => config.Build + "\n" + Path.GetFullPath(config.WorkingDirectory);

    /// <summary>Adds a service to the build its config names, creating the group for the first one.</summary>
    internal static BuildGroup Join(BinaryConfig config, IBuildSubscriber subscriber)
    {
        lock (Groups)
        {
            var key = KeyOf(config);
            if (!Groups.TryGetValue(key, out var group))
                Groups[key] = group = new BuildGroup(config.Build, Path.GetFullPath(config.WorkingDirectory));
            group.Add(subscriber);
            return group;
        }
    }

    /// <summary>Takes a service out; the last one out stops the group (a running build is killed with its process tree).</summary>
    internal static void Leave(BuildGroup group, IBuildSubscriber subscriber)
    {
        lock (Groups)
        {
            if (group.Remove(subscriber) > 0) return;
            var key = group.Build + "\n" + group.WorkingDirectory;
            if (Groups.TryGetValue(key, out var current) && ReferenceEquals(current, group)) Groups.Remove(key);
        }
        group.Stop();
    }
}
