/**
 * The plugin's launcher (src/provider/pulumi-resource-mlkube; docs/provider.md): which Node.js it runs —
 * MLKUBE_NODE, else the bundled node/bin/node (with V8's compile cache), else `node` from PATH — and that it
 * needs no program on PATH. Fake `node` executables print how they were called.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";

const LAUNCHER = path.resolve(__dirname, "..", "src", "provider", "pulumi-resource-mlkube");
const made: string[] = [];
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function fakeNode(file: string, label: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\necho "${label}|NODE_COMPILE_CACHE=\${NODE_COMPILE_CACHE-unset}|$*"\n`, {
        mode: 0o755,
    });
}

/** An unpacked plugin (dir name with a space): launcher, dist/provider/main.js, optionally the bundled node. */
function plugin(bundled: boolean): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-launcher-"));
    made.push(root);
    const dir = path.join(root, "plugin dir");
    fs.mkdirSync(path.join(dir, "dist", "provider"), { recursive: true });
    fs.copyFileSync(LAUNCHER, path.join(dir, "pulumi-resource-mlkube"));
    fs.chmodSync(path.join(dir, "pulumi-resource-mlkube"), 0o755);
    fs.writeFileSync(path.join(dir, "dist", "provider", "main.js"), "");
    if (bundled) {
        fakeNode(path.join(dir, "node", "bin", "node"), "bundled");
        fs.writeFileSync(path.join(dir, "node", "compile-cache.cjs"), "");
    }
    return dir;
}

function launch(exe: string, env: Record<string, string>): string {
    // The engine execs the plugin by its absolute path with the arguments it gives plugins.
    const r = spawnSync(exe, ["127.0.0.1:12345"], { env, encoding: "utf8" });
    assert.equal(r.status, 0, `${r.error ?? ""}${r.stdout}${r.stderr}`);
    return r.stdout.trim();
}

describe("plugin launcher", () => {
    test("the bundled Node, with an empty PATH, and V8's compile cache beside it", () => {
        const dir = plugin(true);
        const main = path.join(dir, "dist", "provider", "main.js");
        assert.equal(
            launch(path.join(dir, "pulumi-resource-mlkube"), { PATH: "" }),
            `bundled|NODE_COMPILE_CACHE=${dir}/node/.compile-cache|--require ${dir}/node/compile-cache.cjs ${main} 127.0.0.1:12345`,
        );
    });

    test("MLKUBE_NODE wins over the bundled Node; a NODE_COMPILE_CACHE of the user's is kept", () => {
        const dir = plugin(true);
        const mine = path.join(dir, "..", "mine", "node");
        fakeNode(mine, "mine");
        const main = path.join(dir, "dist", "provider", "main.js");
        assert.equal(
            launch(path.join(dir, "pulumi-resource-mlkube"), { PATH: "", MLKUBE_NODE: mine }),
            `mine|NODE_COMPILE_CACHE=unset|${main} 127.0.0.1:12345`,
        );
        assert.equal(
            launch(path.join(dir, "pulumi-resource-mlkube"), { PATH: "", NODE_COMPILE_CACHE: "/elsewhere" }),
            `bundled|NODE_COMPILE_CACHE=/elsewhere|${main} 127.0.0.1:12345`,
        );
    });

    test("without a bundled Node: node from PATH", () => {
        const dir = plugin(false);
        const bin = path.join(dir, "..", "bin");
        fakeNode(path.join(bin, "node"), "path");
        assert.equal(
            launch(path.join(dir, "pulumi-resource-mlkube"), { PATH: bin }),
            `path|NODE_COMPILE_CACHE=unset|${path.join(dir, "dist", "provider", "main.js")} 127.0.0.1:12345`,
        );
    });

    test("started through a symlink, it finds its own directory", () => {
        const dir = plugin(true);
        const link = path.join(dir, "..", "link-to-launcher");
        fs.symlinkSync(path.join(dir, "pulumi-resource-mlkube"), link);
        assert.match(
            launch(link, { PATH: "/usr/bin:/bin" }),
            new RegExp(
                `^bundled\\|.*\\|--require ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/node/compile-cache\\.cjs `,
            ),
        );
    });
});
