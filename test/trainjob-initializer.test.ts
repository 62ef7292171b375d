/**
 * TrainJob `initializer` (the Kubeflow SDK's dataset/model Initializer) on every backend, under mocks:
 * the same paths for the training script everywhere (/workspace/dataset, /workspace/model), JobSet
 * replicated jobs with dependsOn on a ReadWriteMany claim, init containers for the job backend, Kubeflow's
 * spec.initializer, conformance, and the refusals (no RWX claim, the stock runtime without initializers).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Secret, TrainJob, TrainJobArgs, Volume } from "../src";
import { assertConforms } from "./conformance";
import { assertFails, emit } from "./helpers";

const base: TrainJobArgs = { image: "ghcr.io/acme/train:1.0", command: ["torchrun"], args: ["/app/train.py"] };
const mounts = (c: any) =>
    (c.volumeMounts ?? []).map((m: any) => `${m.name}:${m.mountPath}${m.subPath ? `:${m.subPath}` : ""}`).sort();
const envOf = (c: any, n: string) => (c.env ?? []).find((e: any) => e.name === n);

test("initializer (jobset): dataset/model replicated jobs that node depends on, one RWX claim with subPaths", async () => {
    const out = await emit(() => {
        const store = new Volume("store", { size: "500Gi", accessMode: "ReadWriteMany" });
        const hf = new Secret("hf", { env: { HF_TOKEN: "t" } });
        return new TrainJob("ft", {
            ...base,
            numNodes: 2,
            initializer: {
                dataset: { storageUri: "hf://tatsu-lab/alpaca" },
                model: {
                    storageUri: "hf://meta-llama/Llama-3.2-1B",
                    secret: hf,
                    env: { ACCESS_TOKEN: hf.ref("HF_TOKEN") },
                },
                volume: store,
            },
        });
    });
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const js = out.get("JobSet", "ft");
    assertConforms(js);
    assert.deepEqual(
        js.spec.replicatedJobs.map((r: any) => r.name),
        ["dataset-initializer", "model-initializer", "node"],
    );
    const [ds, md, node] = js.spec.replicatedJobs;
    assert.deepEqual(node.dependsOn, [
        { name: "dataset-initializer", status: "Complete" },
        { name: "model-initializer", status: "Complete" },
    ]);
    assert.equal(ds.dependsOn, undefined);
    assert.deepEqual(
        js.spec.startupPolicy,
        { startupPolicyOrder: "AnyOrder" },
        "the CRD allows dependsOn only with AnyOrder",
    );
    assert.deepEqual({ p: ds.template.spec.parallelism, c: ds.template.spec.completions }, { p: 1, c: 1 });
    const dsc = ds.template.spec.template.spec.containers[0];
    assert.equal(dsc.name, "dataset-initializer");
    assert.equal(dsc.image, "ghcr.io/kubeflow/trainer/dataset-initializer:v2.3.0");
    assert.deepEqual(envOf(dsc, "STORAGE_URI"), { name: "STORAGE_URI", value: "hf://tatsu-lab/alpaca" });
    assert.deepEqual(mounts(dsc), ["pvc-store:/workspace/dataset:dataset"]);
    // Secure defaults pass PSS restricted; the images run as root otherwise, which runAsNonRoot refuses.
    assert.equal(dsc.securityContext.runAsUser, 1000);
    assert.equal(ds.template.spec.template.spec.securityContext.runAsNonRoot, true);
    const mdc = md.template.spec.template.spec.containers[0];
    assert.deepEqual(mounts(mdc), ["pvc-store:/workspace/model:model"]);
    assert.deepEqual(mdc.envFrom, [{ secretRef: { name: "hf" } }]);
    assert.deepEqual(envOf(mdc, "ACCESS_TOKEN").valueFrom, { secretKeyRef: { name: "hf", key: "HF_TOKEN" } });
    const nc = node.template.spec.template.spec.containers[0];
    assert.deepEqual(mounts(nc), ["pvc-store:/workspace/dataset:dataset", "pvc-store:/workspace/model:model"]);
    // The claim and the Secret are created first.
    const deps = out.resource("JobSet", "ft").options.dependsOn ?? [];
    assert.ok(deps.some((u) => u.endsWith("::store")) && deps.some((u) => u.endsWith("::hf")), deps.join(", "));
});

test("initializer (job): init containers in every pod, an emptyDir per kind, the node sees the same paths", async () => {
    const out = await emit(
        () =>
            new TrainJob("ft", {
                ...base,
                backend: "job",
                numNodes: 2,
                initializer: {
                    dataset: { storageUri: "s3://bucket/data", image: "registry.local/ds-init:1" },
                    model: { storageUri: "hf://org/model" },
                },
            }),
    );
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const job = out.get("Job", "ft");
    assertConforms(job);
    const spec = job.spec.template.spec;
    assert.deepEqual(
        spec.initContainers.map((c: any) => [c.name, c.image]),
        [
            ["dataset-initializer", "registry.local/ds-init:1"],
            ["model-initializer", "ghcr.io/kubeflow/trainer/model-initializer:v2.3.0"],
        ],
    );
    assert.deepEqual(
        spec.volumes
            .filter((v: any) => v.emptyDir)
            .map((v: any) => v.name)
            .sort(),
        ["dataset-initializer", "model-initializer"],
    );
    assert.deepEqual(mounts(spec.initContainers[0]), ["dataset-initializer:/workspace/dataset"]);
    assert.deepEqual(mounts(spec.containers[0]), [
        "dataset-initializer:/workspace/dataset",
        "model-initializer:/workspace/model",
    ]);
    assert.equal(envOf(spec.initContainers[1], "STORAGE_URI").value, "hf://org/model");
    // With a claim: subPath mounts of one pod volume, like the jobset backend.
    const claim = await emit(
        () =>
            new TrainJob("c", {
                ...base,
                backend: "job",
                initializer: { model: { storageUri: "hf://org/model" }, volume: "models" },
            }),
    );
    assert.deepEqual(
        claim.errors.map((e) => e.message),
        [],
    );
    const cs = claim.get("Job", "c").spec.template.spec;
    assert.deepEqual(cs.volumes, [{ name: "pvc-models", persistentVolumeClaim: { claimName: "models" } }]);
    assert.deepEqual(mounts(cs.containers[0]), ["pvc-models:/workspace/model:model"]);
    assert.deepEqual(mounts(cs.initContainers[0]), ["pvc-models:/workspace/model:model"]);
});

test("initializer (kubeflow): spec.initializer for a runtime that has initializer jobs; refused for the stock torch-distributed", async () => {
    const out = await emit(() => {
        const hf = Secret.existing("hf-token");
        return new TrainJob("tt", {
            ...base,
            backend: "kubeflow",
            runtime: { name: "torchtune-llama3.2-1b" },
            initializer: {
                dataset: { storageUri: "hf://tatsu-lab/alpaca", env: { SPLIT: "train" } },
                model: { storageUri: "hf://meta-llama/Llama-3.2-1B", secret: hf },
            },
        });
    });
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const tj = out.get("TrainJob", "tt");
    assertConforms(tj);
    assert.deepEqual(tj.spec.initializer, {
        dataset: { storageUri: "hf://tatsu-lab/alpaca", env: [{ name: "SPLIT", value: "train" }] },
        model: { storageUri: "hf://meta-llama/Llama-3.2-1B", secretRef: { name: "hf-token" } },
    });
    await assertFails(
        () => new TrainJob("k", { ...base, backend: "kubeflow", initializer: { model: { storageUri: "hf://org/m" } } }),
        'TrainJob "k": initializer: needs a training runtime with dataset-initializer/model-initializer jobs: the stock "torch-distributed" runtime of Trainer v2.3 has none, so the Trainer\'s webhook would reject the TrainJob; set runtime to one that has them (e.g. a torchtune runtime, or your own), or use backend "jobset" or "job"',
    );
    await assertFails(
        () =>
            new TrainJob("k", {
                ...base,
                backend: "kubeflow",
                runtime: { name: "mine" },
                initializer: { model: { storageUri: "hf://org/m", image: "x" }, volume: "c" },
            }),
        /initializer\.volume: is not used with backend "kubeflow".*\n.*initializer\.model\.image: is not used with backend "kubeflow"/,
    );
});

test("initializer: refusals (jobset without a RWX claim, bad URIs, nothing to fetch, long names, builder errors point inside)", async () => {
    await assertFails(
        () => new TrainJob("j", { ...base, initializer: { dataset: { storageUri: "hf://d" } } }),
        'TrainJob "j": initializer.volume: is required with backend "jobset": the initializers and the nodes are different pods, so they share the data through a ReadWriteMany claim; give a Volume with accessMode "ReadWriteMany" (or the name of such a claim), or use backend "job" (init containers in each pod)',
    );
    await assertFails(
        () =>
            new TrainJob("j", {
                ...base,
                initializer: { dataset: { storageUri: "hf://d" }, volume: new Volume("rwo", { size: "1Gi" }) },
            }),
        'TrainJob "j": initializer.volume: has accessMode "ReadWriteOnce", but with backend "jobset" the initializer pods and every node pod mount it, possibly on different nodes; use accessMode "ReadWriteMany", or backend "job"',
    );
    await assertFails(
        () => new TrainJob("j", { ...base, backend: "job", initializer: { dataset: { storageUri: "alpaca" } } }),
        'TrainJob "j": initializer.dataset.storageUri: "alpaca" is not a storage URI; write scheme://location, e.g. "hf://meta-llama/Llama-3.2-1B" or "s3://bucket/prefix"',
    );
    await assertFails(
        () => new TrainJob("j", { ...base, backend: "job", initializer: {} }),
        'TrainJob "j": initializer: needs dataset, model or both',
    );
    const long = "a".repeat(40);
    await assertFails(
        () => new TrainJob(long, { ...base, initializer: { model: { storageUri: "hf://m" }, volume: "shared" } }),
        `TrainJob "${long}": "${long}" is too long for the initializer pods it produces: "${long}-model-initializer-0-0" plus the 5-character pod suffix is 68 characters, more than 63; use a name of at most 35 characters`,
    );
    await assertFails(
        () =>
            new TrainJob("j", {
                ...base,
                backend: "job",
                initializer: { dataset: { storageUri: "hf://d", secret: "Bad_Name" } },
            }),
        /TrainJob "j": initializer\.dataset\.secret: "Bad_Name" is not a valid DNS subdomain/,
    );
});
