/**
 * Fuzz worker (a child process of run.ts): runs cases of one component in batches under the Pulumi
 * mocks and classifies each outcome. Reports over IPC: `progress` before each case's constructor and
 * `wait` before a batch's asynchronous part (so the parent's watchdog knows what hung), `result` per
 * case, `done` at the end.
 */
import * as YAML from "yaml";
import { Compute, MlkubeValidationError, Secret, TrainJob, Volume } from "../../src";
import { collect, CollectedResource, SecretValue } from "../../src/render/collect";
import { K8sObject, toObjects, toYaml } from "../../src/render";
import { objectSetErrors, validateObject } from "../conformance";
import { reveal } from "../helpers";
import { Case, ComponentName, FUZZ_CONFIG, makeCases, materialize, REJECT_MARK, SECRET_MARK } from "./cases";

export type OutcomeKind = "valid" | "rejected" | "crash" | "hang" | "invalid" | "pollution" | "leak" | "pathless";

export interface Job {
    component: ComponentName;
    seed: number;
    start: number;
    count: number;
    batch: number;
    /** Also send the Kubernetes objects of each case that emitted any (secrets in clear), for test/cluster/calibration.test.ts. */
    objects?: boolean;
    /** Share of cases that keep their valid args (makeCases' `calm`). */
    calm?: number;
}

export type Message =
    | { type: "progress"; i: number }
    | { type: "wait"; from: number; to: number }
    | { type: "result"; i: number; kind: OutcomeKind; detail?: string }
    | { type: "objects"; i: number; objects: K8sObject[] }
    | { type: "done" };

const CTORS: Record<ComponentName, new (name: string, args: never, opts?: never) => unknown> = {
    Volume: Volume,
    Secret: Secret,
    Compute: Compute,
    TrainJob: TrainJob,
};

/** Messages that name no field because they are about the whole component. */
const WHOLE_COMPONENT = /^(the resource name|give exactly one source|data is \d+ bytes|expected an object, got )/;

const protoNames = () =>
    [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) =>
        Object.getOwnPropertyNames(p).join(","),
    );
const PRISTINE = protoNames();

function polluted(): string | undefined {
    const now = protoNames();
    if (now.some((n, i) => n !== PRISTINE[i])) return "a builtin prototype gained properties";
    if (({} as Record<string, unknown>).polluted !== undefined) return "Object.prototype.polluted is set";
    return undefined;
}

function short(s: string, n = 300): string {
    return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** A validation error: the class, or its clone made by collect() (name + issues kept). */
function asValidation(
    e: unknown,
): { message: string; issues: ReadonlyArray<{ path: ReadonlyArray<unknown>; message: string }> } | undefined {
    if (e instanceof MlkubeValidationError) return e;
    if (e instanceof Error && e.name === "MlkubeValidationError" && Array.isArray((e as MlkubeValidationError).issues))
        return e as MlkubeValidationError;
    return undefined;
}

function errorOutcome(e: unknown, c: Case): { kind: OutcomeKind; detail?: string } {
    const v = asValidation(e);
    if (!v) {
        const msg =
            e instanceof Error
                ? `${e.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 4).join("\n")}`
                : String(e);
        if (msg.includes(REJECT_MARK) && c.mutations.some((m) => m.startsWith("rejecting promise")))
            return { kind: "rejected" };
        return { kind: "crash", detail: short(msg, 800) };
    }
    if (v.message.includes(SECRET_MARK)) return { kind: "leak", detail: `secret in error: ${short(v.message)}` };
    // The component name has no field path: its problems start with the quoted name.
    const ownName = typeof c.name === "string" ? JSON.stringify(c.name).slice(0, 40) : "\u0000";
    const pathless = v.issues.find(
        (i) => i.path.length === 0 && !WHOLE_COMPONENT.test(i.message) && !i.message.startsWith(ownName),
    );
    if (pathless) return { kind: "pathless", detail: short(v.message) };
    return { kind: "rejected" };
}

/** Strings holding SECRET_MARK outside SecretValue markers, and mlkube's internal markers, in inputs. */
function plainLeak(v: unknown, path = ""): string | undefined {
    if (v instanceof SecretValue) return undefined;
    if (typeof v === "string") return v.includes(SECRET_MARK) ? `secret value in plain input at ${path}` : undefined;
    if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
            const r = plainLeak(v[i], `${path}[${i}]`);
            if (r) return r;
        }
        return undefined;
    }
    if (v && typeof v === "object") {
        const keys = Object.keys(v);
        if (keys.includes("component") && keys.includes("path") && keys.includes("name") && keys.length <= 4)
            return `internal Unresolved marker at ${path}`;
        for (const k of keys) {
            const r = plainLeak((v as Record<string, unknown>)[k], `${path}.${k}`);
            if (r) return r;
        }
    }
    return undefined;
}

/** `related`: the objects of Secrets the case made for its args (`<case>-s<k>`), checked together with its own. */
function objectsOutcome(
    resources: CollectedResource[],
    related: CollectedResource[] = [],
): { kind: OutcomeKind; detail?: string } {
    const k8s = resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
    for (const r of k8s) {
        const leak = plainLeak(r.inputs);
        if (leak) return { kind: "leak", detail: `${r.type}: ${leak}` };
    }
    for (const r of k8s) {
        const obj = reveal(r.inputs);
        const errs = validateObject(obj); // schemas, API-server, downstream and kubelet rules
        if (errs.length) return { kind: "invalid", detail: `${r.type}: ${short(errs.join("; "), 600)}` };
    }
    const together = objectSetErrors(
        [...k8s, ...related.filter((r) => r.type.startsWith("kubernetes:") && r.custom)].map((r) => reveal(r.inputs)),
    );
    if (together.length) return { kind: "invalid", detail: short(together.join("; "), 600) };
    const { objects, sources } = toObjects(k8s, false);
    const yaml = toYaml(objects, sources);
    if (yaml.includes(SECRET_MARK)) return { kind: "leak", detail: "secret in rendered YAML" };
    const expected = JSON.stringify(objects);
    for (const version of ["1.1", "1.2"] as const) {
        const docs = YAML.parseAllDocuments(yaml, { version });
        const back = JSON.stringify((Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS({ maxAliasCount: -1 })));
        if (back !== expected)
            return { kind: "invalid", detail: `YAML ${version} round trip changed the objects: ${short(yaml, 400)}` };
    }
    return { kind: "valid" };
}

export async function runJob(job: Job, send: (m: Message) => void): Promise<void> {
    const cases = makeCases(job.component, job.seed, job.start, job.count, job.calm);
    // eslint-disable-next-line no-useless-assignment -- size is set in the loop body before the increment reads it
    for (let b = 0, size = 0; b < cases.length; b += size) {
        // A case with its own stack config (a planted profile) runs alone; the others in batches.
        size = 1;
        while (size < job.batch && b + size < cases.length && !cases[b].config && !cases[b + size].config) size++;
        const batch = cases.slice(b, b + size);
        const first = job.start + b;
        const sync = new Map<number, { kind: OutcomeKind; detail?: string }>();
        const names = new Map<string, number>();
        const r = await collect(
            () => {
                batch.forEach((c, j) => {
                    const i = first + j;
                    send({ type: "progress", i });
                    if (typeof c.name === "string") names.set(c.name, i);
                    try {
                        new CTORS[c.component](
                            c.name as string,
                            materialize(c.args, c.name, i) as never,
                            c.opts as never,
                        );
                    } catch (e) {
                        sync.set(i, errorOutcome(e, c));
                    }
                });
                send({ type: "wait", from: first, to: first + batch.length - 1 });
            },
            { config: batch[0].config ?? FUZZ_CONFIG },
        );
        const asyncErrors = new Map<number, unknown[]>();
        let unattributed: unknown[] = [];
        for (const e of r.errors) {
            const i = names.get((e as { resourceName?: string }).resourceName ?? "");
            if (i === undefined) unattributed.push(e);
            else asyncErrors.set(i, [...(asyncErrors.get(i) ?? []), e]);
        }
        // The program's own rejections carry no resource (and may surface in a later batch): never crashes.
        const planted = batch
            .map((c, j) => [c, first + j] as const)
            .filter(([c]) => c.mutations.some((m) => m.startsWith("rejecting promise")));
        unattributed = unattributed.filter((e) => !(e instanceof Error && e.message.includes(REJECT_MARK)));
        const pollution = polluted();
        batch.forEach((c, j) => {
            const i = first + j;
            let out = sync.get(i);
            if (!out) {
                const errs = asyncErrors.get(i) ?? [];
                if (errs.length) {
                    out = errs.map((e) => errorOutcome(e, c)).find((o) => o.kind !== "rejected") ?? {
                        kind: "rejected",
                    };
                } else if (
                    planted.some(([, k]) => k === i) &&
                    r.errors.some((e) => e instanceof Error && e.message.includes(REJECT_MARK))
                ) {
                    out = { kind: "rejected" };
                } else {
                    const own = r.resources.filter((x) => x.name === c.name);
                    out = objectsOutcome(
                        own,
                        r.resources.filter((x) => typeof c.name === "string" && x.name.startsWith(`${c.name}-s`)),
                    );
                    if (job.objects && (out.kind === "valid" || out.kind === "invalid")) {
                        const objects = toObjects(
                            own.filter((x) => x.type.startsWith("kubernetes:") && x.custom),
                            true,
                        ).objects;
                        if (objects.length) send({ type: "objects", i, objects });
                    }
                }
            }
            if (pollution) out = { kind: "pollution", detail: pollution };
            if (j === 0 && unattributed.length)
                out = {
                    kind: "crash",
                    detail: `unattributed error in batch ${first}..: ${short(String((unattributed[0] as Error).stack ?? unattributed[0]), 800)}`,
                };
            send({ type: "result", i, ...out });
        });
    }
    send({ type: "done" });
}

if (require.main === module) {
    // Rejections arriving after a batch's collect() returned: the program's own (planted) ones are
    // expected; anything else is a crash of the batch that was running.
    process.on("unhandledRejection", (reason) => {
        const msg = reason instanceof Error ? `${reason.stack}` : String(reason);
        if (!msg.includes(REJECT_MARK))
            process.send!({
                type: "result",
                i: -1,
                kind: "crash",
                detail: `late unhandled rejection: ${short(msg, 800)}`,
            });
    });
    process.on("message", (job: Job) => {
        runJob(job, (m) => process.send!(m)).then(
            () => process.disconnect(),
            (e) => {
                process.send!({ type: "result", i: -1, kind: "crash", detail: `runner: ${(e as Error).stack}` });
                process.disconnect();
            },
        );
    });
}
