/**
 * Stack-wide workload defaults (src/workload/defaults.ts): `mlkube:profiles` + `profile`, `mlkube:volumes` /
 * `mlkube:secrets` + `defaultMounts`, `mlkube:resources`; on Compute and on both TrainJob backends.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Compute, Secret, TrainJob, Volume } from "../src";
import { mergeProfile, PROFILE_MERGE } from "../src/workload/defaults";
import { assertConforms } from "./conformance";
import { assertFails, emit } from "./helpers";

const base = { image: "ghcr.io/acme/server:1.0" };

const PROFILES = JSON.stringify({
    a100: {
        nodeSelector: { "nvidia.com/gpu.product": "A100-SXM4-80GB", pool: "gpu" },
        tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }],
        priorityClassName: "gpu-batch",
        runtimeClassName: "nvidia",
        labels: { "cost-center": "gpu" },
        resources: {
            gpuVendor: "nvidia",
            cpu: 8,
            memory: "64Gi",
            limits: { memory: "80Gi" },
            extendedResources: { "rdma/hca": 1 },
        },
        sharedMemory: "16Gi",
        terminationGracePeriodSeconds: 120,
    },
    mi300: { resources: { gpuVendor: "amd" }, nodeSelector: "amd.com/gpu.product=MI300X" },
    cpu: { nodeSelector: { pool: "cpu" } },
});

test("profiles: a profile presets pod options; explicit args win field by field (scalars replace, maps merge, lists append)", async () => {
    const out = await emit(
        () =>
            new Compute("llm", {
                ...base,
                profile: "a100",
                nodeSelector: { pool: "gpu-spot" },
                tolerations: [{ key: "spot", operator: "Exists", effect: "NoSchedule" }],
                priorityClassName: "gpu-interactive",
                labels: { team: "nlp" },
                resources: { gpu: 1, memory: "32Gi" },
            }),
        { "mlkube:profiles": PROFILES },
    );
    const d = out.get("Deployment", "llm");
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    // map: keys merge, the arg's value wins
    assert.deepEqual(pod.nodeSelector, { "nvidia.com/gpu.product": "A100-SXM4-80GB", pool: "gpu-spot" });
    // append: the profile's list, then the arg's, then the automatic GPU toleration
    assert.deepEqual(
        pod.tolerations.map((t: any) => t.key),
        ["dedicated", "spot", "nvidia.com/gpu"],
    );
    // scalar: the arg replaces
    assert.equal(pod.priorityClassName, "gpu-interactive");
    assert.equal(pod.runtimeClassName, "nvidia");
    assert.equal(pod.terminationGracePeriodSeconds, 120);
    // resources: per field; limits and extendedResources merge as maps
    assert.deepEqual(c.resources, {
        requests: { cpu: "8", memory: "32Gi", "nvidia.com/gpu": "1", "rdma/hca": "1" },
        limits: { memory: "80Gi", "nvidia.com/gpu": "1", "rdma/hca": "1" },
    });
    assert.ok(pod.volumes.some((v: any) => v.name === "dshm" && v.emptyDir.sizeLimit === "16Gi"));
    // labels: merged on the object (labels are object metadata, podLabels the pods'); both name the profile
    assert.equal(d.metadata.labels["cost-center"], "gpu");
    assert.equal(d.metadata.labels.team, "nlp");
    for (const labels of [d.metadata.labels, d.spec.template.metadata.labels])
        assert.equal(labels["mlkube.dev/profile"], "a100");
    assert.equal(d.spec.template.metadata.labels["cost-center"], undefined);
    assertConforms(d);
});

test("profiles: a profile's gpuVendor applies to workloads that ask for GPUs only; string node selectors merge", async () => {
    const cfg = { "mlkube:profiles": PROFILES };
    const gpu = (await emit(() => new Compute("g", { ...base, profile: "mi300", resources: { gpu: 2 } }), cfg)).get(
        "Deployment",
        "g",
    );
    assert.deepEqual(gpu.spec.template.spec.containers[0].resources.limits, { "amd.com/gpu": "2" });
    assert.deepEqual(gpu.spec.template.spec.nodeSelector, { "amd.com/gpu.product": "MI300X" });
    const cpu = (await emit(() => new Compute("c", { ...base, profile: "mi300", nodeSelector: "zone=a" }), cfg)).get(
        "Deployment",
        "c",
    );
    assert.equal(
        cpu.spec.template.spec.containers[0].resources,
        undefined,
        "no GPUs asked, so the vendor is dropped (not an error)",
    );
    assert.deepEqual(cpu.spec.template.spec.nodeSelector, { "amd.com/gpu.product": "MI300X", zone: "a" });
});

test("profiles: TrainJob on both backends (resources become resourcesPerNode; kubeflow refuses what a TrainJob cannot carry)", async () => {
    const cfg = { "mlkube:profiles": PROFILES };
    const js = (
        await emit(
            () => new TrainJob("ft", { ...base, profile: "a100", numNodes: 2, resourcesPerNode: { gpu: 8 } }),
            cfg,
        )
    ).get("JobSet", "ft");
    const pod = js.spec.replicatedJobs[0].template.spec.template.spec;
    assert.equal(pod.containers[0].resources.requests["nvidia.com/gpu"], "8");
    assert.equal(pod.containers[0].resources.requests.cpu, "8");
    assert.equal(pod.priorityClassName, "gpu-batch");
    assert.equal(js.metadata.labels["mlkube.dev/profile"], "a100");
    assertConforms(js);
    const kf = (await emit(() => new TrainJob("kf", { ...base, backend: "kubeflow", profile: "cpu" }), cfg)).get(
        "TrainJob",
        "kf",
    );
    const patch =
        kf.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec;
    assert.deepEqual(patch.nodeSelector, { pool: "cpu" });
    assertConforms(kf);
    await assertFails(
        () => new TrainJob("kf2", { ...base, backend: "kubeflow", profile: "a100" }),
        /^TrainJob "kf2": 2 problems\n {2}- priorityClassName: pod field priorityClassName is not supported with backend "kubeflow"/,
        cfg,
    );
});

test("profiles: an unknown name lists the known ones; no profiles configured says so", async () => {
    await assertFails(
        () => new Compute("api", { ...base, profile: "a10" }),
        'Compute "api": profile: "a10" is not a profile of this stack; did you mean "a100"? (mlkube:profiles has "a100", "mi300", "cpu")',
        { "mlkube:profiles": PROFILES },
    );
    await assertFails(
        () => new TrainJob("t", { ...base, profile: "a100" }),
        'TrainJob "t": profile: "a100" is not a profile of this stack: mlkube:profiles is not set; define it in the stack config or remove profile',
    );
});

test("profiles: each profile is validated with the PodOptions schema; errors name mlkube:profiles.<name>.<field>", async () => {
    const bad = JSON.stringify({
        a100: {
            nodeSelector: { "nvidia.com/gpu.product": "A100 80GB" },
            resources: { memory: "16GB" },
            image: "x",
            tolerationz: [],
        },
    });
    await assertFails(
        () => new Compute("api", { ...base, profile: "a100" }),
        [
            'Stack config "dev": 4 problems',
            "  - mlkube:profiles.a100.nodeSelector[\"nvidia.com/gpu.product\"]: label value \"A100 80GB\" is invalid (at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric); use \"A100-80GB\"",
            '  - mlkube:profiles.a100.resources.memory: "16GB" is not a Kubernetes quantity; use "16Gi"',
            "  - mlkube:profiles.a100.image: unknown field (known fields: nodeSelector, tolerations, gpuToleration, affinity, topologySpreadConstraints, priorityClassName, runtimeClassName, serviceAccountName, imagePullPolicy, imagePullSecrets, labels, annotations, podLabels, podAnnotations, env, resources, volumes, secrets, sharedMemory, secureDefaults, securityContext, containerSecurityContext, terminationGracePeriodSeconds, preStop, podPatch)",
            '  - mlkube:profiles.a100.tolerationz: unknown field; did you mean "tolerations"?',
        ].join("\n"),
        { "mlkube:profiles": bad },
    );
    await assertFails(() => new Compute("api", base), /^Stack config "dev": mlkube:profiles\["bad name"\]: /, {
        "mlkube:profiles": '{"bad name":{}}',
    });
});

test("mlkube:volumes and mlkube:secrets mount into every workload; the workload's own mount wins; defaultMounts: false opts out", async () => {
    const cfg = {
        "mlkube:volumes": JSON.stringify([
            "datasets",
            { claimName: "hf-cache", mountPath: "/root/.cache/huggingface", readOnly: true },
        ]),
        "mlkube:secrets": JSON.stringify(["wandb", { name: "s3-creds", mount: "files", mountPath: "/etc/s3" }]),
    };
    const out = await emit(() => {
        const data = Volume.existing("datasets", { mountPath: "/data" });
        new Compute("api", { ...base, volumes: [data] });
        new TrainJob("ft", { ...base });
        new Compute("bare", { ...base, defaultMounts: false });
        new Compute("own", { ...base, secrets: [Secret.existing("wandb", { mount: "files" })] });
    }, cfg);
    const api = out.get("Deployment", "api").spec.template.spec;
    assert.deepEqual(api.containers[0].volumeMounts, [
        { name: "pvc-datasets", mountPath: "/data" },
        { name: "pvc-hf-cache", mountPath: "/root/.cache/huggingface", readOnly: true },
        { name: "secret-s3-creds", mountPath: "/etc/s3", readOnly: true },
    ]);
    assert.deepEqual(api.containers[0].envFrom, [{ secretRef: { name: "wandb" } }]);
    const ft = out.get("JobSet", "ft").spec.replicatedJobs[0].template.spec.template.spec;
    assert.deepEqual(
        ft.volumes.map((v: any) => v.name),
        ["pvc-datasets", "pvc-hf-cache", "secret-s3-creds"],
    );
    assert.equal(ft.containers[0].volumeMounts[0].mountPath, "/mnt/datasets");
    const bare = out.get("Deployment", "bare").spec.template.spec;
    assert.equal(bare.volumes, undefined);
    assert.equal(bare.containers[0].envFrom, undefined);
    const own = out.get("Deployment", "own").spec.template.spec;
    assert.equal(own.containers[0].envFrom, undefined, "the workload mounts wandb as files itself");
    assert.ok(own.volumes.some((v: any) => v.name === "secret-wandb"));
    await assertFails(() => new Compute("x", base), /^Stack config "dev": mlkube:volumes\[0\]\.mountPath: /, {
        "mlkube:volumes": '[{"claimName":"a","mountPath":"rel"}]',
    });
});

test("mlkube:resources fills each request a workload leaves unset; a limit alone is left as the request", async () => {
    const cfg = { "mlkube:resources": JSON.stringify({ cpu: 1, memory: "4Gi", ephemeralStorage: "10Gi" }) };
    const out = await emit(() => {
        new Compute("none", base);
        new Compute("some", { ...base, resources: { memory: "16Gi", limits: { cpu: 4 } } });
        new TrainJob("ft", { ...base, resourcesPerNode: { gpu: 1 } });
    }, cfg);
    assert.deepEqual(out.get("Deployment", "none").spec.template.spec.containers[0].resources, {
        requests: { cpu: "1", memory: "4Gi", "ephemeral-storage": "10Gi" },
    });
    assert.deepEqual(out.get("Deployment", "some").spec.template.spec.containers[0].resources, {
        requests: { memory: "16Gi", "ephemeral-storage": "10Gi" },
        limits: { cpu: "4" },
    });
    const ft = out.get("JobSet", "ft").spec.replicatedJobs[0].template.spec.template.spec.containers[0];
    assert.deepEqual(ft.resources.requests, {
        cpu: "1",
        memory: "4Gi",
        "ephemeral-storage": "10Gi",
        "nvidia.com/gpu": "1",
    });
    // Without the key nothing is invented: the namespace's LimitRange (if any) decides.
    const plain = await emit(() => new Compute("p", base));
    assert.equal(plain.get("Deployment", "p").spec.template.spec.containers[0].resources, undefined);
    await assertFails(
        () => new Compute("x", base),
        'Stack config "dev": mlkube:resources.memory: "4GB" is not a Kubernetes quantity; use "4Gi"',
        { "mlkube:resources": '{"memory":"4GB"}' },
    );
});

test("kubeflow: a stack env Secret (keys unknown) fails naming mlkube:secrets and the ways out", async () => {
    const cfg = { "mlkube:secrets": '["wandb"]' };
    await assertFails(
        () => new TrainJob("kf", { ...base, backend: "kubeflow" }),
        'TrainJob "kf": defaultMounts: mlkube:secrets mounts Secret "wandb" as env (envFrom), which a Kubeflow TrainJob cannot express and whose keys are unknown here; give it mount: "files" in mlkube:secrets, set defaultMounts: false on this TrainJob, or use backend "jobset"',
        cfg,
    );
    const ok = await emit(() => new TrainJob("kf", { ...base, backend: "kubeflow", defaultMounts: false }), cfg);
    assertConforms(ok.get("TrainJob", "kf"));
});

const key = fc.constantFrom("a", "b", "c", "example.com/d");
const value = fc.constantFrom("x", "y", "z");
// Plain objects, as JSON config and TypeScript literals give (null-prototype objects are i12b's fuzz suite's).
const smallMap = fc.dictionary(key, value, { maxKeys: 3, noNullPrototype: true });
const toleration = fc.record({
    key: fc.constantFrom("gpu", "spot", "dedicated"),
    operator: fc.constant("Exists"),
    effect: fc.constant("NoSchedule"),
});
const podFields = fc.record(
    {
        nodeSelector: smallMap,
        labels: smallMap,
        env: fc.dictionary(fc.constantFrom("A", "B", "C"), value, { maxKeys: 3, noNullPrototype: true }),
        tolerations: fc.array(toleration, { maxLength: 3 }),
        priorityClassName: fc.constantFrom("low", "high"),
        terminationGracePeriodSeconds: fc.integer({ min: 0, max: 600 }),
        resources: fc.record(
            {
                cpu: fc.constantFrom("1", "2"),
                memory: fc.constantFrom("1Gi", "2Gi"),
                extendedResources: fc.dictionary(fc.constantFrom("rdma/hca", "vpc.amazonaws.com/efa"), fc.nat(8), {
                    maxKeys: 2,
                    noNullPrototype: true,
                }),
            },
            { requiredKeys: [], noNullPrototype: true },
        ),
        securityContext: fc.record(
            { runAsUser: fc.integer({ min: 1, max: 2000 }), fsGroup: fc.integer({ min: 1, max: 2000 }) },
            { requiredKeys: [], noNullPrototype: true },
        ),
    },
    { requiredKeys: [], noNullPrototype: true },
);

test("property: explicit args always win over the profile; nothing of either is lost", () => {
    fc.assert(
        fc.property(podFields, podFields, (profile, args) => {
            const out = mergeProfile(profile, args, "resources") as any;
            for (const [field, rule] of Object.entries(PROFILE_MERGE)) {
                const p = (profile as any)[field];
                const a = (args as any)[field];
                if (p === undefined && a === undefined) {
                    assert.equal(out[field], undefined);
                    continue;
                }
                if (rule === "replace") assert.deepEqual(out[field], a ?? p);
                else if (rule === "map" || rule === "deep") assert.deepEqual({ ...out[field] }, { ...p, ...a }, field);
                else if (rule === "append") {
                    // the arg's list is kept whole, at the end; profile entries not in it come first
                    const got = out[field] as unknown[];
                    assert.deepEqual(got.slice(got.length - (a ?? []).length), a ?? []);
                    for (const e of p ?? [])
                        assert.ok(
                            got.some((g) => JSON.stringify(g) === JSON.stringify(e)),
                            "profile entry kept",
                        );
                } else {
                    for (const k of ["cpu", "memory"]) assert.equal(out.resources[k], a?.[k] ?? p?.[k]);
                    const ext = out.resources.extendedResources;
                    assert.deepEqual(
                        ext && { ...ext },
                        p?.extendedResources || a?.extendedResources
                            ? { ...p?.extendedResources, ...a?.extendedResources }
                            : undefined,
                    );
                }
            }
            // the inputs are not modified
            assert.ok(!Object.is(out, args));
        }),
        { numRuns: 300, seed: 14 },
    );
});
