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
        "description": "Returns one DevService per configured service: its namespace, workload, container, mode (Prod, Dev, or Missing when the workload does not exist), the strategy and owner of a dev session (read from the workload's annotations, so everyone's sessions show), readiness and image. It makes one list call per workload kind for the whole batch.",
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
        ],
    },
    {
        "name": "Deploy-DevProject",
        "synopsis": "Puts the whole project into prod mode by applying its prod manifests unchanged.",
        "description": "Reads every manifest listed under 'manifests' in devk8s.yaml (files or folders of multi-document YAML or JSON), checks all of them before contacting the cluster, creates the namespace if needed and applies each object with server-side apply (field manager 'devk8s'), in dependency order (namespaces, config and secrets, services, then workloads). Reports each object as Created, Configured or Unchanged. Honours -WhatIf and -Confirm and shows progress.",
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
        "description": "Checks the project config, the kubeconfig and its context, that the API server answers (and its version), that the namespace exists, the permissions dev mode needs (get/list/watch/patch deployments, list/watch pods, pods/exec, pods/portforward, pods/log, by SelfSubjectAccessReview), Telepresence 2.20+ (for the Intercept strategy) and a container builder (docker, podman, nerdctl or buildah, for the Image strategy). Each check is a DevCheck with Status Pass, Warn or Fail and, when not Pass, the exact fix.",
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
