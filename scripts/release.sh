#!/usr/bin/env bash
# Everything a release of mlkube publishes, built into ONE folder and each artifact checked by installing it
# the way a user does, outside the clone (docs/release.md):
#
#   npm run release [-- OPTIONS]          (= scripts/release.sh [OPTIONS])
#
#   mlkube-<v>.tgz                         npm pack; scripts/check-package.sh installs it into a fresh stock
#                                          Pulumi TypeScript project per example: tsc + `mlkube render`
#   pulumi_mlkube-<v>-py3-none-any.whl     python -m build (PyPI's `build`, pinned, in a cached venv) of
#   pulumi_mlkube-<v>.tar.gz               sdk/python; the wheel pip-installed into a fresh venv, no
#                                          PYTHONPATH, imported; its version and plugin URL read back
#   mlkube-sdk-go-v<v>.tar.gz              the Go SDK module (sdk/go/mlkube: go.mod, sources, pulumi-plugin.json;
#                                          module github.com/mlkube/mlkube/sdk/go/mlkube); a fresh Go program
#                                          requires it through a local `replace`: go mod tidy, go build, go vet,
#                                          and `go list -m` finds its pulumi-plugin.json (what the Go host reads)
#   pulumi-resource-mlkube-v<v>-linux-amd64.tar.gz   scripts/plugin.sh, Node.js inside; this machine's
#   pulumi-resource-mlkube-v<v>-linux-arm64.tar.gz   unpacked and started with an empty PATH (no node):
#                                          time to its port and GetSchema (scripts/plugin-probe.ts), its first
#                                          start on the shipped compile cache writing none of it; the
#                                          other's Node binary checked to be that platform's (it ships no cache)
#   schema.json                            the package schema the plugin and the SDK carry
#   SHA256SUMS
#
# Options:
#   --out DIR            default $MLKUBE_CACHE/release/v<version> (outside the clone); emptied first (only a
#                        folder that is empty or was made by this script)
#   --download-url URL   the pluginDownloadURL baked into the schema, the plugin and the Python and Go SDKs (default
#                        $MLKUBE_PLUGIN_DOWNLOAD_URL, else the published github://api.github.com/mlkube/mlkube);
#                        Pulumi's http(s) form: <URL>/pulumi-resource-mlkube-v<v>-<os>-<arch>.tar.gz
#   --platforms "P ..."  plugin platforms (default "linux-amd64 linux-arm64")
#   --only LIST          a comma list of npm,python,go,plugin (default all four)
#   --no-checks          build only (the version check and the schema compatibility gate still run)
#
# Before anything: one version everywhere (scripts/check-version.ts) and the schema compatibility gate
# against the previous release (scripts/schema-compat.ts). Environment: MLKUBE_CACHE, PYTHON (python3); the
# Go check runs `go` from PATH with the usual GOMODCACHE/GOCACHE (outside the clone).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
PUBLISHED_URL=github://api.github.com/mlkube/mlkube   # = PLUGIN_DOWNLOAD_URL of scripts/gen-schema.ts
BUILD_PINS=("build==1.3.0" "setuptools==80.9.0" "wheel==0.45.1")   # the PEP 517 builder and backend
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

log() { echo "release: $*" >&2; }
die() { echo "release: $*" >&2; exit 1; }
usage() { sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

version=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
out=$CACHE/release/v$version
url=${MLKUBE_PLUGIN_DOWNLOAD_URL:-$PUBLISHED_URL}
platforms="linux-amd64 linux-arm64"
only=npm,python,go,plugin
checks=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) out=${2:?}; shift 2 ;;
    --download-url) url=${2:?}; shift 2 ;;
    --platforms) platforms=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --no-checks) checks=0; shift ;;
    -h | --help) usage ;;
    *) echo "release: unknown option $1" >&2; usage ;;
  esac
done
want() { [[ ,$only, == *,$1,* ]]; }
case $url in
  github://* | gitlab://* | http://* | https://*) ;;
  *) die "--download-url $url: Pulumi takes github://, gitlab://, http:// or https:// URLs" ;;
esac
[[ $url != *,* ]] || die "--download-url must not contain a comma"

t_all=$SECONDS
timings=()
step() { timings+=("$1 $(( SECONDS - $2 ))s"); }

# ---- gates -------------------------------------------------------------------------------
t=$SECONDS
(cd "$ROOT" && node --import tsx scripts/check-version.ts) >&2
(cd "$ROOT" && node --import tsx scripts/schema-compat.ts) >&2
step gates "$t"

# ---- the output folder -------------------------------------------------------------------
mkdir -p "$out"
out=$(cd "$out" && pwd)
case $out/ in "$ROOT"/*) die "--out $out is inside the clone; give a folder outside it" ;; esac
if [[ -n $(ls -A "$out") && ! -f $out/.mlkube-release ]]; then
  die "$out is not empty and was not made by this script; give an empty folder"
fi
find "$out" -mindepth 1 -delete
touch "$out/.mlkube-release"
work=$(mktemp -d "${TMPDIR:-/tmp}/mlkube-release.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The schema every artifact carries: schema.json with the download URL.
node -e '
  const fs = require("fs");
  const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  if (s.pluginDownloadURL !== process.argv[3]) throw new Error("schema.json pluginDownloadURL is " + s.pluginDownloadURL + ", expected " + process.argv[3]);
  s.pluginDownloadURL = process.argv[4];
  fs.writeFileSync(process.argv[2], JSON.stringify(s, null, 2) + "\n");
' "$ROOT/schema.json" "$out/schema.json" "$PUBLISHED_URL" "$url"
log "v$version, pluginDownloadURL $url, into $out"

# ---- npm ---------------------------------------------------------------------------------
if want npm; then
  t=$SECONDS
  log "npm pack"
  tgz=$(cd "$ROOT" && npm pack --silent --pack-destination "$out" | tail -n 1)
  [[ $tgz == "mlkube-$version.tgz" ]] || die "npm pack made $tgz, expected mlkube-$version.tgz"
  step "npm pack" "$t"
  if ((checks)); then
    t=$SECONDS
    "$ROOT/scripts/check-package.sh" "$out/$tgz" >&2
    step "npm check (scripts/check-package.sh)" "$t"
  fi
fi

# ---- Python ------------------------------------------------------------------------------
python=${PYTHON:-python3}
build_venv() { # the cached venv with the pinned builder; prints its python
  local pyv key venv
  pyv=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  key=$(printf '%s\n' "${BUILD_PINS[@]}" "$pyv" | sha256sum | cut -c1-12)
  venv=$CACHE/python/build-py$pyv-$key
  mkdir -p "$CACHE/python"
  exec 8>"$CACHE/python/.build.lock"
  flock 8
  if [[ ! -f $venv/.complete ]]; then
    rm -rf "$venv"
    log "creating the build venv $venv (${BUILD_PINS[*]})"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --no-input "${BUILD_PINS[@]}" >&2
    touch "$venv/.complete"
  fi
  exec 8>&-
  echo "$venv/bin/python"
}

if want python; then
  t=$SECONDS
  command -v "$python" >/dev/null || die "$python is not on PATH (set PYTHON)"
  bpy=$(build_venv)
  # A copy of sdk/python with the release's download URL and the README the pyproject names.
  sdk=$work/sdk-python
  cp -r "$ROOT/sdk/python" "$sdk"
  find "$sdk" -name __pycache__ -type d -prune -exec rm -rf {} +
  cp "$sdk/pulumi_mlkube/README.md" "$sdk/README.md"
  node -e '
    const fs = require("fs");
    const [dir, from, to, version] = process.argv.slice(1);
    const f = dir + "/pulumi_mlkube/_utilities.py";
    const text = fs.readFileSync(f, "utf8");
    const lit = JSON.stringify(from);
    if (text.split(lit).length !== 2) throw new Error("_utilities.py must name " + lit + " exactly once");
    fs.writeFileSync(f, text.replace(lit, JSON.stringify(to)));
    const pj = dir + "/pulumi_mlkube/pulumi-plugin.json";
    const p = JSON.parse(fs.readFileSync(pj, "utf8"));
    if (p.server !== from || p.version !== version) throw new Error("pulumi-plugin.json: " + JSON.stringify(p));
    p.server = to;
    fs.writeFileSync(pj, JSON.stringify(p, null, 2) + "\n");
  ' "$sdk" "$PUBLISHED_URL" "$url" "$version"
  log "python -m build (wheel + sdist)"
  (cd "$work" && "$bpy" -m build --no-isolation --outdir "$out" "$sdk" >"$work/python-build.log" 2>&1) ||
    { cat "$work/python-build.log" >&2; die "python -m build failed"; }
  whl=pulumi_mlkube-$version-py3-none-any.whl
  sdist=pulumi_mlkube-$version.tar.gz
  [[ -f $out/$whl && -f $out/$sdist ]] || die "python -m build made $(ls "$out"), expected $whl and $sdist"
  step "python build" "$t"
  if ((checks)); then
    t=$SECONDS
    # The sdist holds the package with its plugin metadata; the wheel is installed as a user installs it.
    tar -tzf "$out/$sdist" >"$work/sdist.txt"
    for f in pyproject.toml PKG-INFO pulumi_mlkube/__init__.py pulumi_mlkube/pulumi-plugin.json pulumi_mlkube/py.typed; do
      grep -qxF "pulumi_mlkube-$version/$f" "$work/sdist.txt" || die "$sdist lacks $f"
    done
    "$python" -m venv "$work/venv"
    pulumi_pin=$("$ROOT/scripts/python.sh" versions | grep '^pulumi==')
    log "pip install $whl into a fresh venv (with $pulumi_pin)"
    (cd "$work" && env -u PYTHONPATH "$work/venv/bin/python" -m pip install --quiet --no-input "$out/$whl" "$pulumi_pin" >&2)
    (cd "$work" && env -u PYTHONPATH "$work/venv/bin/python" - "$version" "$url" "$ROOT" <<'EOF'
import json, os, sys
version, url, root = sys.argv[1:4]
import pulumi_mlkube
from pulumi_mlkube import _utilities
here = os.path.dirname(pulumi_mlkube.__file__)
assert not here.startswith(root), f"imported from the clone: {here}"
meta = json.load(open(os.path.join(here, "pulumi-plugin.json")))
assert meta == {"resource": True, "name": "mlkube", "version": version, "server": url}, meta
assert _utilities.get_version() == version, _utilities.get_version()
assert _utilities.get_plugin_download_url() == url, _utilities.get_plugin_download_url()
for name in ("Volume", "Secret", "Compute", "TrainJob"):
    assert hasattr(pulumi_mlkube, name), name
print(f"release: pulumi_mlkube {version} imports from {here}; plugin {meta['server']}", file=sys.stderr)
EOF
    )
    step "python check (fresh venv)" "$t"
  fi
fi

# ---- Go ----------------------------------------------------------------------------------
# The URL literal as the Go generator writes it (pulumi.PluginDownloadURL("...") for resources and invokes).
go_url_lit() { printf 'pulumi.PluginDownloadURL(%s)' "$(node -p 'JSON.stringify(process.argv[1])' "$1")"; }
if want go; then
  t=$SECONDS
  command -v go >/dev/null || die "go is not on PATH (the Go SDK check builds a program)"
  gomod=$(sed -n 's/^module //p' "$ROOT/sdk/go/mlkube/go.mod")
  [[ -n $gomod ]] || die "sdk/go/mlkube/go.mod names no module"
  # A copy of sdk/go/mlkube with the release's download URL (pulumi-plugin.json `server`, the resource defaults).
  gosdk=$work/go-sdk/mlkube
  mkdir -p "$work/go-sdk"
  cp -r "$ROOT/sdk/go/mlkube" "$gosdk"
  node -e '
    const fs = require("fs");
    const [dir, fromLit, toLit, to, version] = process.argv.slice(1);
    const f = dir + "/internal/pulumiUtilities.go";
    const text = fs.readFileSync(f, "utf8");
    if (text.split(fromLit).length !== 3) throw new Error("pulumiUtilities.go must name " + fromLit + " exactly twice (resources, invokes)");
    fs.writeFileSync(f, text.split(fromLit).join(toLit));
    const pj = dir + "/pulumi-plugin.json";
    const p = JSON.parse(fs.readFileSync(pj, "utf8"));
    if (p.version !== version) throw new Error("sdk/go/mlkube/pulumi-plugin.json: " + JSON.stringify(p));
    p.server = to;
    fs.writeFileSync(pj, JSON.stringify(p, null, 2) + "\n");
  ' "$gosdk" "$(go_url_lit "$PUBLISHED_URL")" "$(go_url_lit "$url")" "$url" "$version"
  gotar=mlkube-sdk-go-v$version.tar.gz
  tar -C "$work/go-sdk" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -czf "$out/$gotar" mlkube
  step "go sdk" "$t"
  if ((checks)); then
    t=$SECONDS
    # A fresh program outside the clone requiring the module, resolved to the unpacked tarball by `replace`.
    gocheck=$work/go-check
    mkdir -p "$gocheck/sdk" "$gocheck/program"
    tar -C "$gocheck/sdk" -xzf "$out/$gotar"
    printf 'module example.com/mlkube-go-check\n\ngo 1.25\n\nrequire %s v%s\n\nreplace %s => ../sdk/mlkube\n' \
      "$gomod" "$version" "$gomod" >"$gocheck/program/go.mod"
    cp "$ROOT/scripts/lib/go-sdk-check/main.go" "$gocheck/program/main.go"
    log "go: a fresh program against $gotar (go mod tidy, go build, go vet)"
    (cd "$gocheck/program" && env GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy >"$work/go-check.log" 2>&1 &&
      env GOTOOLCHAIN=local go build -o "$gocheck/program.bin" . >>"$work/go-check.log" 2>&1 &&
      env GOTOOLCHAIN=local go vet . >>"$work/go-check.log" 2>&1) ||
      { cat "$work/go-check.log" >&2; die "the Go SDK does not build in a fresh program"; }
    # What the Go host does to find the plugin: `go list -m -json all`, then the module folder's pulumi-plugin.json.
    (cd "$gocheck/program" && env GOTOOLCHAIN=local go list -m -json "$gomod") >"$work/go-list.json"
    node -e '
      const fs = require("fs");
      const [list, version, url] = process.argv.slice(1);
      const m = JSON.parse(fs.readFileSync(list, "utf8"));
      if (!m.Replace || !m.Replace.Dir) throw new Error("go list: the module is not replaced: " + JSON.stringify(m));
      const p = JSON.parse(fs.readFileSync(m.Replace.Dir + "/pulumi-plugin.json", "utf8"));
      const want = { resource: true, name: "mlkube", version, server: url };
      if (JSON.stringify(p) !== JSON.stringify(want)) throw new Error("pulumi-plugin.json " + JSON.stringify(p) + ", expected " + JSON.stringify(want));
    ' "$work/go-list.json" "$version" "$url"
    log "go: $gomod v$version builds in a fresh program; its pulumi-plugin.json names $url"
    step "go check (fresh program)" "$t"
  fi
fi

# ---- the plugin --------------------------------------------------------------------------
elf_machine() { # the ELF e_machine of a file: x86-64 / aarch64 / other
  case $(od -An -tx1 -j18 -N2 "$1" | tr -d ' \n') in
    3e00) echo x86-64 ;;
    b700) echo aarch64 ;;
    *) echo other ;;
  esac
}
if want plugin; then
  host=$(case "$(uname -m)" in x86_64) echo linux-amd64 ;; aarch64 | arm64) echo linux-arm64 ;; esac)
  # Packed in the cache (scripts/plugin.sh skips what is up to date), one folder per schema; copied here.
  pack_dir=$CACHE/plugin/release-$(sha256sum <"$out/schema.json" | cut -c1-16)
  mkdir -p "$pack_dir"
  touch "$pack_dir"
  # The three newest such folders stay (the published URL's and a test's loopback one, say).
  find "$CACHE/plugin" -maxdepth 1 -name 'release-*' -type d -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- |
    while read -r old; do rm -rf "$old"; done
  for platform in $platforms; do
    t=$SECONDS
    tarball=$("$ROOT/scripts/plugin.sh" pack --platform "$platform" --schema "$out/schema.json" --out "$pack_dir" | tail -n 1)
    name=pulumi-resource-mlkube-v$version-$platform.tar.gz
    [[ $(basename "$tarball") == "$name" ]] || die "scripts/plugin.sh made $tarball, expected $name"
    cp "$tarball" "$out/$name"
    step "plugin $platform pack" "$t"
    ((checks)) || continue
    t=$SECONDS
    dir=$work/plugin-$platform
    mkdir -p "$dir"
    tar -C "$dir" -xzf "$out/$name"
    for f in pulumi-resource-mlkube dist/provider/main.js schema.json node/bin/node node/LICENSE node/compile-cache.cjs; do
      [[ -e $dir/$f ]] || die "$name lacks $f"
    done
    cmp -s "$dir/schema.json" "$out/schema.json" || die "$name carries another schema.json"
    want_machine=$(case $platform in linux-amd64) echo x86-64 ;; linux-arm64) echo aarch64 ;; esac)
    [[ $(elf_machine "$dir/node/bin/node") == "$want_machine" ]] || die "$name: node/bin/node is $(elf_machine "$dir/node/bin/node"), not $want_machine"
    if [[ $platform == "$host" ]]; then
      # The compile cache built at pack time (this machine's platform only): the first start, in this other
      # directory, must find it complete — it writes no file of it (--compile-cache check).
      [[ -n $(find "$dir/node/.compile-cache" -type f -print -quit 2>/dev/null) ]] || die "$name ships no compile cache (node/.compile-cache)"
      probe=$(cd "$ROOT" && node --import tsx scripts/plugin-probe.ts "$dir" --schema "$out/schema.json" --runs 3 --compile-cache check)
      log "plugin $platform started with no node on PATH, on its shipped compile cache, and answered GetSchema: $probe"
      echo "$probe" >"$work/probe.json"
    fi
    step "plugin $platform check" "$t"
  done
fi

# ---- sums and the final version check ----------------------------------------------------
(cd "$out" && find . -maxdepth 1 -type f ! -name SHA256SUMS ! -name .mlkube-release -printf '%f\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
(cd "$ROOT" && node --import tsx scripts/check-version.ts --release "$out") >&2

log "done in $((SECONDS - t_all)) s: $out"
for s in "${timings[@]}"; do log "  $s"; done
(cd "$out" && du -h --apparent-size -- * | sed 's/^/release:   /' >&2)
echo "$out"
