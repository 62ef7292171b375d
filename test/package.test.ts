/**
 * What the published package promises, checked cheaply on every `npm test` (scripts/check-package.sh
 * does the full check on the packed tarball in CI): declarations free of zod, a LICENSE matching
 * package.json, no install-time build script, no source maps.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureBuilt, ROOT } from "./render-helpers";

before(() => ensureBuilt());

function files(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    license: string;
    scripts: Record<string, string>;
    engines: { node: string };
    peerDependencies: Record<string, string>;
};

test("published declarations never mention zod (schemas are /** @internal */ and stripped)", () => {
    const offenders = files(path.join(ROOT, "dist"))
        .filter((f) => f.endsWith(".d.ts"))
        .filter((f) => /from "zod"|import\("zod"\)|\bz\.Zod/.test(fs.readFileSync(f, "utf8")))
        .map((f) => path.relative(ROOT, f));
    assert.deepEqual(offenders, [], "mark the zod-typed exports of these files /** @internal */");
});

test("package: LICENSE matches package.json, builds in prepack (prepare only in a source checkout), ships no source maps", () => {
    assert.equal(pkg.license, "Apache-2.0");
    assert.match(
        fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8"),
        /^\s*Apache License\s+Version 2\.0, January 2004/,
    );
    assert.match(pkg.scripts.prepack, /npm run build/);
    // prepare builds only in a source checkout (clone, git install) and not during pack/publish.
    const prepare = (cwd: string, npm_command: string) =>
        spawnSync("sh", ["-c", pkg.scripts.prepare.replace("npm run build", "echo BUILD")], {
            cwd,
            encoding: "utf8",
            env: { ...process.env, npm_command },
        }).stdout;
    const tarballLike = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-pkg-"));
    assert.equal(prepare(tarballLike, "install"), "", "no src/: nothing to build (an extracted tarball)");
    assert.equal(prepare(ROOT, "pack"), "", "npm pack builds once, in prepack");
    assert.match(prepare(ROOT, "install"), /BUILD/, "npm install in a clone builds dist/");
    assert.deepEqual(
        files(path.join(ROOT, "dist")).filter((f) => f.endsWith(".map")),
        [],
    );
    assert.equal(pkg.engines.node, ">=22", "the engines range follows @pulumi/pulumi's (docs/node.md)");
});
