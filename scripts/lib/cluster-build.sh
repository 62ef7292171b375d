# shellcheck shell=bash
# Build helpers for scripts/cluster.sh: builds the local control-plane binaries from Go modules
# (Go module proxy only) into ${MLKUBE_CACHE:-$HOME/.cache/mlkube}/bin, once per version.

K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
JOBSET_VERSION=${JOBSET_VERSION:-v0.12.0}
TRAINER_VERSION=${TRAINER_VERSION:-v2.3.0}
# Real node (scripts/lib/cluster-node.sh); MLKUBE_REAL_NODE=0 leaves it out of `build` and `up`.
RUNC_VERSION=${RUNC_VERSION:-v1.3.7}
CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.2.9}
CNI_VERSION=${CNI_VERSION:-v1.9.1}
COREDNS_VERSION=${COREDNS_VERSION:-v1.14.3}
# The private registry of test/cluster/registry.test.ts (tools/cluster/registry: distribution + regpush).
REGISTRY_VERSION=${REGISTRY_VERSION:-v3.1.2}

MLKUBE_CACHE=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
CLUSTER_BIN=${CLUSTER_BIN:-$MLKUBE_CACHE/bin}

_go_env() {
  # Plain go client, local toolchain, static binaries; GOMODCACHE/GOCACHE stay at their defaults
  # (outside the clone). -mod=readonly: a build never rewrites the committed go.mod/go.sum.
  # BUILD_CGO=1 (runc: libseccomp and its nsenter C code) and BUILD_TAGS are per-build overrides.
  # BUILD_GOWORK: a workspace file for modules built together (controllers.work); off for the rest.
  env GOTOOLCHAIN=local CGO_ENABLED="${BUILD_CGO:-0}" GOWORK="${BUILD_GOWORK:-off}" \
    GOFLAGS="-mod=readonly -buildvcs=false${BUILD_TAGS:+ -tags=$BUILD_TAGS}" "$@"
}

# _stamp_ok NAME VERSION: true when $CLUSTER_BIN/.stamp-NAME records VERSION and the binaries exist.
_stamp_ok() {
  local name=$1 version=$2; shift 2
  [ -f "$CLUSTER_BIN/.stamp-$name" ] || return 1
  [ "$(cat "$CLUSTER_BIN/.stamp-$name")" = "$version" ] || return 1
  local b
  for b in "$@"; do [ -x "$CLUSTER_BIN/$b" ] || return 1; done
}

_build_one() {
  # _build_one NAME VERSION "BINARIES" LDFLAGS PKG...
  local name=$1 version=$2 bins=$3 ld=$4; shift 4
  # shellcheck disable=SC2086
  if _stamp_ok "$name" "$version" $bins; then
    echo "cluster build: $name $version already in $CLUSTER_BIN"
    return 0
  fi
  local dir="${BUILD_DIR:-$TOOLS_DIR/$name}" t0
  t0=$(date +%s)
  echo "cluster build: $name $version -> $CLUSTER_BIN ($*)"
  mkdir -p "$CLUSTER_BIN"
  local tmp
  tmp=$(mktemp -d "$CLUSTER_BIN/.build-$name.XXXXXX")
  if [ "$#" -eq 1 ] && [ "$(echo "$bins" | wc -w)" -eq 1 ]; then
    (cd "$dir" && _go_env nice -n 10 go build -trimpath -ldflags "$ld" -o "$tmp/$bins" "$@") || { rm -rf "$tmp"; return 1; }
  else
    (cd "$dir" && _go_env nice -n 10 go build -trimpath -ldflags "$ld" -o "$tmp/" "$@") || { rm -rf "$tmp"; return 1; }
  fi
  local b
  for b in $bins; do mv -f "$tmp/$b" "$CLUSTER_BIN/$b"; done
  rm -rf "$tmp"
  echo "$version" > "$CLUSTER_BIN/.stamp-$name"
  echo "cluster build: $name done in $(( $(date +%s) - t0 ))s"
}

# The controllers (kwok, jobset, the Trainer) and CoreDNS are built as one Go workspace: Go's minimal
# version selection then picks one version of every module they share (k8s.io/* v0.36.2,
# controller-runtime, grpc, ...: the highest any of them requires), so the build cache compiles each
# shared package once. Built as four separate modules they compiled k8s.io/api, client-go and the rest
# four times over (measured: jobset alone, then kwok, the Trainer and CoreDNS at 15, 12 and 11 CPU-seconds
# each instead of a full build each). A version bump in one go.mod moves the workspace's build list.
CONTROLLERS_WORK=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tools/cluster" && pwd)/controllers.work
# _deps: a stamp suffix naming the workspace's dependency set (the workspace file and its modules' go.mod:
# what decides the versions; not the .sum files, which a build may add checksums to), so cached binaries
# are rebuilt when it moves.
_deps() {
  cat "$CONTROLLERS_WORK" "$(dirname "$CONTROLLERS_WORK")"/{coredns,jobset,kwok,trainer}/go.mod | sha256sum | cut -c1-12 | sed 's/^/deps-/'
}

_kube_ldflags() {
  local v=$K8S_VERSION minor ld p
  minor=$(echo "$v" | cut -d. -f2)
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ld="$ld -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$ld"
}

cluster_build() {
  # One build at a time per cache (parallel test runners may all call `up`).
  mkdir -p "$CLUSTER_BIN"
  ( flock 8; _cluster_build_locked ) 8>"$CLUSTER_BIN/.build.lock"
}

_cluster_build_locked() {
  local t0 v ld images_pid="" images_log="$CLUSTER_BIN/.images-build.log"
  t0=$(date +%s)
  # Mostly downloads and dpkg, little CPU: in parallel with the Go builds, not after them.
  if real_node_enabled; then images_build >"$images_log" 2>&1 & images_pid=$!; fi
  _build_one etcd "$ETCD_VERSION" "etcd" "-s -w" go.etcd.io/etcd/server/v3

  v=$K8S_VERSION
  ld=$(_kube_ldflags)
  _build_one kube "$v" "kube-apiserver kube-controller-manager kube-scheduler kubectl" "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl

  # One workspace (CONTROLLERS_WORK above): the second and later of these reuse the first's packages.
  BUILD_GOWORK=$CONTROLLERS_WORK _build_one jobset "$JOBSET_VERSION-$(_deps)" "jobset" \
    "-s -w -X sigs.k8s.io/jobset/pkg/version.GitVersion=$JOBSET_VERSION" sigs.k8s.io/jobset
  BUILD_GOWORK=$CONTROLLERS_WORK _build_one kwok "$KWOK_VERSION-$(_deps)" "kwok" \
    "-s -w" sigs.k8s.io/kwok/cmd/kwok
  if [ "${MLKUBE_TRAINER:-1}" != 0 ]; then
    BUILD_GOWORK=$CONTROLLERS_WORK _build_one trainer "$TRAINER_VERSION-$(_deps)" "trainer-controller-manager" "-s -w" \
      github.com/kubeflow/trainer/v2/cmd/trainer-controller-manager
  fi
  if real_node_enabled; then _build_node; fi
  if [ -n "$images_pid" ]; then
    wait "$images_pid" || { cat "$images_log"; echo "cluster build: images failed" >&2; return 1; }
    grep '^images:' "$images_log" || true
  fi
  echo "cluster build: all done in $(( $(date +%s) - t0 ))s ($CLUSTER_BIN)"
}

# The real node's binaries: runc (cgo + libseccomp), containerd + ctr + the runc shim, the CNI
# plugins (in $CLUSTER_BIN/cni), CoreDNS (our plugin subset, tools/cluster/coredns), kubelet and
# kube-proxy (same wrapper module as the control plane, so they share its compiled packages), and
# the test image (tools/testimage: testapp + pack -> $CLUSTER_BIN/images/images.tar, stamped with
# the hash of its sources). The images from Debian packages (scripts/lib/cluster-images.sh) build
# alongside, in the background of `_cluster_build_locked`.
_build_node() {
  node_packages
  BUILD_CGO=1 BUILD_TAGS="seccomp,urfave_cli_no_docs" _build_one runc "$RUNC_VERSION" "runc" \
    "-s -w -X main.version=${RUNC_VERSION#v}" github.com/opencontainers/runc
  BUILD_TAGS="no_btrfs,no_devmapper,no_zfs" _build_one containerd "$CONTAINERD_VERSION" \
    "containerd ctr containerd-shim-runc-v2" \
    "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
    github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/ctr \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2
  CLUSTER_BIN="$CLUSTER_BIN/cni" _build_one cni "$CNI_VERSION" "bridge host-local loopback portmap" "-s -w" \
    github.com/containernetworking/plugins/plugins/main/bridge github.com/containernetworking/plugins/plugins/ipam/host-local \
    github.com/containernetworking/plugins/plugins/main/loopback github.com/containernetworking/plugins/plugins/meta/portmap
  BUILD_GOWORK=$CONTROLLERS_WORK _build_one coredns "$COREDNS_VERSION-$(_deps)" "coredns" "-s -w" .
  BUILD_DIR="$TOOLS_DIR/kube" _build_one kube-node "$K8S_VERSION" "kubelet kube-proxy" "$(_kube_ldflags)" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
  _build_one registry "$REGISTRY_VERSION-$(cd "$TOOLS_DIR/registry" && cat go.mod go.sum ./*.go regpush/*.go | sha256sum | cut -c1-12)" \
    "registry regpush" "-s -w" . ./regpush
  local img_dir="$REPO_DIR/tools/testimage" hash
  hash=$(cd "$img_dir" && cat go.mod go.sum testapp/*.go pack/*.go | sha256sum | cut -c1-16)
  BUILD_DIR="$img_dir" CLUSTER_BIN="$CLUSTER_BIN/images" _build_one testimage "$hash" "testapp pack" "-s -w" ./testapp ./pack
  if [ ! -f "$CLUSTER_BIN/images/images.tar" ] || [ "$(cat "$CLUSTER_BIN/images/.stamp-images" 2>/dev/null)" != "$hash" ]; then
    "$CLUSTER_BIN/images/pack" -bin "$CLUSTER_BIN/images/testapp" -out "$CLUSTER_BIN/images/images.tar.tmp" \
      -image "$TEST_IMAGE" -pause "$PAUSE_IMAGE"
    mv -f "$CLUSTER_BIN/images/images.tar.tmp" "$CLUSTER_BIN/images/images.tar"
    echo "$hash" >"$CLUSTER_BIN/images/.stamp-images"
    echo "cluster build: images $TEST_IMAGE $PAUSE_IMAGE mlkube.local/model-server:v1 -> $CLUSTER_BIN/images/images.tar"
  fi
}

# Directory of an (already downloaded or downloadable) module version in GOMODCACHE.
module_dir() {
  (cd / && env GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}
