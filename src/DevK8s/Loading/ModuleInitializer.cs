using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace DevK8s.Loading;

/// <summary>
/// Routes exactly one assembly name, the engine's, from the default context into
/// <see cref="DevK8sLoadContext"/>; everything the engine needs then resolves there.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineAssembly = "DevK8s.Engine";

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo module) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineAssembly ? DevK8sLoadContext.Instance.LoadFromAssemblyName(name) : null;
}
