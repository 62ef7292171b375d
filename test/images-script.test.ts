/**
 * scripts/images.sh and its table (scripts/lib/cluster-images.sh), without building anything: every
 * entry is well-formed (a name and tag containerd accepts, a non-root numeric user the kubelet can check
 * against runAsNonRoot, packages, extra files that exist), references are mlkube.local/<name>:<tag>,
 * an unknown name or command is a clear error, and the content hash that keys the cache changes with
 * what the image is made of and with nothing else.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "scripts", "images.sh");
const LIB = path.join(ROOT, "scripts", "lib", "cluster-images.sh");

function cli(...args: string[]) {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-images-"));
    try {
        return spawnSync(CLI, args, { encoding: "utf8", env: { ...process.env, MLKUBE_CACHE: cache } });
    } finally {
        fs.rmSync(cache, { recursive: true, force: true });
    }
}

/** Runs `body` in bash with the library sourced (REPO_DIR and MLKUBE_CACHE set as scripts/images.sh does). */
function lib(body: string, env: Record<string, string> = {}) {
    const script = `set -euo pipefail\nREPO_DIR=${JSON.stringify(ROOT)}\nMLKUBE_CACHE=/nonexistent\n. ${JSON.stringify(LIB)}\n${body}`;
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, ...env } });
    return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

function table(): string[][] {
    const r = lib("_images_lines");
    assert.equal(r.status, 0, r.err);
    return r.out.split("\n").map((l) => l.trim().split(/\s+/));
}

test("images table: every entry has a name, tag, non-root numeric user, packages and existing extra files", () => {
    const rows = table();
    assert.ok(
        rows.some((r) => r[0] === "torch"),
        "a torch image",
    );
    assert.ok(
        rows.some((r) => r[0] === "sshd"),
        "an sshd image",
    );
    assert.equal(new Set(rows.map((r) => r[0])).size, rows.length, "names are unique");
    for (const [name, tag, user, packages, extra, ...rest] of rows) {
        assert.deepEqual(rest, [], `${name}: five columns`);
        assert.match(name, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, `${name}: a lowercase name`);
        assert.match(tag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, `${name}: tag ${tag}`);
        assert.notEqual(tag, "latest", `${name}: a fixed tag (latest makes the kubelet pull: imagePullPolicy Always)`);
        assert.match(user, /^[1-9][0-9]*$/, `${name}: numeric non-root user (runAsNonRoot needs a numeric USER)`);
        assert.match(
            packages,
            /^[a-z0-9][a-z0-9+.-]+(,[a-z0-9][a-z0-9+.-]+)*$/,
            `${name}: comma-separated Debian packages`,
        );
        if (extra !== "-")
            assert.ok(
                fs.statSync(path.join(ROOT, extra)).isDirectory(),
                `${name}: extra files ${extra} is a directory`,
            );
    }
});

test("images.sh ref: mlkube.local/<name>:<tag>; an unknown name or command is a clear error", () => {
    const r = cli("ref", "torch");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "mlkube.local/torch:v1");
    const bad = cli("ref", "nope");
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /no image "nope" in the table \(scripts\/lib\/cluster-images\.sh; have: torch sshd/);
    const usage = cli("frobnicate");
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: scripts\/images\.sh build\|import\|list\|ref/);
});

test("images.sh list: every image, its content hash and whether it is built", () => {
    const r = cli("list");
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, table().length);
    for (const l of lines)
        assert.match(l, /^[a-z0-9-]+ mlkube\.local\/[a-z0-9-]+:\S+ [a-z0-9-]+-[0-9a-f]{16} not-built -$/, l);
});

test("images cache key: changes with the image's own line, not with another image's line", () => {
    const hash = (tableText: string) => {
        const r = lib(`IMAGES_TABLE=$TEST_TABLE\n_image_hash "$(_image_line torch)"`, { TEST_TABLE: tableText });
        assert.equal(r.status, 0, r.err);
        assert.match(r.out, /^[0-9a-f]{16}$/);
        return r.out;
    };
    const base = "torch v1 1000 python3-torch,python3-numpy -\nsshd v1 1000 openssh-server,git -";
    const h = hash(base);
    assert.equal(hash(base), h, "deterministic");
    assert.equal(
        hash(base.replace("openssh-server,git", "openssh-server,git,curl")),
        h,
        "another image's packages do not rebuild torch",
    );
    assert.notEqual(
        hash(base.replace("python3-numpy", "python3-numpy,python3-scipy")),
        h,
        "a package more rebuilds it",
    );
    assert.notEqual(hash(base.replace("torch v1 1000", "torch v1 1001")), h, "another user rebuilds it");
});
