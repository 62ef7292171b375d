/**
 * Importing mlkube builds no zod schema (issue 27, "Import"): every schema is built on its first use and
 * cached, so `require("mlkube")` costs module loading only. Checked in a fresh process on the package's
 * entry (dist/index.js): zod is loaded first, then every zod object initialised while mlkube loads is
 * counted (zod's `$constructor` gives each instance its `_zod` slot through `Object.defineProperty`).
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ensureBuilt, ROOT } from "./render-helpers";

before(() => ensureBuilt());

const PROBE = `
require("zod");
const define = Object.defineProperty;
const built = [];
Object.defineProperty = function (o, k, d) {
    if (k === "_zod" && built.length < 5) built.push(new Error().stack.split("\\n").filter((l) => l.includes("/dist/")).slice(0, 2).join(" <- "));
    if (k === "_zod") built.count = (built.count || 0) + 1;
    return define.call(this, o, k, d);
};
const mlkube = require(process.argv[1]);
Object.defineProperty = define;
if (typeof mlkube.Compute !== "function") throw new Error("no Compute export");
process.stdout.write(JSON.stringify({ count: built.count || 0, first: built }));
`;

function probe(entry: string): { count: number; first: string[] } {
    const r = spawnSync(process.execPath, ["-e", PROBE, entry], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { count: number; first: string[] };
}

test("require('mlkube') builds no zod schema: schemas are built on first use", () => {
    const { count, first } = probe(path.join(ROOT, "dist", "index.js"));
    assert.equal(count, 0, `zod objects initialised while loading mlkube: ${count}; first at\n${first.join("\n")}`);
});

test("the probe sees a schema built after import (it can fail)", () => {
    const r = spawnSync(
        process.execPath,
        [
            "-e",
            PROBE.replace(
                "const mlkube = require(process.argv[1]);",
                'const mlkube = require(process.argv[1]); require("zod").z.string();',
            ),
            path.join(ROOT, "dist", "index.js"),
        ],
        { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { count: number }).count > 0);
});
