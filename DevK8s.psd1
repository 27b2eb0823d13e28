@{
    # Built by ./build.sh (dotnet build). A nested module, so PowerShell finds the MAML help in
    # out/DevK8s/en-US next to the assembly that defines the cmdlets.
    NestedModules        = @('out/DevK8s/DevK8s.dll')
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0e7c2a-3f7d-4d0e-9a51-7f0c2f6d8e41'
    Author               = 'DevK8s contributors'
    CompanyName          = 'DevK8s'
    Copyright            = '(c) DevK8s contributors. MIT License.'
    Description          = 'The shortest feedback loop against Kubernetes: keep the system running from its prod manifests and switch one service at a time into dev mode (Image, Sync, Binary or Intercept), then back exactly as it was.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('module/DevK8s.format.ps1xml')
    TypesToProcess       = @('module/DevK8s.types.ps1xml')
    CmdletsToExport      = @(
        'Get-DevProject'
        'Get-DevService'
        'Deploy-DevProject'
        'Switch-DevStrategy'
        'Test-DevEnvironment'
        'Start-DevService'
        'Stop-DevService'
        'Get-DevSession'
        'Sync-DevService'
        'Watch-DevLog'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Kubernetes', 'k8s', 'DevLoop', 'Telepresence', 'Linux', 'Windows')
            ProjectUri   = 'https://example.invalid/devk8s'
            LicenseUri   = 'https://example.invalid/devk8s/LICENSE'
        }
    }
}
