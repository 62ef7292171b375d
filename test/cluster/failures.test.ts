/**
 * Training that fails: mlkube TrainJobs whose pods carry the cluster's `mlkube.test/fail: "true"`
 * annotation (KWOK ends such Job pods Failed, exit code 1) must end Failed on both backends, with no
 * retry beyond what mlkube configured (maxRestarts).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TrainJob } from "../../src";
import {
    applyOk,
    condition,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    emitObjects,
    find,
    get,
    kubectl,
    list,
    requireCluster,
    waitFor,
} from "./helpers";

let ns: string;

before(async () => {
    requireCluster();
    ns = await createNamespace("failures");
});

after(() => deleteNamespaces());

/** A small CPU-only job (2 nodes) whose pods fail on purpose. */
const failing = {
    image: "registry.invalid/train:1",
    command: ["torchrun", "train.py"],
    numNodes: 2,
    resourcesPerNode: { cpu: 1, memory: "1Gi" },
    podAnnotations: { "mlkube.test/fail": "true" },
};

function failedPods(selector: string): any[] {
    return list("pods", ns, selector).filter((p) => p.status.phase === "Failed");
}

function assertFailedOnPurpose(pods: any[]): void {
    assert.ok(pods.length > 0, "no failed pods");
    for (const p of pods) {
        assert.equal(p.metadata.annotations["mlkube.test/fail"], "true", "the annotation reached the pod");
        const term = p.status.containerStatuses[0].state.terminated;
        assert.equal(term.exitCode, 1);
    }
}

test("backend jobset: failing pods fail the Job and the JobSet (maxRestarts 0 → no restart)", async () => {
    const objects = await emitObjects(() => new TrainJob("fail-js", failing), ns);
    applyOk(objects);
    const js = await waitFor(
        "JobSet fail-js Failed",
        () => {
            const j = get("jobset", "fail-js", ns);
            assert.ok(!conditionTrue(j, "Completed"), "a failing JobSet completed");
            return conditionTrue(j, "Failed") ? j : undefined;
        },
        {
            dump: [
                ["jobset", "fail-js", ns],
                ["jobs", "", ns],
                ["pods", "", ns],
            ],
        },
    );
    assert.equal(js.status.terminalState, "Failed");
    assert.equal(js.status.restarts ?? 0, 0);
    const jobs = list("jobs", ns, "jobset.sigs.k8s.io/jobset-name=fail-js");
    assert.ok(
        jobs.some((j) => conditionTrue(j, "Failed")),
        `a Job Failed: ${JSON.stringify(jobs.map((j) => j.status))}`,
    );
    assertFailedOnPurpose(failedPods("jobset.sigs.k8s.io/jobset-name=fail-js"));
});

test("backend jobset, maxRestarts 1: the JobSet restarts once, then fails with max restarts reached", async () => {
    const objects = await emitObjects(() => new TrainJob("fail-restart", { ...failing, maxRestarts: 1 }), ns);
    assert.equal(find(objects, "JobSet").spec.failurePolicy.maxRestarts, 1);
    applyOk(objects);
    const js = await waitFor(
        "JobSet fail-restart Failed",
        () => {
            const j = get("jobset", "fail-restart", ns);
            return conditionTrue(j, "Failed") ? j : undefined;
        },
        {
            dump: [
                ["jobset", "fail-restart", ns],
                ["jobs", "", ns],
            ],
        },
    );
    assert.equal(js.status.restarts, 1);
    assert.match(condition(js, "Failed")!.message ?? "", /max.*restarts/i);
});

/**
 * The default runtime (`torch-distributed`) leaves the Job's backoffLimit at the API default (6) and the
 * Trainer sets restartPolicy OnFailure, so there a failing pod is retried with exponential back-off
 * (~10 min before Failed) where the jobset backend fails at once (backoffLimit 0). The failure path is
 * therefore checked with a namespaced TrainingRuntime that fails fast, as production runtimes do.
 */
function failFastRuntime(): any {
    const ctr = get("clustertrainingruntime", "torch-distributed");
    const spec = structuredClone(ctr.spec);
    spec.template.spec.replicatedJobs[0].template.spec.backoffLimit = 0;
    return {
        apiVersion: "trainer.kubeflow.org/v1alpha1",
        kind: "TrainingRuntime",
        metadata: { name: "torch-fail-fast", namespace: ns, labels: ctr.metadata.labels },
        spec,
    };
}

test("backend kubeflow (runtime with backoffLimit 0): the annotation reaches the pods through mlkube's runtime patch; the TrainJob ends Failed", async () => {
    applyOk([failFastRuntime()]);
    const objects = await emitObjects(
        () =>
            new TrainJob("fail-kf", {
                ...failing,
                backend: "kubeflow",
                runtime: { name: "torch-fail-fast", kind: "TrainingRuntime" },
            }),
        ns,
    );
    assert.equal(find(objects, "TrainJob").spec.runtimeRef.kind, "TrainingRuntime");
    applyOk(objects);
    const tj = await waitFor(
        "TrainJob fail-kf Failed",
        () => {
            const t = get("trainjob", "fail-kf", ns);
            assert.ok(!conditionTrue(t, "Complete"), "a failing TrainJob completed");
            return conditionTrue(t, "Failed") ? t : undefined;
        },
        {
            dump: [
                ["trainjob", "fail-kf", ns],
                ["jobset", "fail-kf", ns],
                ["pods", "", ns],
            ],
        },
    );
    assert.ok(conditionTrue(get("jobset", "fail-kf", ns), "Failed"), "its JobSet Failed");
    assertFailedOnPurpose(failedPods("jobset.sigs.k8s.io/jobset-name=fail-kf"));
    assert.ok(condition(tj, "Failed")!.message, "the TrainJob says why");
});

test("backend kubeflow, default runtime: a failed pod is retried (Job backoffLimit 6, restartPolicy OnFailure), unlike the jobset backend", async () => {
    const objects = await emitObjects(
        () => new TrainJob("fail-kf-default", { ...failing, numNodes: 1, backend: "kubeflow" }),
        ns,
    );
    applyOk(objects);
    const job = await waitFor(
        "the Trainer's Job to retry a failed pod",
        () => {
            const j = get("job", "fail-kf-default-node-0", ns);
            return j &&
                (j.status?.failed ?? 0) >= 1 &&
                list("pods", ns, "jobset.sigs.k8s.io/jobset-name=fail-kf-default").length >= 2
                ? j
                : undefined;
        },
        {
            dump: [
                ["trainjob", "fail-kf-default", ns],
                ["jobs", "", ns],
            ],
            timeoutMs: 60_000,
        },
    );
    assert.equal(job.spec.backoffLimit, 6);
    assert.equal(job.spec.template.spec.restartPolicy, "OnFailure");
    assert.ok(
        !conditionTrue(get("trainjob", "fail-kf-default", ns), "Failed"),
        "not Failed after the first pod failure",
    );
    kubectl(["-n", ns, "delete", "trainjob", "fail-kf-default", "--wait=false"]);
});

/** Pods that keep running until the deadline fails the job. */
const slow = { ...failing, podAnnotations: { "mlkube.test/run-for": "87600h" }, activeDeadlineSeconds: 5 };

test("activeDeadlineSeconds, backend jobset: the Job hits its deadline and the JobSet fails (rule FailJobSet)", async () => {
    const objects = await emitObjects(() => new TrainJob("deadline-js", slow), ns);
    applyOk(objects);
    const js = await waitFor(
        "JobSet deadline-js Failed",
        () => {
            const j = get("jobset", "deadline-js", ns);
            return conditionTrue(j, "Failed") ? j : undefined;
        },
        {
            dump: [
                ["jobset", "deadline-js", ns],
                ["jobs", "", ns],
            ],
            timeoutMs: 60_000,
        },
    );
    assert.equal(js.status.restarts ?? 0, 0, "a deadline is not retried");
    const job = list("jobs", ns, "jobset.sigs.k8s.io/jobset-name=deadline-js")[0];
    assert.equal(condition(job, "Failed")?.reason, "DeadlineExceeded");
});

test("activeDeadlineSeconds, backend kubeflow: the Trainer fails the TrainJob with DeadlineExceeded", async () => {
    const objects = await emitObjects(() => new TrainJob("deadline-kf", { ...slow, backend: "kubeflow" }), ns);
    applyOk(objects);
    const tj = await waitFor(
        "TrainJob deadline-kf Failed",
        () => {
            const t = get("trainjob", "deadline-kf", ns);
            return conditionTrue(t, "Failed") ? t : undefined;
        },
        {
            dump: [
                ["trainjob", "deadline-kf", ns],
                ["jobset", "deadline-kf", ns],
            ],
            timeoutMs: 60_000,
        },
    );
    assert.equal(condition(tj, "Failed")?.reason, "DeadlineExceeded");
});
