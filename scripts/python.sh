#!/usr/bin/env bash
# A Python virtualenv with the Pulumi Python SDK at the CLI's version (and what the generated
# pulumi_mlkube SDK imports), created once under $MLKUBE_CACHE (outside the clone), and its bin dir.
#
#   scripts/python.sh            create it if needed; print its bin directory
#   PATH="$(scripts/python.sh):$PATH" python -c 'import pulumi'
#   scripts/python.sh versions   print the pins
#
# The v3.68 Python language host ignores the `virtualenv` runtime option: put this bin dir first on
# PATH (and VIRTUAL_ENV=<its parent>) for `pulumi up` of Python programs (docs/python.md).
# Keyed by the pins and the interpreter's version; flock'ed, so parallel callers create it once.
# Environment: MLKUBE_CACHE (default ~/.cache/mlkube), PYTHON (default python3), PIP_* as usual
# (PIP_FIND_LINKS is honoured). Cached: ~0.01 s; cold: one pip install (~15 MB of wheels).
set -euo pipefail

# --- pins -------------------------------------------------------------------------------
PULUMI_PYTHON_VERSION=3.259.0   # PyPI pulumi == the CLI's version (scripts/pulumi-bins.sh)
REQUIREMENTS=(
  "pulumi==$PULUMI_PYTHON_VERSION"
  "semver==3.0.4"               # imported by the generated SDK's _utilities.py
  "parver==0.5"                 # idem
)
# -----------------------------------------------------------------------------------------

if [[ ${1:-} == versions ]]; then
  printf '%s\n' "${REQUIREMENTS[@]}"
  exit 0
fi
[[ -z ${1:-} ]] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "scripts/python.sh: $python is not on PATH" >&2; exit 1; }
pyversion=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
key=$(printf '%s\n' "${REQUIREMENTS[@]}" "$pyversion" | sha256sum | cut -c1-12)
cache=${MLKUBE_CACHE:-$HOME/.cache/mlkube}
venv=$cache/python/pulumi-$PULUMI_PYTHON_VERSION-py$pyversion-$key
mkdir -p "$cache/python"
exec 9>"$cache/python/.lock"
flock 9
if [[ ! -f $venv/.complete ]]; then
  # A venv is not relocatable (its scripts name their path), so it is built in place; .complete marks
  # success, and a half-built one is removed and built again.
  rm -rf "$venv"
  t0=$SECONDS
  echo "scripts/python.sh: creating $venv" >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-input "${REQUIREMENTS[@]}" >&2
  touch "$venv/.complete"
  echo "scripts/python.sh: created in $((SECONDS - t0))s" >&2
fi
echo "$venv/bin"
