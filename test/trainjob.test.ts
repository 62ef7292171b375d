/**
 * TrainJob under mocks, both backends: the emitted JobSet / TrainJob (checked against the vendored CRD
 * schemas with the shared conformance validator), lifecycle options, validation errors (exact text),
 * and golden files for examples/llm-finetune.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Secret, TrainJob, TrainJobArgs, Volume, RuntimePatch, JOBSET_IMMUTABLE, TRAINJOB_IMMUTABLE } from "../src";
import { render, toYaml } from "../src/render";
import { assertValidCrd, assertConforms } from "./conformance";
import { assertFails, emit, OWNER } from "./helpers";
import { ensureBuilt, ROOT } from "./render-helpers";

const base: TrainJobArgs = { image: "ghcr.io/acme/train:1.0", command: ["torchrun"], args: ["/app/train.py"] };
const COMPLETION_INDEX = {
    fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
};

function nodePatch(manager: string, spec: Record<string, unknown>, metadata?: Record<string, unknown>): RuntimePatch {
    return {
        manager,
        trainingRuntimeSpec: {
            template: {
                spec: {
                    replicatedJobs: [
                        { name: "node", template: { spec: { template: { ...(metadata ? { metadata } : {}), spec } } } },
                    ],
                },
            },
        },
    };
}

/** Renders a JobSet; `args` may be a function so Volumes/Secrets are created under the mocks. */
async function jobset(args: TrainJobArgs | (() => TrainJobArgs), name = "tj") {
    const out = await emit(() => new TrainJob(name, typeof args === "function" ? args() : args));
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const js = out.get("JobSet", name);
    assertValidCrd(js);
    return {
        out,
        js,
        pod: js.spec.replicatedJobs[0].template.spec.template,
        job: js.spec.replicatedJobs[0].template.spec,
    };
}

async function trainjob(args: TrainJobArgs | (() => TrainJobArgs), name = "tj") {
    const out = await emit(
        () => new TrainJob(name, { ...(typeof args === "function" ? args() : args), backend: "kubeflow" }),
    );
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const tj = out.get("TrainJob", name);
    assertValidCrd(tj);
    return { out, tj, patch: tj.spec.runtimePatches[0] };
}

// ---------------------------------------------------------------------------------------------------
// backend "jobset"

test("jobset: one Indexed replicated job `node`, DNS hostnames, webhook defaults set explicitly", async () => {
    const { out, js, job, pod } = await jobset({
        ...base,
        numNodes: 4,
        resourcesPerNode: { gpu: 8, cpu: 32, memory: "256Gi" },
    });
    assert.equal(js.apiVersion, "jobset.x-k8s.io/v1alpha2");
    assert.equal(js.kind, "JobSet");
    assert.equal(js.metadata.name, "tj");
    assert.equal(js.spec.replicatedJobs.length, 1);
    assert.equal(js.spec.replicatedJobs[0].name, "node");
    assert.equal(js.spec.replicatedJobs[0].replicas, 1);
    assert.deepEqual(
        { p: job.parallelism, c: job.completions, m: job.completionMode, b: job.backoffLimit },
        { p: 4, c: 4, m: "Indexed", b: 0 },
    );
    assert.deepEqual(js.spec.network, { enableDNSHostnames: true, publishNotReadyAddresses: true, subdomain: "tj" });
    assert.deepEqual(js.spec.successPolicy, { operator: "All" });
    assert.deepEqual(js.spec.startupPolicy, { startupPolicyOrder: "AnyOrder" });
    assert.deepEqual(js.spec.failurePolicy, { maxRestarts: 0, restartStrategy: "Recreate" });
    assert.equal(pod.spec.restartPolicy, "Never");
    const c = pod.spec.containers[0];
    assert.equal(c.name, "node");
    assert.deepEqual(c.ports, [{ containerPort: 29500 }]);
    assert.deepEqual(c.resources, {
        requests: { cpu: "32", memory: "256Gi", "nvidia.com/gpu": "8" },
        limits: { "nvidia.com/gpu": "8" },
    });
    // The pod options come from the shared pod builder (secure defaults, GPU toleration).
    assert.deepEqual(pod.spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(pod.spec.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    // Lifecycle: immutable paths replace, delete first (fixed name); no waiting by default.
    const r = out.resource("JobSet", "tj");
    assert.deepEqual(r.options.replaceOnChanges, JOBSET_IMMUTABLE);
    assert.equal(r.options.deleteBeforeReplace, true);
    assert.ok(!JOBSET_IMMUTABLE.some((p) => p.includes("suspend") || p.includes("ttl") || p.startsWith("metadata")));
    assert.deepEqual(js.metadata.annotations, { "pulumi.com/skipAwait": "true", ...OWNER });
    assert.ok(r.parent?.endsWith("mlkube:index:TrainJob::tj"));
});

test("jobset: the Kubeflow torch runtime's rendezvous env plus MASTER_ADDR/MASTER_PORT/NODE_RANK, no WORLD_SIZE", async () => {
    const { pod } = await jobset(
        { ...base, numNodes: 3, env: { NCCL_DEBUG: "INFO" }, resourcesPerNode: { gpu: 8 } },
        "llm",
    );
    assert.deepEqual(pod.spec.containers[0].env, [
        { name: "NCCL_DEBUG", value: "INFO" },
        { name: "PET_NNODES", value: "3" },
        { name: "PET_NPROC_PER_NODE", value: "auto" },
        { name: "PET_NODE_RANK", valueFrom: COMPLETION_INDEX },
        { name: "PET_MASTER_ADDR", value: "llm-node-0-0.llm" },
        { name: "PET_MASTER_PORT", value: "29500" },
        { name: "MASTER_ADDR", value: "llm-node-0-0.llm" },
        { name: "MASTER_PORT", value: "29500" },
        { name: "NODE_RANK", valueFrom: COMPLETION_INDEX },
    ]);
    const nproc = async (args: Partial<TrainJobArgs>) =>
        (await jobset({ ...base, ...args })).pod.spec.containers[0].env.find(
            (e: { name: string }) => e.name === "PET_NPROC_PER_NODE",
        ).value;
    assert.equal(await nproc({ numProcPerNode: 4, resourcesPerNode: { gpu: 8 } }), "4");
    assert.equal(await nproc({ resourcesPerNode: { cpu: "2500m" } }), "3");
    assert.equal(await nproc({ resourcesPerNode: { cpu: "100m" } }), "1");
    // Trainer v2.3's rule: a resource name containing "gpu" → auto; else max(1, ceil(cpu)); no cpu → 1.
    assert.equal(await nproc({}), "1");
    assert.equal(await nproc({ resourcesPerNode: { memory: "8Gi" } }), "1");
    assert.equal(await nproc({ resourcesPerNode: { cpu: 16, limits: { cpu: 32 } } }), "16");
    assert.equal(await nproc({ resourcesPerNode: { limits: { cpu: 6 } } }), "6");
    assert.equal(await nproc({ resourcesPerNode: { gpu: 2, gpuVendor: "amd", cpu: 8 } }), "auto");
    assert.equal(await nproc({ resourcesPerNode: { gpu: 1, gpuVendor: "intel", cpu: 8 } }), "auto");
    // A MIG slice's name lacks "gpu": the CPU branch, as in the Trainer (set numProcPerNode for such resources).
    assert.equal(await nproc({ resourcesPerNode: { gpu: 1, gpuVendor: "nvidia.com/mig-1g.10gb", cpu: 4 } }), "4");
    assert.equal(await nproc({ resourcesPerNode: { gpu: 1, gpuVendor: "habana.ai/gaudi" } }), "1");
});

test("jobset: maxRestarts, activeDeadlineSeconds (fails the JobSet, no restart), TTL, suspend, managedBy", async () => {
    const { js, job } = await jobset({
        ...base,
        maxRestarts: 3,
        activeDeadlineSeconds: 7200,
        ttlSecondsAfterFinished: 600,
        suspend: true,
        managedBy: "kueue.x-k8s.io/multikueue",
    });
    assert.deepEqual(js.spec.failurePolicy, {
        maxRestarts: 3,
        restartStrategy: "Recreate",
        rules: [{ name: "DeadlineExceeded", action: "FailJobSet", onJobFailureReasons: ["DeadlineExceeded"] }],
    });
    assert.equal(job.activeDeadlineSeconds, 7200);
    assert.equal(js.spec.ttlSecondsAfterFinished, 600);
    assert.equal(js.spec.suspend, true);
    assert.equal(js.spec.managedBy, "kueue.x-k8s.io/multikueue");
});

test("jobset: volumes, secrets, shm, scheduling and labels from PodOptions reach the pod; secret checksums do not", async () => {
    const { js, pod } = await jobset(() => ({
        ...base,
        volumes: [new Volume("ckpt", { size: "1Ti", accessMode: "ReadWriteMany" }), "datasets"],
        secrets: [
            new Secret("hf", { env: { HF_TOKEN: "x" } }),
            new Secret("gcs", { env: { KEY: "y" }, mount: "files" }),
        ],
        sharedMemory: "32Gi",
        nodeSelector: "pool=a100",
        serviceAccountName: "trainer",
        labels: { team: "ml", "kueue.x-k8s.io/queue-name": "research" },
        annotations: { note: "hi" },
        podLabels: { role: "trainer" },
        podAnnotations: { "example.com/pod": "yes" },
    }));
    const c = pod.spec.containers[0];
    assert.deepEqual(c.envFrom, [{ secretRef: { name: "hf" } }]);
    assert.deepEqual(
        c.volumeMounts.map((m: { mountPath: string }) => m.mountPath),
        ["/mnt/ckpt", "/mnt/datasets", "/etc/mlkube/secrets/gcs", "/dev/shm"],
    );
    assert.deepEqual(pod.spec.nodeSelector, { pool: "a100" });
    assert.equal(pod.spec.serviceAccountName, "trainer");
    // labels/annotations on the JobSet only (a Kueue queue label must not reach pods); pod* on the pods only.
    assert.equal(js.metadata.labels.team, "ml");
    assert.equal(js.metadata.labels["kueue.x-k8s.io/queue-name"], "research");
    assert.equal(js.metadata.annotations.note, "hi");
    assert.equal(pod.metadata.labels.team, undefined);
    assert.equal(pod.metadata.labels["kueue.x-k8s.io/queue-name"], undefined);
    assert.equal(pod.metadata.labels.role, "trainer");
    assert.deepEqual(pod.metadata.annotations, { "example.com/pod": "yes" });
    assert.equal(js.metadata.labels.role, undefined);
});

test("jobset: runtimePatches merge like the Trainer controller (by name, list order, later managers win)", async () => {
    const { js, pod } = await jobset({
        ...base,
        sharedMemory: "8Gi",
        nodeSelector: { pool: "a" },
        runtimePatches: [
            nodePatch(
                "example.com/a",
                {
                    nodeSelector: { zone: "z1" },
                    volumes: [
                        { name: "cache", emptyDir: {} },
                        { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "16Gi" } },
                    ],
                    containers: [
                        {
                            name: "node",
                            volumeMounts: [{ name: "cache", mountPath: "/cache" }],
                            securityContext: { readOnlyRootFilesystem: true },
                        },
                    ],
                    tolerations: [{ key: "a", operator: "Exists" }],
                },
                { labels: { "example.com/a": "1" } },
            ),
            nodePatch("example.com/b", {
                nodeSelector: { zone: "z2" },
                tolerations: [{ key: "b", operator: "Exists" }],
            }),
            {
                manager: "example.com/c",
                trainingRuntimeSpec: { template: { metadata: { labels: { "example.com/jobset": "yes" } } } },
            },
        ],
    });
    assert.deepEqual(pod.spec.nodeSelector, { pool: "a", zone: "z2" });
    assert.deepEqual(pod.spec.volumes, [
        { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "16Gi" } },
        { name: "cache", emptyDir: {} },
    ]);
    assert.deepEqual(pod.spec.tolerations, [{ key: "b", operator: "Exists" }], "tolerations are atomic: replaced");
    assert.equal(c0(pod).terminationMessagePolicy, "FallbackToLogsOnError");
    const c = pod.spec.containers[0];
    assert.deepEqual(c.volumeMounts, [
        { name: "dshm", mountPath: "/dev/shm" },
        { name: "cache", mountPath: "/cache" },
    ]);
    assert.deepEqual(c.securityContext, {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        readOnlyRootFilesystem: true,
    });
    assert.equal(c.image, "ghcr.io/acme/train:1.0");
    assert.equal(pod.metadata.labels["example.com/a"], "1");
    assert.equal(js.metadata.labels["example.com/jobset"], "yes");
    assert.equal(js.spec.replicatedJobs.length, 1);
});

const c0 = (pod: { spec: { containers: Record<string, unknown>[] } }) => pod.spec.containers[0];

// ---------------------------------------------------------------------------------------------------
// backend "kubeflow"

test("kubeflow: runtimeRef, spec.trainer from the built pod, the rest as mlkube's runtime patch", async () => {
    const { out, tj, patch } = await trainjob(
        {
            ...base,
            numNodes: 2,
            numProcPerNode: 4,
            env: { NCCL_DEBUG: "INFO" },
            resourcesPerNode: { cpu: 8, memory: "32Gi", gpu: 1 },
            volumes: [{ volume: "datasets", mountPath: "/data", readOnly: true }],
            secrets: [Secret.existing("s3", { mount: "files" }), Secret.existing("regcred", { imagePull: true })],
            sharedMemory: "8Gi",
            nodeSelector: { pool: "a100" },
            affinity: { nodeAffinity: {} },
            serviceAccountName: "trainer",
            labels: { team: "ml" },
            annotations: { "example.com/note": "x" },
            podLabels: { role: "trainer" },
            podAnnotations: { "example.com/pod": "y" },
            activeDeadlineSeconds: 3600,
            suspend: true,
            managedBy: "kueue.x-k8s.io/multikueue",
        },
        "llm",
    );
    assert.equal(tj.apiVersion, "trainer.kubeflow.org/v1alpha1");
    assert.deepEqual(tj.spec.runtimeRef, {
        apiGroup: "trainer.kubeflow.org",
        kind: "ClusterTrainingRuntime",
        name: "torch-distributed",
    });
    assert.deepEqual(tj.spec.trainer, {
        image: "ghcr.io/acme/train:1.0",
        command: ["torchrun"],
        args: ["/app/train.py"],
        env: [
            { name: "NCCL_DEBUG", value: "INFO" },
            { name: "MASTER_ADDR", value: "llm-node-0-0.llm" },
            { name: "MASTER_PORT", value: "29500" },
            { name: "NODE_RANK", valueFrom: COMPLETION_INDEX },
        ],
        numNodes: 2,
        numProcPerNode: 4,
        resourcesPerNode: {
            requests: { cpu: "8", memory: "32Gi", "nvidia.com/gpu": "1" },
            limits: { "nvidia.com/gpu": "1" },
        },
    });
    assert.equal(tj.spec.activeDeadlineSeconds, 3600);
    assert.equal(tj.spec.suspend, true);
    assert.equal(tj.spec.managedBy, "kueue.x-k8s.io/multikueue");
    assert.equal(tj.spec.runtimePatches.length, 1);
    assert.equal(patch.manager, "mlkube.dev/trainjob");
    assert.ok(!("time" in patch));
    const rj = patch.trainingRuntimeSpec.template.spec.replicatedJobs[0];
    assert.equal(rj.name, "node");
    const podPatch = rj.template.spec.template;
    // labels/annotations: the TrainJob only (as the SDK's Labels/Annotations); pod*: the pods.
    assert.equal(podPatch.metadata.labels.team, undefined);
    assert.equal(podPatch.metadata.labels.role, "trainer");
    assert.deepEqual(podPatch.metadata.annotations, { "example.com/pod": "y" });
    assert.equal(patch.trainingRuntimeSpec.template.metadata.labels.team, undefined);
    assert.equal(patch.trainingRuntimeSpec.template.metadata.labels["app.kubernetes.io/name"], "llm");
    assert.equal(tj.metadata.annotations["example.com/note"], "x");
    assert.deepEqual(Object.keys(podPatch.spec).sort(), [
        "affinity",
        "containers",
        "imagePullSecrets",
        "nodeSelector",
        "securityContext",
        "serviceAccountName",
        "tolerations",
        "volumes",
    ]);
    assert.deepEqual(podPatch.spec.containers, [
        {
            name: "node",
            volumeMounts: [
                { name: "pvc-datasets", mountPath: "/data", readOnly: true },
                { name: "secret-s3", mountPath: "/etc/mlkube/secrets/s3", readOnly: true },
                { name: "dshm", mountPath: "/dev/shm" },
            ],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
    ]);
    assert.ok(!("env" in podPatch.spec.containers[0]), "the webhook refuses env on the node container in a patch");
    assert.deepEqual(podPatch.spec.imagePullSecrets, [{ name: "regcred" }]);
    assert.equal(podPatch.spec.serviceAccountName, "trainer");
    // TrainJob metadata labels are not passed on by the Trainer; they are on the object for selection.
    assert.equal(tj.metadata.labels.team, "ml");
    const r = out.resource("TrainJob", "llm");
    assert.deepEqual(r.options.replaceOnChanges, TRAINJOB_IMMUTABLE);
    assert.equal(r.options.deleteBeforeReplace, true);
    assert.ok(!TRAINJOB_IMMUTABLE.includes("spec.suspend"));
});

test("kubeflow: env-mounted Secrets become secretKeyRef entries of spec.trainer.env (explicit env wins)", async () => {
    const { tj, patch } = await trainjob(() => ({
        ...base,
        secrets: [new Secret("hf", { env: { HF_TOKEN: "a", HF_HUB_ENABLE_HF_TRANSFER: "1" } })],
        env: { HF_HUB_ENABLE_HF_TRANSFER: "0" },
    }));
    assert.deepEqual(
        tj.spec.trainer.env.filter((e: { name: string }) => e.name.startsWith("HF")),
        [
            { name: "HF_HUB_ENABLE_HF_TRANSFER", value: "0" },
            { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf", key: "HF_TOKEN" } } },
        ],
    );
    assert.ok(!JSON.stringify(patch).includes("envFrom"));
});

test("kubeflow: runtime, user patches after mlkube's (later managers win), SDK serialization", async () => {
    const { tj } = await trainjob({
        ...base,
        runtime: { name: "torch-custom", kind: "TrainingRuntime" },
        runtimePatches: [
            nodePatch("example.com/a", {
                nodeSelector: { zone: "z1" },
                containers: [{ name: "node", securityContext: {} }],
                schedulingGates: [],
            }),
            { manager: "example.com/empty", trainingRuntimeSpec: { template: { spec: { replicatedJobs: [] } } } },
        ],
    });
    assert.deepEqual(tj.spec.runtimeRef, {
        apiGroup: "trainer.kubeflow.org",
        kind: "TrainingRuntime",
        name: "torch-custom",
    });
    assert.deepEqual(
        tj.spec.runtimePatches.map((p: { manager: string }) => p.manager),
        ["mlkube.dev/trainjob", "example.com/a", "example.com/empty"],
    );
    assert.deepEqual(
        tj.spec.runtimePatches[1].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec,
        {
            containers: [{ name: "node", securityContext: {} }],
            nodeSelector: { zone: "z1" },
        },
    );
    assert.deepEqual(tj.spec.runtimePatches[2], { manager: "example.com/empty" });
});

test("kubeflow: what a TrainJob cannot carry fails with the option's name and a way out", async () => {
    const kf = (extra: Partial<TrainJobArgs>) => () => new TrainJob("k", { ...base, backend: "kubeflow", ...extra });
    await assertFails(
        kf({ priorityClassName: "high" }),
        'TrainJob "k": priorityClassName: pod field priorityClassName is not supported with backend "kubeflow": the Kubeflow TrainJob API cannot express it (a runtime patch only carries serviceAccountName, volumes, containers, imagePullSecrets, securityContext, nodeSelector, affinity, tolerations, schedulingGates, terminationGracePeriodSeconds); set it in the training runtime, or use backend "jobset"',
    );
    await assertFails(
        kf({ workingDir: "/app" }),
        'TrainJob "k": workingDir: container field workingDir is not supported with backend "kubeflow": spec.trainer takes image, command, args, env and resources, and a container patch only volumeMounts and securityContext; set it in the training runtime, or use backend "jobset"',
    );
    await assertFails(
        kf({ podPatch: { hostNetwork: true } }),
        'TrainJob "k": podPatch.hostNetwork: pod field hostNetwork is not supported with backend "kubeflow": the Kubeflow TrainJob API cannot express it (a runtime patch only carries serviceAccountName, volumes, containers, imagePullSecrets, securityContext, nodeSelector, affinity, tolerations, schedulingGates, terminationGracePeriodSeconds); set it in the training runtime, or use backend "jobset"',
    );
    await assertFails(
        kf({ secrets: ["aws"] }),
        'TrainJob "k": secrets[0]: Secret "aws" is mounted as env (envFrom), which a Kubeflow TrainJob cannot express and whose keys are unknown here; list the keys in env (env: { KEY: Secret.existing("aws").ref("KEY") }), mount it as files (Secret.existing("aws", { mount: "files" })), or use backend "jobset"',
    );
    await assertFails(
        kf({ maxRestarts: 2 }),
        'TrainJob "k": maxRestarts: is not supported with backend "kubeflow": the Kubeflow TrainJob API has no such field (the runtime\'s JobSet decides it); set it in the training runtime, or use backend "jobset"',
    );
    await assertFails(
        kf({ managedBy: "example.com/mine" }),
        'TrainJob "k": managedBy: "example.com/mine" is not accepted by the Trainer; use "trainer.kubeflow.org/trainjob-controller" or "kueue.x-k8s.io/multikueue"',
    );
    await assertFails(
        () => new TrainJob("j", { ...base, runtime: { name: "torch-distributed" } }),
        'TrainJob "j": runtime: only applies with backend "kubeflow" (the jobset backend builds the JobSet itself)',
    );
});

test("both backends: reserved rendezvous env names are rejected, each with the right fix; WORLD_SIZE is not set by mlkube", async () => {
    const vars =
        "(PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT, MASTER_ADDR, MASTER_PORT, NODE_RANK)";
    for (const backend of ["jobset", "kubeflow"] as const) {
        await assertFails(
            () => new TrainJob("r", { ...base, backend, env: { PET_NNODES: "2" } }),
            `TrainJob "r": env.PET_NNODES: is reserved: TrainJob sets the torch rendezvous variables ${vars} itself${backend === "kubeflow" ? " and the Kubeflow Trainer rejects PET_* in spec.trainer.env" : ""}; set numNodes`,
        );
        await assertFails(
            () => new TrainJob("r", { ...base, backend, env: { MASTER_PORT: "1234" } }),
            `TrainJob "r": env.MASTER_PORT: is reserved: TrainJob sets the torch rendezvous variables ${vars} itself; the rendezvous port is masterPort (default 29500), which the pods expose; remove it (set masterPort) and have the program use MASTER_PORT`,
        );
        await assertFails(
            () => new TrainJob("r", { ...base, backend, env: { PET_NPROC_PER_NODE: "4" } }),
            /env\.PET_NPROC_PER_NODE: .*; set numProcPerNode$/,
        );
        // WORLD_SIZE is torchrun's (total processes): mlkube neither sets nor reserves it.
        const out = await emit(() => new TrainJob("w", { ...base, backend, env: { WORLD_SIZE: "8" } }));
        assert.deepEqual(out.errors, []);
    }
});

// ---------------------------------------------------------------------------------------------------
// Runtime patch validation (CRD + webhook + SDK rules), on both backends

test("runtimePatches: the CRD's, the webhook's and the SDK's rules, with exact messages", async () => {
    const check = (patches: unknown[], message: string, backend: "jobset" | "kubeflow" = "jobset") =>
        assertFails(() => new TrainJob("p", { ...base, backend, runtimePatches: patches as RuntimePatch[] }), message);
    await check(
        [{ manager: "team" }],
        'TrainJob "p": runtimePatches[0].manager: "team" must be a domain-prefixed path such as "example.com/my-manager"',
    );
    await check(
        [{ manager: "Example.com/x" }],
        'TrainJob "p": runtimePatches[0].manager: "Example.com/x" prefix "Example.com" is not a DNS subdomain; use a domain you own, e.g. "example.com/my-manager"',
    );
    await check(
        [{ manager: "example.com/a" }, { manager: "example.com/a" }],
        'TrainJob "p": runtimePatches[1].manager: "example.com/a" is also the manager of runtimePatches[0]; each manager may own one patch, so merge them',
    );
    await check(
        [{ manager: "mlkube.dev/trainjob" }],
        'TrainJob "p": runtimePatches[0].manager: "mlkube.dev/trainjob" is reserved for the patch mlkube writes from the pod options; use your own domain',
    );
    await check(
        Array.from({ length: 16 }, (_, i) => ({ manager: `example.com/m${i}` })),
        'TrainJob "p": runtimePatches: takes at most 15 patch(es) (a TrainJob holds 16 and mlkube uses 1 for the pod options); merge patches of the same manager',
        "kubeflow",
    );
    await check(
        [nodePatch("example.com/a", { containers: [{ name: "node", env: [{ name: "A", value: "1" }] }] })],
        'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.containers[0].env: the Trainer does not accept env for the "node" container in a patch; set it in the TrainJob\'s env instead',
    );
    await check(
        [nodePatch("example.com/a", { containers: [{ name: "sidecar" }] })],
        'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.containers[0].name: container "sidecar" does not exist in replicated job "node" of runtime "torch-distributed" (it has "node"); a patch can only change existing containers',
        "kubeflow",
    );
    await check(
        [
            {
                manager: "example.com/a",
                trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: "launcher" }] } } },
            },
        ],
        'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].name: replicated job "launcher" does not exist in the generated JobSet (it has "node"); a patch can only change existing replicated jobs',
    );
    await check(
        [
            nodePatch("example.com/a", {
                containers: [{ name: "node", volumeMounts: [{ name: "v", mountPath: "data" }] }],
            }),
        ],
        'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.containers[0].volumeMounts[0].mountPath: "data" is not an absolute path; use "/data"',
    );
    await check(
        [nodePatch("example.com/a", { initContainers: [{ name: "init", env: [{ name: "A" }] }] })],
        'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.initContainers[0].env[0]: needs a value or a valueFrom',
    );
    await check(
        [nodePatch("example.com/a", { image: "x" })],
        'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.image: unknown field (known fields: serviceAccountName, volumes, initContainers, containers, imagePullSecrets, securityContext, nodeSelector, affinity, tolerations, schedulingGates, terminationGracePeriodSeconds)',
    );
    await check(
        [
            nodePatch("example.com/a", {
                volumes: [
                    { name: "a", emptyDir: {} },
                    { name: "a", emptyDir: {} },
                ],
            }),
        ],
        'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.volumes[1].name: volume "a" is listed twice; merge the two entries',
    );
});

// ---------------------------------------------------------------------------------------------------
// Names, waiting, outputs

test("names must fit the pod hostnames they produce (RFC 1035, ≤63 with the pod suffix)", async () => {
    const long = "a".repeat(48);
    await assertFails(
        () => new TrainJob(long, { ...base, numNodes: 100 }),
        `TrainJob "${long}": "${long}" is too long for the pod names it produces: "${long}-node-0-99" plus the 5-character pod suffix is 64 characters, more than 63; with numNodes 100 use a name of at most 47 characters`,
    );
    await assertFails(
        () => new TrainJob("t", { ...base, backend: "kubeflow", name: "9lives" }),
        'TrainJob "t": name: "9lives" is not a valid TrainJob/JobSet name (an RFC 1035 label: lowercase letters, digits and \'-\', starting with a letter, ending with a letter or digit); use "lives"',
    );
    // 47 characters with 100 nodes is exactly 63.
    const ok = await emit(() => new TrainJob("x", { ...base, name: "a".repeat(47), numNodes: 100 }));
    assert.deepEqual(ok.errors, []);
    assertValidCrd(ok.get("JobSet", "x"));
});

test("waitForCompletion: waitFor stops on either terminal condition, timeout bounds it", async () => {
    const out = await emit(() => {
        new TrainJob("w", { ...base, waitForCompletion: true, timeout: 7200 });
        new TrainJob("k", { ...base, backend: "kubeflow", waitForCompletion: true });
    });
    assert.deepEqual(out.get("JobSet", "w").metadata.annotations, {
        "pulumi.com/waitFor":
            "jsonpath={.status.conditions[?(@.status=='True' && (@.type=='Completed' || @.type=='Failed'))].type}",
        "pulumi.com/timeoutSeconds": "7200",
        ...OWNER,
    });
    assert.deepEqual(out.get("TrainJob", "k").metadata.annotations, {
        "pulumi.com/waitFor":
            "jsonpath={.status.conditions[?(@.status=='True' && (@.type=='Complete' || @.type=='Failed'))].type}",
        "pulumi.com/timeoutSeconds": "86400",
        // Trainer v2.3 re-creates the JobSet of a TrainJob deleted in the foreground (see test/e2e/updates.test.ts).
        "pulumi.com/deletionPropagationPolicy": "background",
        ...OWNER,
    });
    await assertFails(
        () => new TrainJob("t", { ...base, timeout: 60 }),
        'TrainJob "t": timeout: only applies with waitForCompletion: true',
    );
});

test("waitForCompletion: a waited JobSet declares the status it waits for, so a job recorded unfinished is updated (waited for) again", async () => {
    // The provider diffs the program against the live object it recorded, pruned to the inputs: after an
    // interrupted `pulumi up` and a `pulumi refresh` the recorded JobSet has no terminalState, so it differs
    // (docs/operations.md). The API server ignores status in what is applied (status subresource).
    const out = await emit(() => {
        new TrainJob("w", { ...base, waitForCompletion: true });
        new TrainJob("n", { ...base });
        new TrainJob("k", { ...base, backend: "kubeflow", waitForCompletion: true });
        new TrainJob("j", { ...base, backend: "job", waitForCompletion: true });
    });
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.get("JobSet", "w").status, { terminalState: "Completed" });
    assert.equal(out.get("JobSet", "n").status, undefined, "a job nobody waits for declares nothing");
    // A Kubeflow TrainJob has no single terminal field; the provider's Read checks a batch/v1 Job itself.
    assert.equal(out.get("TrainJob", "k").status, undefined);
    assert.equal(out.get("Job", "j").status, undefined);
    // Status is not part of the object's schema check: what the server validates is unchanged.
    const { status: _declared, ...jobset } = out.get("JobSet", "w");
    assertValidCrd(jobset);
});

test("outputs: jobName, namespace, masterAddress, backend", async () => {
    let tj!: TrainJob;
    const out = await emit(() => {
        tj = new TrainJob("o", { ...base, backend: "kubeflow", namespace: "ml" });
    });
    assert.deepEqual(out.errors, []);
    const get = <T>(o: { apply(f: (v: T) => void): unknown }) => new Promise<T>((res) => o.apply(res));
    assert.equal(await get(tj.jobName), "o");
    assert.equal(await get(tj.namespace), "ml");
    assert.equal(await get(tj.masterAddress), "o-node-0-0.o.ml.svc");
    assert.equal(await get(tj.backend), "kubeflow");
    assert.equal(await get(tj.state), undefined);
});

test("Outputs in pod options stay Outputs (validated when they resolve)", async () => {
    const pulumi = await import("@pulumi/pulumi");
    await assertFails(
        () => new TrainJob("u", { ...base, backend: "kubeflow", namespace: pulumi.output("Bad_NS") }),
        /TrainJob "u": namespace: "Bad_NS" is not a valid Kubernetes name/,
    );
});

// ---------------------------------------------------------------------------------------------------
// The example, both backends: conformance and golden files (UPDATE_GOLDEN=1 to rewrite them)

const EXAMPLE = path.join(ROOT, "examples", "llm-finetune");
const GOLDEN = path.join(ROOT, "test", "trainjob-golden");

before(() => ensureBuilt());

for (const backend of ["jobset", "kubeflow"] as const) {
    test(`examples/llm-finetune (${backend}): every object conforms and matches the golden file`, async () => {
        const r = await render(EXAMPLE, { config: { "llm-finetune:backend": backend } });
        assert.deepEqual(
            r.errors.map((e) => e.message),
            [],
        );
        for (const o of r.objects) assertConforms(o);
        const kinds = r.objects.map((o) => o.kind);
        assert.ok(kinds.includes(backend === "jobset" ? "JobSet" : "TrainJob"));
        assert.ok(
            !kinds.includes(backend === "jobset" ? "TrainJob" : "JobSet"),
            "the Trainer owns the JobSet: never emit both",
        );
        const yaml = toYaml(r.objects, r.sources);
        const file = path.join(GOLDEN, `llm-finetune.${backend}.yaml`);
        if (process.env.UPDATE_GOLDEN || !fs.existsSync(file)) {
            fs.mkdirSync(GOLDEN, { recursive: true });
            fs.writeFileSync(file, yaml);
        }
        assert.equal(
            yaml,
            fs.readFileSync(file, "utf8"),
            `${file} is out of date; rerun with UPDATE_GOLDEN=1 and review the diff`,
        );
    });
}

test("pod builder errors speak TrainJob's vocabulary (resourcesPerNode, not resources)", async () => {
    for (const backend of ["jobset", "kubeflow"] as const) {
        await assertFails(
            () =>
                new TrainJob("r", {
                    ...base,
                    backend,
                    resourcesPerNode: { memory: "16Gi", limits: { memory: "8Gi" } },
                }),
            'TrainJob "r": resourcesPerNode.limits.memory: "8Gi" is less than the request "16Gi"; raise the limit or lower the request',
        );
    }
    await assertFails(
        () =>
            new TrainJob("c", {
                ...base,
                backend: "kubeflow",
                podPatch: { containers: [{ name: "sidecar", image: "busybox" }] },
            }),
        'TrainJob "c": podPatch.containers: container "sidecar" cannot be added with backend "kubeflow" (a runtime patch can only change containers of the runtime); use backend "jobset"',
    );
});
