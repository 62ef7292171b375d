/**
 * Calibration of the conformance checker (test/conformance.ts) against the real API server, in both
 * directions: "calibrated, not modelled".
 *
 * 1. A fuzz run (test/fuzz: the same cases, worker and rendering path as `npm run test:fuzz`) streams
 *    every Kubernetes object that a case emitted (PVC, Secret, Deployment, Service, HPA, PDB, JobSet,
 *    TrainJob, Job, headless Service), whether the checker accepts it or not.
 * 2. Near-valid mutants of the objects the checker accepts (calibration/mutants.ts: one field flipped
 *    to a plausibly-invalid or plausibly-valid value) give the objects it should reject.
 * 3. Everything goes to the API server with `kubectl apply --server-side --dry-run=server
 *    --validate=strict` (what Pulumi does: server-side apply; full admission with the JobSet and
 *    Trainer webhooks; nothing stored), in multi-document batches, in a namespace of this run.
 *
 * Any object on which the checker and the server disagree fails the test: the checker admits what the
 * server refuses, or refuses what it admits. CALIBRATION_CASES (cases per component, default 700),
 * CALIBRATION_SEED and CALIBRATION_CALM (share of cases left unmutated, default 0.5: more objects per
 * case) change the run; CALIBRATION_REPORT=<file> writes every verdict as JSON lines.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { K8sObject, toYaml } from "../../src/render";
import { validateObject } from "../conformance";
import { fuzz, table } from "../fuzz/run";
import { KUBECONFIG, KUBECTL } from "../kube";
import { mutants, Sample } from "./calibration/mutants";
import { createNamespace, deleteNamespaces, FIELD_MANAGER, requireCluster } from "./helpers";

const CASES = Number(process.env.CALIBRATION_CASES ?? 700);
const SEED = Number(process.env.CALIBRATION_SEED ?? 20261207);
/** Share of cases that keep their valid args: more emitted objects per case (the mutants cover the invalid side). */
const CALM = Number(process.env.CALIBRATION_CALM ?? 0.5);
/** Objects per kubectl call, and kubectl calls at a time. */
const BATCH = 150;
const PARALLEL = 2;

let ns: string;

before(async () => {
    requireCluster();
    ns = await createNamespace("cal");
});

after(() => deleteNamespaces());

interface Verdict {
    admitted: boolean;
    message?: string;
}

/** `kubectl apply --server-side --dry-run=server` of `objects` (names unique per kind): each object's verdict. */
function serverVerdicts(objects: K8sObject[], dryRun = true): Promise<Verdict[]> {
    const args = [
        `--kubeconfig=${KUBECONFIG}`,
        "apply",
        "--server-side",
        `--field-manager=${FIELD_MANAGER}`,
        "--validate=strict",
        ...(dryRun ? ["--dry-run=server"] : []),
        "-f",
        "-",
    ];
    return new Promise((resolve, reject) => {
        const p = spawn(KUBECTL, args, { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => p.kill("SIGKILL"), 120_000);
        p.on("error", reject);
        p.on("close", () => {
            clearTimeout(timer);
            // "deployment.apps/f12 serverside-applied (server dry run)"
            const applied = new Set<string>();
            for (const line of stdout.split("\n")) {
                const m = /^([a-z0-9]+)(?:\.[^/\s]+)?\/(\S+) serverside-applied/.exec(line);
                if (m) applied.add(`${m[1]}/${m[2]}`);
            }
            // Errors come in the order of the objects; a webhook's denial does not name the object.
            const errors = stderr
                .split(/\n(?=Error from server|error: )/)
                .filter((e) => /^(Error from server|error: )/.test(e.trim()));
            const verdicts = objects.map((o): Verdict => ({
                admitted: applied.has(`${o.kind.toLowerCase()}/${o.metadata.name}`),
            }));
            const refused = verdicts.filter((v) => !v.admitted);
            if (refused.length === errors.length) refused.forEach((v, k) => (v.message = errors[k].trim()));
            else {
                objects.forEach((o, k) => {
                    if (verdicts[k].admitted) return;
                    const name = o.metadata.name;
                    verdicts[k].message =
                        errors.find((e) => e.includes(`"${name}"`) || e.includes(`/${name};`))?.trim() ??
                        `(unattributed) ${stderr.slice(0, 2000)}`;
                });
            }
            if (applied.size === 0 && refused.length === objects.length && errors.length === 0) {
                reject(new Error(`kubectl failed without a verdict per object:\n${stderr.slice(0, 4000)}`));
                return;
            }
            resolve(verdicts);
        });
        p.stdin.end(toYaml(objects));
    });
}

/** Verdicts of every sample: batches of BATCH samples (one component's objects per batch, so names are unique per kind), PARALLEL at a time. */
async function allVerdicts(samples: Sample[]): Promise<Verdict[]> {
    const groups = new Map<string, number[]>();
    samples.forEach((s, k) => {
        const g = `${s.component}/${s.round}`;
        groups.set(g, [...(groups.get(g) ?? []), k]);
    });
    const batches: number[][] = [];
    for (const idx of groups.values())
        for (let b = 0; b < idx.length; b += BATCH) batches.push(idx.slice(b, b + BATCH));
    const out: Verdict[] = new Array(samples.length);
    const lanes = Array.from({ length: PARALLEL }, async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) {
            const verdicts = await serverVerdicts(batch.map((k) => samples[k].object));
            batch.forEach((k, j) => (out[k] = verdicts[j]));
        }
    });
    await Promise.all(lanes);
    return out;
}

/** The object in the run's namespace (the server needs one that exists). */
function retarget(o: K8sObject): K8sObject {
    return { ...o, metadata: { ...o.metadata, namespace: ns } };
}

test(
    "calibration: the conformance checker and the API server agree on every object a fuzz run emits and on near-valid mutants of them",
    { timeout: 600_000 },
    async () => {
        const t0 = Date.now();
        const emitted: Sample[] = [];
        const tally = await fuzz({
            cases: CASES,
            seed: SEED,
            watchdogMs: 30_000,
            calm: CALM,
            onObjects: (component, i, objects) => {
                for (const o of objects)
                    emitted.push({ component, origin: `${component} case ${i}`, round: 0, object: retarget(o) });
            },
        });
        const tFuzz = (Date.now() - t0) / 1000;
        const checker = (o: K8sObject) => validateObject(o, { admissionOnly: true });
        const accepted = emitted.filter((s) => checker(s.object).length === 0);
        const mutated = mutants(accepted);
        const samples = [...emitted, ...mutated];
        const t1 = Date.now();
        const verdicts = await allVerdicts(samples);
        const tServer = (Date.now() - t1) / 1000;

        const kinds = new Map<string, number>();
        for (const s of emitted) kinds.set(s.object.kind, (kinds.get(s.object.kind) ?? 0) + 1);
        const disagreements: string[] = [];
        const report: string[] = [];
        let checkerRejects = 0;
        let serverRejects = 0;
        samples.forEach((s, k) => {
            const errs = checker(s.object);
            const v = verdicts[k];
            if (errs.length) checkerRejects++;
            if (!v.admitted) serverRejects++;
            const what = `${s.origin}${s.mutation ? ` + ${s.mutation}` : ""}: ${s.object.kind} ${s.object.metadata.name}`;
            if (process.env.CALIBRATION_REPORT) report.push(JSON.stringify({ what, checker: errs, server: v }));
            if (errs.length === 0 && !v.admitted)
                disagreements.push(
                    `checker admits, server refuses: ${what}\n    server: ${(v.message ?? "").slice(0, 600)}`,
                );
            if (errs.length > 0 && v.admitted)
                disagreements.push(
                    `checker refuses, server admits: ${what}\n    checker: ${errs.join("; ").slice(0, 600)}`,
                );
        });
        if (process.env.CALIBRATION_REPORT) fs.writeFileSync(process.env.CALIBRATION_REPORT, `${report.join("\n")}\n`);
        process.stdout.write(
            `${table(tally)}\n` +
                `emitted objects: ${emitted.length} (${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}), ${accepted.length} accepted by the checker; mutants: ${mutated.length}\n` +
                `checked: ${samples.length}; checker refuses ${checkerRejects}, server refuses ${serverRejects}; disagreements: ${disagreements.length}\n` +
                `fuzz ${tFuzz.toFixed(0)} s, server ${tServer.toFixed(0)} s (${(samples.length / tServer || 0).toFixed(0)} objects/s)\n`,
        );
        assert.ok(
            emitted.length >= 2000,
            `only ${emitted.length} emitted objects (want ≥ 2000): raise CALIBRATION_CASES`,
        );
        for (const kind of [
            "PersistentVolumeClaim",
            "Secret",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "JobSet",
            "TrainJob",
            "Job",
        ]) {
            assert.ok(kinds.has(kind), `no ${kind} among the emitted objects`);
        }
        assert.deepEqual(
            disagreements,
            [],
            `${disagreements.length} disagreements between test/conformance.ts and the API server`,
        );
    },
);

test(
    "calibration: what a dry run cannot see (node ports outside the range) is refused by a real create, as the checker says",
    { timeout: 120_000 },
    async () => {
        // Services only (harmless to create): NodePort Services mlkube emits, with their own nodePort and with one out of range.
        const base = (ports: Array<Record<string, unknown>>, n: number): K8sObject => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: `np-${n}`, namespace: ns },
            spec: { type: "NodePort", selector: { app: "x" }, ports },
        });
        const samples = [
            base([{ name: "a", port: 80 }], 0),
            base([{ name: "a", port: 80, nodePort: 30000 + Math.floor(Math.random() * 2700) }], 1),
            base([{ name: "a", port: 80, nodePort: 80 }], 2),
            base([{ name: "a", port: 80, nodePort: 32768 }], 3),
        ];
        const verdicts = await serverVerdicts(samples, false);
        const disagreements = samples.flatMap((o, k) => {
            const errs = validateObject(o);
            return (errs.length === 0) === verdicts[k].admitted
                ? []
                : [
                      `${o.metadata.name}: checker ${errs.length ? `refuses (${errs.join("; ")})` : "admits"}, server ${verdicts[k].admitted ? "admits" : `refuses (${verdicts[k].message})`}`,
                  ];
        });
        assert.deepEqual(disagreements, []);
    },
);
