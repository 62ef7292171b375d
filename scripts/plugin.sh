#!/usr/bin/env bash
# The mlkube resource provider plugin (pulumi-resource-mlkube) as a versioned, self-contained tarball per
# platform — it carries its own Node.js, so the machine that runs it needs none — installable with
#
#   pulumi plugin install resource mlkube <version> --file <tarball>
#
# or downloaded by the engine itself from the schema's pluginDownloadURL (scripts/release.sh, docs/provider.md).
#
#   scripts/plugin.sh pack [--platform linux-amd64|linux-arm64] [--schema FILE] [--out DIR]
#        build (if dist/ is stale) and pack the launcher, dist/ (JS only), schema.json, package.json, the
#        production node_modules, the pinned Node.js binary of the platform (node/bin/node + its LICENSE) and,
#        for this machine's platform, V8's compile cache of a first start (node/.compile-cache, portable)
#        into DIR/pulumi-resource-mlkube-v<version>-<platform>.tar.gz (default DIR $MLKUBE_CACHE/plugin,
#        platform this machine's); skipped while the content hash of its inputs matches. Prints the path.
#   scripts/plugin.sh path [--platform P] [--out DIR]   print that path (packs nothing)
#
# Production dependencies are installed into a staging dir outside the clone (npm's cache stays ~/.npm or
# $npm_config_cache), once for all platforms: they must be plain JavaScript — a native addon (*.node,
# binding.gyp, a shared library, prebuilds/) fails the pack, since a tarball built here could not carry
# another platform's build of it. @pulumi/pulumi and @pulumi/kubernetes are peer (and dev) dependencies of
# the npm package, so the staged package.json lists them as dependencies at the devDependencies' exact
# pins; the copied package-lock.json keeps every transitive version as locked. See docs/provider.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
RECIPE=5          # bump when what goes into the tarball changes
NODE_LINE=24      # the Node.js line bundled into the plugin (scripts/node.sh pins the exact version)

log() { echo "plugin: $*" >&2; }
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}
[[ $cmd == pack || $cmd == path ]] || usage
shift
out_dir=$CACHE/plugin
schema=${MLKUBE_PLUGIN_SCHEMA:-$ROOT/schema.json}
platform=
while [[ $# -gt 0 ]]; do
  case $1 in
    --platform) platform=${2:?--platform needs a value}; shift 2 ;;
    --schema) schema=${2:?--schema needs a file}; shift 2 ;;
    --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
    *) usage ;;
  esac
done
case "$(uname -m)" in
  x86_64) host=linux-amd64 ;;
  aarch64 | arm64) host=linux-arm64 ;;
  *) host= ;;
esac
if [[ -z $platform ]]; then
  [[ -n $host ]] || { log "unsupported machine $(uname -m)"; exit 2; }
  platform=$host
fi
case $platform in
  linux-amd64 | linux-arm64) ;;
  *) log "unsupported platform $platform (have: linux-amd64 linux-arm64; the npm registry serves no pinned Node for darwin)"; exit 2 ;;
esac

version=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
tarball=$out_dir/pulumi-resource-mlkube-v$version-$platform.tar.gz
if [[ $cmd == path ]]; then echo "$tarball"; exit 0; fi

stage=
trap '[[ -z $stage ]] || rm -rf "$stage"' EXIT

# What the platform- and schema-independent part is made of; the dependency tree is fixed by package.json +
# package-lock.json. (A release with another download URL differs in schema.json only: it reuses the base.)
base_hash() {
  {
    echo "recipe=$RECIPE"
    (cd "$ROOT" && find src -type f | LC_ALL=C sort | xargs sha256sum)
    (cd "$ROOT" && sha256sum package.json package-lock.json tsconfig.json tsconfig.build.json scripts/plugin.sh)
  } | sha256sum | cut -d' ' -f1
}

# Fails when the staged node_modules hold anything native.
check_no_native() { # <node_modules dir>
  local found
  found=$(find "$1" \( -name '*.node' -o -name binding.gyp -o -name '*.so' -o -name '*.so.*' -o -name '*.dylib' \
    -o -name '*.dll' -o \( -type d -name prebuilds \) \) -print | sed "s|^$1/||" | head -n 20)
  if [[ -n $found ]]; then
    log "the production node_modules hold native code, which a cross-platform tarball cannot carry:"
    echo "$found" >&2
    return 1
  fi
}

# The platform-independent part: launcher, dist/, schema, package.json, production node_modules.
# Cached in $CACHE/plugin/base-<hash> (the three newest); sets $base.
stage_base() {
  base=$CACHE/plugin/base-$1
  if [[ -f $base/.complete ]]; then return; fi
  # dist/ from the sources (npm test builds it too; rebuilt only when a source is newer).
  if [[ ! -f $ROOT/dist/provider/main.js ]] || [[ -n $(find "$ROOT/src" "$ROOT/package.json" -newer "$ROOT/dist/provider/main.js" -print -quit) ]]; then
    log "building dist/"
    (cd "$ROOT" && npm run -s build >&2)
  fi
  # Keep the two newest others (other clones and worktrees share this cache).
  find "$CACHE/plugin" -maxdepth 1 -name 'base-*' -type d -printf '%T@ %p\n' | sort -rn | tail -n +3 | cut -d' ' -f2- |
    while read -r old; do rm -rf "$old"; done
  stage=$(mktemp -d "$CACHE/plugin/stage.XXXXXX")
  install -m 0755 "$ROOT/src/provider/pulumi-resource-mlkube" "$stage/pulumi-resource-mlkube"
  (cd "$ROOT" && find dist -name '*.js' -print0 | tar --null -T - -cf -) | tar -C "$stage" -xf -
  cp "$ROOT/schema.json" "$stage/schema.json"   # for the load check; the tarball gets $schema
  cp "$ROOT/package-lock.json" "$stage/package-lock.json"
  node -e '
    const fs = require("fs");
    const p = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const deps = { ...p.dependencies };
    for (const k of Object.keys(p.peerDependencies || {})) deps[k] = p.devDependencies[k];
    const out = { name: p.name, version: p.version, license: p.license, private: true, main: "dist/provider/index.js", engines: p.engines, dependencies: deps };
    fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 2) + "\n");
  ' "$ROOT/package.json" "$stage/package.json"
  log "installing production dependencies"
  (cd "$stage" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >&2)
  # Declarations and source maps are not needed at run time.
  find "$stage/node_modules" -type f \( -name '*.d.ts' -o -name '*.map' \) -delete
  check_no_native "$stage/node_modules"
  (cd "$stage" && node -e 'require("./dist/provider/index.js")') || { log "the staged provider does not load"; exit 1; }
  touch "$stage/.complete"
  mv "$stage" "$base"
  stage=
}

pack() {
  [[ -f $schema ]] || { log "no schema at $schema (npm run gen:schema, or set MLKUBE_PLUGIN_SCHEMA)"; exit 1; }
  mkdir -p "$out_dir" "$CACHE/plugin"
  exec 9>"$CACHE/plugin/.lock"
  flock 9
  local node_bin hash base start=$SECONDS
  node_bin=$("$ROOT/scripts/node.sh" "$NODE_LINE" "$platform")
  hash=$(base_hash)
  local key="$hash schema=$(sha256sum <"$schema" | cut -c1-16) platform=$platform node=$(basename "$(dirname "$node_bin")")"
  if [[ -f $tarball && -f $tarball.key && $(cat "$tarball.key") == "$key" ]]; then
    log "up to date ($key)"
    echo "$tarball"
    return
  fi
  stage_base "$hash"
  # The platform's part: the pinned Node.js binary and its licence. The launcher prefers node/bin/node.
  stage=$(mktemp -d "$CACHE/plugin/stage.XXXXXX")
  mkdir -p "$stage/node/bin"
  cp "$node_bin/node" "$stage/node/bin/node"
  cp "$node_bin/../LICENSE" "$stage/node/LICENSE"
  # Preloaded by the launcher with the bundled Node (unless NODE_COMPILE_CACHE is set): V8's compile cache.
  install -m 0644 "$ROOT/src/provider/compile-cache.cjs" "$stage/node/compile-cache.cjs"
  cp "$schema" "$stage/schema.json"
  # The compile cache the first start after install uses: written by one start of the plugin as the
  # engine starts it (scripts/plugin-probe.ts: port, GetSchema, then a flush), in a copy of the plugin
  # (hard links). Only for this machine's platform: another's Node cannot run here (its plugin writes the
  # cache on its first start instead).
  if [[ $platform == "$host" ]]; then
    mkdir "$stage/warm"
    cp -al "$base/." "$stage/warm/"
    rm -f "$stage/warm/.complete" "$stage/warm/schema.json"
    cp "$stage/schema.json" "$stage/warm/schema.json"
    cp -al "$stage/node" "$stage/warm/node"
    (cd "$ROOT" && node --import tsx scripts/plugin-probe.ts "$stage/warm" --compile-cache warm >&2) ||
      { log "the staged plugin did not start"; exit 1; }
    cp -R "$stage/warm/node/.compile-cache" "$stage/node/.compile-cache"
  fi
  # Stable order, owner and mtime: the same inputs give the same tar stream (the compile cache aside).
  tar -C "$base" --exclude=./.complete --exclude=./schema.json --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$stage/plugin.tar" .
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -rf "$stage/plugin.tar" ./schema.json ./node
  gzip -n -6 <"$stage/plugin.tar" >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  echo "$key" >"$tarball.key"
  log "packed $platform in $((SECONDS - start)) s: $(du -h "$tarball" | cut -f1) compressed, $(( ($(du -sk "$base" | cut -f1) + $(du -sk "$stage/node" | cut -f1)) / 1024 )) MB unpacked"
  echo "$tarball"
}

pack
