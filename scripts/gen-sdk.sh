#!/usr/bin/env bash
# Generates the Python SDK (sdk/python, package pulumi_mlkube) and the Go SDK (sdk/go/mlkube, module
# github.com/mlkube/mlkube/sdk/go/mlkube; docs/go.md) from schema.json with Pulumi's own code
# generators: tools/pulumi/codegen, a small Go program over github.com/pulumi/pulumi/pkg/v3 at the CLI's
# version (schema.BindSpec + python.GeneratePackage + the _inputs.py import-cycle patch; go.GeneratePackage
# + a go.mod requiring the Pulumi Go SDK at the CLI's version; docs/schema.md).
#
#   scripts/gen-sdk.sh           regenerate sdk/python and sdk/go (after `npm run gen:schema`)
#   scripts/gen-sdk.sh --check   exit 1 when schema.json does not bind or sdk/python or sdk/go is stale
#   scripts/gen-sdk.sh --bind    bind schema.json only (its errors -> exit 1)
#   scripts/gen-sdk.sh --tool    build the tool if needed and print its path
#   scripts/gen-sdk.sh --cached-tool  print its path only if already built (else exit 3; builds nothing)
#
# The tool is built once into $MLKUBE_CACHE/codegen/, keyed by its source, go.mod/go.sum and the Go
# version, like scripts/pulumi-bins.sh (GOTOOLCHAIN=local, CGO_ENABLED=0; it shares tools/pulumi's
# module graph and so the CLI's build cache). Environment: MLKUBE_CACHE (default ~/.cache/mlkube).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
MODULE=$ROOT/tools/pulumi
PULUMI_VERSION=$("$ROOT/scripts/pulumi-bins.sh" versions | sed -n 's/^pulumi-cli=//p')
RECIPE=1   # bump when the build command changes

log() { echo "gen-sdk: $*" >&2; }

tool_path() {
  command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
  local key
  key=$( { cat "$MODULE"/codegen/*.go "$MODULE/go.mod" "$MODULE/go.sum"; echo "recipe=$RECIPE"; env GOTOOLCHAIN=local go version; } | sha256sum | cut -c1-16)
  echo "$CACHE/codegen/codegen-v$PULUMI_VERSION-$key"
}

build_tool() {
  local dir bin t0
  bin=$(tool_path)
  dir=$(dirname "$bin")
  mkdir -p "$dir"
  exec 8>"$dir/.lock"
  flock 8
  if [ ! -x "$bin" ]; then
    t0=$SECONDS
    log "go build ./codegen (tools/pulumi, pkg/v3 v$PULUMI_VERSION) -> $bin"
    (cd "$MODULE" && env GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false GONOSUMDB=github.com/pulumi \
      nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin.tmp" ./codegen)
    mv -f "$bin.tmp" "$bin"
    # Older builds of the tool are dead weight (~30 MB each).
    find "$dir" -maxdepth 1 -name 'codegen-v*' ! -name "$(basename "$bin")" -delete
    log "built in $((SECONDS - t0))s"
  fi
  exec 8>&-
  echo "$bin"
}

if [ "${1:-}" = --cached-tool ]; then
  # For tests: the tool's path when it is already built for the current source, else exit 3.
  bin=$(tool_path)
  [ -x "$bin" ] || exit 3
  echo "$bin"
  exit 0
fi
tool=$(build_tool)
cd "$ROOT"
case "${1:-}" in
  "")
    "$tool" -schema schema.json -out sdk/python
    "$tool" -schema schema.json -lang go -out sdk/go ;;
  --check)
    "$tool" -schema schema.json -out sdk/python -check
    "$tool" -schema schema.json -lang go -out sdk/go -check ;;
  --bind) "$tool" -schema schema.json -bind ;;
  --tool) echo "$tool" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
