using System.Reflection;
using System.Runtime.Loader;

namespace DevK8s.Loading;

/// <summary>
/// Loads the engine and its third-party assemblies from Dependencies/ in isolation, so DevK8s
/// coexists with modules that ship their own YamlDotNet, KubernetesClient or Newtonsoft.
/// </summary>
internal sealed class DevK8sLoadContext : AssemblyLoadContext
{
    private readonly string _directory;

    private DevK8sLoadContext(string directory) : base("DevK8s", isCollectible: false) => _directory = directory;

    public static DevK8sLoadContext Instance { get; } = new(
        Path.Combine(Path.GetDirectoryName(typeof(DevK8sLoadContext).Assembly.Location)!, "Dependencies"));

    protected override Assembly? Load(AssemblyName name)
    {
        var path = Path.Combine(_directory, name.Name + ".dll");
        // Anything not shipped in Dependencies/ (the framework) comes from the default context.
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
