# shellcheck shell=bash
# The real node of scripts/cluster.sh (docs/cluster.md, "Real node"): containerd (CRI) + runc +
# CNI (bridge, host-local, loopback, portmap) + kubelet + kube-proxy (nftables) + CoreDNS, joined
# to the local control plane as node `$REAL_NODE`, labelled `mlkube.test/node-kind=real` and tainted
# `mlkube.test/real-node=true:NoSchedule`.
#
# Everything it creates on the machine is recorded under $NODE_DIR and removed by `node_down`:
# processes (recorded PIDs, the containerd shims and the containers in our cgroups), mounts under
# the state dir, the pod network namespaces, the bridge, our nftables tables, cgroup directories,
# the sysctls the kubelet changes, and the host directories containerd/CNI/kubelet insist on.
#
# Network (all on this machine, nothing routed off it):
#   pods          10.245.0.0/24 on bridge $NODE_BRIDGE (no uplink, no masquerade to any external
#                 interface); the bridge holds 10.245.0.1 (node IP: kubelet :10250, CoreDNS :53)
#   Services      10.96.0.0/16 (kube-proxy, nftables); pods get routes to 10.245.0.0/24 and
#                 10.96.0.0/16 only, no default route
#   cluster DNS   10.96.0.10 (Service kube-system/kube-dns) -> CoreDNS on 10.245.0.1:53, zone
#                 cluster.local only, no forwarders (other names: REFUSED)
#   forwarding    enabled on $NODE_BRIDGE only; table `inet mlkube-node` drops whatever would be
#                 forwarded between the bridge and any other interface

REAL_NODE=${MLKUBE_REAL_NODE_NAME:-mlkube-node}
NODE_BRIDGE=mlkube0
NODE_IP=10.245.0.1
POD_CIDR=10.245.0.0/24
SERVICE_CIDR=10.96.0.0/16
DNS_IP=10.96.0.10
TEST_IMAGE=mlkube.local/testapp:v1
PAUSE_IMAGE=mlkube.local/pause:v1
NODE_COMPONENTS="containerd kubelet coredns kube-proxy"
# Sysctls the kubelet sets at start (pkg/kubelet/cm setupKernelTunables) or that the node touches.
NODE_SYSCTLS="vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes net/ipv4/ip_forward net/ipv4/conf/all/route_localnet"
# Host paths that containerd's shims (/run/containerd/s), libcni's cache (/var/lib/cni) and the
# kubelet (/var/log/containers) use whatever the configuration says: removed at `down` when `up`
# created them.
NODE_HOST_DIRS="/run/containerd /var/lib/cni /var/log/containers /var/log/pods"

real_node_enabled() { [ "${MLKUBE_REAL_NODE:-1}" != 0 ]; }

_node_dir() { echo "$STATE_DIR/node"; }

# Debian packages the node needs at run time (and libseccomp-dev for building runc; openssh-client:
# ssh-keygen for test/cluster/git-ssh.test.ts).
node_packages() {
  local missing="" p
  for p in libseccomp-dev iptables nftables conntrack openssh-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  log "installing Debian packages:$missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  }
}

_node_pki() {
  local p="$STATE_DIR/pki"
  (
    cd "$p"
    openssl req -newkey rsa:2048 -nodes -keyout kubelet-client.key -out kubelet-client.csr \
      -subj "/O=system:nodes/CN=system:node:$REAL_NODE" 2>/dev/null
    openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out kubelet-client.crt 2>/dev/null
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=serverAuth' "subjectAltName=IP:$NODE_IP,DNS:$REAL_NODE" >kubelet-serving.ext
    openssl req -newkey rsa:2048 -nodes -keyout kubelet-serving.key -out kubelet-serving.csr \
      -subj "/CN=$REAL_NODE" 2>/dev/null
    openssl x509 -req -in kubelet-serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile kubelet-serving.ext -out kubelet-serving.crt 2>/dev/null
    rm -f ./*.csr
  )
  local kcfg; kcfg="$(_node_dir)/kubelet.kubeconfig"
  kc config --kubeconfig="$kcfg" set-cluster mlkube --server="https://127.0.0.1:$APISERVER_PORT" \
    --certificate-authority="$p/ca.crt" --embed-certs=true >/dev/null
  kc config --kubeconfig="$kcfg" set-credentials "system:node:$REAL_NODE" \
    --client-certificate="$p/kubelet-client.crt" --client-key="$p/kubelet-client.key" --embed-certs=true >/dev/null
  kc config --kubeconfig="$kcfg" set-context mlkube --cluster=mlkube --user="system:node:$REAL_NODE" >/dev/null
  kc config --kubeconfig="$kcfg" use-context mlkube >/dev/null
  chmod 600 "$kcfg"
}

_cgroup_hierarchies() {
  # cgroup v1 mounts under /sys/fs/cgroup, named ones (name=systemd) and, on a hybrid host, the
  # cgroup2 one (/sys/fs/cgroup/unified), where runc creates the same paths.
  awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/mounts
}

# State of the machine before `up`, so `down` restores exactly that.
_node_record_host() {
  local d; d=$(_node_dir)
  local s v
  : >"$d/sysctls.orig"
  for s in $NODE_SYSCTLS; do
    v=$(cat "/proc/sys/$s" 2>/dev/null) || continue
    echo "$s $v" >>"$d/sysctls.orig"
  done
  : >"$d/created-dirs"
  for s in $NODE_HOST_DIRS; do [ -e "$s" ] || echo "$s" >>"$d/created-dirs"; done
  nft list tables 2>/dev/null | sort >"$d/nft-tables.orig" || true
}

_node_config_files() {
  local d; d=$(_node_dir)
  mkdir -p "$d"/{containerd,cni/net.d,cni/ipam,kubelet,pod-logs,runc,volumes}
  cat >"$d/containerd/config.toml" <<EOF
version = 3
root = "$d/containerd/root"
state = "$d/containerd/state"
temp = "$d/containerd/tmp"
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.internal.v1.tracing",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$d/containerd/containerd.sock"

[ttrpc]
  address = "$d/containerd/containerd.sock.ttrpc"

[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "$d/containerd/opt"
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "$PAUSE_IMAGE"
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    enable_cdi = false
    # This machine's root lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj (the sandbox's
    # -998: "nsexec: failed to update /proc/self/oom_score_adj: Permission denied", surfacing as
    # "can't get final child's PID from pipe: EOF"). Clamp to containerd's own score instead.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "$CLUSTER_BIN/runc"
          Root = "$d/runc"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["$CLUSTER_BIN/cni"]
      conf_dir = "$d/cni/net.d"
      max_conf_num = 1
EOF
  # isGateway false: the script owns the bridge address and the routes (no default route, and the
  # bridge plugin does not switch on global IPv4 forwarding). No ipMasq.
  cat >"$d/cni/net.d/10-mlkube.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mlkube",
  "plugins": [
    {
      "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": false, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$d/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "10.245.0.10", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "$SERVICE_CIDR", "gw": "$NODE_IP"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  cat >"$d/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: /mlkube
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$d/containerd/containerd.sock
imageServiceEndpoint: unix://$d/containerd/containerd.sock
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $STATE_DIR/pki/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $STATE_DIR/pki/kubelet-serving.crt
tlsPrivateKeyFile: $STATE_DIR/pki/kubelet-serving.key
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: ""
podLogsDir: $d/pod-logs
maxPods: 40
serializeImagePulls: false
registerWithTaints:
  - {key: mlkube.test/real-node, value: "true", effect: NoSchedule}
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
shutdownGracePeriod: 0s
EOF
  cat >"$d/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $KUBECONFIG_PATH}
mode: nftables
hostnameOverride: $REAL_NODE
clusterCIDR: $POD_CIDR
nftables: {masqueradeAll: true}
nodePortAddresses: ["$NODE_IP/32"]
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  cat >"$d/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa {
        kubeconfig $KUBECONFIG_PATH mlkube
        pods insecure
        ttl 5
    }
    cache 5
}
EOF
}

_node_host_network() {
  ip link add "$NODE_BRIDGE" type bridge
  ip addr add "$NODE_IP/24" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  # Forward only what enters through the bridge (Service traffic DNATed back to pods).
  echo 1 >"/proc/sys/net/ipv4/conf/$NODE_BRIDGE/forwarding"
  nft -f - <<EOF
table inet mlkube-node {
  chain forward {
    type filter hook forward priority -10; policy accept;
    iifname "$NODE_BRIDGE" oifname != "$NODE_BRIDGE" drop
    oifname "$NODE_BRIDGE" iifname != "$NODE_BRIDGE" drop
  }
}
EOF
  local h
  for h in $(_cgroup_hierarchies); do
    mkdir -p "$h/mlkube"
    if [ -f "$h/cpuset.cpus" ]; then
      cat "$h/cpuset.cpus" >"$h/mlkube/cpuset.cpus"
      cat "$h/cpuset.mems" >"$h/mlkube/cpuset.mems"
    fi
  done
}

# node_up: after the control plane is up. Starts containerd, imports the images, CoreDNS, kubelet,
# kube-proxy; waits for the node to be Ready; applies the DNS Service and the local PVs.
node_up() {
  local d; d=$(_node_dir)
  mkdir -p "$d"
  _node_record_host
  _node_pki
  _node_config_files
  _node_host_network

  start containerd env PATH="$CLUSTER_BIN:$PATH" "$CLUSTER_BIN/containerd" --config="$d/containerd/config.toml" --log-level=warn
  wait_for "containerd" 60 "$CLUSTER_BIN/ctr" --address="$d/containerd/containerd.sock" version
  "$CLUSTER_BIN/ctr" --address="$d/containerd/containerd.sock" -n k8s.io images import \
    --no-unpack=false "$CLUSTER_BIN/images/images.tar" >/dev/null
  images_import "$d/containerd/containerd.sock"   # torch, sshd (scripts/lib/cluster-images.sh)

  start coredns "$CLUSTER_BIN/coredns" -conf "$d/Corefile"
  start kubelet "$CLUSTER_BIN/kubelet" --config="$d/kubelet-config.yaml" \
    --kubeconfig="$d/kubelet.kubeconfig" --root-dir="$d/kubelet" --cert-dir="$d/kubelet/pki" \
    --hostname-override="$REAL_NODE" \
    --node-ip="$NODE_IP" --node-labels="mlkube.test/node-kind=real,type=real" --v=1
  start kube-proxy "$CLUSTER_BIN/kube-proxy" --config="$d/kube-proxy-config.yaml" --v=1
  wait_for "node $REAL_NODE" 120 kc get node "$REAL_NODE"
  kc wait --for=condition=Ready --timeout=120s node "$REAL_NODE" >/dev/null || die "node $REAL_NODE not Ready (logs in $STATE_DIR/logs/kubelet.log)"
  node_yaml >"$STATE_DIR/manifests/real-node.yaml"
  kc apply --server-side -f "$STATE_DIR/manifests/real-node.yaml" >/dev/null
  wait_for "CoreDNS ready" 60 curl -fsS http://127.0.0.1:18181/ready
}

node_yaml() {
  cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: $DNS_IP
  ports:
    - {name: dns, port: 53, protocol: UDP, targetPort: 53}
    - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
# CoreDNS runs on the node's host side (the bridge address), so its endpoints are given by hand.
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-host
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: mlkube.test}
addressType: IPv4
endpoints:
  - addresses: ["$NODE_IP"]
    conditions: {ready: true}
ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
---
# Storage that really mounts: local PVs in host directories on the real node (class real-local).
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: real-local
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
EOF
  local n
  for n in $(seq 0 11); do
    mkdir -p "$(_node_dir)/volumes/pv-real-$n"
    cat <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-real-$n
  labels: {mlkube.test/pv: "real"}
spec:
  storageClassName: real-local
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
  local: {path: $(_node_dir)/volumes/pv-real-$n}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$REAL_NODE]}]
---
EOF
  done
}

_pids_with_exe() {
  local exe=$1 p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] && echo "${p#/proc/}"
  done
  return 0
}

_node_cgroup_pids() {
  local h
  for h in $(_cgroup_hierarchies); do
    [ -d "$h/mlkube" ] && find "$h/mlkube" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -u
}

# node_down: stop the node and remove everything `node_up` created. Safe to run on a partial node.
node_down() {
  local d; d=$(_node_dir)
  [ -d "$d" ] || return 0
  local c pid i
  for c in kube-proxy coredns kubelet; do
    if is_ours "$c"; then kill -TERM "$(pid_of "$c")" 2>/dev/null || true; fi
  done
  for ((i = 0; i < 50; i++)); do
    is_ours kubelet || is_ours kube-proxy || is_ours coredns || break
    sleep 0.1
  done
  for c in kube-proxy coredns kubelet; do
    if is_ours "$c"; then kill -KILL "$(pid_of "$c")" 2>/dev/null || true; fi
  done
  # Containers (processes in our cgroups), then containerd and its shims.
  for ((i = 0; i < 3; i++)); do
    pid=$(_node_cgroup_pids)
    [ -z "$pid" ] && break
    # shellcheck disable=SC2086
    kill -KILL $pid 2>/dev/null || true
    sleep 0.3
  done
  if is_ours containerd; then kill -TERM "$(pid_of containerd)" 2>/dev/null || true; fi
  for ((i = 0; i < 50; i++)); do is_ours containerd || break; sleep 0.1; done
  if is_ours containerd; then kill -KILL "$(pid_of containerd)" 2>/dev/null || true; fi
  pid=$(_pids_with_exe "$CLUSTER_BIN/containerd-shim-runc-v2")
  # shellcheck disable=SC2086
  [ -n "$pid" ] && kill -KILL $pid 2>/dev/null || true
  sleep 0.2
  # Mounts under the state dir (container rootfs, Secret tmpfs, /dev/shm, netns bind mounts), deepest first.
  local m
  for ((i = 0; i < 3; i++)); do
    m=$(awk -v p="$STATE_DIR/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r)
    [ -z "$m" ] && break
    while read -r c; do
      [ -n "$c" ] && umount "$(printf '%b' "$c")" 2>/dev/null || umount -l "$(printf '%b' "$c")" 2>/dev/null || true
    done <<<"$m"
  done
  # Host side of the network: veths die with their netns; the bridge; our nftables tables.
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  if [ -f "$d/nft-tables.orig" ] && command -v nft >/dev/null; then
    nft list tables 2>/dev/null | sort | comm -13 "$d/nft-tables.orig" - | while read -r _ fam name; do
      nft delete table "$fam" "$name" 2>/dev/null || true
    done
  fi
  # cgroup directories, leaves first.
  local h
  for h in $(_cgroup_hierarchies); do
    [ -d "$h/mlkube" ] && find "$h/mlkube" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  if [ -f "$d/sysctls.orig" ]; then
    while read -r c v; do
      [ "$(cat "/proc/sys/$c" 2>/dev/null)" = "$v" ] || echo "$v" >"/proc/sys/$c" 2>/dev/null || true
    done <"$d/sysctls.orig"
  fi
  if [ -f "$d/created-dirs" ]; then
    while read -r c; do [ -n "$c" ] && rm -rf "$c"; done <"$d/created-dirs"
  fi
}
