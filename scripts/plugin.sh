#!/usr/bin/env bash
# The mlkube resource provider plugin (pulumi-resource-mlkube) as a versioned tarball, installable with
#
#   pulumi plugin install resource mlkube <version> --file <tarball>
#
#   scripts/plugin.sh pack   build (if dist/ is stale) and pack the launcher, dist/ (JS only), schema.json,
#                            package.json and the production node_modules into
#                            $MLKUBE_CACHE/plugin/pulumi-resource-mlkube-v<version>-linux-<arch>.tar.gz;
#                            skipped while the content hash of its inputs matches. Prints the path.
#   scripts/plugin.sh path   print that path (packs nothing)
#
# Production dependencies are installed into a staging dir outside the clone (npm's cache stays ~/.npm or
# $npm_config_cache). @pulumi/pulumi and @pulumi/kubernetes are peer (and dev) dependencies of the npm
# package, so the staged package.json lists them as dependencies at the devDependencies' exact pins; the
# copied package-lock.json keeps every transitive version as locked. See docs/provider.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
OUT_DIR=$CACHE/plugin
RECIPE=1   # bump when what goes into the tarball changes
SCHEMA=${MLKUBE_PLUGIN_SCHEMA:-$ROOT/schema.json}

log() { echo "plugin: $*" >&2; }
stage=
trap '[[ -z $stage ]] || rm -rf "$stage"' EXIT

version=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "plugin: unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
tarball=$OUT_DIR/pulumi-resource-mlkube-v$version-linux-$arch.tar.gz

# What the tarball is made of; the dependency tree is fixed by package.json + package-lock.json.
content_hash() {
  {
    echo "recipe=$RECIPE node=$(node --version)"
    (cd "$ROOT" && find src -type f | LC_ALL=C sort | xargs sha256sum)
    (cd "$ROOT" && sha256sum package.json package-lock.json tsconfig.json tsconfig.build.json scripts/plugin.sh)
    sha256sum <"$SCHEMA"
  } | sha256sum | cut -d' ' -f1
}

pack() {
  [[ -f $SCHEMA ]] || { echo "plugin: no schema at $SCHEMA (npm run gen:schema, or set MLKUBE_PLUGIN_SCHEMA)" >&2; exit 1; }
  mkdir -p "$OUT_DIR"
  exec 9>"$OUT_DIR/.lock"
  flock 9
  local hash
  hash=$(content_hash)
  if [[ -f $tarball && -f $tarball.sha256 && $(cat "$tarball.sha256") == "$hash" ]]; then
    log "up to date ($hash)"
    echo "$tarball"
    return
  fi
  local start=$SECONDS
  # dist/ from the sources (npm test builds it too; rebuilt only when a source is newer).
  if [[ ! -f $ROOT/dist/provider/main.js ]] || [[ -n $(find "$ROOT/src" "$ROOT/package.json" -newer "$ROOT/dist/provider/main.js" -print -quit) ]]; then
    log "building dist/"
    (cd "$ROOT" && npm run -s build >&2)
  fi
  stage=$(mktemp -d "$OUT_DIR/stage.XXXXXX")
  install -m 0755 "$ROOT/src/provider/pulumi-resource-mlkube" "$stage/pulumi-resource-mlkube"
  (cd "$ROOT" && find dist -name '*.js' -print0 | tar --null -T - -cf -) | tar -C "$stage" -xf -
  cp "$SCHEMA" "$stage/schema.json"
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
  (cd "$stage" && node -e 'require("./dist/provider/index.js")') || { echo "plugin: the staged provider does not load" >&2; exit 1; }
  tar -C "$stage" -czf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  echo "$hash" >"$tarball.sha256"
  log "packed in $((SECONDS - start)) s: $(du -h "$tarball" | cut -f1) compressed, $(du -sh "$stage" | cut -f1) unpacked"
  echo "$tarball"
}

case ${1:-} in
  pack) pack ;;
  path) echo "$tarball" ;;
  *) echo "usage: scripts/plugin.sh pack|path" >&2; exit 2 ;;
esac
