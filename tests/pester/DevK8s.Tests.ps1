# Pester 5 tests of what a user sees, for machines with pwsh 7.4+ and Pester.
# Run: Invoke-Pester tests/pester (after ./build.sh). Cluster tests need tests/cluster/up and
# DEVK8S_TEST_KUBECONFIG (tagged Integration; exclude with -ExcludeTagFilter Integration).

BeforeAll {
    $repo = Resolve-Path "$PSScriptRoot/../.."
    Import-Module "$repo/DevK8s.psd1" -Force
    function New-TestProject([string] $Config) {
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("devk8s-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'devk8s.yaml') -Value $Config -NoNewline
        $dir
    }
}

Describe 'Module' {
    It 'exports the cmdlets with approved verbs' {
        $commands = Get-Command -Module DevK8s
        $commands.Name | Should -Contain 'Get-DevProject'
        $approved = (Get-Verb).Verb
        $commands | ForEach-Object { $_.Verb | Should -BeIn $approved }
    }

    It 'has help with examples for every cmdlet' {
        foreach ($c in Get-Command -Module DevK8s) {
            (Get-Help $c.Name -Examples).examples.example.Count | Should -BeGreaterOrEqual 2
        }
    }
}

Describe 'Get-DevProject' {
    It 'walks up to the nearest devk8s.yaml' {
        $dir = New-TestProject "namespace: shop`nservices:`n  api:`n"
        $deep = New-Item -ItemType Directory -Path (Join-Path $dir 'a/b') -Force
        Push-Location $deep
        try { (Get-DevProject).Namespace | Should -Be 'shop' } finally { Pop-Location; Remove-Item $dir -Recurse -Force }
    }

    It 'reports every error with file:line:column and key' {
        $dir = New-TestProject "namespce: shop`nservices:`n  api:`n    strategy: rebuild`n"
        try {
            $err = { Get-DevProject -Path $dir -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'DevK8s.ConfigInvalid,*'
            $err.Exception.Errors.Count | Should -Be 2
            $err.Exception.Errors[0].ToString() | Should -BeLike "*devk8s.yaml:1:1: namespce: unknown key 'namespce' (did you mean 'namespace'?)"
        } finally { Remove-Item $dir -Recurse -Force }
    }
}

Describe 'Strategy parameters' {
    It 'offers only the chosen strategy''s parameters, as Get-Command shows' {
        $dir = New-TestProject "namespace: shop`nservices:`n  web:`n    sync:`n      paths: [{from: ., to: /app}]`n    intercept:`n      command: run`n"
        Push-Location $dir
        try {
            (Get-Command Start-DevService -ArgumentList web).Parameters.Keys | Should -Contain 'Poll'
            (Get-Command Start-DevService -ArgumentList web).Parameters.Keys | Should -Not -Contain 'EnvFile'
            { Start-DevService web -Strategy Intercept -Poll -ErrorAction Stop } | Should -Throw -ErrorId 'NamedParameterNotFound,DevK8s.Cmdlets.StartDevServiceCommand'
        } finally { Pop-Location; Remove-Item $dir -Recurse -Force }
    }

    It 'names the strategy a parameter belongs to when the service comes from the pipeline' {
        $dir = New-TestProject "namespace: shop`nservices:`n  web:`n    strategy: intercept`n    sync:`n      paths: [{from: ., to: /app}]`n    intercept:`n      command: run`n"
        Push-Location $dir
        try {
            $err = { 'web' | Start-DevService -Poll -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'DevK8s.ParameterNotForStrategy,*'
            $err.Exception.Message | Should -BeLike '*-Poll belongs to the Sync strategy*'
        } finally { Pop-Location; Remove-Item $dir -Recurse -Force }
    }
}

Describe 'Against the test cluster' -Tag Integration {
    BeforeAll {
        $env:KUBECONFIG = $env:DEVK8S_TEST_KUBECONFIG ?? '/var/lib/devk8s-cluster/kubeconfig'
        $ns = 'devk8s-pester-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $dir = New-TestProject "namespace: $ns`nmanifests: [k8s]`nservices:`n  api:`n  web:`n"
        New-Item -ItemType Directory -Path (Join-Path $dir 'k8s') | Out-Null
        Set-Content (Join-Path $dir 'k8s/cm.yaml') "apiVersion: v1`nkind: ConfigMap`nmetadata: {name: settings}`ndata: {a: b}`n"
    }

    It 'deploys the prod manifests and reports each object' {
        $result = Deploy-DevProject -Path $dir
        $result.Kind | Should -Be 'ConfigMap'
        $result.Action | Should -Be 'Created'
        (Deploy-DevProject -Path $dir).Action | Should -Be 'Unchanged'
    }

    It 'shows services whose workload does not exist as Missing' {
        Push-Location $dir
        try { (Get-DevService api).Mode | Should -Be 'Missing' } finally { Pop-Location }
    }

    It 'passes the environment checks' {
        Push-Location $dir
        try { (Test-DevEnvironment | Where-Object Name -eq Server).Status | Should -Be 'Pass' } finally { Pop-Location }
    }
}
