/**
 * The plugin path (issue 27): the bench's `basic` workload as a Pulumi YAML program through the provider
 * plugin `pulumi-resource-mlkube`, against the same workload as the TypeScript program, both through the
 * real engine and the local cluster (`pulumi preview`); and the plugin's cold start. Driven by bench/run.ts:
 *
 *   npm run bench -- --plugin                        N=100, 1 warm-up + 3 rounds, 5 cold starts per variant
 *   npm run bench -- --plugin --sizes 50 --runs 5    other N / rounds
 *   npm run bench -- --plugin --cold-runs 9          cold starts per variant
 *   npm run bench -- --plugin --plugin-python        also the workload as a Python program (sdk/python)
 *
 * Setup, per bench run, under scratch/bench-plugin/<run>/ (the previous run's directory is removed):
 * - a fresh PULUMI_HOME with the Kubernetes provider (scripts/pulumi-bins.sh env with MLKUBE_PULUMI_HOME)
 *   and the mlkube plugin installed from its tarball as users and test/lang install it (`pulumi plugin
 *   install resource mlkube <version> --file <tarball>`): $MLKUBE_PLUGIN_TARBALL, else `scripts/plugin.sh
 *   pack --out scratch/bench-plugin-pack` (its own output directory: other clones share the default one);
 * - a local file backend, a passphrase, one fresh stack per program (`bench-plugin`);
 * - `ts/`: the TypeScript program of bench/preview.ts (runtime nodejs, an index.ts requiring the compiled
 *   bench program scratch/bench-build/bench/programs/mlkube.js, PULUMI_NODEJS_TRANSPILE_ONLY=true);
 * - `yaml/`: a generated Pulumi.yaml of the same N workloads, same names and args (yamlProgram below; the
 *   Secret's value is `fn::secret`, as the TypeScript program's is `pulumi.secret`);
 * - with --plugin-python, `python/`: the same loop in Python with the generated SDK (pythonProgram below), run
 *   as test/lang runs Python programs: the venv of scripts/python.sh first on PATH, sdk/python on PYTHONPATH.
 *
 * The warm-up round is `pulumi preview --json` of each program, and checks that the engine plans the
 * TypeScript program's resources for each of the others: the same URNs (type chain and name; project and stack stripped) with the same Kubernetes
 * inputs (the checksum annotations, keyed by a per-stack random key, compared by presence). Then the
 * measured rounds alternate the order; each preview must plan 6.1·N Kubernetes objects and print no
 * error/warning. Wall time around `pulumi preview`; CPU (user+sys) and the largest process's peak RSS by
 * /usr/bin/time (CLI + language host + node/plugin + Kubernetes provider; not the API server).
 *
 * Cold start: scripts/plugin-probe.ts's probeOnce (what release.sh checks) on the installed plugin, with a
 * PATH of an empty directory (no node: the plugin runs on the Node.js in its tarball): exec → the port on
 * stdout (what the engine waits for) → GetSchema answered (the first call). Measured, alternating, with the
 * compile cache the tarball ships (node/.compile-cache restored to what the install unpacked before each
 * start: a plugin's first start after install) and without any (removed before each start: what the first
 * start costs when the tarball carries none, e.g. another platform's), then with the cache as the previews'
 * plugin processes left it (every later start).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { probeOnce } from "../scripts/plugin-probe";
import { fmtRatio, fmtS, log, median, scriptEnv, sh, table } from "./util";
import {
    computeName,
    hasTrainJob,
    IMAGE,
    MOUNT_PATH,
    NUM_NODES,
    PORT,
    STORAGE_CLASS,
    TRAIN_IMAGE,
    apiKey,
    secretName,
    trainJobName,
    volumeName,
} from "./programs/workload";

export interface PluginBenchOptions {
    root: string;
    /** scratch/bench-build: the compiled src/ and bench/. */
    build: string;
    n: number;
    runs: number;
    coldRuns: number;
    trainJobs: boolean;
    cluster: boolean;
    /** Also the Python program. */
    python: boolean;
    json?: string;
    markdown: boolean;
}

type Program = "ts" | "yaml" | "python";
const LABEL: Record<Program, string> = { ts: "TypeScript", yaml: "YAML (plugin)", python: "Python (plugin)" };

interface Sample {
    program: Program;
    run: number;
    wallMs: number;
    cpuMs: number;
    rssKiB: number;
    creates: number;
    /** 1-minute load average just before the preview. */
    load: number;
}

/** none: no compile cache; shipped: the one the tarball ships (first start after install); later: after the previews. */
type ColdVariant = "none" | "shipped" | "later";
const COLD_LABEL: Record<ColdVariant, string> = {
    shipped: "shipped compile cache (first start after install)",
    none: "no compile cache (a tarball without one)",
    later: "compile cache after the previews (later starts)",
};

interface ColdSample {
    variant: ColdVariant;
    portMs: number;
    cpuMs: number;
    firstCallMs: number;
    load: number;
}

const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

const fmtMs = (ms: number) => `${Math.round(ms)} ms`;
const range = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const load1 = () => os.loadavg()[0];

// ---------------------------------------------------------------------------------------------
// The YAML program: bench/programs/mlkube.ts's `basic` workload, resource for resource.

/** Pulumi.yaml of N workloads: Volume, Secret (a secret value), Compute (Volume by path, the Secret), TrainJob per ten. */
export function yamlProgram(n: number, trainJobs: boolean): string {
    const resources: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
        resources[volumeName(i)] = {
            type: "mlkube:index:Volume",
            properties: { size: "10Gi", accessMode: "ReadWriteMany", storageClass: STORAGE_CLASS },
        };
        resources[secretName(i)] = {
            type: "mlkube:index:Secret",
            properties: { env: { API_KEY: { "fn::secret": apiKey(i) } } },
        };
        resources[computeName(i)] = {
            type: "mlkube:index:Compute",
            properties: {
                image: IMAGE,
                replicas: 2,
                resources: { cpu: "500m", memory: "1Gi" },
                env: { LOG_LEVEL: "info" },
                ports: [{ port: PORT }],
                readinessProbe: { path: "/healthz" },
                volumes: [{ volume: `\${${volumeName(i)}}`, mountPath: MOUNT_PATH }],
                secrets: [`\${${secretName(i)}}`],
            },
        };
        if (trainJobs && hasTrainJob(i)) {
            resources[trainJobName(i / 10)] = {
                type: "mlkube:index:TrainJob",
                properties: {
                    image: TRAIN_IMAGE,
                    command: ["torchrun", "train.py"],
                    numNodes: NUM_NODES,
                    resourcesPerNode: { cpu: "4", memory: "16Gi" },
                    volumes: [`\${${volumeName(i)}}`],
                },
            };
        }
    }
    return (
        `# Generated by bench/plugin.ts: the bench's basic workload (bench/programs/mlkube.ts), N=${n}.\n` +
        YAML.stringify(
            {
                name: "mlkube-bench-yaml",
                runtime: "yaml",
                description: "mlkube bench, the basic workload in Pulumi YAML through the plugin (bench/plugin.ts)",
                resources,
            },
            { lineWidth: 0 },
        )
    );
}

/** __main__.py of the same N workloads, with the generated Python SDK (pulumi_mlkube). */
export function pythonProgram(n: number, trainJobs: boolean): string {
    // The names and the key as Python f-strings of `i`: workload.ts's functions, checked to be of that form.
    const fstr = (f: (i: number) => string, expr: string) => {
        const s = f(7).replace(/(^|\D)7(?=\D|$)/, `$1{${expr}}`);
        assert.equal(s.replace(`{${expr}}`, "7"), f(7));
        assert.equal(s.replace(`{${expr}}`, "12"), f(12), `${f(7)} is not a name of the form <prefix><i><suffix>`);
        return `f${JSON.stringify(s)}`;
    };
    const q = JSON.stringify;
    return `# Generated by bench/plugin.ts: the bench's basic workload (bench/programs/mlkube.ts), N=${n}.
import pulumi
import pulumi_mlkube as mlkube

for i in range(${n}):
    data = mlkube.Volume(${fstr(volumeName, "i")}, size="10Gi", access_mode="ReadWriteMany", storage_class=${q(STORAGE_CLASS)})
    creds = mlkube.Secret(${fstr(secretName, "i")}, env={"API_KEY": pulumi.Output.secret(${fstr(apiKey, "i")})})
    mlkube.Compute(
        ${fstr(computeName, "i")},
        image=${q(IMAGE)},
        replicas=2,
        resources=mlkube.ResourcesArgs(cpu="500m", memory="1Gi"),
        env={"LOG_LEVEL": "info"},
        ports=[mlkube.PortSpecArgs(port=${PORT})],
        readiness_probe=mlkube.ProbeSpecArgs(path="/healthz"),
        volumes=[mlkube.VolumeMountSpecArgs(volume=data, mount_path=${q(MOUNT_PATH)})],
        secrets=[creds],
    )
    if ${trainJobs ? "True" : "False"} and i % 10 == 0:
        mlkube.TrainJob(
            ${fstr(trainJobName, "i // 10")},
            image=${q(TRAIN_IMAGE)},
            command=["torchrun", "train.py"],
            num_nodes=${NUM_NODES},
            resources_per_node=mlkube.ResourcesArgs(cpu="4", memory="16Gi"),
            volumes=[data],
        )
`;
}

// ---------------------------------------------------------------------------------------------
// Equivalence: what the engine plans for each program.

interface Step {
    op: string;
    urn: string;
    newState?: { type?: string; inputs?: Record<string, unknown> };
}

/** URN without stack and project: `<parent$…$type>::<name>`. */
const shortUrn = (urn: string) => urn.split("::").slice(2).join("::");

/**
 * Inputs with the checksum annotations' values (HMACs under each stack's own random key) replaced by a
 * marker, and the project's name (in the ownership annotations) by `<project>`.
 */
function normalise(v: unknown, key = ""): unknown {
    if (Array.isArray(v)) return v.map((x) => normalise(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x, k)]));
    if (key.startsWith("checksum.mlkube.dev/")) return "<checksum>";
    if (typeof v === "string") return v.replace(/\bmlkube-bench-(ts|yaml|python)\b/g, "<project>");
    return v;
}

/** The planned creates of `pulumi preview --json`, by short URN (the stack itself left out). */
function plan(json: string): Map<string, Step> {
    const out = JSON.parse(json) as { steps?: Step[] };
    const m = new Map<string, Step>();
    for (const s of out.steps ?? []) {
        if (s.op !== "create" || s.newState?.type === "pulumi:pulumi:Stack") continue;
        m.set(shortUrn(s.urn), s);
    }
    return m;
}

/** Fails unless both plans have the same URNs and the same Kubernetes inputs; returns creates per kind. */
function comparePlans(
    ts: Map<string, Step>,
    other: Map<string, Step>,
    label: string,
    expectedObjects: number,
): Record<string, number> {
    const kinds = (m: Map<string, Step>) => {
        const c: Record<string, number> = {};
        for (const s of m.values()) c[s.newState?.type ?? "?"] = (c[s.newState?.type ?? "?"] ?? 0) + 1;
        return c;
    };
    const onlyTs = [...ts.keys()].filter((k) => !other.has(k));
    const onlyOther = [...other.keys()].filter((k) => !ts.has(k));
    assert.ok(
        !onlyTs.length && !onlyOther.length,
        `the ${label} and TypeScript programs plan different resources:\n  only TypeScript: ${onlyTs.slice(0, 10).join(", ") || "-"}\n  only ${label}: ${onlyOther.slice(0, 10).join(", ") || "-"}\n  per kind: TypeScript ${JSON.stringify(kinds(ts))}, ${label} ${JSON.stringify(kinds(other))}`,
    );
    const diffs: string[] = [];
    let objects = 0;
    for (const [k, s] of ts) {
        if (!s.newState?.type?.startsWith("kubernetes:")) continue;
        objects++;
        try {
            assert.deepStrictEqual(normalise(other.get(k)!.newState?.inputs), normalise(s.newState.inputs));
        } catch (e) {
            diffs.push(`${k}:\n${(e as Error).message.slice(0, 1500)}`);
        }
    }
    assert.ok(!diffs.length, `${diffs.length} Kubernetes objects differ (${label} vs TypeScript), e.g.\n${diffs[0]}`);
    assert.equal(
        objects,
        expectedObjects,
        `the programs plan ${objects} Kubernetes objects, expected ${expectedObjects}`,
    );
    return kinds(ts);
}

// ---------------------------------------------------------------------------------------------
// One `pulumi preview`.

function preview(
    dir: string,
    stack: string,
    env: NodeJS.ProcessEnv,
    expected: number,
    json: boolean,
): Promise<Omit<Sample, "program" | "run" | "load"> & { out: string }> {
    const timeFile = path.join(dir, "time.out");
    const args = ["preview", "--stack", stack, "--non-interactive", "--color", "never"];
    args.push(...(json ? ["--json"] : ["--suppress-progress"]));
    const cmd = TIME ?? "pulumi";
    const argv = TIME ? ["-f", "%M %U %S", "-o", timeFile, "pulumi", ...args] : args;
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const p = spawn(cmd, argv, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (err += d));
        p.on("error", reject);
        p.on("close", (code) => {
            const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
            fs.writeFileSync(path.join(dir, json ? "preview.json" : "preview.out"), out + err);
            if (code !== 0)
                return reject(new Error(`pulumi preview in ${dir} exited ${code}:\n${(out + err).slice(-4000)}`));
            let objects: number;
            let creates: number;
            if (json) {
                const steps = plan(out);
                creates = steps.size;
                objects = [...steps.values()].filter((s) => s.newState?.type?.startsWith("kubernetes:")).length;
                const diags = (JSON.parse(out) as { diagnostics?: { severity?: string; message?: string }[] })
                    .diagnostics;
                const bad = (diags ?? []).filter((d) => d.severity === "error" || d.severity === "warning");
                if (bad.length) return reject(new Error(`pulumi preview in ${dir} reported:\n${bad[0].message ?? ""}`));
            } else {
                const text = out + err;
                const bad = text.split("\n").filter((l) => /\b(error|warning):/i.test(l));
                if (bad.length)
                    return reject(new Error(`pulumi preview in ${dir} reported:\n${bad.slice(0, 10).join("\n")}`));
                creates = Number(/\+\s*(\d+)\s+to create/.exec(text)?.[1] ?? NaN);
                objects = new Set(
                    text.split("\n").flatMap((l) => /^\s*\+\s+(kubernetes:\S+ \S+) create/.exec(l)?.[1] ?? []),
                ).size;
            }
            if (objects !== expected)
                return reject(
                    new Error(`pulumi preview in ${dir} plans ${objects} Kubernetes objects, expected ${expected}`),
                );
            let cpuMs = NaN;
            let rssKiB = NaN;
            if (TIME) {
                const [rss, u, s] = fs.readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
                rssKiB = rss;
                cpuMs = (u + s) * 1000;
            }
            resolve({ wallMs, cpuMs, rssKiB, creates, out });
        });
    });
}

// ---------------------------------------------------------------------------------------------

export async function runPluginBench(o: PluginBenchOptions): Promise<void> {
    const started = Date.now();
    const version = (JSON.parse(fs.readFileSync(path.join(o.root, "package.json"), "utf8")) as { version: string })
        .version;
    const runDir = path.join(
        o.root,
        "scratch",
        "bench-plugin",
        `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`,
    );
    // PULUMI_HOME outside the clone, as a user's ~/.pulumi is: under the clone, the plugin's modules would
    // resolve packages the plugin lacks from the clone's node_modules (@pulumi/pulumi's typescript-shim
    // loads the clone's TypeScript 5, 9 MB, instead of its vendored 3.8.3). runDir/home links to it.
    const home = path.join(os.tmpdir(), `mlkube-bench-plugin-home-${path.basename(runDir)}`);
    const state = path.join(runDir, "state");
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(state, { recursive: true });
    fs.symlinkSync(home, path.join(runDir, "home"));

    // Engine: PATH and the offline switches of scripts/pulumi-bins.sh, with a PULUMI_HOME of this run's own
    // (the script installs the Kubernetes provider into it).
    const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", MLKUBE_PULUMI_HOME: home };
    delete base.PULUMI_BACKEND_URL;
    delete base.PULUMI_CONFIG_PASSPHRASE;
    let env = scriptEnv(o.root, "pulumi-bins.sh", base);
    const cli = sh("pulumi", ["version"], { cwd: runDir, env }).trim();

    // The plugin, installed as users install it.
    const tarball =
        process.env.MLKUBE_PLUGIN_TARBALL ??
        sh(
            path.join(o.root, "scripts", "plugin.sh"),
            ["pack", "--out", path.join(o.root, "scratch", "bench-plugin-pack")],
            { cwd: o.root, env: base },
        )
            .trim()
            .split("\n")
            .pop()!;
    sh("pulumi", ["plugin", "install", "resource", "mlkube", version, "--file", tarball], { cwd: runDir, env });
    const pluginDir = path.join(home, "plugins", `resource-mlkube-v${version}`);
    assert.ok(fs.existsSync(path.join(pluginDir, "pulumi-resource-mlkube")), `no plugin in ${pluginDir}`);

    if (o.cluster) {
        const st = spawnSync(path.join(o.root, "scripts/cluster.sh"), ["status"], { encoding: "utf8", env: base });
        if (st.status !== 0)
            throw new Error(
                `the local cluster is not up (scripts/cluster.sh up), or pass --preview-no-cluster:\n${st.stdout}${st.stderr}`,
            );
        env.KUBECONFIG = scriptEnv(o.root, "cluster.sh", base).KUBECONFIG;
    } else env.KUBECONFIG = "/nonexistent/kubeconfig";
    env = {
        ...env,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: "mlkube-bench",
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    };

    // Projects and stacks.
    const stack = "bench-plugin";
    const objects = o.n * 6 + (o.trainJobs ? Math.ceil(o.n / 10) : 0);
    const programs: Program[] = o.python ? ["ts", "yaml", "python"] : ["ts", "yaml"];
    const others = programs.filter((p) => p !== "ts");
    const dirs = Object.fromEntries(programs.map((p) => [p, path.join(runDir, p)])) as Record<Program, string>;
    const envs: Record<Program, NodeJS.ProcessEnv> = { ts: env, yaml: env, python: env };
    for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(
        path.join(dirs.ts, "Pulumi.yaml"),
        `name: mlkube-bench-ts\nruntime: nodejs\nmain: index.ts\ndescription: mlkube bench, the basic workload in TypeScript (bench/plugin.ts)\n`,
    );
    const rel = path.relative(dirs.ts, path.join(o.build, "bench", "programs", "mlkube.js"));
    fs.writeFileSync(
        path.join(dirs.ts, "index.ts"),
        `// Generated by bench/plugin.ts.\nrequire(${JSON.stringify(rel)}).build(${o.n}, { trainJobs: ${o.trainJobs}, workload: "basic" });\n`,
    );
    fs.writeFileSync(path.join(dirs.yaml, "Pulumi.yaml"), yamlProgram(o.n, o.trainJobs));
    if (o.python) {
        // As test/lang runs Python programs: the venv of scripts/python.sh first on PATH, the SDK on PYTHONPATH.
        const bin = sh(path.join(o.root, "scripts", "python.sh"), [], { cwd: o.root, env: base })
            .trim()
            .split("\n")
            .pop()!;
        envs.python = {
            ...env,
            PATH: `${bin}:${env.PATH}`,
            VIRTUAL_ENV: path.dirname(bin),
            PYTHONPATH: path.join(o.root, "sdk", "python"),
            PYTHONDONTWRITEBYTECODE: "1",
        };
        fs.writeFileSync(
            path.join(dirs.python, "Pulumi.yaml"),
            `name: mlkube-bench-python\nruntime: python\ndescription: mlkube bench, the basic workload in Python through the plugin (bench/plugin.ts)\n`,
        );
        fs.writeFileSync(path.join(dirs.python, "__main__.py"), pythonProgram(o.n, o.trainJobs));
    }
    for (const p of programs)
        sh("pulumi", ["stack", "init", stack, "--non-interactive", "--no-select"], { cwd: dirs[p], env: envs[p] });
    log(
        `plugin: ${cli}, mlkube plugin ${version} from ${path.relative(o.root, tarball)} in ${home}, projects in ${path.relative(o.root, runDir)}/, KUBECONFIG=${env.KUBECONFIG}`,
    );

    // Cold starts: the first start after install (the shipped compile cache, restored before each start)
    // alternating with starts without any compile cache.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-bench-path-"));
    const cacheDir = path.join(pluginDir, "node", ".compile-cache");
    const shipped = path.join(runDir, "shipped-compile-cache");
    const hasShipped = fs.existsSync(cacheDir);
    if (hasShipped) fs.cpSync(cacheDir, shipped, { recursive: true, verbatimSymlinks: true });
    else log("the tarball ships no compile cache: its first start after install is the 'no compile cache' one");
    const restoreShipped = () => {
        fs.rmSync(cacheDir, { recursive: true, force: true });
        if (hasShipped) fs.cpSync(shipped, cacheDir, { recursive: true, verbatimSymlinks: true });
    };
    const cold: ColdSample[] = [];
    const probe = async (variant: ColdVariant, i: number) => {
        if (variant === "none") fs.rmSync(cacheDir, { recursive: true, force: true });
        if (variant === "shipped") restoreShipped();
        const load = load1();
        const r = await probeOnce(pluginDir, { PATH: empty });
        assert.deepEqual(
            JSON.parse(r.schema),
            JSON.parse(fs.readFileSync(path.join(pluginDir, "schema.json"), "utf8")),
            "GetSchema answers the plugin's schema.json",
        );
        cold.push({ variant, portMs: r.portMs, cpuMs: r.cpuMs, firstCallMs: r.portMs + r.schemaMs, load });
        log(
            `cold start, ${COLD_LABEL[variant]} ${i + 1}/${o.coldRuns}: port ${fmtMs(r.portMs)} (CPU ${r.cpuMs} ms), GetSchema answered at ${fmtMs(r.portMs + r.schemaMs)}, load ${load.toFixed(1)}`,
        );
    };
    const firstStarts: ColdVariant[] = hasShipped ? ["shipped", "none"] : ["none"];
    for (let i = 0; i < o.coldRuns; i++) for (const v of firstStarts) await probe(v, i);
    restoreShipped(); // the previews start the plugin as installed

    // Warm-up round, `--json`: each program plans the TypeScript program's resources.
    const samples: Sample[] = [];
    const plans: Partial<Record<Program, Map<string, Step>>> = {};
    for (const p of programs) {
        const load = load1();
        const s = await preview(dirs[p], stack, envs[p], objects, true);
        plans[p] = plan(s.out);
        log(
            `plugin N=${o.n} warm-up (--json) ${p.padEnd(6)} ${fmtS(s.wallMs)} (CPU ${fmtS(s.cpuMs)}, ${Math.round(s.rssKiB / 1024)} MiB, ${s.creates} creates, load ${load.toFixed(1)})`,
        );
    }
    let kinds: Record<string, number> = {};
    for (const p of others) kinds = comparePlans(plans.ts!, plans[p]!, LABEL[p], objects);
    const checkLine = `the ${others.map((p) => LABEL[p]).join(" and ")} program${others.length > 1 ? "s plan" : " plans"} the TypeScript program's ${plans.ts!.size} creates (same URNs, same Kubernetes inputs): ${Object.entries(
        kinds,
    )
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, c]) => `${c} ${k}`)
        .join(", ")}`;
    log(`check: ${checkLine}`);

    for (let r = 0; r < o.runs; r++) {
        for (let k = 0; k < programs.length; k++) {
            const p = programs[(k + r) % programs.length];
            const load = load1();
            const { out: _out, ...s } = await preview(dirs[p], stack, envs[p], objects, false);
            void _out;
            samples.push({ program: p, run: r, load, ...s });
            log(
                `plugin N=${o.n} run ${r + 1}/${o.runs} ${p.padEnd(6)} ${fmtS(s.wallMs)} (CPU ${fmtS(s.cpuMs)}, ${Math.round(s.rssKiB / 1024)} MiB, ${s.creates} to create, load ${load.toFixed(1)})`,
            );
        }
    }

    // Cold start with the compile cache as the previews' plugin processes left it: every later start.
    if (!fs.existsSync(cacheDir))
        log("the plugin wrote no compile cache during the previews: the 'later' starts are not cached");
    for (let i = 0; i < o.coldRuns; i++) await probe("later", i);
    fs.rmSync(empty, { recursive: true, force: true });

    // Report.
    const get = (p: Program) => samples.filter((s) => s.program === p).sort((a, b) => a.run - b.run);
    const ratio = (p: Program, f: (s: Sample) => number) => get(p).map((y, i) => f(y) / f(get("ts")[i]));
    const wall = (s: Sample) => s.wallMs;
    const cpu = (s: Sample) => s.cpuMs;
    const rss = (s: Sample) => s.rssKiB;
    const abs = table(
        ["program", "creates", "wall (median)", "wall min–max", "CPU (median)", "CPU min–max", "peak RSS", "load"],
        programs.map((p) => {
            const xs = get(p);
            return [
                LABEL[p],
                String(xs[0].creates),
                fmtS(median(xs.map(wall))),
                range(xs.map(wall), fmtS),
                fmtS(median(xs.map(cpu))),
                range(xs.map(cpu), fmtS),
                `${Math.round(median(xs.map(rss)) / 1024)} MiB`,
                range(
                    xs.map((s) => s.load),
                    (x) => x.toFixed(1),
                ),
            ];
        }),
    );
    const rounds = table(
        ["round", ...others.flatMap((p) => [`${p}/ts wall`, `${p}/ts CPU`, `${p}/ts peak RSS`]), "load"],
        get("ts").map((t, i) => [
            String(i + 1),
            ...others.flatMap((p) => {
                const y = get(p)[i];
                return [
                    `${(y.wallMs / t.wallMs).toFixed(2)}×`,
                    `${(y.cpuMs / t.cpuMs).toFixed(2)}×`,
                    `${(y.rssKiB / t.rssKiB).toFixed(2)}×`,
                ];
            }),
            programs.map((p) => get(p)[i].load.toFixed(1)).join(", "),
        ]),
    );
    const ratios = table(
        ["ratio", "wall", "CPU", "peak RSS"],
        others.map((p) => [`${p}/ts`, fmtRatio(ratio(p, wall)), fmtRatio(ratio(p, cpu)), fmtRatio(ratio(p, rss))]),
    );
    const variants = [...new Set(cold.map((c) => c.variant))];
    const coldRows = variants.map((variant) => {
        const xs = cold.filter((c) => c.variant === variant);
        return [
            COLD_LABEL[variant],
            fmtMs(median(xs.map((c) => c.portMs))),
            range(
                xs.map((c) => c.portMs),
                fmtMs,
            ),
            fmtMs(median(xs.map((c) => c.cpuMs))),
            fmtMs(median(xs.map((c) => c.firstCallMs))),
            range(
                xs.map((c) => c.firstCallMs),
                fmtMs,
            ),
            range(
                xs.map((c) => c.load),
                (x) => x.toFixed(1),
            ),
        ];
    });
    const coldTable = table(
        [
            "plugin start (no node on PATH)",
            "port (median)",
            "port min–max",
            "CPU at port",
            "GetSchema answered (median)",
            "min–max",
            "load",
        ],
        coldRows,
    );

    const c = median(cold.filter((x) => x.variant === "later").map((x) => x.firstCallMs));
    const first: ColdVariant = hasShipped ? "shipped" : "none";
    const c0 = median(cold.filter((x) => x.variant === first).map((x) => x.firstCallMs));
    const targets = [
        ...others.map((p) => {
            const w = median(ratio(p, wall));
            return `plugin path, ${LABEL[p]}: \`pulumi preview\` ≤ 1.2× the TypeScript program at N=${o.n}: wall ${w.toFixed(3)}× ${w <= 1.2 ? "OK" : "OVER"} (CPU ${median(ratio(p, cpu)).toFixed(3)}×)`;
        }),
        `plugin cold start < 1 s (exec → first call answered, median of ${o.coldRuns}): ${fmtMs(c0)} on the first start after install (${hasShipped ? "the shipped compile cache" : "no compile cache shipped"}) ${c0 < 1000 ? "OK" : "OVER"}; ${fmtMs(c)} on later starts ${c < 1000 ? "OK" : "OVER"}`,
        `check: ${checkLine}`,
    ];
    const loads = samples.map((s) => s.load).concat(cold.map((x) => x.load));
    const head = `mlkube bench --plugin — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${cli}; mlkube plugin ${version}; N=${o.n} (${objects} objects), TrainJobs ${o.trainJobs ? "included" : "not included"}; ${o.cluster ? "local cluster" : "no cluster"}; 1 warm-up + ${o.runs} round(s), ${o.coldRuns} cold starts per variant; ${os.cpus().length} CPU, load average ${range(loads, (x) => x.toFixed(1))}; took ${((Date.now() - started) / 1000).toFixed(0)} s`;
    const sections: [string, string][] = [
        [
            "pulumi preview (fresh stack, file backend; TypeScript: PULUMI_NODEJS_TRANSPILE_ONLY=true; CPU = CLI + language host + node or plugin + Kubernetes provider)",
            abs,
        ],
        [`Per round (load = 1-min average before each preview: ${programs.join(", ")})`, rounds],
        [`Ratios (per round, median (min–max) over ${o.runs} round(s))`, ratios],
        ["Plugin cold start (scripts/plugin-probe.ts: exec → port on stdout → GetSchema answered)", coldTable],
        ["Targets", targets.map((t) => `- ${t}`).join("\n")],
    ];
    process.stdout.write([head, ...sections.map(([h, t]) => `\n${h}\n${t}`)].join("\n") + "\n");
    if (o.markdown)
        process.stdout.write("\n" + [head, ...sections.map(([h, t]) => `\n**${h}**\n\n${t}`)].join("\n") + "\n");
    if (o.json)
        fs.writeFileSync(
            o.json,
            JSON.stringify({ date: new Date().toISOString(), n: o.n, cli, version, samples, cold, kinds }, null, 1) +
                "\n",
        );
    // Keep only the last run's directory (projects, state, PULUMI_HOME with the unpacked plugin).
    for (const d of fs.readdirSync(path.dirname(runDir))) {
        const old = path.join(path.dirname(runDir), d);
        if (old === runDir) continue;
        const oldHome = path.join(old, "home");
        if (fs.lstatSync(oldHome, { throwIfNoEntry: false })?.isSymbolicLink())
            fs.rmSync(fs.readlinkSync(oldHome), { recursive: true, force: true });
        fs.rmSync(old, { recursive: true, force: true });
    }
}
