/**
 * Starts an unpacked mlkube plugin the way the engine does and times it (scripts/release.sh, docs/provider.md):
 *
 *   node --import tsx scripts/plugin-probe.ts <plugin dir> [--schema FILE] [--runs N] [--path PATH]
 *
 * Each run execs `<dir>/pulumi-resource-mlkube 127.0.0.1:1` with an environment of nothing but PATH
 * (default: an empty directory, so no `node` — the plugin must bring its own), measures the time from
 * exec to the port on its first stdout line (what a Pulumi plugin prints first), then calls GetSchema over
 * gRPC and compares the answer with FILE (default: the plugin's own schema.json). Prints one JSON line:
 * `{ runs: [{ portMs, schemaMs }], ... }`. Exits 1 on any failure, with the plugin's stderr.
 *
 * V8's compile cache (node/.compile-cache, written by node/compile-cache.cjs; scripts/plugin.sh):
 *   --compile-cache warm    one start that writes it: after GetSchema the plugin flushes it (a SIGUSR2
 *                           handler preloaded through NODE_OPTIONS) before it is stopped (scripts/plugin.sh
 *                           pack builds the cache the tarball ships this way)
 *   --compile-cache check   the first start is such a start, and must find the cache complete: no file in
 *                           node/.compile-cache written or added by it (the release's check of the shipped
 *                           cache); then the timed runs
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provproto = require("@pulumi/pulumi/proto/provider_pb");

export interface ProbeRun {
    /** exec -> the port line on stdout, in ms. */
    portMs: number;
    /** CPU time (user + system) the plugin had used when its port arrived, in ms (Linux /proc; -1 elsewhere): on a loaded machine, the wall time's floor. */
    cpuMs: number;
    /** the port line -> GetSchema's answer, in ms. */
    schemaMs: number;
}

/** utime + stime of a process in ms, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
function processCpuMs(pid: number | undefined): number {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
        return -1;
    }
}

/** Preloaded by a flushing start: flushes V8's compile cache on SIGUSR2, then writes $MLKUBE_PROBE_FLUSHED. */
const FLUSH_HOOK = `process.on("SIGUSR2", () => {
    try { require("node:module").flushCompileCache(); } finally { require("node:fs").writeFileSync(process.env.MLKUBE_PROBE_FLUSHED, "1"); }
});
`;

/** The regular files under a plugin's node/.compile-cache (symlinks not followed): path → "size mtime". */
export function compileCacheFiles(dir: string): Map<string, string> {
    const root = path.join(dir, "node", ".compile-cache");
    const out = new Map<string, string>();
    const walk = (d: string) => {
        for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) {
                const st = fs.statSync(p);
                out.set(path.relative(root, p), `${st.size} ${st.mtimeMs}`);
            }
        }
    };
    walk(root);
    return out;
}

/**
 * One start of the plugin: time to its port, then GetSchema; the schema text it returned. With `flush`,
 * the plugin then flushes its compile cache (FLUSH_HOOK) before it is stopped.
 */
export async function probeOnce(
    dir: string,
    env: NodeJS.ProcessEnv,
    timeoutMs = 60_000,
    flush = false,
): Promise<ProbeRun & { schema: string }> {
    const launcher = path.join(dir, "pulumi-resource-mlkube");
    let hookDir: string | undefined;
    if (flush) {
        hookDir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-probe-flush-"));
        fs.writeFileSync(path.join(hookDir, "flush.cjs"), FLUSH_HOOK);
        env = {
            ...env,
            NODE_OPTIONS: `--require ${path.join(hookDir, "flush.cjs")}`,
            MLKUBE_PROBE_FLUSHED: path.join(hookDir, "flushed"),
        };
    }
    const t0 = performance.now();
    const child = spawn(launcher, ["127.0.0.1:1"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    try {
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(() => reject(new Error(`no port after ${timeoutMs} ms`)), timeoutMs);
            child.stdout.on("data", (d) => {
                out += d;
                const nl = out.indexOf("\n");
                if (nl >= 0) {
                    clearTimeout(timer);
                    const p = Number(out.slice(0, nl).trim());
                    if (Number.isInteger(p) && p > 0) resolve(p);
                    else reject(new Error(`the first stdout line is not a port: ${JSON.stringify(out.slice(0, 200))}`));
                }
            });
            child.on("error", (e) => (clearTimeout(timer), reject(e)));
            child.on(
                "exit",
                (code) => (
                    clearTimeout(timer),
                    reject(new Error(`the plugin exited (${code}) before printing its port`))
                ),
            );
        });
        const portMs = performance.now() - t0;
        const cpuMs = processCpuMs(child.pid);
        const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        try {
            const t1 = performance.now();
            const schema = await new Promise<string>((resolve, reject) => {
                const req = new provproto.GetSchemaRequest();
                req.setVersion(0);
                client.getSchema(
                    req,
                    { deadline: Date.now() + timeoutMs },
                    (err: Error | null, res: { getSchema(): string }) => (err ? reject(err) : resolve(res.getSchema())),
                );
            });
            const schemaMs = performance.now() - t1;
            if (hookDir) {
                const flushed = path.join(hookDir, "flushed");
                child.kill("SIGUSR2");
                const until = Date.now() + timeoutMs;
                while (!fs.existsSync(flushed)) {
                    if (Date.now() > until)
                        throw new Error(`the plugin did not flush its compile cache in ${timeoutMs} ms`);
                    await new Promise((r) => setTimeout(r, 20));
                }
            }
            return { portMs, cpuMs, schemaMs, schema };
        } finally {
            client.close();
        }
    } catch (e) {
        throw new Error(`${(e as Error).message}\nplugin stderr:\n${stderr.slice(0, 4000)}`, { cause: e });
    } finally {
        child.kill("SIGKILL");
        if (hookDir) fs.rmSync(hookDir, { recursive: true, force: true });
    }
}

async function main(argv: string[]): Promise<void> {
    const dir = path.resolve(argv[0] ?? "");
    assert.ok(
        argv[0] && fs.existsSync(path.join(dir, "pulumi-resource-mlkube")),
        "usage: plugin-probe.ts <unpacked plugin dir> [--schema FILE] [--runs N] [--path PATH] [--compile-cache warm|check]",
    );
    const opt = (name: string) => {
        const i = argv.indexOf(name);
        return i > 0 ? argv[i + 1] : undefined;
    };
    const expected = JSON.parse(fs.readFileSync(opt("--schema") ?? path.join(dir, "schema.json"), "utf8"));
    const cache = opt("--compile-cache");
    assert.ok(cache === undefined || cache === "warm" || cache === "check", "--compile-cache takes warm or check");
    const runs = cache === "warm" ? 1 : Number(opt("--runs") ?? 3);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-probe-path-"));
    try {
        const env = { PATH: opt("--path") ?? empty };
        const results: ProbeRun[] = [];
        let compileCache: { files: number; written: number } | undefined;
        for (let i = 0; i < runs; i++) {
            const before = compileCacheFiles(dir);
            const r = await probeOnce(dir, env, undefined, cache !== undefined && i === 0);
            assert.deepEqual(JSON.parse(r.schema), expected, "GetSchema answers the schema the release carries");
            results.push({ portMs: Math.round(r.portMs), cpuMs: r.cpuMs, schemaMs: Math.round(r.schemaMs) });
            if (cache && i === 0) {
                const after = compileCacheFiles(dir);
                const written = [...after].filter(([f, st]) => before.get(f) !== st).map(([f]) => f);
                compileCache = { files: after.size, written: written.length };
                assert.ok(after.size > 0, "the plugin wrote no compile cache (node/.compile-cache)");
                if (cache === "check") {
                    assert.ok(before.size > 0, "the plugin ships no compile cache (node/.compile-cache)");
                    assert.deepEqual(
                        written,
                        [],
                        `the first start found the shipped compile cache incomplete or stale: it wrote ${written.length} of ${after.size} files`,
                    );
                }
            }
        }
        console.log(JSON.stringify({ plugin: dir, runs: results, ...(compileCache && { compileCache }) }));
    } finally {
        fs.rmSync(empty, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e) => {
        console.error(`plugin-probe: ${(e as Error).message}`);
        process.exit(1);
    });
}
