/**
 * The plugin's launcher (src/provider/pulumi-resource-mlkube; docs/provider.md): which Node.js it runs —
 * MLKUBE_NODE, else the bundled node/bin/node (with V8's compile cache: node/compile-cache.cjs preloaded), else
 * `node` from PATH — and that it needs no program on PATH. Fake `node` executables print how they were called.
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
    test("the bundled Node, with an empty PATH, and V8's compile cache beside it (enabled by the preload)", () => {
        const dir = plugin(true);
        const main = path.join(dir, "dist", "provider", "main.js");
        assert.equal(
            launch(path.join(dir, "pulumi-resource-mlkube"), { PATH: "" }),
            `bundled|NODE_COMPILE_CACHE=unset|--require ${dir}/node/compile-cache.cjs ${main} 127.0.0.1:12345`,
        );
    });

    test("a read-only plugin directory still gets the preload (it reads the shipped cache)", (t) => {
        const dir = plugin(true);
        const main = path.join(dir, "dist", "provider", "main.js");
        fs.chmodSync(path.join(dir, "node"), 0o555);
        t.after(() => fs.chmodSync(path.join(dir, "node"), 0o755));
        assert.equal(
            launch(path.join(dir, "pulumi-resource-mlkube"), { PATH: "" }),
            `bundled|NODE_COMPILE_CACHE=unset|--require ${dir}/node/compile-cache.cjs ${main} 127.0.0.1:12345`,
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

// The preload itself (src/provider/compile-cache.cjs, node/compile-cache.cjs in the tarball) on this Node.js: its
// portable cache serves a moved directory and another user, and a corrupt cache only means compiling again.
// NODE_DEBUG_NATIVE=COMPILE_CACHE makes Node say what it did with each entry. Needs the `portable` option
// (Node >= 24.12, as bundled: CI's unit suite on Node 24); skipped on older lines.
const PRELOAD = path.resolve(__dirname, "..", "src", "provider", "compile-cache.cjs");
const [major, minor] = process.versions.node.split(".").map(Number);
const portable = major > 24 || (major === 24 && minor >= 12);

describe(
    "compile-cache.cjs",
    { skip: !portable && `Node ${process.versions.node} has no portable compile cache` },
    () => {
        /** A plugin-shaped directory: node/compile-cache.cjs, dist/provider/main.js requiring a module. */
        function tree(): string {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-cc-"));
            made.push(root);
            const dir = path.join(root, "packed");
            fs.mkdirSync(path.join(dir, "node"), { recursive: true });
            fs.mkdirSync(path.join(dir, "dist", "provider"), { recursive: true });
            fs.copyFileSync(PRELOAD, path.join(dir, "node", "compile-cache.cjs"));
            fs.writeFileSync(path.join(dir, "dist", "provider", "main.js"), 'console.log(require("./m.js").f(20));\n');
            fs.writeFileSync(path.join(dir, "dist", "provider", "m.js"), "exports.f = (x) => x * 2 + 2;\n");
            return dir;
        }
        function run(dir: string): { accepted: number; written: number } {
            const r = spawnSync(
                process.execPath,
                [
                    "--require",
                    path.join(dir, "node", "compile-cache.cjs"),
                    path.join(dir, "dist", "provider", "main.js"),
                ],
                { env: { PATH: "", NODE_DEBUG_NATIVE: "COMPILE_CACHE" }, encoding: "utf8" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "42\n");
            return {
                accepted: (r.stderr.match(/was accepted/g) ?? []).length,
                written: (r.stderr.match(/writing cache for/g) ?? []).length,
            };
        }
        const uid = process.getuid!();

        test("written once, then used from another directory and by another user (a symlink of its name)", () => {
            const packed = tree();
            assert.deepEqual(run(packed), { accepted: 0, written: 2 });
            const cache = path.join(packed, "node", ".compile-cache");
            const [tag] = fs.readdirSync(cache);
            assert.match(tag, new RegExp(`^v${process.versions.node}-${process.arch}-[0-9a-f]+-${uid}$`));
            // As packed by another user, then moved (pulumi plugin install unpacks into ~/.pulumi/plugins/…).
            const other = tag.replace(/-[0-9]+$/, `-${uid + 1}`);
            fs.renameSync(path.join(cache, tag), path.join(cache, other));
            const installed = path.join(path.dirname(packed), "installed");
            fs.renameSync(packed, installed);
            assert.deepEqual(run(installed), { accepted: 2, written: 0 });
            const moved = path.join(installed, "node", ".compile-cache");
            assert.equal(fs.readlinkSync(path.join(moved, tag)), other);
        });

        test("a corrupt or truncated cache: compiled again and rewritten", () => {
            const dir = tree();
            run(dir);
            const sub = path.join(
                dir,
                "node",
                ".compile-cache",
                fs.readdirSync(path.join(dir, "node", ".compile-cache"))[0],
            );
            const [a, b] = fs.readdirSync(sub);
            const fd = fs.openSync(path.join(sub, a), "r+");
            fs.writeSync(fd, Buffer.from("garbage garbage garbage"), 0, 23, 40);
            fs.closeSync(fd);
            fs.truncateSync(path.join(sub, b), 0);
            assert.deepEqual(run(dir), { accepted: 0, written: 2 });
            assert.deepEqual(run(dir), { accepted: 2, written: 0 });
        });
    },
);
