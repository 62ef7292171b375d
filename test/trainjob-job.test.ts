/**
 * TrainJob backend "job" under mocks: a plain batch/v1 Job for one node, an Indexed Job plus headless
 * Service for several, the same torch rendezvous env as the other backends, retries/deadline/TTL/suspend,
 * replacement rules, waiting, outputs and the errors for options that do not apply. Every emitted object
 * is checked against the Kubernetes schemas (kubernetes-models) with the shared conformance validator.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Secret, TrainJob, TrainJobArgs, Volume, JOB_IMMUTABLE } from "../src";
import * as fs from "node:fs";
import * as path from "node:path";
import { render, toYaml } from "../src/render";
import fc from "fast-check";
import { renderTrainJob, trainJobArgsSchema } from "../src/trainjob/render";
import { MlkubeValidationError } from "../src/errors";
import { resetConfigCache } from "../src/config";
import { assertConforms, assertValidK8s, assertValidCrd, validateObject } from "./conformance";
import { assertFails, emit, OWNER } from "./helpers";
import { ensureBuilt, ROOT } from "./render-helpers";

const base: TrainJobArgs = {
    image: "ghcr.io/acme/train:1.0",
    command: ["torchrun"],
    args: ["/app/train.py"],
    backend: "job",
};
const COMPLETION_INDEX = {
    fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
};

async function job(args: TrainJobArgs | (() => TrainJobArgs), name = "tj") {
    const out = await emit(() => new TrainJob(name, typeof args === "function" ? args() : args));
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const j = out.get("Job", name);
    assertValidK8s(j);
    const svc: any = out.resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.name === name)?.inputs;
    if (svc) assertValidK8s(svc);
    return {
        out,
        job: j,
        svc,
        pod: j.spec.template,
        env: j.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[],
    };
}

const envOf = (env: { name: string }[], name: string) => env.find((e) => e.name === name);

test("job, numNodes 1: a plain NonIndexed Job, no Service, rendezvous on the pod itself", async () => {
    const { out, job: j, svc, pod, env } = await job({ ...base, resourcesPerNode: { cpu: 4, memory: "16Gi" } });
    assert.equal(j.apiVersion, "batch/v1");
    assert.equal(j.kind, "Job");
    assert.equal(j.metadata.name, "tj");
    assert.deepEqual(
        { c: j.spec.completions, p: j.spec.parallelism, m: j.spec.completionMode, b: j.spec.backoffLimit },
        { c: 1, p: 1, m: "NonIndexed", b: 0 },
    );
    assert.equal(svc, undefined);
    assert.equal(out.resources.filter((r) => r.type.endsWith(":Service")).length, 0);
    assert.equal(pod.spec.restartPolicy, "Never");
    assert.equal(pod.spec.subdomain, undefined);
    assert.equal(pod.spec.containers[0].name, "node");
    assert.equal(pod.spec.containers[0].ports, undefined, "no port to expose: nothing connects from outside the pod");
    assert.deepEqual(env, [
        { name: "PET_NNODES", value: "1" },
        { name: "PET_NPROC_PER_NODE", value: "4" },
        { name: "PET_NODE_RANK", value: "0" },
        { name: "PET_MASTER_ADDR", value: "127.0.0.1" },
        { name: "PET_MASTER_PORT", value: "29500" },
        { name: "MASTER_ADDR", value: "127.0.0.1" },
        { name: "MASTER_PORT", value: "29500" },
        { name: "NODE_RANK", value: "0" },
    ]);
    // Same pod builder: secure defaults.
    assert.deepEqual(pod.spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const r = out.resource("Job", "tj");
    assert.deepEqual(r.options.replaceOnChanges, JOB_IMMUTABLE);
    assert.equal(r.options.deleteBeforeReplace, true);
    assert.deepEqual(j.metadata.annotations, { "pulumi.com/skipAwait": "true", ...OWNER });
    assert.ok(r.parent?.endsWith("mlkube:index:TrainJob::tj"));
});

test("job, numNodes > 1: Indexed Job + headless Service + subdomain; pod 0's hostname is the master", async () => {
    const {
        out,
        job: j,
        svc,
        pod,
        env,
    } = await job({ ...base, numNodes: 3, resourcesPerNode: { gpu: 8 }, namespace: "ml" }, "llm");
    assert.deepEqual(
        { c: j.spec.completions, p: j.spec.parallelism, m: j.spec.completionMode, b: j.spec.backoffLimit },
        { c: 3, p: 3, m: "Indexed", b: 0 },
    );
    assert.equal(pod.spec.subdomain, "llm");
    assert.deepEqual(pod.spec.containers[0].ports, [{ containerPort: 29500 }]);
    assert.deepEqual(svc.metadata.name, "llm");
    assert.deepEqual(svc.metadata.namespace, "ml");
    assert.deepEqual(svc.spec, {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: { "batch.kubernetes.io/job-name": "llm" },
        ports: [{ name: "rendezvous", port: 29500, targetPort: 29500, protocol: "TCP" }],
    });
    // Not awaited: the provider would wait for endpoints, which only exist once the Job runs.
    assert.equal(svc.metadata.annotations["pulumi.com/skipAwait"], "true");
    assert.deepEqual(env, [
        { name: "PET_NNODES", value: "3" },
        { name: "PET_NPROC_PER_NODE", value: "auto" },
        { name: "PET_NODE_RANK", valueFrom: COMPLETION_INDEX },
        { name: "PET_MASTER_ADDR", value: "llm-0.llm" },
        { name: "PET_MASTER_PORT", value: "29500" },
        { name: "MASTER_ADDR", value: "llm-0.llm" },
        { name: "MASTER_PORT", value: "29500" },
        { name: "NODE_RANK", valueFrom: COMPLETION_INDEX },
    ]);
    // The Service is created first (the Job depends on it) and replaced, not patched, by name.
    const r = out.resource("Job", "llm");
    const s = out.resource("Service", "llm");
    assert.ok(r.options.dependsOn?.includes(s.urn), "the Job depends on the Service");
    assert.equal(s.options.deleteBeforeReplace, true);
});

test("job: the same rendezvous variables as the jobset and kubeflow backends (one script runs on all three)", async () => {
    const names = (env: { name: string }[]) => env.map((e) => e.name).sort();
    const { env: jobEnv } = await job({ ...base, numNodes: 2 });
    const out = await emit(() => new TrainJob("js", { ...base, backend: "jobset", numNodes: 2 }));
    const jsEnv = out.get("JobSet", "js").spec.replicatedJobs[0].template.spec.template.spec.containers[0].env;
    assert.deepEqual(names(jobEnv), names(jsEnv));
    // Same value sources: the rank comes from the completion index on both.
    for (const n of ["PET_NODE_RANK", "NODE_RANK"]) assert.deepEqual(envOf(jobEnv, n), envOf(jsEnv, n));
});

test("job: backoffLimit, backoffLimitPerIndex, noRetryExitCodes, deadline, TTL, suspend, managedBy", async () => {
    const { job: j } = await job({
        ...base,
        numNodes: 2,
        backoffLimit: 4,
        backoffLimitPerIndex: 1,
        noRetryExitCodes: [42, 2, 42],
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 600,
        suspend: true,
        managedBy: "kueue.x-k8s.io/multikueue",
    });
    assert.equal(j.spec.backoffLimit, 4);
    assert.equal(j.spec.backoffLimitPerIndex, 1);
    assert.deepEqual(j.spec.podFailurePolicy, {
        rules: [{ action: "FailJob", onExitCodes: { containerName: "node", operator: "In", values: [2, 42] } }],
    });
    assert.equal(j.spec.activeDeadlineSeconds, 3600);
    assert.equal(j.spec.ttlSecondsAfterFinished, 600);
    assert.equal(j.spec.suspend, true);
    assert.equal(j.spec.managedBy, "kueue.x-k8s.io/multikueue");
    // backoffLimitPerIndex alone: backoffLimit is left to the API (MaxInt32), or it would cap the per-index retries at 0.
    const { job: perIndex } = await job({ ...base, numNodes: 2, backoffLimitPerIndex: 2 });
    assert.equal(perIndex.spec.backoffLimit, undefined);
    assert.equal(perIndex.spec.backoffLimitPerIndex, 2);
});

test("job: volumes, secrets, shm, scheduling and labels from PodOptions reach the pod; labels on Job and Service", async () => {
    const {
        job: j,
        svc,
        pod,
    } = await job(() => ({
        ...base,
        numNodes: 2,
        volumes: [new Volume("ckpt", { size: "1Ti", accessMode: "ReadWriteMany" })],
        secrets: [new Secret("hf", { env: { HF_TOKEN: "x" } })],
        sharedMemory: "8Gi",
        nodeSelector: "pool=a100",
        labels: { team: "ml" },
        annotations: { note: "hi" },
        podLabels: { role: "trainer" },
    }));
    const c = pod.spec.containers[0];
    assert.deepEqual(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort(), ["/dev/shm", "/mnt/ckpt"]);
    assert.deepEqual(c.envFrom, [{ secretRef: { name: "hf" } }]);
    assert.deepEqual(pod.spec.nodeSelector, { pool: "a100" });
    assert.equal(pod.metadata.labels.role, "trainer");
    assert.equal(pod.metadata.labels.team, undefined, "labels are the objects', podLabels the pods'");
    assert.equal(j.metadata.labels.team, "ml");
    assert.equal(svc.metadata.labels.team, "ml");
    assert.equal(j.metadata.annotations.note, "hi");
    assert.equal(
        pod.metadata.annotations?.["checksum.mlkube.dev/hf"],
        undefined,
        "a rotated secret must not restart a run",
    );
});

test("job: waitForCompletion waits for Complete or Failed; outputs", async () => {
    let one!: TrainJob;
    let two!: TrainJob;
    const out = await emit(() => {
        one = new TrainJob("w", { ...base, waitForCompletion: true, timeout: 600, namespace: "ml" });
        two = new TrainJob("m", { ...base, numNodes: 2, namespace: "ml" });
    });
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.get("Job", "w").metadata.annotations, {
        "pulumi.com/waitFor":
            "jsonpath={.status.conditions[?(@.status=='True' && (@.type=='Complete' || @.type=='Failed'))].type}",
        "pulumi.com/timeoutSeconds": "600",
        ...OWNER,
    });
    const get = <T>(o: { apply(f: (v: T) => void): unknown }) => new Promise<T>((res) => o.apply(res));
    assert.equal(await get(one.masterAddress), "127.0.0.1");
    assert.equal(await get(two.masterAddress), "m-0.m.ml.svc");
    assert.equal(await get(two.jobName), "m");
    assert.equal(await get(two.backend), "job");
    assert.equal(one.service, undefined);
    assert.ok(two.service);
});

test("job: errors for options of other backends, per-index retries on one node, names, hostname in podPatch", async () => {
    await assertFails(
        () => new TrainJob("a", { ...base, maxRestarts: 2 }),
        'TrainJob "a": maxRestarts: is not supported with backend "job" (a Job retries failed pods, not the whole run); use backoffLimit',
    );
    await assertFails(
        () => new TrainJob("b", { ...base, backoffLimitPerIndex: 1 }),
        'TrainJob "b": backoffLimitPerIndex: needs numNodes > 1 (an Indexed Job); with one node use backoffLimit',
    );
    await assertFails(
        () => new TrainJob("c", { ...base, runtimePatches: [{ manager: "example.com/x" }] }),
        'TrainJob "c": runtimePatches: only applies to backends "jobset" and "kubeflow" (they patch a JobSet); with backend "job" use podPatch',
    );
    await assertFails(
        () => new TrainJob("d", { ...base, runtime: { name: "x" } }),
        'TrainJob "d": runtime: only applies with backend "kubeflow" (the jobset backend builds the JobSet itself)',
    );
    await assertFails(
        () => new TrainJob("e", { ...base, backend: "jobset", backoffLimit: 1 }),
        'TrainJob "e": backoffLimit: only applies with backend "job" (a batch/v1 Job\'s retry settings); the jobset backend restarts the whole JobSet with maxRestarts',
    );
    await assertFails(
        () => new TrainJob("f", { ...base, backend: "kubeflow", noRetryExitCodes: [1] }),
        'TrainJob "f": noRetryExitCodes: only applies with backend "job" (a batch/v1 Job\'s retry settings)',
    );
    await assertFails(
        () => new TrainJob("g", { ...base, noRetryExitCodes: [0] }),
        /TrainJob "g": noRetryExitCodes\[0\]: .*1/,
    );
    await assertFails(
        () => new TrainJob("h", { ...base, numNodes: 2, podPatch: { subdomain: "other" } }),
        'TrainJob "h": podPatch: hostname and subdomain are set by the job backend (pods are reached as <name>-<index>.<name>); remove them from podPatch',
    );
    // Names: RFC 1035 (the Service name) and the last pod's hostname ≤63; pod names are truncated by the controller.
    const long = "a".repeat(61);
    await assertFails(
        () => new TrainJob(long, { ...base, numNodes: 100 }),
        `TrainJob "${long}": "${long}" is too long for the pod names it produces: the hostname of the last pod, "${long}-99", is 64 characters, more than 63; with numNodes 100 use a name of at most 60 characters`,
    );
    const ok = await emit(() => new TrainJob("x", { ...base, name: "a".repeat(63) }));
    assert.deepEqual(ok.errors, []);
    await assertFails(
        () => new TrainJob("x", { ...base, name: "9lives" }),
        /name: "9lives" is not a valid TrainJob\/JobSet name/,
    );
});

test("job: nothing of the other backends leaks in (no JobSet, no TrainJob); the jobset backend is unchanged", async () => {
    const out = await emit(() => new TrainJob("n", { ...base, numNodes: 2 }));
    assert.deepEqual(
        out
            .objects()
            .map((o) => o.kind)
            .sort(),
        ["Job", "Service"],
    );
    const js = await emit(() => new TrainJob("n", { ...base, backend: "jobset", numNodes: 2 }));
    assert.deepEqual(
        js.objects().map((o) => o.kind),
        ["JobSet"],
    );
    assertValidCrd(js.get("JobSet", "n"));
});

test("examples/llm-finetune (job): a Job and its headless Service, every object conforms, golden file", async () => {
    ensureBuilt();
    const r = await render(path.join(ROOT, "examples", "llm-finetune"), { config: { "llm-finetune:backend": "job" } });
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
    );
    for (const o of r.objects) assertConforms(o);
    const kinds = r.objects.map((o) => o.kind);
    assert.ok(kinds.includes("Job") && kinds.includes("Service"));
    assert.ok(!kinds.includes("JobSet") && !kinds.includes("TrainJob"));
    const job = r.objects.find((o) => o.kind === "Job") as any;
    assert.equal(job.spec.completions, 4);
    const yaml = toYaml(r.objects, r.sources);
    const file = path.join(ROOT, "test", "trainjob-golden", "llm-finetune.job.yaml");
    if (process.env.UPDATE_GOLDEN || !fs.existsSync(file)) fs.writeFileSync(file, yaml);
    assert.equal(
        yaml,
        fs.readFileSync(file, "utf8"),
        `${file} is out of date; rerun with UPDATE_GOLDEN=1 and review the diff`,
    );
});

test("property (job): any accepted name/numNodes gives hostnames ≤63 that PET_MASTER_ADDR names, and a conforming Job; rejected ones say why", async () => {
    resetConfigCache();
    fc.assert(
        fc.property(
            fc.stringMatching(/^[a-z][a-z0-9-]{0,70}[a-z0-9]$/),
            fc.integer({ min: 1, max: 100000 }),
            (name, numNodes) => {
                const a = trainJobArgsSchema().parse({ ...base, numNodes });
                let r;
                try {
                    r = renderTrainJob(name, a);
                } catch (e) {
                    assert.ok(e instanceof MlkubeValidationError);
                    assert.ok(
                        name.length > 63 || `${name}-${numNodes - 1}`.length > 63,
                        `rejected a name that fits: ${name} × ${numNodes}: ${(e as Error).message}`,
                    );
                    return;
                }
                assert.ok(
                    name.length <= 63 && (numNodes === 1 || `${name}-${numNodes - 1}`.length <= 63),
                    `accepted ${name} × ${numNodes}`,
                );
                assert.deepEqual(validateObject(r.object), []);
                const env = (r.object.spec as any).template.spec.containers[0].env as {
                    name: string;
                    value?: string;
                }[];
                const master = env.find((e) => e.name === "PET_MASTER_ADDR")!.value!;
                assert.equal(master, numNodes === 1 ? "127.0.0.1" : `${name}-0.${name}`);
                if (numNodes > 1) assert.deepEqual(validateObject(r.service), []);
            },
        ),
        { numRuns: 200 },
    );
});
