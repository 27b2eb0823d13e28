#!/usr/bin/env bash
# Builds the sample's prod images and pushes them to the test cluster's registry:
#   127.0.0.1:5000/devk8s-sample/{catalog,gateway,web}:prod  (the tags k8s/*.yaml deploy)
# One `cargo build --release` for the whole workspace (one shared target/), then one docker build
# per service that only copies its binary or sources in. Idempotent: rerunning rebuilds what changed
# and pushes layers the registry does not have yet. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")"

REGISTRY=127.0.0.1:5000
SERVICES=(catalog gateway web)
BASE=devk8s-base/bookworm:1
# The daemon's own CLI: a newer docker on PATH may lack buildx, and BuildKit would need it.
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker || echo docker)}
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}

say() { echo "build-images.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

# rustup puts cargo in ~/.cargo/bin, which non-login shells (CI) may not have on PATH.
command -v cargo >/dev/null || { [ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"; }
command -v cargo >/dev/null || fail "cargo is not on PATH; install Rust (rustup) or add ~/.cargo/bin to PATH"
"$DOCKER" version >/dev/null 2>&1 ||
  fail "no docker daemon answers ($DOCKER version failed); start the test cluster: tests/cluster/up"
curl -fsS -m 5 "http://$REGISTRY/v2/" >/dev/null 2>&1 ||
  fail "no registry at http://$REGISTRY/v2/; start the test cluster: tests/cluster/up"
"$DOCKER" image inspect "$BASE" >/dev/null 2>&1 ||
  fail "base image $BASE is missing (no public registry here, it is built locally); run tests/cluster/up"

say "cargo build --release (workspace, shared target/)"
cargo build --release --workspace --bins --quiet

for svc in "${SERVICES[@]}"; do
  image=$REGISTRY/devk8s-sample/$svc:prod
  say "docker build -f services/$svc/Dockerfile -t $image ."
  "$DOCKER" build --quiet -f "services/$svc/Dockerfile" -t "$image" . >/dev/null
  say "docker push $image"
  "$DOCKER" push "$image" >/dev/null
  say "  $("$DOCKER" image inspect -f '{{.Id}} {{.Size}} bytes' "$image")"
done
say "done: ${SERVICES[*]} pushed to $REGISTRY/devk8s-sample"
