#!/usr/bin/env bash
# Builds the sample's prod images from the shared cargo target/ and pushes them to the local
# registry (127.0.0.1:5000) of the test cluster. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=0
$DOCKER info >/dev/null 2>&1 || { echo "build-images.sh: no docker daemon; start the test cluster: tests/cluster/up" >&2; exit 1; }
curl -fsS http://127.0.0.1:5000/v2/ >/dev/null || { echo "build-images.sh: no registry on 127.0.0.1:5000; run tests/cluster/up" >&2; exit 1; }
command -v cargo >/dev/null || { echo "build-images.sh: cargo (Rust) is required to build the sample" >&2; exit 1; }
echo "build-images.sh: cargo build --release (one build, shared target/)" >&2
cargo build --release --quiet
for svc in catalog gateway web; do
  image=127.0.0.1:5000/devk8s-sample/$svc:prod
  echo "build-images.sh: $image" >&2
  $DOCKER build -q -f services/$svc/Dockerfile -t "$image" . >/dev/null
  $DOCKER push -q "$image" >/dev/null
done
