#!/usr/bin/env bash
# Images built from Debian 12 packages for the real node of scripts/cluster.sh (docs/cluster.md,
# "Images from Debian packages"; the table is in scripts/lib/cluster-images.sh).
#
#   scripts/images.sh build [NAME...]    build (or find cached) images; prints their archives
#   scripts/images.sh import [NAME...]   import them into the running real node's containerd
#   scripts/images.sh list               name, reference, content hash, built or not, size
#   scripts/images.sh ref NAME           mlkube.local/NAME:TAG
#
# `scripts/cluster.sh build` builds them all and `scripts/cluster.sh up` imports them.
# Environment: MLKUBE_CACHE (default ~/.cache/mlkube), MLKUBE_CLUSTER_DIR (default /tmp/mlkube-cluster),
# MLKUBE_DEBIAN_MIRROR, MLKUBE_DEBIAN_SECURITY_MIRROR.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/cluster-build.sh
. "$SCRIPT_DIR/lib/cluster-build.sh"
# shellcheck source=lib/cluster-images.sh
. "$SCRIPT_DIR/lib/cluster-images.sh"
STATE_DIR=${MLKUBE_CLUSTER_DIR:-/tmp/mlkube-cluster}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) images_build "$@" ;;
  import)
    sock="$STATE_DIR/node/containerd/containerd.sock"
    [ -S "$sock" ] || { echo "images: no real node containerd at $sock (scripts/cluster.sh up starts it)" >&2; exit 1; }
    images_import "$sock" "$@" ;;
  list) images_list ;;
  ref) [ $# -eq 1 ] || { echo "usage: scripts/images.sh ref NAME" >&2; exit 2; }; image_ref "$1" ;;
  *) echo "usage: scripts/images.sh build|import|list|ref [NAME...]" >&2; exit 2 ;;
esac
