#!/usr/bin/env python3
"""Cmdlet help, kept as data and rendered to MAML (module/en-US/DevK8s.dll-Help.xml).

PlatyPS is not available on every build machine, so the help source lives here. Run
`python3 module/help/help.py` after editing; tests/DevK8s.Module.Tests checks that every exported
cmdlet has a synopsis, a description for each parameter and at least one example.
"""
from pathlib import Path
from xml.sax.saxutils import escape

COMMON = {
    "Context": "The kubeconfig context to use. Overrides 'context' in devk8s.yaml, which overrides the kubeconfig's current-context. Tab completes the contexts of the kubeconfig.",
    "Namespace": "The namespace to use. Overrides 'namespace' in devk8s.yaml, which overrides the context's namespace (then 'default').",
    "Path": "A devk8s.yaml file, or a folder to search upwards from (like git finds .git). Default: the current folder.",
}

CMDLETS = [
    {
        "name": "Get-DevProject",
        "synopsis": "Finds devk8s.yaml, validates it and returns the project.",
        "description": "Walks up from the current folder (or -Path) to the nearest devk8s.yaml, parses it strictly and returns a DevProject: its path, namespace, context, prod manifests and services with their strategies. Unknown keys, wrong types, paths that leave the project and every other mistake are reported at once, each as file:line:column with the key; nothing touches a cluster.",
        "params": [("Path", "String", COMMON["Path"], False)],
        "outputs": "DevK8s.DevProject",
        "examples": [
            ("Get-DevProject", "Shows the project that the current folder belongs to."),
            ("(Get-DevProject ./examples/sample).Services", "Lists the configured services of the sample project with their default strategy."),
            ("try { Get-DevProject -ErrorAction Stop } catch { $_.Exception.Errors | Format-Table Line, Column, Key, Message }", "Lists every problem of an invalid devk8s.yaml as objects."),
        ],
    },
    {
        "name": "Get-DevService",
        "synopsis": "Lists the configured services joined with the live cluster.",
        "description": "Returns one DevService per configured service: its namespace, workload, container, mode (Prod, Dev, or Missing when the workload does not exist), the strategy and owner of a dev session (read from the workload's annotations, so everyone's sessions show), readiness and image. It makes one list call per workload kind for the whole batch (and one for the namespace's DevK8s Leases when a service is in dev mode). For a service in dev mode it also shows Session (Live while the owning process renews the session's Lease every few seconds; Stale once that process is gone, with LastSeen), Changes (what dev mode changed, from the recorded original) and Drift (changes someone else made since the session started: which field manager, when, which fields, read from the API server's managedFields).",
        "params": [
            ("Name", "String[]", "Service names from devk8s.yaml; wildcards allowed; Tab completes them. Default: every service. Accepts pipeline input.", False),
            ("Path", "String", COMMON["Path"], False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
        ],
        "outputs": "DevK8s.DevService",
        "examples": [
            ("Get-DevService", "Shows every service of the project with its mode, strategy, readiness and image."),
            ("Get-DevService -Name web*, api -Context staging", "Shows matching services in another context."),
            ("Get-DevService | Where-Object Mode -eq Dev", "Lists the services someone has in dev mode, with the owner."),
            ("Get-DevService | Where-Object Session -eq Stale | Stop-DevService", "Returns services whose owner's process is gone to prod mode (no -Force needed; a warning names the previous owner)."),
            ("Get-DevService api | Format-List Changes, Drift", "Shows what dev mode changed on api and whether another tool changed it since."),
        ],
    },
    {
        "name": "Deploy-DevProject",
        "synopsis": "Puts the whole project into prod mode by applying its prod manifests unchanged.",
        "description": "Reads every manifest listed under 'manifests' in devk8s.yaml (files or folders of multi-document YAML or JSON), checks all of them before contacting the cluster, creates the namespace if needed and applies each object with server-side apply (field manager 'devk8s'), in dependency order (namespaces, config and secrets, services, then workloads). Reports each object as Created, Configured or Unchanged. A Deployment or StatefulSet that is in dev mode is not applied over its dev template: the API server's view of the new manifest (a server-side dry run) becomes the recorded original, the dev pod keeps running, and the object is reported as Deferred with the reason; Stop-DevService then brings back what was deployed last. Honours -WhatIf and -Confirm and shows progress.",
        "params": [
            ("Path", "String", COMMON["Path"], False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
            ("WhatIf", "SwitchParameter", "Shows what would be applied without changing the cluster.", False),
            ("Confirm", "SwitchParameter", "Asks before each change.", False),
        ],
        "outputs": "DevK8s.DevApplyResult",
        "examples": [
            ("Deploy-DevProject", "Applies the prod manifests of the current project to its namespace."),
            ("Deploy-DevProject -WhatIf", "Lists every object that would be applied, and where, without changing anything."),
            ("Deploy-DevProject ./examples/sample -Namespace demo | Where-Object Action -ne Unchanged", "Deploys the sample into the 'demo' namespace and shows only what changed."),
        ],
    },
    {
        "name": "Test-DevEnvironment",
        "synopsis": "Checks everything DevK8s needs and says how to fix what is missing.",
        "description": "Checks the project config, the kubeconfig and its context, that the API server answers (and its version), that the namespace exists, the permissions dev mode needs (get/list/watch/patch/update deployments, get/list/watch pods, pods/exec, pods/portforward, pods/log, list services, the session Lease (get/list/create/update/delete leases), by SelfSubjectAccessReview), Telepresence 2.20+ (for the Intercept strategy) and a container builder (docker, podman, nerdctl or buildah, for the Image strategy). Each check is a DevCheck with Status Pass, Warn or Fail and, when not Pass, the exact fix. It also warns when git checks the project out with CRLF line endings (Git for Windows' core.autocrlf=true), which synced files and shell scripts in Linux containers do not survive.",
        "params": [
            ("Quiet", "SwitchParameter", "Returns only $true when no check failed, $false otherwise.", False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
        ],
        "outputs": "DevK8s.DevCheck",
        "examples": [
            ("Test-DevEnvironment", "Runs every check and shows a table of results with fixes."),
            ("if (-not (Test-DevEnvironment -Quiet)) { throw 'environment not ready' }", "Gates a script on a working setup."),
            ("Test-DevEnvironment -Context staging | Where-Object Status -ne Pass | Format-List Name, Detail, Fix", "Shows only the problems of another context, with their fixes."),
        ],
    },
    {
        "name": "Start-DevService",
        "synopsis": "Puts services into dev mode and keeps their containers in sync with your files.",
        "description": "For each service: records the workload's exact original (pod template, replicas) and the owner (user@host, session id, strategy) as annotations on the workload itself, then, in one replace, scales it to one replica, relaxes the liveness and startup probes and, where onChange rules restart the process, wraps the container command in a small sh restart supervisor. It waits for the dev pod (with progress), makes the container's files match the local sync paths by content (only what differs travels, in one compressed tar stream; files gone locally are removed remotely, inside the target only), then returns a DevSession while changes keep syncing in the background over one long-lived exec channel. A failure or Ctrl+C while entering restores the original. A service someone else has in dev mode is refused (who and since) unless -Force. Images without sh or tar are refused with a hint to use the Image strategy. With -Strategy Intercept it runs the seed author's loop instead: telepresence connect (or reuse a connection to the same context and namespace; another one is refused), telepresence intercept with the configured ports and the remote environment in a private temp file (deleted at once), then the configured local command with that environment (devk8s.yaml's env wins), its output streamed as log records; when the command exits, on Stop-DevService, Ctrl+C or the PowerShell process exiting, the local process tree is killed, the intercept left and the connection quit if DevK8s opened it. Telepresence failures (no traffic-manager, name taken, port in use, agent timeout, too old) are ErrorRecords with their own ids and fixes. Every strategy goes through the same path (ownership check, record, one replace with the strategy's template plan computed from the recorded original, the strategy's local loop, rollback on any failure); strategy-specific parameters (-Poll for Sync, -EnvFile for Intercept) appear once the strategy is known, from -Strategy or the named service's default. With -Strategy Image it runs the prod-parity loop: the image section's prebuild, then a content tag (devk8s- plus 16 hex digits of the files the build context sends after .dockerignore, the Dockerfile and the build args; or of the base and layer files); when the registry already has that tag nothing is built or pushed; otherwise docker, podman, nerdctl or buildah builds and pushes it (output streamed as Build log records and progress), or, with image.base and image.layers, DevK8s assembles it itself without a daemon (one new layer, only missing blobs pushed). Without image.repository the image goes to the registry the cluster publishes in kube-public/local-registry-hosting (KEP-1755), named in the pod spec as its container runtime sees it. The dev template is the original with the container's image set to repository@sha256:digest, probes kept, one replica; the rollout is watched and fails fast on image pull errors, CrashLoopBackOff, a terminated or OOM-killed container, or readiness not reached by image.rolloutTimeoutSeconds (default: the Deployment's progressDeadlineSeconds), with the container's last log lines and the latest Warning event. Afterwards every save under the context rebuilds (debounced, one build at a time, one queued) and updates the dev template in place; a rebuild that does not come up is rolled back to the last good dev image, and the error says so. A failing build or push leaves the pod untouched. The DevSession lists what dev mode changed on the workload (Changes) and the strategy's own state (Details; Image: Image, Builds, Unchanged, Rollbacks, LastPush, LastError). With the builtin engine (intercept.engine: builtin, the default) the dev template runs DevK8s's relay agent instead of the container's command (app probes removed); the agent, a static binary, is uploaded through exec and one exec link carries every connection: requests to the Service (ClusterIP or DNS name) reach the local command on 127.0.0.1 per intercept.ports, each TCP port of each Service of the namespace gets a local listener that the local command finds through its <SVC>_SERVICE_HOST/_SERVICE_PORT and <SVC>_PORT_... variables, and the command gets the container's real environment (read from PID 1 through exec; the local mappings over it, devk8s.yaml's env over both; values never printed). It needs only namespaced rights; a lost link reconnects with backoff. With engine: telepresence",
        "params": [
            ("Name", "String[]", "Service names from devk8s.yaml; wildcards allowed. Accepts strings and DevService objects from the pipeline.", True),
            ("Strategy", "DevStrategy", "Sync, Binary, Image or Intercept. Default: the service's strategy in devk8s.yaml. This version implements all four.", False),
            ("Force", "SwitchParameter", "Take over a service that someone else has in dev mode.", False),
            ("PassThru", "SwitchParameter", "Also write what the first iteration of the loop did (Sync: the DevSyncResult of the initial sync; Binary: the build and deploy, with the bytes sent).", False),
            ("Poll", "SwitchParameter", "Sync only (a dynamic parameter, offered once the strategy is Sync): detect changes by polling (every 500 ms) instead of file events, for WSL and network drives.", False),
            ("EnvFile", "String", "Intercept only (a dynamic parameter): also write the remote environment (with devk8s.yaml's local overrides) to this dotenv file, owner-only, so the service can run under an IDE debugger instead of the configured command.", False),
            ("Path", "String", COMMON["Path"], False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
            ("WhatIf", "SwitchParameter", "Shows which workloads would be patched, without changing anything.", False),
            ("Confirm", "SwitchParameter", "Asks before each change.", False),
        ],
        "outputs": "DevK8s.DevSession",
        "examples": [
            ("Start-DevService web", "Puts web into dev mode with its default strategy; edits under its sync paths reach the container in milliseconds."),
            ("Start-DevService web | Watch-DevLog", "Starts dev mode and follows the merged logs of the pod and the sync events until Ctrl+C."),
            ("Start-DevService web -Strategy Sync -Force -PassThru", "Takes over someone else's session and shows what the initial sync sent."),
            ("Start-DevService gateway -Strategy Intercept | Watch-DevLog", "Routes gateway's cluster traffic to 'cargo run --bin gateway' on this machine and follows its output."),
            ("Start-DevService catalog -Strategy Binary | Watch-DevLog", "Builds the sample's catalog with cargo on this machine (the workspace's target/ stays here), copies only the binary in, restarts it, and follows the build output, the deploys and the pod's logs; every save rebuilds and redeploys."),
            ("Start-DevService catalog, gateway -Strategy Binary", "Both name the same workspace build: one save runs one build, and each service whose binary changed is redeployed and restarted in parallel."),
            ("Start-DevService gateway -Strategy Intercept -EnvFile ./gateway.env", "Also writes the remote environment for a debugger."),
        ],
    },
    {
        "name": "Stop-DevService",
        "synopsis": "Returns services to prod mode exactly as they were.",
        "description": "Stops the local loop of this session (if any) and puts back the pod template and replica count recorded on the workload when dev mode started (or by the last Deploy-DevProject during dev mode), removing DevK8s' annotations and the session's Lease; the restored template is identical to the recorded one. It works from any PowerShell process or machine, also after the process that started the session was killed. Someone else's live session needs -Force; a stale one (its owner's process is gone) is stopped with a warning that names the owner and when they were last seen. When another tool changed the workload during dev mode (kubectl edit, apply, scale), Stop refuses with DevK8s.DevModeDrifted, naming the field manager and the fields, instead of silently discarding that change; -Force restores anyway.",
        "params": [
            ("Name", "String[]", "Service names; wildcards allowed. Binds Name or Service from DevService and DevSession objects.", False),
            ("All", "SwitchParameter", "Every service of the project that is in dev mode.", False),
            ("Force", "SwitchParameter", "Also stop a session someone else owns.", False),
            ("PassThru", "SwitchParameter", "Write the DevService after restoring it.", False),
            ("Path", "String", COMMON["Path"], False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
            ("WhatIf", "SwitchParameter", "Shows what would be restored, without changing anything.", False),
            ("Confirm", "SwitchParameter", "Asks before each change.", False),
        ],
        "outputs": "DevK8s.DevService",
        "examples": [
            ("Stop-DevService web", "Restores web's prod spec."),
            ("Get-DevService | Where-Object Mode -eq Dev | Stop-DevService", "Returns every service in dev mode to prod mode."),
            ("Stop-DevService -All -Force -PassThru", "Restores everything, including other people's sessions, and shows the result."),
        ],
    },
    {
        "name": "Switch-DevStrategy",
        "synopsis": "Moves a service in dev mode to another dev loop in place, without going through prod mode.",
        "description": "Computes the new strategy's pod template from the original recorded when dev mode was entered (never from the current dev template: patches never stack) and writes it in one resourceVersion-checked replace, retried on conflict. When the old and the new template are equal (both wrap the same command in the restart supervisor, say) nothing rolls out: the pod stays and only the local loop changes. The old loop stops, the new one starts and a new DevSession is written; a running Watch-DevLog keeps following. If the new loop cannot start, the previous strategy's template and loop come back and the error says why. From another PowerShell process (the same owner, or with -Force), the cluster side switches there and the loop runs in the calling process; the first process's loop notices within seconds that its session ended, stops, and says so on its log stream.",
        "params": [
            ("Name", "String[]", "Service names; wildcards allowed. Binds Name or Service from DevService and DevSession objects.", True),
            ("Strategy", "DevStrategy", "The dev loop to switch to: Sync or Intercept in this version.", True),
            ("Force", "SwitchParameter", "Switch a session someone else owns.", False),
            ("Poll", "SwitchParameter", "Sync only (dynamic): detect changes by polling instead of file events.", False),
            ("EnvFile", "String", "Intercept only (dynamic): also write the remote environment to this owner-only dotenv file.", False),
            ("Path", "String", COMMON["Path"], False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
            ("WhatIf", "SwitchParameter", "Shows which services would switch, without changing anything.", False),
            ("Confirm", "SwitchParameter", "Asks before each switch.", False),
        ],
        "outputs": "DevK8s.DevSession",
        "examples": [
            ("Switch-DevStrategy api -Strategy Intercept", "api stops syncing files into its pod; its traffic now goes to the local process."),
            ("Get-DevService api | Switch-DevStrategy -Strategy Sync | Watch-DevLog", "Back to syncing files into the container, following the logs."),
            ("Switch-DevStrategy web -Strategy Sync -WhatIf", "Shows what would switch without changing anything."),
        ],
    },
    {
        "name": "Get-DevSession",
        "synopsis": "Lists the dev sessions this PowerShell session drives.",
        "description": "Returns a DevSession for each service this PowerShell session put into dev mode: strategy, state (Live, Reconnecting, Failed...), pod, owner, start time and the last sync. Get-DevService shows everyone's sessions from the cluster.",
        "params": [("Name", "String[]", "Service names; wildcards allowed. Default: all.", False)],
        "outputs": "DevK8s.DevSession",
        "examples": [
            ("Get-DevSession", "Lists this session's dev sessions."),
            ("Get-DevSession web | ForEach-Object Details", "Shows what web's strategy knows: for Sync, the watch state and the last sync."),
            ("(Get-DevSession catalog).Details | Format-List Builds, SharedWith, LastOutcome, BytesSent", "For a Binary session: how many builds its shared build has run, which services share it, what the last one did for this service and the bytes sent so far."),
        ],
    },
    {
        "name": "Sync-DevService",
        "synopsis": "Runs one iteration of a service's dev loop now (Sync: syncs local files into the container by content).",
        "description": "Works for every strategy and from any PowerShell process: it uses this session's loop, or one started just for this call against the running dev pod. For Sync it compares the local sync paths with the container by content hash (one exec) and sends only what differs, in one compressed stream; removes remote files that are gone locally, inside the target folders only. Returns a DevSyncResult with files sent and deleted, bytes and duration. For Binary it runs the service's (shared) build now and deploys the artifact if its hash changed; a failed build or a refused artifact is an error record with the compiler's last lines or the fix.",
        "params": [
            ("Name", "String[]", "Service names; wildcards allowed.", True),
            ("Path", "String", COMMON["Path"], False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
            ("WhatIf", "SwitchParameter", "Shows which services would be synced.", False),
            ("Confirm", "SwitchParameter", "Asks before each sync.", False),
        ],
        "outputs": "DevK8s.DevSyncResult",
        "examples": [
            ("Sync-DevService web", "Brings web's container up to date with the local files now."),
            ("Sync-DevService web | Format-List FilesSent, Bytes, Duration", "Shows how much a full compare had to send."),
        ],
    },
    {
        "name": "Watch-DevLog",
        "synopsis": "Follows the merged logs of services, their pods and their sync events.",
        "description": "Follows every container of every pod of each service's workload, including pods that appear later and containers that restart, merged with the sync events and local build output of this session's dev sessions, as DevLogRecord objects (Time, Service, Pod, Container, Stream, Message, Source: Cluster, Sync, Local or Build) until Ctrl+C. Works on services in prod mode too. Follows last as long as you like (the client's 100 s HTTP timeout does not apply).",
        "params": [
            ("Name", "String[]", "Service names; wildcards allowed; default all. Binds Service from DevSession objects (Start-DevService web | Watch-DevLog).", False),
            ("Tail", "Int32", "Existing lines per container to show first (default 10; -1 for all).", False),
            ("Since", "DateTime", "Only lines written since this time.", False),
            ("Timeout", "Double", "Stop after this many seconds instead of at Ctrl+C (for scripts), like Wait-Job -Timeout. A TimeSpan or hh:mm:ss also works.", False),
            ("Path", "String", COMMON["Path"], False),
            ("Context", "String", COMMON["Context"], False),
            ("Namespace", "String", COMMON["Namespace"], False),
        ],
        "outputs": "DevK8s.DevLogRecord",
        "examples": [
            ("Watch-DevLog api", "Follows api's logs (prod mode or dev mode) until Ctrl+C."),
            ("Start-DevService web | Watch-DevLog -Tail 0", "Starts dev mode and shows only new log lines and sync events."),
            ("Watch-DevLog -Since (Get-Date).AddMinutes(-5) -Timeout 30 | Where-Object Message -match error", "Scans the last five minutes and the next thirty seconds for errors."),
        ],
    },
]


def para(text):
    return f"<maml:para>{escape(text)}</maml:para>"


def render(c):
    verb, noun = c["name"].split("-", 1)
    out = ['  <command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">',
           "    <command:details>",
           f"      <command:name>{c['name']}</command:name>",
           f"      <maml:description>{para(c['synopsis'])}</maml:description>",
           f"      <command:verb>{verb}</command:verb>", f"      <command:noun>{noun}</command:noun>",
           "    </command:details>",
           f"    <maml:description>{para(c['description'])}</maml:description>",
           "    <command:syntax>", "      <command:syntaxItem>", f"        <maml:name>{c['name']}</maml:name>"]
    for name, type_, desc, required in c["params"]:
        out.append(f'        <command:parameter required="{str(required).lower()}" pipelineInput="false" position="named"><maml:name>{name}</maml:name><command:parameterValue required="true">{type_}</command:parameterValue></command:parameter>')
    out += ["      </command:syntaxItem>", "    </command:syntax>", "    <command:parameters>"]
    for name, type_, desc, required in c["params"]:
        out.append(f'      <command:parameter required="{str(required).lower()}" pipelineInput="false" position="named"><maml:name>{name}</maml:name><maml:description>{para(desc)}</maml:description><command:parameterValue required="true">{type_}</command:parameterValue><dev:type><maml:name>{type_}</maml:name></dev:type></command:parameter>')
    out += ["    </command:parameters>",
            f"    <command:returnValues><command:returnValue><dev:type><maml:name>{c['outputs']}</maml:name></dev:type></command:returnValue></command:returnValues>",
            "    <command:examples>"]
    for i, (code, remark) in enumerate(c["examples"], 1):
        out.append(f"      <command:example><maml:title>-------------------------- Example {i} --------------------------</maml:title><dev:code>{escape(code)}</dev:code><dev:remarks>{para(remark)}</dev:remarks></command:example>")
    out += ["    </command:examples>", "  </command:command>"]
    return "\n".join(out)


if __name__ == "__main__":
    xml = ['<?xml version="1.0" encoding="utf-8"?>', "<!-- Generated by module/help/help.py: edit that file, not this one. -->", '<helpItems schema="maml" xmlns="http://msh">']
    xml += [render(c) for c in CMDLETS]
    xml.append("</helpItems>\n")
    target = Path(__file__).resolve().parent.parent / "en-US" / "DevK8s.dll-Help.xml"
    target.write_text("\n".join(xml), encoding="utf-8")
    print(f"wrote {target} ({len(CMDLETS)} cmdlets)")
