#!/usr/bin/env bash
# Build the Pulumi engine offline from Go modules and print the environment to use it.
#
#   scripts/pulumi-bins.sh build   build pulumi + the language hosts (nodejs, python + its
#                                  exec shim, yaml, go) into
#                                  $MLKUBE_CACHE/pulumi/v<cli>/bin and the provider
#                                  pulumi-resource-kubernetes into .../plugins (kept off
#                                  PATH), once: skipped while bin/.stamp matches; then
#                                  `pulumi plugin install` the provider into PULUMI_HOME
#   scripts/pulumi-bins.sh env     print `export ...` lines for eval (builds nothing;
#                                  fails if `build` has not run)
#   scripts/pulumi-bins.sh bindir  print the bin directory
#   scripts/pulumi-bins.sh versions  print the pinned versions (also the npm pins)
#
# Environment: MLKUBE_CACHE (default ~/.cache/mlkube), MLKUBE_PULUMI_HOME (PULUMI_HOME to
# use; default $MLKUBE_CACHE/pulumi/v<cli>/home), GOMODCACHE/GOCACHE as usual (outside
# the clone by default). See docs/pulumi-engine.md for the why of every pin.
set -euo pipefail

# --- pins -------------------------------------------------------------------------------
PULUMI_VERSION=3.259.0              # github.com/pulumi/pulumi/pkg/v3 (CLI); npm @pulumi/pulumi
KUBERNETES_PROVIDER_VERSION=4.25.0  # pulumi-kubernetes commit f47bc2d6f199; npm @pulumi/kubernetes
NODEJS_HOST_SDK=v3.68.0             # github.com/pulumi/pulumi/sdk/v3 that still holds the Node.js host
PYTHON_HOST_SDK=$NODEJS_HOST_SDK    # the Python host of the same sdk/v3 module (tools/pulumi/language-nodejs)
YAML_HOST_VERSION=v1.25.0           # github.com/pulumi/pulumi-yaml (own module: tools/pulumi/language-yaml)
GO_HOST_SDK=v3.66.0                 # the last sdk/v3 holding the Go host (own module: tools/pulumi/language-go)
RECIPE=2                            # bump when the build recipe changes
KUBERNETES_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
# -----------------------------------------------------------------------------------------

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
BASE=$CACHE/pulumi/v$PULUMI_VERSION
BIN=$BASE/bin
PLUGINS=$BASE/plugins   # provider binary; reaches pulumi through the plugin cache only
STAMP_FILE=$BIN/.stamp
STAMP="recipe=$RECIPE cli=v$PULUMI_VERSION nodejs-host=sdk/$NODEJS_HOST_SDK python-host=sdk/$PYTHON_HOST_SDK yaml-host=$YAML_HOST_VERSION kubernetes=$KUBERNETES_PROVIDER_VERSION"
HOSTS=(pulumi-language-nodejs pulumi-language-python pulumi-language-python-exec pulumi-language-yaml)
# The Go host has its own stamp: adding or bumping it rebuilds only it, not the CLI and the other hosts.
GO_HOST_RECIPE=1
GO_STAMP_FILE=$BIN/.stamp-go
GO_STAMP="recipe=$GO_HOST_RECIPE go-host=sdk/$GO_HOST_SDK"
HOME_DIR=${MLKUBE_PULUMI_HOME:-$BASE/home}

log() { echo "pulumi-bins: $*" >&2; }

go_env() {
  # No GOFLAGS from the caller (e.g. -mod=...) may leak into these builds.
  # The checksum database answers 404 through the proxy for several pulumi modules
  # (pulumi-kubernetes pseudo-versions, cloud-ready-checks, ...): go.sum is committed,
  # so this only matters when go.sum has to be regenerated.
  env GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false GONOSUMDB=github.com/pulumi "$@"
}

gobuild() { # <dir> <out> <ldflags> <pkg>
  local dir=$1 out=$2 ld=$3 pkg=$4 t0=$SECONDS
  log "go build $pkg -> $out"
  (cd "$dir" && go_env nice -n 10 go build -trimpath -ldflags "$ld" -o "$out.tmp" "$pkg")
  mv -f "$out.tmp" "$out"
  log "built $(basename "$out") in $((SECONDS - t0))s"
}

gen_kubernetes_embeds() { # writes the two files upstream's `go generate` would write
  local dir=$ROOT/tools/pulumi-kubernetes src
  src=$(cd "$dir" && go_env go list -m -f '{{.Dir}}' "$KUBERNETES_PROVIDER_MODULE" 2>/dev/null || true)
  if [ -z "$src" ] || [ ! -f "$src/cmd/pulumi-resource-kubernetes/schema.json" ]; then
    (cd "$dir" && go_env go mod download "$KUBERNETES_PROVIDER_MODULE")
    src=$(cd "$dir" && go_env go list -m -f '{{.Dir}}' "$KUBERNETES_PROVIDER_MODULE")
  fi
  node - "$src/cmd/pulumi-resource-kubernetes" "$dir" "$KUBERNETES_PROVIDER_VERSION" <<'EOF'
const fs = require("fs"), path = require("path");
const [src, dst, version] = process.argv.slice(2);
// Same as upstream generate.go: schema.json with "version" set, both files compacted.
const schema = JSON.parse(fs.readFileSync(path.join(src, "schema.json"), "utf8"));
schema.version = version;
fs.writeFileSync(path.join(dst, "schema-embed.json"), JSON.stringify(schema));
const mapping = JSON.parse(fs.readFileSync(path.join(src, "terraform-mapping.json"), "utf8"));
fs.writeFileSync(path.join(dst, "terraform-mapping-embed.json"), JSON.stringify(mapping));
EOF
}

install_python_exec_shim() {
  # The v3.68 Python host runs programs through `python3 <its dir>/pulumi-language-python-exec`,
  # a Python script shipped in the same module (not a Go package).
  local dir=$ROOT/tools/pulumi/language-nodejs src
  src=$(cd "$dir" && go_env go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
  install -m 0755 "$src/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
}

write_nodejs_dynamic_provider() {
  # What upstream ships as pulumi-resource-pulumi-nodejs (used only by pulumi.dynamic.Resource).
  cat > "$BIN/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
exec node "$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")" "$@"
EOF
  chmod +x "$BIN/pulumi-resource-pulumi-nodejs"
}

install_provider_plugin() { # into $HOME_DIR/plugins at the exact version
  local dir=$HOME_DIR/plugins/resource-kubernetes-v$KUBERNETES_PROVIDER_VERSION
  if [ -x "$dir/pulumi-resource-kubernetes" ] && [ ! -e "$dir.partial" ] &&
     cmp -s "$dir/pulumi-resource-kubernetes" "$PLUGINS/pulumi-resource-kubernetes"; then
    return 0
  fi
  mkdir -p "$HOME_DIR"
  log "pulumi plugin install resource kubernetes $KUBERNETES_PROVIDER_VERSION (PULUMI_HOME=$HOME_DIR)"
  PULUMI_HOME=$HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true \
    "$BIN/pulumi" plugin install resource kubernetes "$KUBERNETES_PROVIDER_VERSION" \
    --file "$PLUGINS/pulumi-resource-kubernetes" >&2
}

hosts_present() {
  local h
  for h in "${HOSTS[@]}"; do [ -x "$BIN/$h" ] || return 1; done
}

cmd_build() {
  mkdir -p "$BASE"
  exec 9>"$BASE/.lock"
  flock 9   # one build at a time per cache
  command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
  command -v node >/dev/null || { log "node is not on PATH"; exit 1; }
  if [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$STAMP" ] &&
     [ -x "$BIN/pulumi" ] && [ -x "$PLUGINS/pulumi-resource-kubernetes" ] && hosts_present; then
    log "up to date: $BIN ($STAMP)"
  else
    local t0=$SECONDS
    rm -f "$STAMP_FILE"
    mkdir -p "$BIN" "$PLUGINS"
    gobuild "$ROOT/tools/pulumi" "$BIN/pulumi" \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    # The host reports its own version (sdk v3.68.0) in `pulumi about`; that is the truth.
    gobuild "$ROOT/tools/pulumi/language-nodejs" "$BIN/pulumi-language-nodejs" \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$NODEJS_HOST_SDK" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
    # Python host: same module and version as the Node.js host (it ignores Pulumi.yaml's
    # `virtualenv` option under CLI 3.259: put the venv's bin first on PATH, docs/python.md).
    gobuild "$ROOT/tools/pulumi/language-nodejs" "$BIN/pulumi-language-python" \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PYTHON_HOST_SDK" \
      github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
    install_python_exec_shim
    # YAML host: its own module (it pulls pkg/sdk v3.206.0, which must not move the CLI's graph).
    gobuild "$ROOT/tools/pulumi/language-yaml" "$BIN/pulumi-language-yaml" \
      "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_HOST_VERSION" \
      github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
    gen_kubernetes_embeds
    gobuild "$ROOT/tools/pulumi-kubernetes" "$PLUGINS/pulumi-resource-kubernetes" \
      "-s -w -X $KUBERNETES_PROVIDER_MODULE/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" .
    write_nodejs_dynamic_provider
    echo "$STAMP" > "$STAMP_FILE"
    log "built all in $((SECONDS - t0))s"
  fi
  build_go_host
  install_provider_plugin
}

build_go_host() {
  if [ -f "$GO_STAMP_FILE" ] && [ "$(cat "$GO_STAMP_FILE")" = "$GO_STAMP" ] && [ -x "$BIN/pulumi-language-go" ]; then
    log "up to date: pulumi-language-go ($GO_STAMP)"
    return 0
  fi
  rm -f "$GO_STAMP_FILE"
  # Go host: sdk/v3 v3.66.0's go/pulumi-language-go (docs/go.md: why not the CLI's version). It builds the
  # program with the `go` on PATH and runs it; the program uses the Pulumi Go SDK it requires (v3.259.0).
  gobuild "$ROOT/tools/pulumi/language-go" "$BIN/pulumi-language-go" \
    "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$GO_HOST_SDK" \
    github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go
  echo "$GO_STAMP" > "$GO_STAMP_FILE"
}

cmd_env() {
  if [ ! -f "$STAMP_FILE" ] || [ "$(cat "$STAMP_FILE")" != "$STAMP" ]; then
    log "not built (or stale): run scripts/pulumi-bins.sh build"
    exit 1
  fi
  if [ ! -f "$GO_STAMP_FILE" ] || [ "$(cat "$GO_STAMP_FILE")" != "$GO_STAMP" ]; then
    log "pulumi-language-go not built (or stale): run scripts/pulumi-bins.sh build"
    exit 1
  fi
  install_provider_plugin
  mkdir -p "$BASE/state"
  cat <<EOF
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$HOME_DIR"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_SUPPRESS_COPILOT_LINK=true
export PULUMI_BACKEND_URL="\${PULUMI_BACKEND_URL:-file://$BASE/state}"
export PULUMI_CONFIG_PASSPHRASE="\${PULUMI_CONFIG_PASSPHRASE-}"
EOF
}

case "${1:-}" in
  build) cmd_build ;;
  env) cmd_env ;;
  bindir) echo "$BIN" ;;
  versions)
    echo "pulumi-cli=$PULUMI_VERSION"
    echo "npm:@pulumi/pulumi=$PULUMI_VERSION"
    echo "npm:@pulumi/kubernetes=$KUBERNETES_PROVIDER_VERSION"
    echo "pulumi-language-nodejs=sdk/$NODEJS_HOST_SDK"
    echo "pulumi-language-python=sdk/$PYTHON_HOST_SDK"
    echo "pulumi-language-yaml=$YAML_HOST_VERSION"
    echo "pulumi-language-go=sdk/$GO_HOST_SDK"
    ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
