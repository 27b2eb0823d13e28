// Everything here runs on Windows (natively or under Wine).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("windows")]
