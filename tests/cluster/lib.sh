# Shared by up, down and status: paths, logging and PID bookkeeping of the test cluster.
STATE=${DEVK8S_CLUSTER_DIR:-/var/lib/devk8s-cluster}
CACHE=${DEVK8S_CACHE:-/var/cache/devk8s}
DOCKER=/usr/bin/docker            # the daemon's own CLI (a newer CLI on PATH may lack buildx)
NODE=devk8s-node
NODE_IP=172.17.0.1                # docker0: pods and the node live on this bridge only
REGISTRY=127.0.0.1:5000
export DOCKER_BUILDKIT=0

say() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# A recorded PID counts only while it is alive and still runs the binary it was recorded for
# (PIDs are reused): never signal anything else.
alive() {
  local name=$1 pidfile="$STATE/pids/$1.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(cat "$STATE/pids/$name.bin" 2>/dev/null || echo "$name")"
}

# start NAME BINARY ARGS...: runs in the background, output to logs/NAME.log, PID recorded.
start() {
  local name=$1 bin=$2; shift 2
  if alive "$name"; then say "$name already running (pid $(cat "$STATE/pids/$name.pid"))"; return; fi
  mkdir -p "$STATE/pids" "$STATE/logs"
  setsid "$bin" "$@" >>"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/pids/$name.pid"
  echo "$bin" > "$STATE/pids/$name.bin"
  say "$name started (pid $!)"
}

# stop NAME: TERM to the recorded PID (if it is still the recorded binary), KILL after 10 s.
stop() {
  local c=$1 pid
  if alive "$c"; then
    pid=$(cat "$STATE/pids/$c.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "$c did not stop in 10 s; killing pid $pid"; kill -KILL "$pid" || true; fi
    say "$c stopped (pid $pid)"
  fi
  rm -f "$STATE/pids/$c.pid" "$STATE/pids/$c.bin"
}

# The cluster's components, in start order (status lists them, down stops them in reverse).
COMPONENTS="dockerd registry etcd kube-apiserver dnsmasq dns-feed kube-controller-manager kube-scheduler kubelet kube-proxy"
CLUSTER_DNS=$NODE_IP              # dnsmasq on docker0, fed from the API's Services by dns-feed
CLUSTER_DOMAIN=cluster.local

token() { cut -d, -f1 "$STATE/pki/tokens.csv"; }

api() { curl -sS --max-time 5 --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $(token)" "$@"; }
