namespace DevK8s.Shell;

/// <summary>
/// Minimal stand-ins for Microsoft.PowerShell.Utility commands, defined only when the real ones are
/// missing, so the same scripts run under pwsh and under this host.
/// </summary>
internal static class UtilityShims
{
    public const string Script = """
        if (-not (Get-Command Write-Host -ErrorAction Ignore)) {
            # Through the information stream, as the real Write-Host, so it keeps its place among tables.
            function global:Write-Host { [CmdletBinding(PositionalBinding = $false)] param([Parameter(Position = 0, ValueFromRemainingArguments)] $Object, $ForegroundColor, [switch] $NoNewline)
                $PSCmdlet.WriteInformation([System.Management.Automation.InformationRecord]::new(($Object -join ' '), 'PSHOST')) }
        }
        if (-not (Get-Command Write-Output -ErrorAction Ignore)) {
            function global:Write-Output { param([Parameter(ValueFromPipeline, ValueFromRemainingArguments)] $InputObject) process { $InputObject } }
        }
        if (-not (Get-Command Format-Table -ErrorAction Ignore)) {
            function global:Format-Table { [CmdletBinding(PositionalBinding = $false)] param([Parameter(ValueFromPipeline)] $InputObject, [Parameter(Position = 0)] $Property, [switch] $AutoSize) process { $InputObject } }
        }
        if (-not (Get-Command Join-Path -ErrorAction Ignore)) {
            function global:Join-Path { param([Parameter(Position = 0)] [string] $Path, [Parameter(Position = 1)] [string] $ChildPath) [IO.Path]::Combine($Path, $ChildPath) }
        }
        if (-not (Get-Command Get-Location -ErrorAction Ignore)) {
            function global:Get-Location { $ExecutionContext.SessionState.Path.CurrentLocation }
        }
        if (-not (Get-Command Set-Location -ErrorAction Ignore)) {
            function global:Set-Location { param([Parameter(Position = 0)] [string] $Path) $null = $ExecutionContext.SessionState.Path.SetLocation($Path) }
        }
        if (-not (Get-Command Push-Location -ErrorAction Ignore)) {
            function global:Push-Location { param([Parameter(Position = 0)] [string] $Path)
                $ExecutionContext.SessionState.Path.PushCurrentLocation('')
                if ($Path) { $null = $ExecutionContext.SessionState.Path.SetLocation($Path) } }
        }
        if (-not (Get-Command Pop-Location -ErrorAction Ignore)) {
            function global:Pop-Location { $null = $ExecutionContext.SessionState.Path.PopLocation('') }
        }
        if (-not (Get-Command Start-Sleep -ErrorAction Ignore)) {
            function global:Start-Sleep { param([double] $Seconds, [int] $Milliseconds) [Threading.Thread]::Sleep([int]($Seconds * 1000 + $Milliseconds)) }
        }
        """;
}
