/**
 * Secret.fromDirectory on hostile trees (issue 22, item 8): the walk stops early at the size and entry
 * limits, never reads special files, terminates on symlink loops, stays on the directory's file system,
 * and reports file-system errors as mlkube errors naming the path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { MlkubeValidationError, Secret } from "../src";
import fc from "fast-check";
import { MAX_DIRECTORY_ENTRIES, readDirectory } from "../src/secret/directory";
import { LocalFileError } from "../src/secret/files";
import { emit, reveal } from "./helpers";

// The module object itself (not an import wrapper), so the counters below see every call src/secret makes.

const fs = require("node:fs") as typeof import("node:fs");

function tempDir(t: { after(fn: () => void): void }, prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlkube-${prefix}-`));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}

/** Asserts that `fn` throws an MlkubeValidationError whose message matches `re`. */
function throwsValidation(fn: () => unknown, re: RegExp): void {
    assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof MlkubeValidationError, `not a validation error: ${(e as Error)?.stack ?? e}`);
        assert.match(e.message, re);
        return true;
    });
}

interface Counts {
    /** Files opened, in order. */
    opened: string[];
    /** Bytes read from them. */
    bytesRead: number;
    /** Directories listed, in order. */
    dirs: string[];
}

/** Counts the files opened, the bytes read and the directories listed through node:fs until `stop()` (read-only observation). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- node:test mock.method takes any function
function observeFs(t: { mock: { method: Function } }): Counts & { stop(): void } {
    const c: Counts = { opened: [], bytesRead: 0, dirs: [] };
    const openSync = fs.openSync;
    const readSync = fs.readSync as (...x: unknown[]) => number;
    const opendirSync = fs.opendirSync;
    const readdirSync = fs.readdirSync as (...x: unknown[]) => unknown;
    const mocks = [
        t.mock.method(
            fs,
            "openSync",
            (...a: Parameters<typeof fs.openSync>) => (c.opened.push(String(a[0])), openSync(...a)),
        ),
        t.mock.method(fs, "readSync", (...a: unknown[]) => {
            const n = readSync(...a);
            c.bytesRead += n;
            return n;
        }),
        t.mock.method(
            fs,
            "opendirSync",
            (...a: Parameters<typeof fs.opendirSync>) => (c.dirs.push(String(a[0])), opendirSync(...a)),
        ),
        t.mock.method(fs, "readdirSync", (...a: unknown[]) => (c.dirs.push(String(a[0])), readdirSync(...a))),
    ];
    return Object.assign(c, { stop: () => mocks.forEach((m) => m.mock.restore()) });
}

/** Runs `fn` under observeFs; returns its result or error with the counts. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- node:test mock.method takes any function
function counting<T>(t: { mock: { method: Function } }, fn: () => T): Counts & { result?: T; error?: unknown } {
    const c = observeFs(t);
    try {
        return { ...c, result: fn() };
    } catch (error) {
        return { ...c, error };
    } finally {
        c.stop();
    }
}

test("fromDirectory over the size limit stops reading at the limit instead of walking and sizing the whole tree first", (t) => {
    const dir = tempDir(t, "big");
    const big = Buffer.alloc(600 * 1024, 1);
    fs.writeFileSync(path.join(dir, "a1.bin"), big);
    fs.writeFileSync(path.join(dir, "a2.bin"), big);
    fs.writeFileSync(path.join(dir, "a3.bin"), big);
    fs.mkdirSync(path.join(dir, "z"));
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, "z", `f${String(i).padStart(4, "0")}`), "x");
    const r = counting(t, () => new Secret("big", { fromDirectory: dir }));
    assert.ok(r.error instanceof MlkubeValidationError, String(r.error));
    assert.match(
        (r.error as Error).message,
        /^Secret "big": fromDirectory: the files hold more than 1048576 bytes \(reading stopped at "a2\.bin"\); Kubernetes limits a Secret to 1048576 bytes \(1 MiB\): split them into several Secrets or mount large files from a Volume$/,
    );
    // a1.bin read; a2.bin opened, found too big by fstat and not read; nothing after it opened.
    assert.deepEqual(
        r.opened.map((f) => path.relative(dir, f)),
        ["a1.bin", "a2.bin"],
    );
    assert.ok(r.bytesRead <= 600 * 1024 + 1, `read ${r.bytesRead} bytes`);
    assert.deepEqual(r.dirs, [dir], "the sub-directory after the limit is never listed");
});

test("fromDirectory with more entries than the limit stops listing at the limit", (t) => {
    const dir = tempDir(t, "many");
    for (let i = 0; i <= MAX_DIRECTORY_ENTRIES; i++) fs.writeFileSync(path.join(dir, `f${i}`), "");
    const r = counting(t, () => new Secret("many", { fromDirectory: dir }));
    assert.ok(r.error instanceof MlkubeValidationError, String(r.error));
    assert.equal(
        (r.error as Error).message,
        `Secret "many": fromDirectory: ${JSON.stringify(dir)} holds more than ${MAX_DIRECTORY_ENTRIES} entries (files, directories and others), too many for a Secret; point fromDirectory at the directory of the files you need`,
    );
    assert.deepEqual(r.opened, [], "no file is read when the tree is too large");
});

test("fromDirectory never reads FIFOs, sockets or devices; they are skipped and named in a warning", async (t) => {
    const dir = tempDir(t, "special");
    fs.writeFileSync(path.join(dir, "a.txt"), "A");
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(dir, "sock"), resolve));
    t.after(() => server.close());
    // A device node where the test may create one (root in a container usually may; skipped otherwise).
    let device = false;
    try {
        execFileSync("mknod", [path.join(dir, "null"), "c", "1", "3"], { stdio: "ignore" });
        device = true;
    } catch {
        /* not permitted here */
    }
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => warnings.push(a.join(" "));
    const c = observeFs(t);
    try {
        const out = await emit(() => new Secret("special", { fromDirectory: dir }));
        assert.deepEqual(out.errors, []);
        assert.deepEqual(Object.keys(reveal(out.get("Secret", "special").data)), ["a.txt"]);
    } finally {
        c.stop();
        console.warn = warn;
    }
    assert.deepEqual(
        c.opened.filter((f) => f.startsWith(dir)).map((f) => path.relative(dir, f)),
        ["a.txt"],
        "only the regular file is opened",
    );
    const w = warnings.join("\n");
    assert.match(w, /pipe \(a named pipe\)/);
    assert.match(w, /sock \(a socket\)/);
    if (device) assert.match(w, /null \(a device\)/);
});

test("fromDirectory terminates on symlink loops (links are not followed)", async (t) => {
    const dir = tempDir(t, "loop");
    fs.mkdirSync(path.join(dir, "a"));
    fs.writeFileSync(path.join(dir, "a", "k.txt"), "K");
    fs.symlinkSync("..", path.join(dir, "a", "up"));
    fs.symlinkSync("self", path.join(dir, "self"));
    fs.symlinkSync(dir, path.join(dir, "a", "root"));
    const out = await emit(() => new Secret("loop", { fromDirectory: dir }));
    assert.deepEqual(out.errors, []);
    assert.deepEqual(Object.keys(reveal(out.get("Secret", "loop").data)), ["a__k.txt"]);
});

test("fromDirectory: an unreadable directory is an mlkube error naming the path, not a raw EACCES", (t) => {
    // Tests run as root, so chmod 000 denies nothing: use a directory even root cannot list (as the fuzzer did).
    const unreadable = ["/proc/1/fdinfo", "/proc/1/map_files"].find((d) => {
        try {
            fs.readdirSync(d);
            return false;
        } catch (e) {
            return (e as NodeJS.ErrnoException).code === "EACCES" || (e as NodeJS.ErrnoException).code === "EPERM";
        }
    });
    if (!unreadable) return t.skip("no directory here that this user cannot list");
    throwsValidation(
        () => new Secret("proc", { fromDirectory: unreadable }),
        new RegExp(
            `^Secret "proc": fromDirectory: ${JSON.stringify(unreadable).replace(/\//g, "\\/")} cannot be read \\((EACCES|EPERM)\\)$`,
        ),
    );
});

test("fromDirectory: pseudo-files that report size 0 (/proc) are refused, not read", (t) => {
    if (!fs.existsSync("/proc/self/status")) return t.skip("no /proc here");
    throwsValidation(
        () => new Secret("proc", { fromDirectory: "/proc/self" }),
        /^Secret "proc": fromDirectory: .*(reports a size of 0 but has content \(a kernel pseudo-file, as in \/proc or \/sys\)|cannot be read)/,
    );
});

test('fromDirectory("/") ends quickly with an mlkube error (size or entry limit), without crossing into /proc', (t) => {
    const t0 = process.hrtime.bigint();
    const r = counting(t, () => new Secret("root", { fromDirectory: "/" }));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(
        r.error instanceof MlkubeValidationError,
        `expected an mlkube error, got ${r.error instanceof Error ? r.error.stack : r.error}`,
    );
    assert.match((r.error as Error).message, /^Secret "root": fromDirectory: /);
    assert.match((r.error as Error).message, /the files hold more than 1048576 bytes|holds more than \d+ entries/);
    assert.ok(
        !r.opened.some((f) => f.startsWith("/proc/") || f.startsWith("/sys/")),
        "pseudo file systems are not entered",
    );
    assert.ok(r.bytesRead <= 1024 * 1024 + 1, `read ${r.bytesRead} bytes`);
    assert.ok(ms < 20000, `took ${ms} ms`);
});

test("fromDirectory skips mount points below it (another file system), like find -xdev", (t) => {
    // /dev is a separate file system (devtmpfs/tmpfs) almost everywhere; walk "/" only as far as listing its children.
    const root = fs.statSync("/");
    if (!fs.existsSync("/dev") || fs.statSync("/dev").dev === root.dev) return t.skip("/dev is not a mount point here");
    const r = counting(t, () => new Secret("root", { fromDirectory: "/" }));
    assert.ok(!r.opened.some((f) => f.startsWith("/dev/")), "nothing under /dev is opened");
    assert.ok(
        !r.dirs.some((d) => d === "/dev" || d.startsWith("/dev/") || d === "/proc" || d.startsWith("/proc/")),
        "mount points are not listed",
    );
});

test("property: on random trees (files, nested dirs, links incl. loops, FIFOs) the walk ends with files within the limits or a LocalFileError, reading at most the byte limit", async (t) => {
    type Node =
        | { kind: "file"; size: number }
        | { kind: "dir"; children: [string, Node][] }
        | { kind: "link"; target: string }
        | { kind: "fifo" };
    const name = fc.stringMatching(/^[a-z.][a-z0-9._-]{0,6}$/).filter((n) => n !== "." && n !== "..");
    const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
        node: fc.oneof(
            { depthSize: "small", withCrossShrink: true },
            fc.record({ kind: fc.constant("file" as const), size: fc.nat(300) }),
            fc.record({
                kind: fc.constant("link" as const),
                target: fc.constantFrom(".", "..", "../..", "/", "/proc/self", "missing", "self"),
            }),
            fc.record({ kind: fc.constant("fifo" as const) }),
            fc.record({
                kind: fc.constant("dir" as const),
                children: fc.uniqueArray(fc.tuple(name, tie("node")), { maxLength: 5, selector: (e) => e[0] }),
            }),
        ),
    })).node;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-prop-"));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    let run = 0;
    fc.assert(
        fc.property(
            fc.uniqueArray(fc.tuple(name, node), { maxLength: 6, selector: (e) => e[0] }),
            fc.integer({ min: 0, max: 1500 }),
            fc.integer({ min: 1, max: 40 }),
            (children, maxBytes, maxEntries) => {
                const dir = path.join(root, String(run++));
                const make = (p: string, n: Node) => {
                    if (n.kind === "file") fs.writeFileSync(p, Buffer.alloc(n.size, 7));
                    else if (n.kind === "link") fs.symlinkSync(n.target, p);
                    else if (n.kind === "fifo") execFileSync("mkfifo", [p]);
                    else {
                        fs.mkdirSync(p);
                        for (const [c, x] of n.children) make(path.join(p, c), x);
                    }
                };
                make(dir, { kind: "dir", children });
                const c = observeFs(t);
                try {
                    const r = readDirectory(dir, maxBytes, maxEntries);
                    const total = r.files.reduce((s, f) => s + f.key.length + f.data.length, 0);
                    assert.ok(total <= maxBytes, `${total} > ${maxBytes}`);
                    assert.equal(new Set(r.files.map((f) => f.key)).size, r.files.length);
                } catch (e) {
                    assert.ok(e instanceof LocalFileError, `not a LocalFileError: ${(e as Error)?.stack ?? e}`);
                } finally {
                    c.stop();
                    fs.rmSync(dir, { recursive: true, force: true });
                }
                assert.ok(c.bytesRead <= maxBytes + 1, `read ${c.bytesRead} bytes with a limit of ${maxBytes}`);
                assert.ok(
                    c.opened.every((f) => f.startsWith(dir + path.sep)),
                    "nothing outside the tree is opened",
                );
                assert.ok(c.dirs.length <= maxEntries + 1, `${c.dirs.length} directories listed`);
            },
        ),
        { numRuns: 150, seed: 22 },
    );
});
