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
import * as os from "node:os";
import { fmtRatio, fmtS, log, median, scriptEnv, sh, table } from "./util";
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
    /** Measure `pulumi up` (on KWOK nodes) instead of `pulumi preview`. */
    up: boolean;
    /** With `up`: measure `pulumi destroy` after each up, too. */
    destroy: boolean;
    json?: string;
    markdown: boolean;
}

interface Sample {
    program: string;
    run: number;
    wallMs: number;
    cpuMs: number;
    rssKiB: number;
    step: Step;
    creates: number;
}

const TIME = fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

type Step = "preview" | "up" | "destroy";

/**
 * One `pulumi preview`, `pulumi up --yes --skip-preview` or `pulumi destroy --yes --skip-preview`, timed.
 * `expected` is the number of Kubernetes objects the step must plan, create or delete.
 */
function pulumiStep(
    step: Step,
    dir: string,
    stack: string,
    env: NodeJS.ProcessEnv,
    expected: number,
): Promise<Omit<Sample, "program" | "run" | "step">> {
    const timeFile = path.join(dir, "time.out");
    const args = [step, "--stack", stack, "--non-interactive", "--suppress-progress", "--color", "never"];
    if (step !== "preview") args.push("--yes", "--skip-preview");
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
            const outFile = path.join(dir, `${step}.out`);
            fs.writeFileSync(outFile, out);
            if (code !== 0) return reject(new Error(`pulumi ${step} in ${dir} exited ${code}:\n${out.slice(-4000)}`));
            // Anything the provider or program complains about would make the comparison meaningless.
            // (An up's progress warnings, e.g. "[MinimumReplicasUnavailable]" while a Deployment's pods start,
            // are the provider's await and expected; an error is not.)
            const bad = out
                .split("\n")
                .filter((l) => (step === "preview" ? /\b(error|warning):/i : /\berror:/i).test(l));
            if (bad.length)
                return reject(
                    new Error(
                        `pulumi ${step} in ${dir} reported:\n${bad.slice(0, 10).join("\n")}\n(full output: ${outFile})`,
                    ),
                );
            const verb = { preview: "create", up: "created", destroy: "deleted" }[step];
            const m = /^\s*[+-] (\d+) (to create|created|deleted)\s*$/m.exec(out);
            const creates = m ? Number(m[1]) : NaN;
            // Kubernetes objects the step plans or touches (a preview lists each more than once).
            const objects = new Set(
                out
                    .split("\n")
                    .flatMap((l) => new RegExp(String.raw`^\s*[+-]\s+(kubernetes:\S+ \S+) ${verb}`).exec(l)?.[1] ?? []),
            ).size;
            if (objects !== expected)
                return reject(
                    new Error(
                        `pulumi ${step} in ${dir}: ${objects} Kubernetes objects ${verb}, expected ${expected} (output: ${outFile})`,
                    ),
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

/**
 * The namespace a program's stack deploys into (the provider's default namespace, set in the stack's config);
 * one per bench process, as the previous run's may still be terminating.
 */
const namespaceOf = (program: string) => `mlkube-bench-${process.pid}-${program}`;

/** Pods the workload runs once up: 2 replicas per Compute, `NUM_NODES` (2) per TrainJob. */
const podsOf = (n: number, trainJobs: boolean) => 2 * n + (trainJobs ? 2 * Math.ceil(n / 10) : 0);

const BENCH_NODE_LABEL = "mlkube.dev/bench-node";

/**
 * KWOK nodes for `--up`: the cluster's own KWOK nodes hold 880 pods, N=500 runs 1100. Each bench node
 * takes 500 pods and more CPU and memory than they ask; KWOK manages it (label `type=kwok`) like the others.
 */
function addNodes(kubectl: string, env: NodeJS.ProcessEnv, dir: string, pods: number): void {
    const count = Math.ceil(pods / 500);
    const nodes = Array.from({ length: count }, (_, i) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name: `mlkube-bench-${i}`,
            annotations: { "kwok.x-k8s.io/node": "fake" },
            labels: { type: "kwok", [BENCH_NODE_LABEL]: "true", "kubernetes.io/hostname": `mlkube-bench-${i}` },
        },
        status: {
            allocatable: { cpu: "1000", memory: "8Ti", pods: "500" },
            capacity: { cpu: "1000", memory: "8Ti", pods: "500" },
        },
    }));
    const file = path.join(dir, "nodes.json");
    fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: nodes }));
    sh(kubectl, ["apply", "-f", file], { cwd: dir, env });
    sh(kubectl, ["wait", "--for=condition=Ready", "node", "-l", BENCH_NODE_LABEL, "--timeout=120s"], { cwd: dir, env });
    log(`up: ${count} KWOK bench node(s) for ${pods} pods`);
}

function removeNodes(kubectl: string, env: NodeJS.ProcessEnv): void {
    spawnSync(kubectl, ["delete", "node", "-l", BENCH_NODE_LABEL, "--wait=false"], { env, stdio: "ignore" });
}

/** Deletes a round's namespace (pods, claims, everything the up made) and waits until it is gone. */
function removeNamespace(kubectl: string, env: NodeJS.ProcessEnv, dir: string, ns: string): void {
    sh(kubectl, ["delete", "namespace", ns, "--wait=true", "--timeout=900s"], { cwd: dir, env });
}

export async function runPreview(o: PreviewOptions): Promise<void> {
    const started = Date.now();
    const programs = o.floor ? ["mlkube", "raw", "floor"] : ["mlkube", "raw"];

    // Engine: PATH, PULUMI_HOME and the offline switches from scripts/pulumi-bins.sh.
    const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "" };
    delete base.PULUMI_BACKEND_URL;
    delete base.PULUMI_CONFIG_PASSPHRASE;
    let env = scriptEnv(o.root, "pulumi-bins.sh", base);
    let kubectl = "kubectl";
    if (o.up && !o.cluster) throw new Error("--up needs the local cluster");
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
        kubectl = kenv.MLKUBE_KUBECTL ?? "kubectl";
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
    const objects = o.n * 6 + (o.trainJobs ? Math.ceil(o.n / 10) : 0);
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
    }
    // A stack (and, with a cluster, a namespace: the programs emit the same names) per program, and with
    // --up per round too, so every up starts from an empty stack and an empty namespace.
    const stackOf = (r: number) => (o.up && r >= 0 ? `${stack}-${r + 1}` : stack);
    const nsOf = (p: string, r: number) => (o.up && r >= 0 ? `${namespaceOf(p)}-${r + 1}` : namespaceOf(p));
    const namespaces: string[] = [];
    for (const p of programs)
        for (let r = -1; r < (o.up ? o.runs : 0); r++) {
            const dir = path.join(runDir, p);
            sh("pulumi", ["stack", "init", stackOf(r), "--non-interactive", "--no-select"], { cwd: dir, env });
            if (!o.cluster) continue;
            sh("pulumi", ["config", "set", "--stack", stackOf(r), "kubernetes:namespace", nsOf(p, r)], {
                cwd: dir,
                env,
            });
            sh(kubectl, ["create", "namespace", nsOf(p, r)], { cwd: dir, env });
            namespaces.push(nsOf(p, r));
        }
    if (o.up) addNodes(kubectl, env, runDir, podsOf(o.n, o.trainJobs));
    log(
        `preview: ${version.stdout.trim()}, ${programs.join("/")} projects in ${path.relative(o.root, runDir)}/, KUBECONFIG=${env.KUBECONFIG}, PULUMI_NODEJS_TRANSPILE_ONLY=true`,
    );

    // One warm-up preview per program (page cache, provider schema, API discovery cache), then the
    // measured rounds; with --up, each round is an up (and with --destroy a destroy) of a fresh stack, then
    // the namespace is deleted (its claims too: Volumes are retained on destroy by design) and waited for, so
    // the next program does not pay for this one's teardown.
    const samples: Sample[] = [];
    const steps: Step[] = o.up ? (o.destroy ? ["up", "destroy"] : ["up"]) : ["preview"];
    try {
        for (let r = -1; r < o.runs; r++) {
            for (let k = 0; k < programs.length; k++) {
                const p = programs[(k + Math.max(r, 0)) % programs.length];
                for (const step of r < 0 ? (["preview"] as Step[]) : steps) {
                    const s = await pulumiStep(step, path.join(runDir, p), stackOf(r), env, objects);
                    if (r >= 0) samples.push({ program: p, run: r, step, ...s });
                    log(
                        `${step} N=${o.n} ${r < 0 ? "warm-up" : `run ${r + 1}/${o.runs}`} ${p.padEnd(6)} ${fmtS(s.wallMs)} (CPU ${fmtS(s.cpuMs)}, ${Math.round(s.rssKiB / 1024)} MiB, ${s.creates} ${step === "preview" ? "to create" : step === "up" ? "created" : "deleted"})`,
                    );
                }
                if (r >= 0 && o.up) removeNamespace(kubectl, env, runDir, nsOf(p, r));
            }
        }
    } finally {
        if (o.cluster) {
            for (const ns of namespaces)
                spawnSync(kubectl, ["delete", "namespace", ns, "--wait=false"], { env, stdio: "ignore" });
            if (o.up) removeNodes(kubectl, env);
        }
    }

    const wall = (s: Sample) => s.wallMs;
    const cpu = (s: Sample) => s.cpuMs;
    const pairs = o.floor
        ? [
              ["mlkube", "floor"],
              ["mlkube", "raw"],
              ["floor", "raw"],
          ]
        : [["mlkube", "raw"]];
    const load = os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ");
    const head = `mlkube bench --${o.up ? "up" : "preview"} — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${version.stdout.trim()}; N=${o.n} (${objects} objects), TrainJobs ${o.trainJobs ? "included" : "not included"}; ${o.cluster ? "local cluster" : "no cluster"}; 1 warm-up preview + ${o.runs} round(s); took ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${load} (1, 5, 15 min)`;
    const sections: [string, string][] = [];
    const targets: string[] = [];
    for (const step of steps) {
        const get = (p: string) =>
            samples.filter((s) => s.program === p && s.step === step).sort((a, b) => a.run - b.run);
        const ratio = (a: string, b: string, f: (s: Sample) => number) => get(a).map((x, i) => f(x) / f(get(b)[i]));
        const abs = table(
            [
                "program",
                step === "preview" ? "creates" : step === "up" ? "created" : "deleted",
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
        const ratios = table(
            ["ratio", "wall", "CPU"],
            pairs.map(([a, b]) => [`${a}/${b}`, fmtRatio(ratio(a, b, wall)), fmtRatio(ratio(a, b, cpu))]),
        );
        const what =
            step === "preview"
                ? "pulumi preview (fresh stack"
                : step === "up"
                  ? "pulumi up --yes --skip-preview (empty stack and namespace"
                  : "pulumi destroy --yes --skip-preview (after the up";
        sections.push(
            [
                `${what}, file backend, PULUMI_NODEJS_TRANSPILE_ONLY=true; CPU = CLI + language host + node + provider)`,
                abs,
            ],
            [`${step}: ratios (per round, median (min–max) over ${o.runs} round(s))`, ratios],
        );
        // Issue 27's line is on wall and CPU; issue 8's (mlkube/raw) on wall only.
        const line = (a: string, b: string, limit: number, wallOnly: boolean) => {
            const w = median(ratio(a, b, wall));
            const c = median(ratio(a, b, cpu));
            const ok = (wallOnly ? w : Math.max(w, c)) <= limit;
            return `\`pulumi ${step}\` ${a}/${b} ≤ ${limit}× ${wallOnly ? "in wall " : "in wall and CPU "}at N=${o.n}: wall ${w.toFixed(3)}×, CPU ${c.toFixed(3)}× — ${ok ? "OK" : "OVER"}`;
        };
        if (o.floor) targets.push(line("mlkube", "floor", 1.05, false) + " (issue 27)");
        if (step === "preview") targets.push(line("mlkube", "raw", 1.2, true) + " (issue 8)");
    }
    sections.push(["Targets", targets.map((t) => `- ${t}`).join("\n")]);
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
                    steps,
                    loadAverage: os.loadavg(),
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
