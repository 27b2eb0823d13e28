#!/usr/bin/env bash
# Builds the module into out/DevK8s (then: Import-Module ./DevK8s.psd1) and devk8s-shell, and the
# relay agent (src/agent, Go) for linux/amd64 and linux/arm64 into out/DevK8s/agent/.
set -euo pipefail
cd "$(dirname "$0")"
command -v dotnet >/dev/null || { echo "build.sh: the .NET SDK (8 or newer) is required: https://dot.net" >&2; exit 1; }

# Go: on PATH, or where Debian and the upstream tarball put it; on a bare Debian/Ubuntu machine,
# installed from apt when we may.
find_go() {
  local g
  for g in "$(command -v go || true)" /usr/lib/go/bin/go /usr/local/go/bin/go "$HOME/go/bin/go"; do
    [ -n "$g" ] && [ -x "$g" ] && { echo "$g"; return 0; }
  done
  return 1
}
go=$(find_go || true)
if [ -z "$go" ] && command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "build.sh: installing Go (golang-go) to build the relay agent" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2; }
  elif command -v sudo >/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2
  fi
  go=$(find_go || true)
fi
[ -n "$go" ] || { echo "build.sh: Go 1.19 or newer is required to build the relay agent: apt-get install -y golang-go, or https://go.dev/dl" >&2; exit 1; }

# The agent runs in any image with a shell (busybox, musl, glibc): static, no cgo.
export GOCACHE="${GOCACHE:-${HOME:-/tmp}/.cache/go-build}"
rev=$(git rev-parse --short HEAD 2>/dev/null || echo dev)
for arch in amd64 arm64; do
  out="out/DevK8s/agent/linux-$arch/devk8s-agent"
  (cd src/agent && CGO_ENABLED=0 GOOS=linux GOARCH=$arch "$go" build -trimpath -ldflags "-s -w -X main.version=$rev" -o "../../$out" .)
  echo "agent linux/$arch: $out ($(stat -c %s "$out") bytes)"
done

dotnet build DevK8s.sln -c Release --nologo "$@"
