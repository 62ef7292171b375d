/**
 * Kueue on every TrainJob backend, under mocks, against Kueue's documented contract
 * (../shared/reference/runtime-semantics.md "Kueue"): the queue-name and priority-class labels on the
 * JobSet / TrainJob / Job object and never on the pods (nor on the JobSet the Trainer makes from a
 * TrainJob), created suspended, `spec.suspend` left to Kueue afterwards (ignoreChanges), the stack
 * default `mlkube:queue` with a per-job opt-out, and the errors. The real Kueue controller is not run here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TrainJob, TrainJobArgs } from "../src";
import { assertValidCrd, assertConforms } from "./conformance";
import { assertFails, emit } from "./helpers";
import { keepFieldManager } from "../src/metadata";

const base: TrainJobArgs = { image: "ghcr.io/acme/train:1.0", command: ["torchrun"], args: ["/app/train.py"] };
const KIND = { jobset: "JobSet", kubeflow: "TrainJob", job: "Job" } as const;
const QUEUE = "kueue.x-k8s.io/queue-name";
const PRIORITY = "kueue.x-k8s.io/priority-class";

/** Every pod template and JobSet-level metadata inside an emitted object (labels that would reach pods or a JobSet). */
function innerLabels(o: any): Record<string, string>[] {
    const out: Record<string, string>[] = [];
    const walk = (v: any) => {
        if (!v || typeof v !== "object") return;
        if (Array.isArray(v)) return v.forEach(walk);
        for (const [k, e] of Object.entries(v)) {
            if (k === "metadata" && e && typeof e === "object" && (e as any).labels) out.push((e as any).labels);
            walk(e);
        }
    };
    walk(o.spec);
    return out;
}

for (const backend of ["jobset", "kubeflow", "job"] as const) {
    test(`queue (${backend}): Kueue labels on the ${KIND[backend]} only, created suspended, suspend left to Kueue`, async () => {
        const out = await emit(
            () => new TrainJob("q", { ...base, backend, numNodes: 2, queue: "team-a", priorityClass: "high" }),
        );
        assert.deepEqual(
            out.errors.map((e) => e.message),
            [],
        );
        const o = out.get(KIND[backend], "q");
        assertConforms(o);
        assert.equal(o.metadata.labels[QUEUE], "team-a");
        assert.equal(o.metadata.labels[PRIORITY], "high");
        assert.equal(o.spec.suspend, true);
        const inner = innerLabels(o);
        assert.ok(inner.length > 0);
        for (const l of inner)
            assert.ok(
                !(QUEUE in l) && !(PRIORITY in l),
                `Kueue label inside the ${KIND[backend]}: ${JSON.stringify(l)}`,
            );
        const r = out.resource(KIND[backend], "q");
        assert.deepEqual(r.options.ignoreChanges, keepFieldManager(["spec.suspend"]));
        // The Service of the job backend is not a workload: no queue label.
        if (backend === "job") assert.equal(out.get("Service", "q").metadata.labels[QUEUE], undefined);
    });
}

test("queue: the stack default mlkube:queue applies; queue: false opts out; no queue, no labels, no ignoreChanges but the field manager's", async () => {
    const out = await emit(
        () => {
            new TrainJob("d", { ...base, backend: "job" });
            new TrainJob("o", { ...base, backend: "job", queue: false, suspend: true });
            new TrainJob("x", { ...base, backend: "jobset", queue: "team-b" });
        },
        { "mlkube:queue": "shared" },
    );
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    assert.equal(out.get("Job", "d").metadata.labels[QUEUE], "shared");
    assert.equal(out.get("Job", "d").spec.suspend, true);
    assert.equal(out.get("Job", "o").metadata.labels[QUEUE], undefined);
    assert.equal(out.get("Job", "o").spec.suspend, true, "the user's own suspend without a queue");
    assert.deepEqual(out.resource("Job", "o").options.ignoreChanges, keepFieldManager());
    assert.equal(
        out.get("JobSet", "x").metadata.labels[QUEUE],
        "team-b",
        "an explicit queue wins over the stack default",
    );
    assertValidCrd(out.get("JobSet", "x"));
    const plain = await emit(() => new TrainJob("p", { ...base }));
    const js = plain.get("JobSet", "p");
    assert.equal(js.metadata.labels[QUEUE], undefined);
    assert.equal(js.spec.suspend, undefined);
    assert.deepEqual(plain.resource("JobSet", "p").options.ignoreChanges, keepFieldManager());
});

test("queue: errors (suspend belongs to Kueue, priorityClass needs a queue, names, bad stack default)", async () => {
    await assertFails(
        () => new TrainJob("s", { ...base, queue: "team-a", suspend: false }),
        'TrainJob "s": suspend: is decided by Kueue for a queued job (queue "team-a"): mlkube creates it suspended and Kueue resumes it on admission; remove suspend, or set queue: false',
    );
    await assertFails(
        () => new TrainJob("s", { ...base, suspend: true }),
        'TrainJob "s": suspend: is decided by Kueue for a queued job (queue "shared"): mlkube creates it suspended and Kueue resumes it on admission; remove suspend, or set queue: false',
        { "mlkube:queue": "shared" },
    );
    await assertFails(
        () => new TrainJob("p", { ...base, priorityClass: "high" }),
        'TrainJob "p": priorityClass: only applies to a queued job (a Kueue WorkloadPriorityClass); set queue (or the stack default mlkube:queue), or use priorityClassName for the pods\' PriorityClass',
    );
    await assertFails(
        () => new TrainJob("n", { ...base, queue: "Team A" }),
        /TrainJob "n": queue: "Team A" is not a valid Kubernetes name .*use "team-a"/,
    );
    await assertFails(() => new TrainJob("n", { ...base }), /mlkube:queue: "Team_A" is not a valid Kubernetes name/, {
        "mlkube:queue": "Team_A",
    });
});
