/**
 * Real-engine benchmark (issue 8): `pulumi preview` of the bench workload, mlkube program against the
 * raw program (and the floor with --preview-floor), through the real CLI, Node.js language host and
 * Kubernetes provider, against the local control plane. Driven by bench/run.ts:
 *
 *   npm run bench -- --preview                      N=100, 1 warm-up + 5 rounds (~2–3 min on 2 cores)
 *   npm run bench -- --preview --runs 3 --sizes 50  other rounds / N
 *   npm run bench -- --preview --preview-floor      also the floor program
 *
 * Needs `scripts/pulumi-bins.sh build` (the engine) and, unless --preview-no-cluster, `scripts/cluster.sh up`
 * (the provider reads the cluster for discovery and does server-side dry runs of the creates).
 *
 * Each program is a real Pulumi project under scratch/bench-preview/<run>/<program>/: Pulumi.yaml
 * (runtime nodejs, main index.ts), an index.ts that requires the compiled bench program
 * (scratch/bench-build/bench/programs/<program>.js, the same compiled JS the mock bench runs; mlkube's
 * own code is therefore compiled JS, as it is from dist/ for a user) and calls build(N). Being under
 * the repo, Node resolves @pulumi/pulumi and @pulumi/kubernetes from the repo's node_modules. Local
 * file backend in the run directory (PULUMI_BACKEND_URL, no `pulumi login`), a passphrase, one fresh
 * stack per program, PULUMI_NODEJS_TRANSPILE_ONLY=true for both programs (ts-node still loads, but
 * does not type-check, so TypeScript checking does not dominate the time).
 *
 * Wall time is measured around `pulumi preview`; CPU (user+sys) and peak RSS of the largest process
 * by /usr/bin/time, which counts the CLI and every descendant it waited for (language host, node,
 * provider), not the API server. Programs alternate order per round; ratios are taken within a round.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface PreviewOptions {
    root: string;
    /** scratch/bench-build: the compiled src/ and bench/. */
    build: string;
    n: number;
    runs: number;
    trainJobs: boolean;
    floor: boolean;
    cluster: boolean;
    json?: string;
    markdown: boolean;
}

interface Sample {
    program: string;
    run: number;
    wallMs: number;
    cpuMs: number;
    rssKiB: number;
    creates: number;
}

const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

function log(msg: string): void {
    process.stderr.write(`bench: ${msg}\n`);
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtRatio = (xs: number[]) =>
    xs.length > 1
        ? `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`
        : `${xs[0].toFixed(2)}×`;

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

/** The environment of `eval "$(scripts/<script> env)"`, as a map. */
function scriptEnv(root: string, script: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const r = spawnSync(
        "bash",
        ["-c", `eval "$(${JSON.stringify(path.join(root, "scripts", script))} env)" && env -0`],
        { encoding: "utf8", env: base },
    );
    if (r.status !== 0) throw new Error(`scripts/${script} env failed:\n${r.stderr}`);
    const env: NodeJS.ProcessEnv = {};
    for (const kv of r.stdout.split("\0")) {
        const i = kv.indexOf("=");
        if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return env;
}

function sh(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): string {
    const r = spawnSync(cmd, args, { ...opts, encoding: "utf8" });
    if (r.status !== 0)
        throw new Error(`${cmd} ${args.join(" ")} (in ${opts.cwd}) exited ${r.status}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
}

function preview(
    dir: string,
    stack: string,
    env: NodeJS.ProcessEnv,
    expected: number,
): Promise<Omit<Sample, "program" | "run">> {
    const timeFile = path.join(dir, "time.out");
    const args = ["preview", "--stack", stack, "--non-interactive", "--suppress-progress", "--color", "never"];
    const cmd = TIME ?? "pulumi";
    const argv = TIME ? ["-f", "%M %U %S", "-o", timeFile, "pulumi", ...args] : args;
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const p = spawn(cmd, argv, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (out += d));
        p.on("error", reject);
        p.on("close", (code) => {
            const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
            fs.writeFileSync(path.join(dir, "preview.out"), out);
            if (code !== 0) return reject(new Error(`pulumi preview in ${dir} exited ${code}:\n${out.slice(-4000)}`));
            // Anything the provider or program complains about would make the comparison meaningless.
            const bad = out.split("\n").filter((l) => /\b(error|warning):/i.test(l));
            if (bad.length)
                return reject(
                    new Error(
                        `pulumi preview in ${dir} reported:\n${bad.slice(0, 10).join("\n")}\n(full output: ${path.join(dir, "preview.out")})`,
                    ),
                );
            const m = /\+\s*(\d+)\s+to create/.exec(out);
            const creates = m ? Number(m[1]) : NaN;
            // Kubernetes objects the preview plans to create (each is listed more than once in the output).
            const objects = new Set(
                out.split("\n").flatMap((l) => /^\s*\+\s+(kubernetes:\S+ \S+) create/.exec(l)?.[1] ?? []),
            ).size;
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
            resolve({ wallMs, cpuMs, rssKiB, creates });
        });
    });
}

export async function runPreview(o: PreviewOptions): Promise<void> {
    const started = Date.now();
    const programs = o.floor ? ["mlkube", "raw", "floor"] : ["mlkube", "raw"];

    // Engine: PATH, PULUMI_HOME and the offline switches from scripts/pulumi-bins.sh.
    const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "" };
    delete base.PULUMI_BACKEND_URL;
    delete base.PULUMI_CONFIG_PASSPHRASE;
    let env = scriptEnv(o.root, "pulumi-bins.sh", base);
    const version = spawnSync("pulumi", ["version"], { env, encoding: "utf8" });
    if (version.status !== 0)
        throw new Error(`the pulumi CLI does not run (scripts/pulumi-bins.sh build?):\n${version.stderr}`);

    // Cluster: the local control plane's kubeconfig; without it the provider previews "cluster unreachable".
    if (o.cluster) {
        const st = spawnSync(path.join(o.root, "scripts/cluster.sh"), ["status"], { encoding: "utf8", env: base });
        if (st.status !== 0)
            throw new Error(
                `the local cluster is not up (scripts/cluster.sh up), or pass --preview-no-cluster:\n${st.stdout}${st.stderr}`,
            );
        const kenv = scriptEnv(o.root, "cluster.sh", base);
        env.KUBECONFIG = kenv.KUBECONFIG;
    } else {
        env.KUBECONFIG = "/nonexistent/kubeconfig";
    }

    // Projects, backend and stacks.
    const runDir = path.join(
        o.root,
        "scratch",
        "bench-preview",
        `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`,
    );
    const state = path.join(runDir, "state");
    fs.mkdirSync(state, { recursive: true });
    env = {
        ...env,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: "mlkube-bench",
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    };
    const stack = "bench";
    const objects = o.n * 5 + (o.trainJobs ? Math.ceil(o.n / 10) : 0);
    for (const p of programs) {
        const dir = path.join(runDir, p);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            `name: mlkube-bench-${p}\nruntime: nodejs\nmain: index.ts\ndescription: mlkube bench, ${p} program (bench/preview.ts)\n`,
        );
        const rel = path.relative(dir, path.join(o.build, "bench", "programs", `${p}.js`));
        fs.writeFileSync(
            path.join(dir, "index.ts"),
            `// Generated by bench/preview.ts.\nrequire(${JSON.stringify(rel)}).build(${o.n}, { trainJobs: ${o.trainJobs} });\n`,
        );
        sh("pulumi", ["stack", "init", stack, "--non-interactive", "--no-select"], { cwd: dir, env });
    }
    log(
        `preview: ${version.stdout.trim()}, ${programs.join("/")} projects in ${path.relative(o.root, runDir)}/, KUBECONFIG=${env.KUBECONFIG}, PULUMI_NODEJS_TRANSPILE_ONLY=true`,
    );

    // One warm-up round (page cache, provider schema, API discovery cache), then the measured rounds.
    const samples: Sample[] = [];
    for (let r = -1; r < o.runs; r++) {
        for (let k = 0; k < programs.length; k++) {
            const p = programs[(k + Math.max(r, 0)) % programs.length];
            const s = await preview(path.join(runDir, p), stack, env, objects);
            if (r >= 0) samples.push({ program: p, run: r, ...s });
            log(
                `preview N=${o.n} ${r < 0 ? "warm-up" : `run ${r + 1}/${o.runs}`} ${p.padEnd(6)} ${fmtS(s.wallMs)} (CPU ${fmtS(s.cpuMs)}, ${Math.round(s.rssKiB / 1024)} MiB, ${s.creates} to create)`,
            );
        }
    }

    const get = (p: string) => samples.filter((s) => s.program === p).sort((a, b) => a.run - b.run);
    const ratio = (a: string, b: string, f: (s: Sample) => number) => get(a).map((x, i) => f(x) / f(get(b)[i]));
    const wall = (s: Sample) => s.wallMs;
    const cpu = (s: Sample) => s.cpuMs;
    const abs = table(
        [
            "program",
            "creates",
            "wall (median)",
            "wall min–max",
            "CPU (median)",
            "CPU min–max",
            "largest process peak RSS",
        ],
        programs.map((p) => {
            const xs = get(p);
            return [
                p,
                String(xs[0].creates),
                fmtS(median(xs.map(wall))),
                `${fmtS(Math.min(...xs.map(wall)))}–${fmtS(Math.max(...xs.map(wall)))}`,
                fmtS(median(xs.map(cpu))),
                `${fmtS(Math.min(...xs.map(cpu)))}–${fmtS(Math.max(...xs.map(cpu)))}`,
                `${Math.round(median(xs.map((s) => s.rssKiB)) / 1024)} MiB`,
            ];
        }),
    );
    const pairs = o.floor
        ? [
              ["mlkube", "raw"],
              ["mlkube", "floor"],
              ["floor", "raw"],
          ]
        : [["mlkube", "raw"]];
    const ratios = table(
        ["ratio", "wall", "CPU"],
        pairs.map(([a, b]) => [`${a}/${b}`, fmtRatio(ratio(a, b, wall)), fmtRatio(ratio(a, b, cpu))]),
    );
    const w = median(ratio("mlkube", "raw", wall));
    const target = `real-engine \`pulumi preview\` ≤ 1.2× raw at N=${o.n}: wall ${w.toFixed(3)}× ${w <= 1.2 ? "OK" : "OVER"} (CPU ${median(ratio("mlkube", "raw", cpu)).toFixed(3)}×)`;
    const head = `mlkube bench --preview — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${version.stdout.trim()}; N=${o.n} (${objects} objects), TrainJobs ${o.trainJobs ? "included" : "not included"}; ${o.cluster ? "local cluster" : "no cluster"}; 1 warm-up + ${o.runs} round(s); took ${((Date.now() - started) / 1000).toFixed(0)} s`;
    const sections: [string, string][] = [
        [
            "pulumi preview (fresh stack, file backend, PULUMI_NODEJS_TRANSPILE_ONLY=true; CPU = CLI + language host + node + provider)",
            abs,
        ],
        [`Ratios (per round, median (min–max) over ${o.runs} round(s))`, ratios],
        ["Target", `- ${target}`],
    ];
    process.stdout.write([head, ...sections.map(([h, t]) => `\n${h}\n${t}`)].join("\n") + "\n");
    if (o.markdown)
        process.stdout.write("\n" + [head, ...sections.map(([h, t]) => `\n**${h}**\n\n${t}`)].join("\n") + "\n");
    if (o.json)
        fs.writeFileSync(
            o.json,
            JSON.stringify(
                {
                    date: new Date().toISOString(),
                    n: o.n,
                    trainJobs: o.trainJobs,
                    cluster: o.cluster,
                    version: version.stdout.trim(),
                    samples,
                },
                null,
                1,
            ) + "\n",
        );
    // The projects and the state are small; keep only the last run's for inspection.
    for (const d of fs.readdirSync(path.dirname(runDir)))
        if (path.join(path.dirname(runDir), d) !== runDir)
            fs.rmSync(path.join(path.dirname(runDir), d), { recursive: true, force: true });
}
