/**
 * mlkube benchmarks (issue 8): mlkube against the same Kubernetes objects written by hand, under the
 * SDK's mocks, in one run so only ratios are compared.
 *
 *   npm run bench                                   N = 100, 1000, 3000; 3 runs each (~12 min on 2 cores)
 *   npm run bench -- --sizes 100,1000 --runs 3      other sizes / run counts
 *   npm run bench:smoke                             N = 100, 1 run, the object-set check (CI)
 *   npm run bench -- --check                        only check that the three programs emit the same objects
 *   npm run bench -- --preview                      real engine: `pulumi preview` of N=100, mlkube vs floor
 *                                                   vs raw, 1 warm-up + 5 rounds (bench/preview.ts; ~5 min)
 *   npm run bench -- --up --sizes 100,500           real engine: `pulumi up` of N=100 and N=500 on the local
 *                                                   cluster's KWOK nodes, 3 rounds (bench/preview.ts);
 *                                                   --destroy: measure `pulumi destroy` after each up too
 *   npm run bench -- --plugin                       the plugin path: `pulumi preview` of the workload as Pulumi YAML
 *                                                   through the plugin vs the TypeScript program, N=100, 1 warm-up +
 *                                                   3 rounds, and the plugin's cold start (bench/plugin.ts; ~3–5 min)
 *
 * Options: --sizes a,b,c  --runs R  --import-runs R  --no-check  --no-import  --trainjobs auto|on|off
 *          --workload basic|plain|rich (basic, the default: Secret values are secret Outputs, Volumes mounted
 *          by path; plain: plain-string Secret values, default mount paths; rich: basic, and every Compute
 *          also has tolerations, affinity, topology spread, security contexts and a podPatch, i.e. the
 *          embedded objects mlkube validates; workload.ts)
 *          --json FILE (raw results)  --markdown (print the tables as Markdown too)
 *          with --preview/--up: --sizes (default 100)  --runs R (default 5 previews, 3 ups)  --no-floor (only
 *          mlkube and raw)  --preview-no-cluster (no kubeconfig: the provider previews "cluster unreachable")
 *          with --plugin: --sizes N (one N, default 100)  --runs R (default 3)  --cold-runs R (plugin starts per
 *          variant, default 5)  --plugin-python (also the workload in Python)  --preview-no-cluster
 *
 * Every measurement is a fresh `node` process (compiled JS, no loader hooks) running one program
 * (bench/programs/main.ts) for one N; wall time is measured around the process, peak RSS by
 * `/usr/bin/time -f %M` (else the child's own maxRSS). Programs run in rotating order within each
 * round, and ratios are taken within a round (mlkube run r / raw run r), then summarised as
 * median (min–max) over rounds.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { collect } from "../src/render/collect";
import * as mlkubeProgram from "./programs/mlkube";
import * as rawProgram from "./programs/raw";
import * as floorProgram from "./programs/floor";
import { runPreview } from "./preview";
import { runPluginBench } from "./plugin";
import { WORKLOADS, type Workload } from "./programs/workload";

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "scratch", "bench-build");
const PROGRAMS = ["mlkube", "raw", "floor"] as const;
type Program = (typeof PROGRAMS)[number];

interface Options {
    sizes: number[];
    runs: number;
    importRuns: number;
    check: boolean;
    checkOnly: boolean;
    importBench: boolean;
    trainJobs: "auto" | "on" | "off";
    workload: Workload;
    json?: string;
    markdown: boolean;
    preview: boolean;
    up: boolean;
    destroy: boolean;
    previewFloor: boolean;
    previewCluster: boolean;
    plugin: boolean;
    coldRuns: number;
    pluginPython: boolean;
}

function parseArgs(argv: string[]): Options {
    const o: Options = {
        sizes: [100, 1000, 3000],
        runs: 3,
        importRuns: 7,
        check: true,
        checkOnly: false,
        importBench: true,
        trainJobs: "auto",
        workload: "basic",
        markdown: false,
        preview: false,
        up: false,
        destroy: false,
        previewFloor: true,
        previewCluster: true,
        plugin: false,
        coldRuns: 5,
        pluginPython: false,
    };
    let sizesGiven = false;
    let runsGiven = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value`);
            return v;
        };
        if (a === "--sizes") {
            o.sizes = next()
                .split(",")
                .map((s) => Number(s.trim()));
            sizesGiven = true;
        } else if (a === "--runs") {
            o.runs = Number(next());
            runsGiven = true;
        } else if (a === "--preview") o.preview = true;
        else if (a === "--up") o.preview = o.up = true;
        else if (a === "--destroy") o.destroy = true;
        else if (a === "--preview-floor") o.previewFloor = true;
        else if (a === "--no-floor") o.previewFloor = false;
        else if (a === "--preview-no-cluster") o.previewCluster = false;
        else if (a === "--plugin") o.plugin = true;
        else if (a === "--cold-runs") o.coldRuns = Number(next());
        else if (a === "--plugin-python") o.pluginPython = true;
        else if (a === "--import-runs") o.importRuns = Number(next());
        else if (a === "--no-check") o.check = false;
        else if (a === "--check") o.checkOnly = true;
        else if (a === "--no-import") o.importBench = false;
        else if (a === "--trainjobs") o.trainJobs = next() as Options["trainJobs"];
        else if (a === "--workload") {
            const w = next();
            const known = WORKLOADS.find((x) => x === w);
            if (!known) throw new Error(`--workload takes ${WORKLOADS.join(", ")}`);
            o.workload = known;
        } else if (a === "--json") o.json = next();
        else if (a === "--markdown") o.markdown = true;
        else if (a === "--smoke") Object.assign(o, { sizes: [100], runs: 1, importRuns: 1 });
        else throw new Error(`unknown option ${a} (see the header of bench/run.ts)`);
    }
    if (o.preview) {
        if (!sizesGiven) o.sizes = [100];
        if (!runsGiven) o.runs = o.up ? 3 : 5;
    }
    if (o.plugin) {
        if (o.preview) throw new Error("--plugin and --preview are separate runs");
        if (!sizesGiven) o.sizes = [100];
        if (!runsGiven) o.runs = 3;
        if (o.sizes.length !== 1) throw new Error("--plugin takes one size (--sizes N)");
        if (!(o.coldRuns >= 1)) throw new Error("--cold-runs takes an integer ≥ 1");
    }
    if (o.sizes.some((n) => !Number.isInteger(n) || n < 10)) throw new Error("--sizes takes integers ≥ 10");
    if (!(o.runs >= 1)) throw new Error("--runs takes an integer ≥ 1");
    return o;
}

// ---------------------------------------------------------------------------------------------
// Compile: src/ and bench/ to CommonJS under scratch/bench-build/ (same layout, so the programs'
// `../../src/index` import resolves to the compiled library, as `import "mlkube"` resolves to dist/).

function compile(): void {
    const options: ts.CompilerOptions = {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        esModuleInterop: true,
        sourceMap: false,
    };
    let files = 0;
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) walk(rel);
            else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
                const src = fs.readFileSync(path.join(ROOT, rel), "utf8");
                const js = ts.transpileModule(src, { compilerOptions: options, fileName: rel }).outputText;
                const out = path.join(OUT, rel.replace(/\.ts$/, ".js"));
                fs.mkdirSync(path.dirname(out), { recursive: true });
                fs.writeFileSync(out, js);
                files++;
            }
        }
    };
    fs.rmSync(OUT, { recursive: true, force: true });
    walk("src");
    walk("bench");
    log(`compiled ${files} files to ${path.relative(ROOT, OUT)}/`);
}

// ---------------------------------------------------------------------------------------------
// Measuring one process.

const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

interface Sample {
    wallMs: number;
    /** User + system CPU time of the whole process. */
    cpuMs: number;
    rssKiB: number;
    child: Record<string, number | string>;
}

function runProcess(args: string[]): Promise<Sample> {
    const rssFile = path.join(os.tmpdir(), `mlkube-bench-${process.pid}-${Math.random().toString(36).slice(2)}.rss`);
    const cmd = TIME ? TIME : process.execPath;
    const argv = TIME ? ["-f", "%M %U %S", "-o", rssFile, process.execPath, ...args] : args;
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const p = spawn(cmd, argv, {
            cwd: ROOT,
            stdio: ["ignore", "pipe", "pipe"],
            // Node's default heap limit (~4 GiB) is too small for N=10000 (each program needs ~11 GiB):
            // MLKUBE_BENCH_HEAP_MB raises it for all three programs alike.
            env: {
                ...process.env,
                NODE_OPTIONS: process.env.MLKUBE_BENCH_HEAP_MB
                    ? `--max-old-space-size=${Number(process.env.MLKUBE_BENCH_HEAP_MB)}`
                    : "",
            },
        });
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("error", reject);
        p.on("close", (code) => {
            const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
            if (code !== 0) return reject(new Error(`node ${args.join(" ")} exited ${code}:\n${err || out}`));
            const line = out.trim().split("\n").pop() ?? "{}";
            const child = JSON.parse(line);
            let rssKiB = Number(child.maxRssKiB ?? NaN);
            let cpuMs = Number(child.cpuMs ?? NaN);
            if (TIME) {
                try {
                    const [m, u, sys] = fs
                        .readFileSync(rssFile, "utf8")
                        .trim()
                        .split("\n")
                        .pop()!
                        .split(" ")
                        .map(Number);
                    rssKiB = m;
                    cpuMs = (u + sys) * 1000;
                } finally {
                    fs.rmSync(rssFile, { force: true });
                }
            }
            resolve({ wallMs, cpuMs, rssKiB, child });
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting.

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const min = (xs: number[]) => Math.min(...xs);
const max = (xs: number[]) => Math.max(...xs);
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtMiB = (kib: number) => `${Math.round(kib / 1024)} MiB`;
const fmtRatio = (xs: number[]) =>
    xs.length > 1 ? `${median(xs).toFixed(2)}× (${min(xs).toFixed(2)}–${max(xs).toFixed(2)})` : `${xs[0].toFixed(2)}×`;

function table(head: string[], rows: string[][]): string {
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) =>
        "| " + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(" | ") + " |";
    return [
        line(head),
        "|" + w.map((n, i) => (i === 0 ? ":" : "") + "-".repeat(n + 1) + (i === 0 ? "" : ":")).join("|") + "|",
        ...rows.map(line),
    ].join("\n");
}

function log(msg: string): void {
    process.stderr.write(`bench: ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Object-set check: the three programs must emit the same Kubernetes objects with the same options.

async function check(trainJobs: boolean, workload: Workload): Promise<void> {
    const programs = { mlkube: mlkubeProgram, raw: rawProgram, floor: floorProgram };
    const n = 20;
    // URN -> "type::name" of the object, so dependsOn compares across different parent chains.
    const short = (urn: string) => {
        const parts = urn.split("::"); // urn:pulumi:<stack>, <project>, <parent$…$type>, <name>
        return `${parts[2].split("$").pop()}::${parts.slice(3).join("::")}`;
    };
    const sets: Record<string, Map<string, unknown>> = {};
    const tree: Record<string, string[]> = {};
    for (const [p, mod] of Object.entries(programs)) {
        const r = await collect(() => mod.build(n, { trainJobs, workload }));
        if (r.errors.length) throw new Error(`${p}: ${r.errors.map((e) => e.message).join("\n")}`);
        const objects = new Map<string, unknown>();
        for (const x of r.resources.filter((x) => x.custom)) {
            const key = `${x.type}::${x.name}`;
            assert.ok(!objects.has(key), `${p} registers ${key} twice`);
            // A Stash's input is a fresh random candidate every run (the engine keeps the first): compare its shape.
            const inputs = x.type === "pulumi:index:Stash" ? { ...x.inputs, input: "<random candidate>" } : x.inputs;
            objects.set(key, { inputs, options: { ...x.options, dependsOn: x.options.dependsOn?.map(short).sort() } });
        }
        sets[p] = objects;
        tree[p] = r.resources.map((x) => x.urn).sort();
    }
    const expected = n * 6 + (trainJobs ? n / 10 : 0) + 1; // PVC, Secret, guard ConfigMap, Deployment, Service, PodDisruptionBudget (+ a JobSet per ten), and the stack's checksum-key Stash
    for (const p of ["raw", "floor"]) {
        assert.equal(sets[p].size, expected, `${p} emits ${sets[p].size} objects, expected ${expected}`);
        assert.deepEqual(
            [...sets[p].keys()].sort(),
            [...sets.mlkube.keys()].sort(),
            `${p} and mlkube emit different objects`,
        );
        for (const [k, v] of sets.mlkube) assert.deepStrictEqual(sets[p].get(k), v, `${p}: ${k} differs from mlkube's`);
    }
    // The floor has mlkube's component tree exactly (same URNs), so its registration cost is mlkube's.
    assert.deepEqual(tree.floor, tree.mlkube, "floor and mlkube register different component trees");
    log(
        `check: mlkube, raw and floor emit the same ${expected} objects (inputs, options, dependsOn) at N=${n}${trainJobs ? " incl. TrainJobs" : ""} (${workload} workload); floor has mlkube's URNs`,
    );
}

// ---------------------------------------------------------------------------------------------

function detectTrainJob(): boolean {
    const r = spawnSync(
        process.execPath,
        ["-p", `typeof require(${JSON.stringify(path.join(OUT, "src/index.js"))}).TrainJob`],
        { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } },
    );
    return r.status === 0 && r.stdout.trim() === "function";
}

interface Results {
    date: string;
    host: { cpus: number; model: string; node: string; memMiB: number };
    trainJobs: boolean;
    workload: Workload;
    runs: number;
    /** 1-minute load average when the run started and ended (the end includes the bench's own ~1.3 cores). */
    load: { start: number; end?: number };
    workloads: {
        n: number;
        program: Program;
        run: number;
        wallMs: number;
        cpuMs: number;
        rssKiB: number;
        child: Record<string, number | string>;
    }[];
    imports: {
        variant: string;
        run: number;
        wallMs: number;
        sdkMs: number;
        importMs: number;
        importCpuMs: number;
        rssKiB: number;
    }[];
}

async function main(): Promise<void> {
    const o = parseArgs(process.argv.slice(2));
    const started = Date.now();
    compile();
    const trainJobs = o.trainJobs === "on" ? true : o.trainJobs === "off" ? false : detectTrainJob();
    if (!trainJobs)
        log(
            `TrainJobs: ${o.trainJobs === "off" ? "off (--trainjobs off)" : "skipped in all programs: this mlkube does not export TrainJob yet"}`,
        );
    if (o.check || o.checkOnly) await check(trainJobs, o.workload);
    if (o.checkOnly) return;
    if (o.preview) {
        if (o.workload !== "basic") throw new Error("--preview measures the basic workload only");
        for (const n of o.sizes)
            await runPreview({
                root: ROOT,
                build: OUT,
                n,
                up: o.up,
                destroy: o.destroy,
                runs: o.runs,
                trainJobs,
                floor: o.previewFloor,
                cluster: o.previewCluster,
                json: o.json && o.sizes.length > 1 ? o.json.replace(/(\.json)?$/, `-${n}$1`) : o.json,
                markdown: o.markdown,
            });
        return;
    }
    if (o.plugin) {
        if (o.workload !== "basic") throw new Error("--plugin measures the basic workload only");
        return runPluginBench({
            root: ROOT,
            build: OUT,
            n: o.sizes[0],
            runs: o.runs,
            coldRuns: o.coldRuns,
            trainJobs,
            cluster: o.previewCluster,
            python: o.pluginPython,
            json: o.json,
            markdown: o.markdown,
        });
    }

    const res: Results = {
        date: new Date().toISOString(),
        host: {
            cpus: os.cpus().length,
            model: os.cpus()[0]?.model ?? "?",
            node: process.version,
            memMiB: Math.round(os.totalmem() / 2 ** 20),
        },
        trainJobs,
        workload: o.workload,
        runs: o.runs,
        load: { start: os.loadavg()[0] },
        workloads: [],
        imports: [],
    };

    // Start-up: import cost on top of @pulumi/pulumi.
    if (o.importBench) {
        const variants = ["sdk", "kubernetes", "mlkube"];
        for (let r = 0; r < o.importRuns; r++) {
            for (let k = 0; k < variants.length; k++) {
                const v = variants[(k + r) % variants.length];
                const s = await runProcess([path.join(OUT, "bench/import.js"), v]);
                res.imports.push({
                    variant: v,
                    run: r,
                    wallMs: s.wallMs,
                    sdkMs: Number(s.child.sdkMs),
                    importMs: Number(s.child.importMs),
                    importCpuMs: Number(s.child.importCpuMs),
                    rssKiB: s.rssKiB,
                });
            }
        }
        log(`import: ${o.importRuns} run(s) × ${variants.length} variants done`);
    }

    // Workloads.
    for (const n of o.sizes) {
        for (let r = 0; r < o.runs; r++) {
            for (let k = 0; k < PROGRAMS.length; k++) {
                const p = PROGRAMS[(k + r) % PROGRAMS.length];
                const s = await runProcess([
                    path.join(OUT, "bench/programs/main.js"),
                    p,
                    String(n),
                    trainJobs ? "1" : "0",
                    o.workload,
                ]);
                res.workloads.push({ n, program: p, run: r, ...s });
                log(
                    `N=${n} run ${r + 1}/${o.runs} ${p.padEnd(6)} ${fmtS(s.wallMs)} (CPU ${fmtS(s.cpuMs)}) ${fmtMiB(s.rssKiB)} (${s.child.objects} objects, ${s.child.components} components)`,
                );
            }
        }
    }

    res.load.end = os.loadavg()[0];
    const elapsed = (Date.now() - started) / 1000;
    const report = format(res, o, elapsed);
    process.stdout.write(report.text + "\n");
    if (o.markdown) process.stdout.write("\n" + report.markdown + "\n");
    if (o.json) fs.writeFileSync(o.json, JSON.stringify(res, null, 1) + "\n");
}

function format(res: Results, o: Options, elapsedS: number): { text: string; markdown: string } {
    const parts: string[] = [];
    parts.push(
        `mlkube bench — ${res.date.slice(0, 16).replace("T", " ")} UTC, ${res.host.cpus} CPU (${res.host.model}), node ${res.host.node}; ` +
            `${res.runs} run(s) per program and N; ${res.workload} workload; TrainJobs ${res.trainJobs ? "included" : "NOT included (mlkube does not export TrainJob yet)"}; ` +
            `load average ${res.load.start.toFixed(1)} at the start, ${(res.load.end ?? NaN).toFixed(1)} at the end; took ${elapsedS.toFixed(0)} s`,
    );

    const get = (n: number, p: Program) =>
        res.workloads.filter((w) => w.n === n && w.program === p).sort((a, b) => a.run - b.run);
    const ratios = (n: number, a: Program, b: Program, f: (w: Results["workloads"][number]) => number) => {
        const A = get(n, a);
        const B = get(n, b);
        return A.map((x, i) => f(x) / f(B[i]));
    };
    const wall = (w: Results["workloads"][number]) => w.wallMs;
    const rss = (w: Results["workloads"][number]) => w.rssKiB;
    const cpu = (w: Results["workloads"][number]) => w.cpuMs;

    // 1. Absolute numbers.
    const absRows: string[][] = [];
    for (const n of o.sizes) {
        const objects = get(n, "raw")[0]?.child.objects;
        for (const p of PROGRAMS) {
            const ws = get(n, p);
            if (!ws.length) continue;
            absRows.push([
                `N=${n} (${objects} objects) ${p}`,
                `${fmtS(median(ws.map(wall)))}`,
                `${fmtS(min(ws.map(wall)))}–${fmtS(max(ws.map(wall)))}`,
                fmtS(median(ws.map(cpu))),
                fmtMiB(median(ws.map(rss))),
                `${median(ws.map((w) => Number(w.child.buildMs))).toFixed(0)} ms`,
                `${median(ws.map((w) => Number(w.child.drainMs))).toFixed(0)} ms`,
            ]);
        }
    }
    const absTable = table(
        ["program", "wall (median)", "wall min–max", "CPU", "peak RSS", "construct", "drain RPCs"],
        absRows,
    );

    // 2. Ratios.
    const ratioRows: string[][] = [];
    for (const n of o.sizes) {
        ratioRows.push([
            `N=${n}`,
            fmtRatio(ratios(n, "mlkube", "floor", wall)),
            fmtRatio(ratios(n, "mlkube", "floor", rss)),
            fmtRatio(ratios(n, "mlkube", "floor", cpu)),
            fmtRatio(ratios(n, "mlkube", "raw", wall)),
            fmtRatio(ratios(n, "mlkube", "raw", rss)),
            fmtRatio(ratios(n, "floor", "raw", wall)),
            fmtRatio(ratios(n, "floor", "raw", rss)),
        ]);
    }
    const ratioTable = table(
        [
            "",
            "mlkube/floor wall",
            "mlkube/floor RSS",
            "mlkube/floor CPU",
            "mlkube/raw wall",
            "mlkube/raw RSS",
            "floor/raw wall",
            "floor/raw RSS",
        ],
        ratioRows,
    );

    // 3. Scaling: in-process time per object (construct + drain), largest N against smallest.
    let scaleTable = "";
    if (o.sizes.length > 1) {
        const lo = Math.min(...o.sizes);
        const hi = Math.max(...o.sizes);
        const perObject = (n: number, p: Program) =>
            median(get(n, p).map((w) => (Number(w.child.buildMs) + Number(w.child.drainMs)) / Number(w.child.objects)));
        const rows = PROGRAMS.map((p) => [
            p,
            ...o.sizes.map((n) => `${(perObject(n, p) * 1000).toFixed(0)} µs`),
            `${(perObject(hi, p) / perObject(lo, p)).toFixed(2)}×`,
        ]);
        scaleTable = table(
            ["per object (construct+drain)", ...o.sizes.map((n) => `N=${n}`), `N=${hi} / N=${lo}`],
            rows,
        );
    }

    // 4. Import.
    let importTable = "";
    if (res.imports.length) {
        const of = (v: string) => res.imports.filter((x) => x.variant === v);
        const base = median(of("kubernetes").map((x) => x.importMs));
        const rows = ["sdk", "kubernetes", "mlkube"].map((v) => {
            const xs = of(v);
            const t = v === "sdk" ? xs.map((x) => x.sdkMs) : xs.map((x) => x.importMs);
            const label =
                v === "sdk"
                    ? "@pulumi/pulumi alone"
                    : v === "kubernetes"
                      ? "+ @pulumi/kubernetes (5 kinds)"
                      : "+ mlkube";
            return [
                label,
                `${median(t).toFixed(0)} ms`,
                `${min(t).toFixed(0)}–${max(t).toFixed(0)} ms`,
                v === "sdk" ? "" : `${median(xs.map((x) => x.importCpuMs)).toFixed(0)} ms`,
                fmtMiB(median(xs.map((x) => x.rssKiB))),
                v === "mlkube" ? `+${(median(t) - base).toFixed(0)} ms` : "",
            ];
        });
        importTable = table(
            ["import", "wall (median)", "min–max", "CPU", "process peak RSS", "mlkube − kubernetes"],
            rows,
        );
    }

    // Targets.
    const targets: string[] = [];
    // Issue 15: wall, CPU and peak RSS each ≤ 1.05× the floor at N=1000 and at N=3000 (any N ≥ 1000 given).
    for (const n of o.sizes.filter((n) => n >= 1000)) {
        const r = (f: (w: Results["workloads"][number]) => number) => median(ratios(n, "mlkube", "floor", f));
        const parts = (
            [
                ["wall", wall],
                ["CPU", cpu],
                ["peak RSS", rss],
            ] as const
        ).map(([k, f]) => `${k} ${r(f).toFixed(2)}× ${r(f) <= 1.05 ? "OK" : "OVER"}`);
        targets.push(`mlkube ≤ 1.05× floor at N=${n}: ${parts.join(", ")}`);
    }
    // The bench itself keeps ~1.3 cores busy (the SDK's and V8's threads), so only the load before it started says
    // whether something else was running.
    if (res.load.start > res.host.cpus / 2) {
        targets.push(
            `the load average was ${res.load.start.toFixed(1)} on ${res.host.cpus} cores before the run started: other processes were busy, so wall (and to a lesser degree CPU) ratios are noisy`,
        );
    }
    if (o.sizes.length > 1) {
        const lo = Math.min(...o.sizes);
        const hi = Math.max(...o.sizes);
        const per = (n: number, p: Program) =>
            median(get(n, p).map((w) => (Number(w.child.buildMs) + Number(w.child.drainMs)) / Number(w.child.objects)));
        const mk = per(hi, "mlkube") / per(lo, "mlkube");
        const fl = per(hi, "floor") / per(lo, "floor");
        targets.push(
            `per-object cost flat N=${lo}→${hi}: mlkube ${mk.toFixed(2)}×, floor ${fl.toFixed(2)}× (mlkube's own trend ${(mk / fl).toFixed(2)}×) ${mk / fl <= 1.15 ? "OK" : "OVER"}`,
        );
    }
    if (res.imports.length) {
        const of = (v: string) => median(res.imports.filter((x) => x.variant === v).map((x) => x.importMs));
        const d = of("mlkube") - of("kubernetes");
        targets.push(
            `import ≤ 30 ms over @pulumi/kubernetes (issue 27; 50 ms in issue 8): ${d >= 0 ? "+" : ""}${d.toFixed(0)} ms ${d <= 30 ? "OK" : "OVER"}`,
        );
    }
    targets.push("real-engine `pulumi preview` ≤ 1.2× raw: measured separately, `npm run bench -- --preview`");

    const sections = [
        ["Workloads under mocks (each a fresh process; N Compute-like services + N/10 TrainJobs)", absTable],
        [`Ratios (per round, median (min–max) over ${res.runs} round(s))`, ratioTable],
        ...(scaleTable ? [["Scaling (in-process construct + drain time per Kubernetes object)", scaleTable]] : []),
        ...(importTable
            ? [[`Start-up (import time in-process, on top of @pulumi/pulumi; median of ${o.importRuns})`, importTable]]
            : []),
        ["Targets", targets.map((t) => `- ${t}`).join("\n")],
    ];
    const text = [parts[0], ...sections.map(([h, t]) => `\n${h}\n${t}`)].join("\n");
    const markdown = [parts[0], ...sections.map(([h, t]) => `\n**${h}**\n\n${t}`)].join("\n");
    return { text, markdown };
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
