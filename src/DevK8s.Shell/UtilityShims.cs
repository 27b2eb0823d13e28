namespace DevK8s.Shell;

/// <summary>
/// Minimal stand-ins for Microsoft.PowerShell.Utility commands, defined only when the real ones are
/// missing, so the same scripts run under pwsh and under this host.
/// </summary>
internal static class UtilityShims
{
    public const string Script = """
        if (-not (Get-Command Write-Host -ErrorAction Ignore)) {
            function global:Write-Host { [CmdletBinding(PositionalBinding = $false)] param([Parameter(Position = 0, ValueFromRemainingArguments)] $Object, $ForegroundColor, [switch] $NoNewline)
                [Console]::Out.Write(($Object -join ' ') + $(if ($NoNewline) { '' } else { [Environment]::NewLine })) }
        }
        if (-not (Get-Command Write-Output -ErrorAction Ignore)) {
            function global:Write-Output { param([Parameter(ValueFromPipeline, ValueFromRemainingArguments)] $InputObject) process { $InputObject } }
        }
        if (-not (Get-Command Format-Table -ErrorAction Ignore)) {
            function global:Format-Table { [CmdletBinding(PositionalBinding = $false)] param([Parameter(ValueFromPipeline)] $InputObject, [Parameter(Position = 0)] $Property, [switch] $AutoSize) process { $InputObject } }
        }
        if (-not (Get-Command Start-Sleep -ErrorAction Ignore)) {
            function global:Start-Sleep { param([double] $Seconds, [int] $Milliseconds) [Threading.Thread]::Sleep([int]($Seconds * 1000 + $Milliseconds)) }
        }
        """;
}
