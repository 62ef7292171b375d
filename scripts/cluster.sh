#!/usr/bin/env bash
# Local Kubernetes control plane on loopback for tests (see docs/cluster.md).
#
#   scripts/cluster.sh build    build etcd, kube-*, kubectl, kwok, jobset from Go modules (cached)
#   scripts/cluster.sh up       start the cluster (builds first if needed); idempotent
#   scripts/cluster.sh env      print `export KUBECONFIG=... PATH=...` for eval
#   scripts/cluster.sh status   show processes and nodes
#   scripts/cluster.sh smoke    end-to-end check of a running cluster (Deployment, PVCs, JobSet, GPU, failing Job)
#   scripts/cluster.sh down     stop exactly the processes `up` started and remove the state dir
#   scripts/cluster.sh stop|start|restart NAME
#                               stop one component of the running cluster (e.g. kube-apiserver, for
#                               fault tests), start it again and wait until it is ready
#
# Environment: MLKUBE_CACHE (default ~/.cache/mlkube; binaries in $MLKUBE_CACHE/bin),
# MLKUBE_CLUSTER_DIR (state dir, default /tmp/mlkube-cluster), MLKUBE_SA_ADMISSION=0 to turn the
# ServiceAccount admission plugin off.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
set +m

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
TOOLS_DIR="$REPO_DIR/tools/cluster"
# shellcheck source=lib/cluster-build.sh
. "$SCRIPT_DIR/lib/cluster-build.sh"
# shellcheck source=lib/cluster-manifests.sh
. "$SCRIPT_DIR/lib/cluster-manifests.sh"
# shellcheck source=lib/cluster-smoke.sh
. "$SCRIPT_DIR/lib/cluster-smoke.sh"
# shellcheck source=lib/cluster-node.sh
. "$SCRIPT_DIR/lib/cluster-node.sh"
# shellcheck source=lib/cluster-images.sh
. "$SCRIPT_DIR/lib/cluster-images.sh"

STATE_DIR=${MLKUBE_CLUSTER_DIR:-/tmp/mlkube-cluster}
KUBECONFIG_PATH="$STATE_DIR/kubeconfig"
TEST_NAMESPACE=${MLKUBE_TEST_NAMESPACE:-mlkube-test}
CPU_NODES=${MLKUBE_CPU_NODES:-2}
GPU_NODES=${MLKUBE_GPU_NODES:-6}
JOBSET_WEBHOOK_PORT=9443
JOBSET_HEALTH_PORT=8081
TRAINER_WEBHOOK_PORT=9444
TRAINER_HEALTH_PORT=8082
APISERVER_PORT=6443
# Start order; `down` stops in reverse. The Kubeflow Trainer controller is on unless MLKUBE_TRAINER=0.
COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler kwok jobset"
TRAINER_ENABLED=1
[ "${MLKUBE_TRAINER:-1}" = 0 ] && TRAINER_ENABLED=0
[ "$TRAINER_ENABLED" = 1 ] && COMPONENTS="$COMPONENTS trainer-controller-manager"
# The real node (containerd, kubelet, CoreDNS, kube-proxy) is on unless MLKUBE_REAL_NODE=0.
real_node_enabled && COMPONENTS="$COMPONENTS $NODE_COMPONENTS"
ALL_COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler kwok jobset trainer-controller-manager $NODE_COMPONENTS"

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: ERROR: $*" >&2; exit 1; }

kc() { "$CLUSTER_BIN/kubectl" --kubeconfig="$KUBECONFIG_PATH" "$@"; }

# wait_for DESC TIMEOUT_SECONDS CMD...: poll CMD once a second.
wait_for() {
  local desc=$1 timeout=$2 i; shift 2
  for ((i = 0; i < timeout; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    check_alive
    sleep 1
  done
  die "timed out after ${timeout}s waiting for $desc (logs in $STATE_DIR/logs)"
}

pid_of() { [ -f "$STATE_DIR/pids/$1.pid" ] && cat "$STATE_DIR/pids/$1.pid"; }

# A recorded PID counts only while it still runs our binary (guards against PID reuse).
is_ours() {
  local name=$1 pid exe
  pid=$(pid_of "$name") || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [ "$exe" = "$CLUSTER_BIN/$name" ]
}

# proc_state PID: "running", "zombie" (exited, not yet reaped) or "gone".
proc_state() {
  local st
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo gone; return; }
  st=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || { echo gone; return; }
  case "$st" in Z | X) echo zombie ;; *) echo running ;; esac
}

# Whether component NAME's process is still starting: alive, but not yet exec'd into its binary (the
# subshell, setsid or env in front of it). Right after `start` this window is real on a loaded
# 2-core machine; it used to read as "<component> exited" with an empty log.
is_starting() {
  local pid exe
  pid=$(pid_of "$1") || return 1
  [ "$(proc_state "$pid")" = running ] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 0   # exe not readable yet: still starting
  case "$(basename "$exe")" in bash | sh | setsid | env) return 0 ;; *) return 1 ;; esac
}

# exit_status NAME: sets EXIT_STATUS to how component NAME ended ("exit status N", "killed by signal
# S", ...). Not in a $(...) subshell: only this shell can `wait` for (reap) its own children.
exit_status() {
  local pid rc=0
  EXIT_STATUS="ended (status unknown)"
  pid=$(pid_of "$1") || return 0
  wait "$pid" 2>/dev/null || rc=$?
  if [ "$rc" = 127 ]; then EXIT_STATUS="ended (status unknown: not a child of this shell)"
  elif [ "$rc" -gt 128 ]; then EXIT_STATUS="killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null || echo '?'))"
  else EXIT_STATUS="exit status $rc"; fi
}

# check_alive: every started component still runs (or is still exec'ing: see is_starting). A component that died is
# reported with its exit status and its log, and started again once (RETRIES_LEFT) -- a component
# that dies at start on a loaded machine (a port not yet released, a webhook racing its server)
# usually comes up on the second try; one that dies twice fails `up`.
declare -A RETRIED=()
check_alive() {
  local c status
  for c in $ALL_COMPONENTS; do
    [ -f "$STATE_DIR/pids/$c.pid" ] || continue
    [ "${STOPPING:-}" = 1 ] && return 0
    # Alive is alive: our own children cannot be reused PIDs while unreaped (a dead one stays a
    # zombie until exit_status reaps it), and one still exec'ing into its binary is not dead.
    [ "$(proc_state "$(pid_of "$c")")" = running ] && continue
    exit_status "$c"; status=$EXIT_STATUS
    echo "---- $c $status; last lines of $STATE_DIR/logs/$c.log" >&2
    if [ -s "$STATE_DIR/logs/$c.log" ]; then tail -n 30 "$STATE_DIR/logs/$c.log" >&2 || true; else echo "(the log is empty)" >&2; fi
    if [ -z "${RETRIED[$c]:-}" ] && [ -f "$STATE_DIR/cmds/$c" ]; then
      RETRIED[$c]=1
      cp "$STATE_DIR/logs/$c.log" "$STATE_DIR/logs/$c.first-attempt.log" 2>/dev/null || true
      log "$c $status at start; starting it again (once)"
      local -a cmd
      mapfile -d '' -t cmd <"$STATE_DIR/cmds/$c"
      start "$c" "${cmd[@]}"
      continue
    fi
    die "$c $status"
  done
}

start() {
  local name=$1; shift
  # setsid: own session, so a Ctrl-C or SIGHUP aimed at the caller does not reach it. Without job
  # control the child is no process-group leader, so setsid does not fork and $! stays its PID.
  # 9>&-: the component must not inherit (and so hold forever) the up/down lock.
  mkdir -p "$STATE_DIR/cmds"
  printf '%s\0' "$@" >"$STATE_DIR/cmds/$name"   # for one restart by check_alive
  setsid "$@" >"$STATE_DIR/logs/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE_DIR/pids/$name.pid"
  log "started $name (pid $!)"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

gen_pki() {
  local p="$STATE_DIR/pki"
  mkdir -p "$p"
  (
    cd "$p"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=mlkube-local-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    cat >serving.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    openssl req -newkey rsa:2048 -nodes -keyout serving.key -out serving.csr -subj "/CN=127.0.0.1" 2>/dev/null
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile serving.ext -out serving.crt 2>/dev/null
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=clientAuth' >client.ext
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
      -subj "/O=system:masters/CN=mlkube-admin" 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out admin.crt 2>/dev/null
    # Front-proxy (request-header) client, so extension-apiserver-authentication is complete.
    openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr \
      -subj "/CN=front-proxy-client" 2>/dev/null
    openssl x509 -req -in front-proxy-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out front-proxy-client.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr
  )
  mkdir -p "$STATE_DIR/jobset-certs"
  cp "$p/serving.crt" "$STATE_DIR/jobset-certs/tls.crt"
  cp "$p/serving.key" "$STATE_DIR/jobset-certs/tls.key"
  # kubeconfig with embedded data so it can be copied or passed as a string (e.g. to Pulumi).
  "$CLUSTER_BIN/kubectl" config --kubeconfig="$KUBECONFIG_PATH" set-cluster mlkube \
    --server="https://127.0.0.1:$APISERVER_PORT" --certificate-authority="$p/ca.crt" --embed-certs=true >/dev/null
  "$CLUSTER_BIN/kubectl" config --kubeconfig="$KUBECONFIG_PATH" set-credentials mlkube-admin \
    --client-certificate="$p/admin.crt" --client-key="$p/admin.key" --embed-certs=true >/dev/null
  "$CLUSTER_BIN/kubectl" config --kubeconfig="$KUBECONFIG_PATH" set-context mlkube \
    --cluster=mlkube --user=mlkube-admin >/dev/null
  "$CLUSTER_BIN/kubectl" config --kubeconfig="$KUBECONFIG_PATH" use-context mlkube >/dev/null
  chmod 600 "$KUBECONFIG_PATH"
}

is_up() {
  local c
  [ -d "$STATE_DIR/pids" ] || return 1
  for c in $COMPONENTS; do is_ours "$c" || return 1; done
  kc get --raw /readyz >/dev/null 2>&1
}

# Serialise up/down (parallel test runners may all call `up`). The lock file sits next to the
# state dir, which `down` removes.
take_lock() {
  mkdir -p "$(dirname "$STATE_DIR")"
  exec 9>"$STATE_DIR.lock"
  flock 9
}

cmd_up() {
  local t0 p
  take_lock
  t0=$(date +%s)
  if is_up; then
    log "already up ($STATE_DIR); KUBECONFIG=$KUBECONFIG_PATH"
    return 0
  fi
  if [ -d "$STATE_DIR/pids" ]; then
    log "found a partial cluster in $STATE_DIR; stopping it first"
    cmd_down
  fi
  cluster_build >&2
  for p in 2379 2380 2381 $APISERVER_PORT 10257 10259 $JOBSET_WEBHOOK_PORT $JOBSET_HEALTH_PORT \
    $TRAINER_WEBHOOK_PORT $TRAINER_HEALTH_PORT; do
    port_free "$p" || die "port 127.0.0.1:$p is in use (another cluster running?)"
  done
  if real_node_enabled; then
    for p in 10248 10249 10256 18080 18181; do
      port_free "$p" || die "port 127.0.0.1:$p is in use (another cluster running?)"
    done
    ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || die "network device $NODE_BRIDGE exists (another cluster running?)"
  fi

  local kwok_dir jobset_dir trainer_dir
  kwok_dir=$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
  jobset_dir=$(module_dir "sigs.k8s.io/jobset@$JOBSET_VERSION")
  trainer_dir=$(module_dir "github.com/kubeflow/trainer/v2@$TRAINER_VERSION")
  if [ ! -d "$kwok_dir" ] || [ ! -d "$jobset_dir" ] || [ ! -d "$trainer_dir" ]; then die "module download failed"; fi

  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR"/{pids,logs,etcd,volumes,manifests}
  trap _up_exit EXIT
  gen_pki
  local pki="$STATE_DIR/pki"

  start etcd "$CLUSTER_BIN/etcd" --name=mlkube --data-dir="$STATE_DIR/etcd" \
    --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
    --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
    --initial-cluster=mlkube=http://127.0.0.1:2380 --listen-metrics-urls=http://127.0.0.1:2381 \
    --unsafe-no-fsync=true --quota-backend-bytes=8589934592 --log-level=warn
  wait_for "etcd" 60 curl -fsS http://127.0.0.1:2379/health

  local admission_off=""
  [ "${MLKUBE_SA_ADMISSION:-1}" = 0 ] && admission_off="--disable-admission-plugins=ServiceAccount"
  start kube-apiserver "$CLUSTER_BIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 --etcd-prefix=/registry \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port=$APISERVER_PORT \
    --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" \
    --client-ca-file="$pki/ca.crt" --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true \
    --enable-admission-plugins=NodeRestriction ${admission_off} \
    --kubelet-certificate-authority="$pki/ca.crt" \
    --requestheader-client-ca-file="$pki/ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$pki/front-proxy-client.crt" --proxy-client-key-file="$pki/front-proxy-client.key" \
    --kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --endpoint-reconciler-type=none --profiling=false --v=1
  wait_for "kube-apiserver /readyz" 120 kc get --raw /readyz

  # CRDs first, so kube-controller-manager's garbage collector discovers them at start (server-side
  # apply: the JobSet CRD is too large for the last-applied annotation).
  cp "$jobset_dir/config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml" \
     "$trainer_dir"/manifests/base/crds/trainer.kubeflow.org_{trainjobs,trainingruntimes,clustertrainingruntimes}.yaml \
     "$STATE_DIR/manifests/"
  chmod u+w "$STATE_DIR"/manifests/*.yaml
  kc apply --server-side --force-conflicts -f "$STATE_DIR/manifests/jobset.x-k8s.io_jobsets.yaml" \
    -f "$STATE_DIR/manifests/trainer.kubeflow.org_trainjobs.yaml" \
    -f "$STATE_DIR/manifests/trainer.kubeflow.org_trainingruntimes.yaml" \
    -f "$STATE_DIR/manifests/trainer.kubeflow.org_clustertrainingruntimes.yaml" >/dev/null
  kc wait --for=condition=Established --timeout=60s \
    crd/jobsets.jobset.x-k8s.io crd/trainjobs.trainer.kubeflow.org \
    crd/trainingruntimes.trainer.kubeflow.org crd/clustertrainingruntimes.trainer.kubeflow.org >/dev/null

  start kube-controller-manager "$CLUSTER_BIN/kube-controller-manager" \
    --kubeconfig="$KUBECONFIG_PATH" --authentication-kubeconfig="$KUBECONFIG_PATH" \
    --authorization-kubeconfig="$KUBECONFIG_PATH" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=10257 --root-ca-file="$pki/ca.crt" \
    --service-account-private-key-file="$pki/sa.key" --use-service-account-credentials=false \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --node-monitor-period=5s --node-monitor-grace-period=40s --profiling=false --v=1
  start kube-scheduler "$CLUSTER_BIN/kube-scheduler" \
    --kubeconfig="$KUBECONFIG_PATH" --authentication-kubeconfig="$KUBECONFIG_PATH" \
    --authorization-kubeconfig="$KUBECONFIG_PATH" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=10259 --profiling=false --v=1
  # Their health endpoints are always allowed without credentials (--authorization-always-allow-paths).
  wait_for "kube-controller-manager /healthz" 120 curl -fsSk https://127.0.0.1:10257/healthz
  wait_for "kube-scheduler /readyz" 120 curl -fsSk https://127.0.0.1:10259/readyz

  kwok_config "$kwok_dir" >"$STATE_DIR/manifests/kwok.yaml"
  start kwok "$CLUSTER_BIN/kwok" --kubeconfig="$KUBECONFIG_PATH" --config="$STATE_DIR/manifests/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-label-selector=type=kwok --node-lease-duration-seconds=40 --cidr=10.244.0.0/16 --node-ip=127.0.0.1

  # JobSet controller out of cluster; webhooks on loopback registered by URL.
  jobset_config_yaml >"$STATE_DIR/manifests/jobset-config.yaml"
  jobset_webhooks_yaml "$(base64 -w0 <"$pki/ca.crt")" >"$STATE_DIR/manifests/jobset-webhooks.yaml"
  start jobset "$CLUSTER_BIN/jobset" --config="$STATE_DIR/manifests/jobset-config.yaml" \
    --kubeconfig="$KUBECONFIG_PATH" --zap-devel=false --zap-log-level=info
  wait_for "jobset controller /readyz" 120 curl -fsS "http://127.0.0.1:$JOBSET_HEALTH_PORT/readyz"
  kc apply --server-side -f "$STATE_DIR/manifests/jobset-webhooks.yaml" >/dev/null

  if [ "$TRAINER_ENABLED" = 1 ]; then
    # Kubeflow Trainer controller out of cluster. Its config has no certDir: controller-runtime's
    # default is $TMPDIR/k8s-webhook-server/serving-certs, so TMPDIR points into the state dir.
    mkdir -p "$STATE_DIR/trainer-tmp/k8s-webhook-server/serving-certs"
    cp "$pki/serving.crt" "$STATE_DIR/trainer-tmp/k8s-webhook-server/serving-certs/tls.crt"
    cp "$pki/serving.key" "$STATE_DIR/trainer-tmp/k8s-webhook-server/serving-certs/tls.key"
    trainer_config_yaml >"$STATE_DIR/manifests/trainer-config.yaml"
    trainer_webhooks_yaml "$(base64 -w0 <"$pki/ca.crt")" >"$STATE_DIR/manifests/trainer-webhooks.yaml"
    start trainer-controller-manager env TMPDIR="$STATE_DIR/trainer-tmp" KUBECONFIG="$KUBECONFIG_PATH" \
      "$CLUSTER_BIN/trainer-controller-manager" --config="$STATE_DIR/manifests/trainer-config.yaml" \
      --zap-log-level=info
    wait_for "trainer controller /readyz" 120 curl -fsS "http://127.0.0.1:$TRAINER_HEALTH_PORT/readyz"
    kc apply --server-side -f "$STATE_DIR/manifests/trainer-webhooks.yaml" >/dev/null
  fi

  # The torch-distributed ClusterTrainingRuntime (validated by the Trainer webhook when it runs).
  cp "$trainer_dir/manifests/base/runtimes/torch_distributed.yaml" "$STATE_DIR/manifests/"
  chmod u+w "$STATE_DIR/manifests/torch_distributed.yaml"
  kc apply --server-side -f "$STATE_DIR/manifests/torch_distributed.yaml" >/dev/null

  storage_yaml >"$STATE_DIR/manifests/storage.yaml"
  namespace_yaml >"$STATE_DIR/manifests/namespace.yaml"
  nodes_yaml >"$STATE_DIR/manifests/nodes.yaml"
  kc apply --server-side -f "$STATE_DIR/manifests/storage.yaml" -f "$STATE_DIR/manifests/namespace.yaml" >/dev/null
  kc create -f "$STATE_DIR/manifests/nodes.yaml" >/dev/null

  kc wait --for=condition=Ready --timeout=120s node --all >/dev/null
  wait_for "serviceaccount default in $TEST_NAMESPACE" 60 kc -n "$TEST_NAMESPACE" get serviceaccount default
  wait_for "serviceaccount default in default" 60 kc -n default get serviceaccount default
  if real_node_enabled; then node_up; fi
  check_alive
  trap - EXIT
  log "up in $(( $(date +%s) - t0 ))s; KUBECONFIG=$KUBECONFIG_PATH"
}

# stop_processes: TERM (then KILL after 10s) exactly the PIDs recorded by `up`, newest first.
stop_processes() {
  local c pid i
  STOPPED=""
  for c in $(echo "$ALL_COMPONENTS" | tr ' ' '\n' | tac); do
    if is_ours "$c" || is_starting "$c"; then
      pid=$(pid_of "$c")
      kill -TERM "$pid" 2>/dev/null || true
      STOPPED="$STOPPED $c:$pid"
    fi
  done
  for c in $ALL_COMPONENTS; do
    for ((i = 0; i < 100; i++)); do is_ours "$c" || break; sleep 0.1; done
    if is_ours "$c"; then kill -KILL "$(pid_of "$c")" 2>/dev/null || true; fi
  done
}

cmd_down() {
  take_lock
  [ -d "$STATE_DIR" ] || { log "nothing to stop ($STATE_DIR does not exist)"; return 0; }
  node_down
  stop_processes
  sleep 0.2
  rm -rf "$STATE_DIR"
  log "down (stopped:${STOPPED:- none}); removed $STATE_DIR"
}

# EXIT trap while `up` runs: on failure print every component's last log lines (CI keeps only its
# output), stop what was started, and copy the logs next to the state dir, where `down` (which .ci/run's
# own trap calls right after) does not remove them.
FAILED_LOGS="$STATE_DIR.failed-up-logs"
_up_exit() {
  local rc=$? c
  if [ "$rc" -ne 0 ]; then
    STOPPING=1
    for c in $ALL_COMPONENTS; do
      [ -f "$STATE_DIR/logs/$c.log" ] || continue
      echo "---- $c: last lines of its log" >&2
      if [ -s "$STATE_DIR/logs/$c.log" ]; then tail -n 15 "$STATE_DIR/logs/$c.log" >&2 || true; else echo "(empty)" >&2; fi
    done
    node_down
    stop_processes
    rm -rf "$FAILED_LOGS"
    cp -r "$STATE_DIR/logs" "$FAILED_LOGS" 2>/dev/null || true
    log "up failed (exit $rc); stopped:${STOPPED:- none}; logs kept in $FAILED_LOGS"
  fi
}

# component_ready NAME: the component answers on its health endpoint (what `up` waits for after starting it).
component_ready() {
  case "$1" in
    etcd) curl -fsS http://127.0.0.1:2379/health ;;
    kube-apiserver) kc get --raw /readyz ;;
    kube-controller-manager) curl -fsSk https://127.0.0.1:10257/healthz ;;
    kube-scheduler) curl -fsSk https://127.0.0.1:10259/readyz ;;
    jobset) curl -fsS "http://127.0.0.1:$JOBSET_HEALTH_PORT/readyz" ;;
    trainer-controller-manager) curl -fsS "http://127.0.0.1:$TRAINER_HEALTH_PORT/readyz" ;;
    containerd) "$CLUSTER_BIN/ctr" --address="$(_node_dir)/containerd/containerd.sock" version ;;
    kubelet) curl -fsS http://127.0.0.1:10248/healthz ;;
    kube-proxy) curl -fsS http://127.0.0.1:10256/healthz ;;
    coredns) curl -fsS http://127.0.0.1:18181/ready ;;
    *) is_ours "$1" ;;   # kwok: no health endpoint; running is all there is to check
  esac
}

_component_arg() { # validates NAME against the components this cluster started
  local c
  [ -n "${1:-}" ] || die "name a component: $COMPONENTS"
  for c in $COMPONENTS; do [ "$c" = "$1" ] && return 0; done
  die "no component \"$1\" in this cluster (components: $COMPONENTS)"
}

# `stop NAME`: TERM (then KILL after 10 s) one component of a running cluster, for fault tests (an API
# server that goes away mid-update). The rest keeps running; `start NAME` brings it back.
cmd_stop_component() {
  local c=$1 pid i
  _component_arg "$c"
  take_lock
  [ -f "$STATE_DIR/cmds/$c" ] || die "the cluster is not up ($STATE_DIR); run scripts/cluster.sh up"
  if ! is_ours "$c"; then log "$c is not running"; return 0; fi
  pid=$(pid_of "$c")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do is_ours "$c" || break; sleep 0.1; done
  if is_ours "$c"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  is_ours "$c" && die "$c (pid $pid) did not stop"
  log "stopped $c (pid $pid)"
}

# `start NAME`: start a stopped component again with the command `up` started it with, wait until it is
# ready, and check that every other component survived its absence. Its earlier log is kept as NAME.N.log.
cmd_start_component() {
  local c=$1 n=1
  _component_arg "$c"
  take_lock
  [ -f "$STATE_DIR/cmds/$c" ] || die "the cluster is not up ($STATE_DIR); run scripts/cluster.sh up"
  if is_ours "$c"; then log "$c is already running (pid $(pid_of "$c"))"; return 0; fi
  while [ -e "$STATE_DIR/logs/$c.$n.log" ]; do n=$((n + 1)); done
  [ -f "$STATE_DIR/logs/$c.log" ] && mv "$STATE_DIR/logs/$c.log" "$STATE_DIR/logs/$c.$n.log"
  local -a cmd
  mapfile -d '' -t cmd <"$STATE_DIR/cmds/$c"
  start "$c" "${cmd[@]}"
  wait_for "$c ready" 120 component_ready "$c"
  check_alive
  log "$c ready again"
}

cmd_env() {
  echo "export KUBECONFIG='$KUBECONFIG_PATH'"
  echo "export PATH='$CLUSTER_BIN':\"\$PATH\""
  echo "export MLKUBE_KUBECTL='$CLUSTER_BIN/kubectl'"
}

cmd_status() {
  local c
  for c in $COMPONENTS; do
    if is_ours "$c"; then echo "$c: running (pid $(pid_of "$c"))"; else echo "$c: not running"; fi
  done
  if is_up; then
    kc get nodes -o wide
    echo "KUBECONFIG=$KUBECONFIG_PATH"
  else
    echo "cluster is not up ($STATE_DIR)"
    return 3
  fi
}

# Sourcing the script (tests of its functions) defines everything and runs nothing.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
case "${1:-}" in
  build) cluster_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  smoke) cmd_smoke ;;
  stop) cmd_stop_component "${2:-}" ;;
  start) cmd_start_component "${2:-}" ;;
  restart) cmd_stop_component "${2:-}"; cmd_start_component "${2:-}" ;;
  *) echo "usage: $0 build|up|env|status|smoke|down|stop NAME|start NAME|restart NAME" >&2; exit 2 ;;
esac
