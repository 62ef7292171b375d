/**
 * TrainJob backend "job" on the local control plane (no JobSet or Trainer involved): server-side apply
 * with strict validation under Pod Security "restricted", the Job controller's Indexed pods with the
 * hostnames/subdomain the rendezvous env names, the headless Service selecting them, Complete; a failing
 * run fails without retries, and `noRetryExitCodes` stops retries through the pod failure policy.
 * (KWOK runs no containers: DNS resolution itself is not exercised here.)
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
    envValue,
    find,
    get,
    list,
    requireCluster,
    waitFor,
} from "./helpers";

let ns: string;

before(async () => {
    requireCluster();
    ns = await createNamespace("jobbackend");
});

after(() => deleteNamespaces());

const small = {
    image: "registry.invalid/train:1",
    command: ["torchrun", "train.py"],
    resourcesPerNode: { cpu: 1, memory: "1Gi" },
    backend: "job" as const,
};

function jobDone(name: string, type: "Complete" | "Failed"): Promise<any> {
    return waitFor(
        `Job ${name} ${type}`,
        () => {
            const j = get("job", name, ns);
            const other = type === "Complete" ? "Failed" : "Complete";
            assert.ok(!conditionTrue(j, other), `Job ${name} ended ${other}: ${JSON.stringify(j.status)}`);
            return conditionTrue(j, type) ? j : undefined;
        },
        {
            dump: [
                ["job", name, ns],
                ["pods", "", ns],
            ],
        },
    );
}

test("numNodes 1: a plain Job, one pod with the local rendezvous env, Complete", async () => {
    const objects = await emitObjects(() => new TrainJob("solo", small), ns);
    assert.deepEqual(
        objects.map((o) => o.kind),
        ["Job"],
    );
    applyOk(objects);
    const job = await jobDone("solo", "Complete");
    assert.equal(job.spec.completionMode, "NonIndexed");
    const pods = list("pods", ns, "batch.kubernetes.io/job-name=solo");
    assert.equal(pods.length, 1);
    const c = pods[0].spec.containers[0];
    assert.equal(pods[0].status.phase, "Succeeded");
    assert.equal(envValue(c, "PET_MASTER_ADDR"), "127.0.0.1");
    assert.equal(envValue(c, "PET_NODE_RANK"), "0");
    assert.equal(envValue(c, "PET_NNODES"), "1");
});

test("numNodes 2: Indexed Job, pods <job>-<i> in subdomain <job>, headless Service selects them, rank = index, Complete", async () => {
    const objects = await emitObjects(
        () =>
            new TrainJob("duo", { ...small, numNodes: 2, masterPort: 23456, ports: [{ port: 9090, name: "metrics" }] }),
        ns,
    );
    assert.deepEqual(objects.map((o) => o.kind).sort(), ["Job", "Service"]);
    applyOk(objects);
    await jobDone("duo", "Complete");
    const svc = get("service", "duo", ns);
    assert.equal(svc.spec.clusterIP, "None");
    assert.deepEqual(
        svc.spec.ports.map((p: any) => [p.name, p.port]),
        [
            ["rendezvous", 23456],
            ["metrics", 9090],
        ],
    );
    const selector = Object.entries(svc.spec.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    const pods = list("pods", ns, selector);
    assert.equal(pods.length, 2, "the Service's selector matches the Job's pods (label set by the Job controller)");
    const master = envValue(pods[0].spec.containers[0], "PET_MASTER_ADDR");
    assert.equal(master, "duo-0.duo");
    for (const p of pods) {
        const index = p.metadata.annotations["batch.kubernetes.io/job-completion-index"];
        assert.equal(p.spec.hostname, `duo-${index}`, "the Job controller names the pod's host after its index");
        assert.equal(p.spec.subdomain, "duo");
        assert.equal(p.status.phase, "Succeeded");
        const c = p.spec.containers[0];
        assert.equal(envValue(c, "PET_MASTER_ADDR"), master, "every pod meets at pod 0's <hostname>.<subdomain>");
        assert.equal(envValue(c, "PET_MASTER_PORT"), "23456");
        assert.equal(
            c.env.find((e: any) => e.name === "PET_NODE_RANK").valueFrom.fieldRef.fieldPath,
            "metadata.annotations['batch.kubernetes.io/job-completion-index']",
        );
        assert.deepEqual(
            c.ports.map((x: any) => x.containerPort),
            [23456, 9090],
        );
    }
    // Pod 0's hostname.subdomain is what PET_MASTER_ADDR names.
    const pod0 = pods.find((p) => p.metadata.annotations["batch.kubernetes.io/job-completion-index"] === "0");
    assert.equal(`${pod0.spec.hostname}.${pod0.spec.subdomain}`, master);
});

test("a failing run fails the Job without retries (backoffLimit 0)", async () => {
    const objects = await emitObjects(
        () => new TrainJob("fails", { ...small, numNodes: 2, podAnnotations: { "mlkube.test/fail": "true" } }),
        ns,
    );
    applyOk(objects);
    const job = await jobDone("fails", "Failed");
    assert.equal(condition(job, "Failed")?.reason, "BackoffLimitExceeded");
    assert.ok((job.status.failed ?? 0) <= 2, `at most one failure per node, no retries: ${JSON.stringify(job.status)}`);
});

test("noRetryExitCodes: exit code 1 fails the Job through the pod failure policy even with retries left", async () => {
    const objects = await emitObjects(
        () =>
            new TrainJob("noretry", {
                ...small,
                backoffLimit: 5,
                noRetryExitCodes: [1],
                podAnnotations: { "mlkube.test/fail": "true" },
            }),
        ns,
    );
    assert.deepEqual(find(objects, "Job").spec.podFailurePolicy.rules[0].onExitCodes.values, [1]);
    applyOk(objects);
    const job = await jobDone("noretry", "Failed");
    assert.equal(condition(job, "Failed")?.reason, "PodFailurePolicy");
    assert.equal(job.status.failed, 1, "no retry after the listed exit code");
});
