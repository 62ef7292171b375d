/**
 * The hostile-input fuzz suite: `npm run test:fuzz` (10,000 cases per component) or
 * `node --import tsx test/fuzz/run.ts [--cases N] [--seed S] [--component Volume] [--only I] [--examples N]`.
 * Prints the outcome table and the first examples of each failure class; exits 1 on any crash, hang,
 * invalid object, pollution, leak or validation error without a field path.
 *
 * Each component runs in a child process (two at a time) watched by a per-case watchdog: a case that
 * shows no progress for WATCHDOG_MS is a hang, its process is killed and the run resumes after it.
 */
import { fork } from "node:child_process";
import * as path from "node:path";
import { COMPONENTS, ComponentName, makeCases } from "./cases";
import type { K8sObject } from "../../src/render";
import type { Job, Message, OutcomeKind } from "./worker";

export const FAILURES: OutcomeKind[] = ["crash", "hang", "invalid", "pollution", "leak", "pathless"];
const KINDS: OutcomeKind[] = ["valid", "rejected", ...FAILURES];

export interface Tally {
    counts: Record<ComponentName, Record<OutcomeKind, number>>;
    examples: Array<{ component: ComponentName; i: number; kind: OutcomeKind; detail?: string }>;
    seconds: number;
}

export interface FuzzOptions {
    cases: number;
    seed: number;
    components?: ComponentName[];
    batch?: number;
    watchdogMs?: number;
    parallel?: number;
    /** Run only these case indexes. */
    only?: number[];
    /** Examples kept per failure kind and component (default 5). */
    examples?: number;
    /** Share of cases that keep their valid args (default 0.1). */
    calm?: number;
    /** Receives the Kubernetes objects each case emitted (valid or not; secrets in clear): test/cluster/calibration.test.ts. */
    onObjects?: (component: ComponentName, i: number, objects: K8sObject[]) => void;
}

function runComponent(component: ComponentName, o: FuzzOptions, tally: Tally): Promise<void> {
    const watchdogMs = o.watchdogMs ?? 60_000;
    const counts = tally.counts[component];
    const record = (i: number, kind: OutcomeKind, detail?: string) => {
        counts[kind]++;
        if (
            kind !== "valid" &&
            kind !== "rejected" &&
            tally.examples.filter((e) => e.kind === kind && e.component === component).length < (o.examples ?? 5)
        ) {
            tally.examples.push({ component, i, kind, detail });
        }
    };
    // Ranges still to run: [start, count, batch].
    const queue: Array<[number, number, number]> = o.only
        ? o.only.map((i) => [i, 1, 1])
        : [[0, o.cases, o.batch ?? 50]];
    return new Promise((resolve) => {
        const next = () => {
            const item = queue.shift();
            if (!item) return resolve();
            const [start, count, batch] = item;
            const child = fork(path.join(__dirname, "worker.ts"), [], {
                execArgv: ["--import", "tsx"],
                stdio: ["ignore", "ignore", "pipe", "ipc"],
            });
            let stderr = "";
            child.stderr!.on("data", (d: Buffer) => {
                stderr = (stderr + d.toString()).slice(-4000);
            });
            const done = new Set<number>();
            let current = start;
            let waiting: [number, number] | undefined;
            let finished = false;
            let timer: NodeJS.Timeout;
            const arm = () => {
                clearTimeout(timer);
                timer = setTimeout(onHang, watchdogMs);
            };
            const finish = () => {
                if (finished) return;
                finished = true;
                clearTimeout(timer);
                child.kill("SIGKILL");
                next();
            };
            const onHang = (): void => {
                if (waiting && waiting[1] > waiting[0]) {
                    // The asynchronous part of a batch hung: rerun it one case per batch (in one process)
                    // to find the case, then go on with the rest.
                    const resume = waiting[1] + 1;
                    if (resume < start + count) queue.unshift([resume, start + count - resume, batch]);
                    queue.unshift([waiting[0], waiting[1] - waiting[0] + 1, 1]);
                    return finish();
                } else {
                    const i = waiting ? waiting[0] : current;
                    record(i, "hang", `no progress for ${watchdogMs} ms`);
                    done.add(i);
                }
                const resumeAt = (waiting ? waiting[1] : current) + 1;
                if (resumeAt < start + count) queue.unshift([resumeAt, start + count - resumeAt, batch]);
                finish();
            };
            child.on("message", (m: Message) => {
                arm();
                if (m.type === "progress") current = m.i;
                else if (m.type === "wait") waiting = [m.from, m.to];
                else if (m.type === "result") {
                    waiting = undefined;
                    if (m.i >= 0) done.add(m.i);
                    record(m.i, m.kind, m.detail);
                } else if (m.type === "objects") o.onObjects?.(component, m.i, m.objects);
                else if (m.type === "done") finish();
            });
            child.on("exit", (code, signal) => {
                if (finished) return;
                // The worker died: the current case crashed it; resume after it.
                const i = waiting ? waiting[0] : current;
                record(i, "crash", `worker exited (${code ?? signal}): ${stderr.slice(-1500)}`);
                const resumeAt = (waiting ? waiting[1] : current) + 1;
                if (resumeAt < start + count) queue.unshift([resumeAt, start + count - resumeAt, batch]);
                finish();
            });
            arm();
            const job: Job = {
                component,
                seed: o.seed,
                start,
                count,
                batch,
                objects: o.onObjects !== undefined,
                calm: o.calm,
            };
            child.send(job);
        };
        next();
    });
}

export async function fuzz(o: FuzzOptions): Promise<Tally> {
    const t0 = Date.now();
    const components = o.components ?? [...COMPONENTS];
    const tally: Tally = { counts: {} as Tally["counts"], examples: [], seconds: 0 };
    for (const c of components)
        tally.counts[c] = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<OutcomeKind, number>;
    const pending = components.slice();
    const lanes = Array.from({ length: Math.min(o.parallel ?? 2, pending.length) }, async () => {
        for (let c = pending.shift(); c; c = pending.shift()) await runComponent(c, o, tally);
    });
    await Promise.all(lanes);
    tally.seconds = (Date.now() - t0) / 1000;
    return tally;
}

export function failures(t: Tally): number {
    return Object.values(t.counts).reduce((n, c) => n + FAILURES.reduce((m, k) => m + c[k], 0), 0);
}

export function table(t: Tally): string {
    const comps = Object.keys(t.counts) as ComponentName[];
    const head = ["outcome", ...comps, "total"];
    const rows = KINDS.map((k) => {
        const cells = comps.map((c) => t.counts[c][k]);
        return [
            k === "invalid" ? "invalid objects" : k === "pathless" ? "errors without field path" : k,
            ...cells.map(String),
            String(cells.reduce((a, b) => a + b, 0)),
        ];
    });
    const cases = comps.map((c) => Object.values(t.counts[c]).reduce((a, b) => a + b, 0));
    rows.push(["cases", ...cases.map(String), String(cases.reduce((a, b) => a + b, 0))]);
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const arg = (flag: string) => {
        const i = argv.indexOf(flag);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const o: FuzzOptions = {
        cases: Number(arg("--cases") ?? 10_000),
        seed: Number(arg("--seed") ?? 20261130),
        components: arg("--component") ? [arg("--component") as ComponentName] : undefined,
        only: arg("--only")?.split(",").map(Number),
        batch: arg("--batch") ? Number(arg("--batch")) : undefined,
        examples: arg("--examples") ? Number(arg("--examples")) : undefined,
    };
    void fuzz(o).then((t) => {
        process.stdout.write(`${table(t)}\n\n${t.seconds.toFixed(0)} s, seed ${o.seed}\n`);
        for (const e of t.examples) {
            const c = o.only ? undefined : makeCases(e.component, o.seed, e.i, 1)[0];
            process.stdout.write(
                `\n[${e.kind}] ${e.component} case ${e.i}${c ? ` (${c.mutations.join("; ")})` : ""}:\n  ${e.detail ?? ""}\n`,
            );
        }
        process.exitCode = failures(t) ? 1 : 0;
    });
}
