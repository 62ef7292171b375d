#!/usr/bin/env bash
# The package as a user gets it (docs/release.md):
#   scripts/check-package.sh [TARBALL]   (scripts/release.sh passes the tarball it packed)
#   1. `npm pack` (runs `prepack` = build; or the TARBALL given) and list what the tarball holds;
#   2. publint --strict and @arethetypeswrong/cli on the tarball (pinned devDependencies);
#   3. install the tarball into a fresh project per example with the tsconfig.json that
#      `pulumi new typescript` generates (strict, commonjs, node resolution, NO skipLibCheck,
#      NO esModuleInterop), then `tsc --noEmit` (must be 0 errors) and `npx mlkube render .`,
#      whose output must equal the example's checked-in rendered.yaml.
# Temp files live in a mktemp dir that is removed on exit; npm's cache (~/.npm) is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

work=$(mktemp -d "${TMPDIR:-/tmp}/mlkube-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ -n ${1:-} ]]; then
  tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [[ -f $tarball ]] || { echo "check-package: no tarball $1" >&2; exit 1; }
  echo "-- $tarball"
else
  echo "-- npm pack"
  tarball_name=$(npm pack --silent --pack-destination "$work" | tail -n 1)
  tarball=$work/$tarball_name
fi
tar -tzf "$tarball" | sed 's|^package/||' | sort >"$work/files.txt"
echo "$(wc -l <"$work/files.txt") files, $(du -k "$tarball" | cut -f1) KiB packed"
# Only what users need: compiled JS + declarations, the bin, docs. No sources, maps, tests, tools.
if grep -vE '^(dist/.+\.(js|d\.ts)|package\.json|schema\.json|README\.md|CHANGELOG\.md|LICENSE)$' "$work/files.txt"; then
  echo "check-package: unexpected files in the tarball (above); fix \"files\" in package.json" >&2
  exit 1
fi
if tar -xzOf "$tarball" --wildcards 'package/dist/*.d.ts' | grep -n 'from "zod"\|import("zod")'; then
  echo "check-package: the published declarations mention zod; mark schema exports /** @internal */" >&2
  exit 1
fi

echo "-- publint --strict"
npx --no-install publint run --strict "$tarball"

echo "-- @arethetypeswrong/cli"
# node10 resolution (the Pulumi template's "moduleResolution": "node") must resolve "mlkube/render" too.
npx --no-install attw --no-color --format table "$tarball"

echo "-- a fresh Pulumi TypeScript project per example (stock template tsconfig.json)"
node -e '
const p = require("./package.json");
const d = p.devDependencies;
require("fs").writeFileSync(process.argv[1], JSON.stringify({
  name: "mlkube-consumer", private: true,
  dependencies: { mlkube: "file:" + process.argv[2], "@pulumi/pulumi": d["@pulumi/pulumi"], "@pulumi/kubernetes": d["@pulumi/kubernetes"] },
  devDependencies: { typescript: d.typescript, "@types/node": d["@types/node"] },
}, null, 2));' "$work/package.json" "$tarball"
(cd "$work" && npm install --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)

for example in examples/*/; do
  [[ -f $example/Pulumi.yaml ]] || continue
  name=$(basename "$example")
  dir=$work/$name
  mkdir -p "$dir"
  cp "$example/index.ts" "$example/Pulumi.yaml" "$dir/"
  cp "$example"/Pulumi.*.yaml "$dir/" 2>/dev/null || true
  # What `pulumi new typescript` writes (pulumi/templates, typescript/tsconfig.json).
  cat >"$dir/tsconfig.json" <<'EOF'
{
    "compilerOptions": {
        "strict": true,
        "outDir": "bin",
        "target": "es2020",
        "module": "commonjs",
        "moduleResolution": "node",
        "sourceMap": true,
        "experimentalDecorators": true,
        "pretty": true,
        "noFallthroughCasesInSwitch": true,
        "noImplicitReturns": true,
        "forceConsistentCasingInFileNames": true
    },
    "files": [
        "index.ts"
    ]
}
EOF
  echo "   $name: tsc --noEmit"
  (cd "$dir" && "$work/node_modules/.bin/tsc" --noEmit -p .)
  echo "   $name: npx mlkube render ."
  (cd "$dir" && npx --no-install mlkube render . >"$work/$name.yaml")
  # The golden file starts with a comment header of its own; compare from the first document on.
  if ! diff -u <(sed -n '/^---$/,$p' "$repo/${example}rendered.yaml") <(sed -n '/^---$/,$p' "$work/$name.yaml"); then
    echo "check-package: $name renders differently from the installed tarball than examples/$name/rendered.yaml" >&2
    exit 1
  fi
done
echo "check-package: ok"
