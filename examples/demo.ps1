# The DevK8s demo script (runs in pwsh 7.4+ after Import-Module ./DevK8s.psd1, or in devk8s-shell).
$ErrorActionPreference = 'Stop'
Push-Location (Join-Path $PSScriptRoot 'sample')
try {
    Write-Host '== Test-DevEnvironment'
    Test-DevEnvironment

    Write-Host '== Deploy-DevProject: the sample in prod mode'
    Deploy-DevProject
    Write-Host 'waiting for every service to be ready...'
    $deadline = [DateTime]::UtcNow.AddMinutes(3)
    do {
        $services = @(Get-DevService)
        $ready = @($services | Where-Object { $_.Ready -match '^(\d+)/\1$' -and $_.Ready -ne '0/0' }).Count
        if ($ready -eq $services.Count) { break }
        Start-Sleep -Seconds 1
    } while ([DateTime]::UtcNow -lt $deadline)
    Get-DevService

    Write-Host '== Start-DevService web: dev mode with the Sync strategy'
    $session = Start-DevService web -PassThru
    $session

    Write-Host '== an edit to greeting.py goes live'
    $file = Join-Path (Get-Location) 'services/web/greeting.py'
    $original = [IO.File]::ReadAllText($file)
    try {
        [IO.File]::WriteAllText($file, $original.Replace('version 1', 'version 1, edited at ' + [DateTime]::Now.ToString('HH:mm:ss')))
        Start-Sleep -Seconds 3
        (Get-DevSession web).Details.LastSync
        (Get-DevSession web).Changes
        Get-DevService web
    }
    finally {
        [IO.File]::WriteAllText($file, $original)
    }

    Write-Host '== Stop-DevService web: back to prod mode, exactly as it was'
    Stop-DevService web -PassThru
}
finally {
    Pop-Location
}
