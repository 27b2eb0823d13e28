using System.Management.Automation;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;

namespace DevK8s.Infrastructure;

/// <summary>
/// Loads configs and opens cluster connections for cmdlets, turning the engine's exceptions into
/// ErrorRecords. Engine types stay inside method bodies so the module's load context resolves them.
/// </summary>
internal static class EngineBridge
{
    public static ProjectConfig LoadProject(PSCmdlet cmdlet, string? path, string currentDirectory)
    {
        string file;
        try { file = ProjectLocator.Resolve(path, currentDirectory); }
        catch (FileNotFoundException e)
        {
            cmdlet.ThrowTerminatingError(Errors.Create(e, "ProjectNotFound", ErrorCategory.ObjectNotFound, path ?? currentDirectory,
                "cd into a folder that has devk8s.yaml (or below it), or pass -Path."));
            throw; // unreachable: ThrowTerminatingError always throws
        }
        try { return ConfigLoader.Load(file); }
        catch (ConfigException e)
        {
            cmdlet.ThrowTerminatingError(ConfigError(e, file));
            throw;
        }
    }

    public static ErrorRecord ConfigError(ConfigException e, string file)
    {
        var errors = e.Errors.Select(x => new DevConfigError { File = x.File, Line = x.Line, Column = x.Column, Key = x.Key, Message = x.Message }).ToArray();
        return Errors.Create(new DevConfigException(e.Message, errors), "ConfigInvalid", ErrorCategory.InvalidData, file,
            "Fix each listed file:line:column; nothing was sent to the cluster.");
    }

    public static KubeTarget Connect(DevCmdlet cmdlet, ProjectConfig? project)
    {
        try
        {
            return KubeTarget.Open(new KubeTargetOptions(cmdlet.Context, cmdlet.Namespace), project?.Context, project?.Namespace);
        }
        catch (KubeconfigException e)
        {
            cmdlet.ThrowTerminatingError(Errors.Create(e, "KubeconfigInvalid", ErrorCategory.ObjectNotFound, cmdlet.Context,
                "Set KUBECONFIG to your cluster's kubeconfig or pass -Context; Test-DevEnvironment checks the setup."));
            throw;
        }
    }

    public static ErrorRecord ClusterError(Exception e, string id, object? target)
    {
        var wrapped = KubeApiException.Wrap(e);
        var category = wrapped is KubeApiException { Status: System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized }
            ? ErrorCategory.PermissionDenied
            : wrapped is HttpRequestException ? ErrorCategory.ConnectionError : ErrorCategory.InvalidOperation;
        var action = category switch
        {
            ErrorCategory.PermissionDenied => "Run Test-DevEnvironment to see which permissions are missing.",
            ErrorCategory.ConnectionError => "Check that the cluster is up (Test-DevEnvironment) and the kubeconfig points at it.",
            _ => null,
        };
        return Errors.Create(wrapped, id, category, target, action);
    }

    /// <summary>Dev-mode failures with their own ids; anything else is a cluster error.</summary>
    public static ErrorRecord DevModeError(Exception e, object? target) => e switch
    {
        // The cause's id and fix, with the switch's message (which says what came back).
        Engine.DevMode.DevSwitchFailedException sw when DevModeError(sw.InnerException!, target) is var cause =>
            Errors.Create(sw, cause.FullyQualifiedErrorId["DevK8s.".Length..], cause.CategoryInfo.Category, target, cause.ErrorDetails?.RecommendedAction),
        Engine.DevMode.DevModeOwnedException owned => Errors.Create(owned, "DevModeOwned", ErrorCategory.ResourceBusy, target,
            $"Ask {owned.Owner} to run Stop-DevService, or add -Force to take the session over."),
        Engine.DevMode.DevModeDriftException drift => Errors.Create(drift, "DevModeDrifted", ErrorCategory.ResourceBusy, target,
            "See the change (Get-DevService | Format-List Name, Drift). To keep it, put it into the prod manifests and Deploy-DevProject (that updates the recorded original); to discard it, Stop-DevService -Force."),
        Engine.Image.ImageLoopException im => Errors.Create(im, im.ErrorId, im.ErrorId == "BuilderNotFound" ? ErrorCategory.NotInstalled : ErrorCategory.InvalidOperation, target, im.RecommendedAction),
        Engine.DevMode.RolloutFailedException rf => Errors.Create(rf, "RolloutFailed", ErrorCategory.InvalidResult, target, rf.RecommendedAction),
        Engine.DevMode.DevModeException dm => Errors.Create(dm, "DevModeFailed", ErrorCategory.InvalidOperation, target, dm.RecommendedAction),
        Engine.Intercept.TelepresenceException tp => Errors.Create(tp, tp.ErrorId,
            tp.ErrorId is "TelepresenceNotFound" or "TelepresenceTooOld" ? ErrorCategory.NotInstalled
            : tp.ErrorId is "InterceptNameTaken" or "LocalPortInUse" or "ConnectedElsewhere" ? ErrorCategory.ResourceBusy
            : ErrorCategory.InvalidOperation, target, tp.RecommendedAction),
        Engine.Local.LocalProcessException lp => Errors.Create(lp, lp.ErrorId,
            lp.ErrorId is "ProgramNotFound" ? ErrorCategory.NotInstalled
            : lp.ErrorId is "WorkingDirectoryNotFound" ? ErrorCategory.ObjectNotFound
            : lp.ErrorId is "ProcessTimedOut" ? ErrorCategory.OperationTimeout
            : ErrorCategory.InvalidOperation, target, lp.RecommendedAction),
        Engine.Exec.ExecException ex => Errors.Create(ex, "ExecFailed", ErrorCategory.ConnectionError, target,
            "Check that the dev pod runs (Get-DevService) and that its image has sh and tar."),
        _ => ClusterError(e, "ClusterCallFailed", target),
    };
}
