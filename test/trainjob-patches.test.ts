/**
 * Typed runtime patches: serialization identical to the Kubeflow SDK's `_patch_to_dict` (the SDK's
 * documented example, key order included) and property tests over random patch trees (no empty
 * objects/lists, idempotence, field order, CRD conformance, validation agreeing with the rules).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RuntimePatch, serializePatch, TrainJob } from "../src";
import { runtimePatchSchema } from "../src/trainjob/patches";
import { domainPrefixedPathProblem } from "../src/trainjob/patches";
import { assertValidCrd } from "./conformance";
import { emit } from "./helpers";

test("serializePatch: the SDK's documented RuntimePatch, byte for byte (key order included)", () => {
    // Built in a scrambled key order on purpose: the output order is the SDK dataclasses' field order.
    const p: RuntimePatch = {
        manager: "trainer.kubeflow.org/kubeflow-sdk",
        trainingRuntimeSpec: {
            template: {
                spec: {
                    replicatedJobs: [
                        {
                            template: {
                                spec: {
                                    template: {
                                        spec: {
                                            tolerations: [
                                                { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
                                            ],
                                            nodeSelector: { "node-type": "gpu-a100" },
                                            securityContext: { fsGroup: 1000 },
                                            imagePullSecrets: [{ name: "regcred" }],
                                            containers: [
                                                {
                                                    securityContext: { allowPrivilegeEscalation: false },
                                                    volumeMounts: [
                                                        { name: "data", mountPath: "/workspace/data" },
                                                        {
                                                            name: "hf-token",
                                                            mountPath: "/var/run/secrets/hf",
                                                            readOnly: true,
                                                        },
                                                    ],
                                                    name: "node",
                                                },
                                            ],
                                            volumes: [
                                                { name: "data", persistentVolumeClaim: { claimName: "train-data" } },
                                                { name: "hf-token", secret: { secretName: "hf-token" } },
                                            ],
                                            serviceAccountName: "trainer-sa",
                                        },
                                        metadata: { annotations: { "prometheus.io/scrape": "true" } },
                                    },
                                },
                            },
                            name: "node",
                        },
                    ],
                },
                metadata: { labels: { "cost-center": "research" } },
            },
        },
    };
    const sdk =
        '{"trainingRuntimeSpec":{"template":{"metadata":{"labels":{"cost-center":"research"}},"spec":{"replicatedJobs":[{"name":"node","template":{"spec":{"template":' +
        '{"metadata":{"annotations":{"prometheus.io/scrape":"true"}},"spec":{"serviceAccountName":"trainer-sa","volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"train-data"}},' +
        '{"name":"hf-token","secret":{"secretName":"hf-token"}}],"containers":[{"name":"node","volumeMounts":[{"name":"data","mountPath":"/workspace/data"},' +
        '{"name":"hf-token","mountPath":"/var/run/secrets/hf","readOnly":true}],"securityContext":{"allowPrivilegeEscalation":false}}],"imagePullSecrets":[{"name":"regcred"}],' +
        '"securityContext":{"fsGroup":1000},"nodeSelector":{"node-type":"gpu-a100"},"tolerations":[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}]}}}}}]}}},' +
        '"manager":"trainer.kubeflow.org/kubeflow-sdk"}';
    assert.equal(JSON.stringify(serializePatch(p)), sdk);
});

test("serializePatch: like the SDK, drops empty lists and empty nested patches, keeps plain objects as given", () => {
    assert.deepEqual(serializePatch({ manager: "example.com/a" }), { manager: "example.com/a" });
    assert.deepEqual(
        serializePatch({
            manager: "example.com/a",
            trainingRuntimeSpec: { template: { spec: { replicatedJobs: [] } } },
        }),
        { manager: "example.com/a" },
    );
    assert.deepEqual(
        serializePatch({
            manager: "example.com/a",
            trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: "node", template: { spec: {} } }] } } },
        }),
        {
            trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: "node" }] } } },
            manager: "example.com/a",
        },
    );
    // A ContainerPatch with only a name is kept (it is not empty); a plain securityContext {} passes through.
    const c = serializePatch({
        manager: "example.com/a",
        trainingRuntimeSpec: {
            template: {
                spec: {
                    replicatedJobs: [
                        {
                            name: "node",
                            template: {
                                spec: {
                                    template: {
                                        spec: { containers: [{ name: "node", env: [], securityContext: {} }] },
                                    },
                                },
                            },
                        },
                    ],
                },
            },
        },
    });
    assert.deepEqual(
        (c as any).trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.containers,
        [{ name: "node", securityContext: {} }],
    );
});

// ---------------------------------------------------------------------------------------------------
// Random patch trees

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const labels = fc.dictionary(fc.constantFrom("a", "b", "example.com/c"), fc.constantFrom("x", "y", "1"), {
    maxKeys: 2,
});
const metadata = maybe(fc.record({ labels: maybe(labels), annotations: maybe(labels) }, { requiredKeys: [] }));
const mount = fc.record({ name: fc.constantFrom("v1", "v2", "v3"), mountPath: fc.constantFrom("/a", "/b", "/c") });
const container = fc.record(
    {
        name: fc.constantFrom("node", "init"),
        volumeMounts: maybe(fc.uniqueArray(mount, { maxLength: 2, selector: (m) => m.mountPath })),
        securityContext: maybe(fc.constantFrom({}, { readOnlyRootFilesystem: true })),
    },
    { requiredKeys: ["name"] },
);
const podSpec = fc.record(
    {
        serviceAccountName: maybe(fc.constantFrom("sa", "trainer")),
        volumes: maybe(
            fc.uniqueArray(fc.record({ name: fc.constantFrom("v1", "v2", "v3"), emptyDir: fc.constant({}) }), {
                maxLength: 3,
                selector: (v) => v.name,
            }),
        ),
        containers: maybe(
            fc.uniqueArray(
                container.map((c) => ({ ...c, name: "node" })),
                { maxLength: 1, selector: (c) => c.name },
            ),
        ),
        imagePullSecrets: maybe(
            fc.uniqueArray(fc.record({ name: fc.constantFrom("r1", "r2") }), { maxLength: 2, selector: (r) => r.name }),
        ),
        nodeSelector: maybe(labels),
        tolerations: maybe(
            fc.array(fc.record({ key: fc.constantFrom("a", "b"), operator: fc.constant("Exists") }), { maxLength: 2 }),
        ),
        schedulingGates: maybe(
            fc.uniqueArray(fc.record({ name: fc.constantFrom("g1", "g2") }), { maxLength: 2, selector: (g) => g.name }),
        ),
        terminationGracePeriodSeconds: maybe(fc.nat(600)),
    },
    { requiredKeys: [] },
);
const patch = fc.record(
    {
        manager: fc.constantFrom("example.com/a", "acme.io/team-x", "kueue.x-k8s.io/q"),
        trainingRuntimeSpec: maybe(
            fc.record(
                {
                    template: maybe(
                        fc.record(
                            {
                                metadata,
                                spec: maybe(
                                    fc.record(
                                        {
                                            replicatedJobs: maybe(
                                                fc.array(
                                                    fc.record(
                                                        {
                                                            name: fc.constant("node"),
                                                            template: maybe(
                                                                fc.record(
                                                                    {
                                                                        metadata,
                                                                        spec: maybe(
                                                                            fc.record(
                                                                                {
                                                                                    template: maybe(
                                                                                        fc.record(
                                                                                            {
                                                                                                metadata,
                                                                                                spec: maybe(podSpec),
                                                                                            },
                                                                                            { requiredKeys: [] },
                                                                                        ),
                                                                                    ),
                                                                                },
                                                                                { requiredKeys: [] },
                                                                            ),
                                                                        ),
                                                                    },
                                                                    { requiredKeys: [] },
                                                                ),
                                                            ),
                                                        },
                                                        { requiredKeys: ["name"] },
                                                    ),
                                                    { maxLength: 1 },
                                                ),
                                            ),
                                        },
                                        { requiredKeys: [] },
                                    ),
                                ),
                            },
                            { requiredKeys: [] },
                        ),
                    ),
                },
                { requiredKeys: [] },
            ),
        ),
    },
    { requiredKeys: ["manager"] },
) as fc.Arbitrary<RuntimePatch>;

/** Paths of the SDK's dataclass-typed positions, and the field order of each. */
const ORDER: Record<string, string[]> = {
    "": ["trainingRuntimeSpec", "manager"],
    trainingRuntimeSpec: ["template"],
    "trainingRuntimeSpec.template": ["metadata", "spec"],
    "trainingRuntimeSpec.template.spec": ["replicatedJobs"],
    "trainingRuntimeSpec.template.spec.replicatedJobs[]": ["name", "template"],
    "trainingRuntimeSpec.template.spec.replicatedJobs[].template": ["metadata", "spec"],
    "trainingRuntimeSpec.template.spec.replicatedJobs[].template.spec": ["template"],
    "trainingRuntimeSpec.template.spec.replicatedJobs[].template.spec.template": ["metadata", "spec"],
    "trainingRuntimeSpec.template.spec.replicatedJobs[].template.spec.template.spec": [
        "serviceAccountName",
        "volumes",
        "initContainers",
        "containers",
        "imagePullSecrets",
        "securityContext",
        "nodeSelector",
        "affinity",
        "tolerations",
        "schedulingGates",
        "terminationGracePeriodSeconds",
    ],
    "trainingRuntimeSpec.template.spec.replicatedJobs[].template.spec.template.spec.containers[]": [
        "name",
        "env",
        "volumeMounts",
        "securityContext",
    ],
};

function checkShape(v: any, at: string): void {
    const order = ORDER[at];
    if (!order) return; // plain Kubernetes objects: passed through as given
    const keys = Object.keys(v);
    assert.ok(keys.length > 0, `${at || "(root)"} is an empty object`);
    assert.deepEqual(
        keys,
        order.filter((k) => k in v),
        `${at || "(root)"}: keys out of SDK order`,
    );
    for (const k of keys) {
        const child = at ? `${at}.${k}` : k;
        assert.notEqual(v[k], undefined);
        if (Array.isArray(v[k])) {
            if (
                ORDER[`${child}[]`] ||
                ["volumes", "tolerations", "imagePullSecrets", "schedulingGates", "volumeMounts", "env"].includes(k)
            )
                assert.ok(v[k].length > 0, `${child} is an empty list`);
            for (const e of v[k]) checkShape(e, `${child}[]`);
        } else if (v[k] && typeof v[k] === "object") checkShape(v[k], child);
    }
}

test("property: serialized patches have no empty patch objects or lists, SDK key order, and are stable", () => {
    fc.assert(
        fc.property(patch, (p) => {
            const s = serializePatch(p);
            checkShape(s, "");
            assert.deepEqual(serializePatch(s as unknown as RuntimePatch), s, "idempotent");
            assert.ok(!("time" in s));
            assert.equal(s.manager, p.manager);
        }),
        { numRuns: 500 },
    );
});

test("property: patches the schema accepts yield CRD-valid TrainJobs (both backends render them)", async () => {
    const samples = fc.sample(
        patch.filter((p) => runtimePatchSchema().safeParse(p).success),
        { numRuns: 40, seed: 42 },
    );
    for (const p of samples) {
        // The jobset backend only knows container "node"; the kubeflow default runtime too.
        const out = await emit(() => {
            new TrainJob("a", { image: "x", backend: "kubeflow", runtimePatches: [p] });
            new TrainJob("b", { image: "x", runtimePatches: [p] });
        });
        assert.deepEqual(
            out.errors.map((e) => e.message),
            [],
            JSON.stringify(p),
        );
        assertValidCrd(out.get("TrainJob", "a"));
        assertValidCrd(out.get("JobSet", "b"));
    }
});

test("property: the jobset backend merges patch nodeSelectors in order, later managers win", async () => {
    const selectors = fc.array(labels, { minLength: 1, maxLength: 4 });
    for (const sels of fc.sample(selectors, { numRuns: 20, seed: 7 })) {
        const runtimePatches = sels.map((nodeSelector, i) => ({
            manager: `example.com/m${i}`,
            trainingRuntimeSpec: {
                template: {
                    spec: {
                        replicatedJobs: [
                            { name: "node", template: { spec: { template: { spec: { nodeSelector } } } } },
                        ],
                    },
                },
            },
        }));
        const out = await emit(() => new TrainJob("m", { image: "x", nodeSelector: { base: "1" }, runtimePatches }));
        const expected = Object.assign({ base: "1" }, ...sels);
        assert.deepEqual(
            out.get("JobSet", "m").spec.replicatedJobs[0].template.spec.template.spec.nodeSelector,
            expected,
        );
    }
});

test("property: manager validation is Kubernetes' IsDomainPrefixedPath", () => {
    const oracle = (s: string) => {
        const i = s.indexOf("/");
        if (i <= 0) return false;
        const host = s.slice(0, i);
        const rest = s.slice(i + 1);
        return (
            host.length <= 253 &&
            /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(host) &&
            /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest)
        );
    };
    const piece = fc.constantFrom("a", "example", "com", "x-y", "-", ".", "/", "A", "_", " ", "9", "~", "?");
    fc.assert(
        fc.property(
            fc.array(piece, { maxLength: 8 }).map((a) => a.join("")),
            (s) => {
                assert.equal(domainPrefixedPathProblem(s) === undefined, oracle(s), s);
            },
        ),
        { numRuns: 2000 },
    );
});
