#!/usr/bin/env bash
# Builds the module into out/DevK8s (then: Import-Module ./DevK8s.psd1) and devk8s-shell.
set -euo pipefail
cd "$(dirname "$0")"
command -v dotnet >/dev/null || { echo "build.sh: the .NET SDK (8 or newer) is required: https://dot.net" >&2; exit 1; }
dotnet build DevK8s.sln -c Release --nologo "$@"
