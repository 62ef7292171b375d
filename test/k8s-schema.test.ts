/**
 * Embedded Kubernetes objects (tolerations, affinity, topology spread, security contexts, podPatch, the
 * pod parts of runtimePatches, `mlkube:tolerations`) are checked against the Kubernetes v1.34 OpenAPI
 * schema (src/schema/k8s-openapi.generated.ts): unknown fields with "did you mean", enums, types,
 * required fields, int32 ranges, list-map keys; Outputs inside them are checked when they resolve.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { Compute, TrainJob } from "../src";
import { K8sType, k8sIssues } from "../src/schema/k8s";
import { DEFINITIONS, KUBERNETES_VERSION } from "../src/schema/k8s-openapi.generated";
import { assertFails, assertThrows, emit } from "./helpers";

const base = { image: "img" };
const api = (extra: object) => () => new Compute("api", { ...base, ...extra });

test("k8s schema: tolerations — unknown field with did you mean, enums, types", () => {
    assertThrows(
        api({ tolerations: [{ key: "a", operater: "Exists" }] }),
        'Compute "api": tolerations[0].operater: unknown field; did you mean "operator"?',
    );
    assertThrows(
        api({ tolerations: [{ key: "a", operator: "Exists", effect: "NoScheduel" }] }),
        'Compute "api": tolerations[0].effect: "NoScheduel" is not one of "NoSchedule", "PreferNoSchedule", "NoExecute"; did you mean "NoSchedule"?',
    );
    assertThrows(
        api({ tolerations: [{ key: "a", operator: "Exists", tolerationSeconds: "60" }] }),
        'Compute "api": tolerations[0].tolerationSeconds: expected an integer, got a string',
    );
    assertThrows(
        api({ tolerations: [null] }),
        'Compute "api": tolerations[0]: expected an object (Kubernetes Toleration), got null',
    );
});

test("k8s schema: security contexts — types, enums, nested definitions, merged over the defaults", () => {
    assertThrows(
        api({ securityContext: { runAsUser: "root" } }),
        'Compute "api": securityContext.runAsUser: expected an integer, got a string',
    );
    assertThrows(
        api({ securityContext: { runAsUser: 1.5 } }),
        'Compute "api": securityContext.runAsUser: expected an integer, got 1.5',
    );
    assertThrows(
        api({ securityContext: { seccompProfile: { type: "runtimedefault" } } }),
        'Compute "api": securityContext.seccompProfile.type: "runtimedefault" is not one of "Unconfined", "RuntimeDefault", "Localhost"; did you mean "RuntimeDefault"?',
    );
    assertThrows(
        api({ containerSecurityContext: { seLinuxOptions: { levle: "s0" } } }),
        'Compute "api": containerSecurityContext.seLinuxOptions.levle: unknown field; did you mean "level"?',
    );
    // Security contexts are merged over the secure defaults: a field the defaults supply is not required here.
    new Compute("merged", { ...base, securityContext: { seccompProfile: {} as never } });
    assertThrows(
        api({ containerSecurityContext: { capabilities: { drop: "ALL" } } }),
        'Compute "api": containerSecurityContext.capabilities.drop: expected a list, got a string',
    );
    assertThrows(
        api({ containerSecurityContext: { readOnlyRootFS: true } }),
        'Compute "api": containerSecurityContext.readOnlyRootFS: unknown field; did you mean "readOnlyRootFilesystem"?',
    );
    assertThrows(
        api({ containerSecurityContext: { procMount: "unmasked" } }),
        'Compute "api": containerSecurityContext.procMount: "unmasked" is not one of "Default", "Unmasked"; did you mean "Unmasked"?',
    );
});

test("k8s schema: affinity and topology spread — unknown fields, required fields, operators", () => {
    assertThrows(
        api({ affinity: { foo: 1 } }),
        'Compute "api": affinity.foo: unknown field (Kubernetes Affinity has nodeAffinity, podAffinity, podAntiAffinity)',
    );
    assertThrows(
        api({
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "in", values: ["a"] }] }],
                    },
                },
            },
        }),
        'Compute "api": affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: "in" is not one of "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"; did you mean "In"?',
    );
    assertThrows(
        api({ topologySpreadConstraints: [{ maxSkew: 1 }] }),
        'Compute "api": 2 problems\n  - topologySpreadConstraints[0].topologyKey: is required\n  - topologySpreadConstraints[0].whenUnsatisfiable: is required',
    );
    assertThrows(
        api({
            topologySpreadConstraints: [{ maxSkew: 2 ** 31, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }],
        }),
        'Compute "api": topologySpreadConstraints[0].maxSkew: 2147483648 is out of range: must be at most 2147483647 (a 32-bit integer)',
    );
});

test("k8s schema: podPatch is a PodSpec patch — nested unknown fields, merge keys required, null deletes", async () => {
    assertThrows(
        api({ podPatch: { volumes: [{ name: "x", persistentVolumeClaim: { claimname: "c" } }] } }),
        'Compute "api": podPatch.volumes[0].persistentVolumeClaim.claimname: unknown field; did you mean "claimName"?',
    );
    assertThrows(
        api({ podPatch: { hostNetwrk: true } }),
        'Compute "api": podPatch.hostNetwrk: unknown field; did you mean "hostNetwork"?',
    );
    assertThrows(
        api({ podPatch: { containers: [{ image: "x" }] } }),
        'Compute "api": podPatch.containers[0].name: is required (containers are merged by name)',
    );
    assertThrows(
        api({ podPatch: { dnsPolicy: "clusterfirst" } }),
        'Compute "api": podPatch.dnsPolicy: "clusterfirst" is not one of "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"; did you mean "ClusterFirst"?',
    );
    assertThrows(
        api({ podPatch: { containers: [{ name: "main", ports: [{ containerPort: 80 }, { containerPort: 80 }] }] } }),
        'Compute "api": podPatch.containers[0].ports[1]: duplicates item [0] (same containerPort 80, protocol unset); Kubernetes keys this list by containerPort and protocol',
    );
    assertThrows(
        api({ podPatch: { containers: [null] } }),
        'Compute "api": podPatch.containers[0]: expected an object (Kubernetes Container), got null',
    );
    // A patch may leave out required fields of existing items and delete a field with null.
    const out = await emit(
        api({ podPatch: { containers: [{ name: "main", workingDir: "/w" }], terminationGracePeriodSeconds: null } }),
    );
    assert.equal(out.get("Deployment", "api").spec.template.spec.containers[0].workingDir, "/w");
});

test("k8s schema: the pod parts of runtimePatches", () => {
    const patch = (spec: object) => () =>
        new TrainJob("t", {
            image: "img",
            runtimePatches: [
                {
                    manager: "example.com/p",
                    trainingRuntimeSpec: {
                        template: {
                            spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec } } } }] },
                        },
                    },
                },
            ],
        });
    const at = "runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec";
    assertThrows(
        patch({ volumes: [{ name: "d", persistentVolumeClaim: { claimname: "c" } }] }),
        `TrainJob "t": ${at}.volumes[0].persistentVolumeClaim.claimname: unknown field; did you mean "claimName"?`,
    );
    assertThrows(
        patch({ tolerations: [{ operator: "Exist" }] }),
        `TrainJob "t": ${at}.tolerations[0].operator: "Exist" is not one of "Exists", "Equal"; did you mean "Exists"?`,
    );
    assertThrows(
        patch({ securityContext: { fsGroup: "1000" } }),
        `TrainJob "t": ${at}.securityContext.fsGroup: expected an integer, got a string`,
    );
    assertThrows(
        patch({ affinity: { nodeAfinity: {} } }),
        `TrainJob "t": ${at}.affinity.nodeAfinity: unknown field; did you mean "nodeAffinity"?`,
    );
    assertThrows(
        patch({
            containers: [
                {
                    name: "node",
                    volumeMounts: [{ name: "d", mountPath: "/d", readonly: true }],
                    securityContext: { privileged: "no" },
                },
            ],
        }),
        `TrainJob "t": 2 problems\n  - ${at}.containers[0].volumeMounts[0].readonly: unknown field; did you mean "readOnly"?\n  - ${at}.containers[0].securityContext.privileged: expected a boolean, got a string`,
    );
    assertThrows(
        patch({
            initContainers: [
                { name: "init", env: [{ name: "A", valueFrom: { fieldRef: { fieldpath: "metadata.name" } } }] },
            ],
        }),
        `TrainJob "t": ${at}.initContainers[0].env[0].valueFrom.fieldRef.fieldpath: unknown field; did you mean "fieldPath"?`,
    );
});

test("k8s schema: the mlkube:tolerations stack config", async () => {
    await assertFails(
        () => new Compute("api", base),
        /^Stack config "[^"]*": mlkube:tolerations\[0\]\.operater: unknown field; did you mean "operator"\?$/,
        { "mlkube:tolerations": '[{"key":"a","operater":"Exists"}]' },
    );
});

test("k8s schema: Outputs inside embedded objects reach the object resolved, and are checked when they resolve", async () => {
    const ok = await emit(
        () =>
            // Leaves mlkube only passes through (objects, merged lists, merge keys and the fields mlkube reads must be known: test/known-inputs.test.ts).
            new Compute("o", {
                ...base,
                securityContext: { fsGroup: pulumi.output(1000) },
                tolerations: [{ key: "k", operator: "Equal", value: pulumi.output("v") }],
                affinity: {
                    nodeAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: {
                            nodeSelectorTerms: [
                                { matchExpressions: [{ key: "zone", operator: "In", values: pulumi.output(["a"]) }] },
                            ],
                        },
                    },
                },
            }),
    );
    assert.deepEqual(ok.errors, []);
    const spec = ok.get("Deployment", "o").spec.template.spec;
    assert.equal(spec.securityContext.fsGroup, 1000);
    assert.deepEqual(spec.tolerations, [{ key: "k", operator: "Equal", value: "v" }]);
    assert.deepEqual(spec.affinity, {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }],
            },
        },
    });
    await assertFails(
        () => new Compute("p", { ...base, securityContext: { fsGroup: pulumi.output("root") as never } }),
        'Compute "p": securityContext.fsGroup: expected an integer, got a string',
    );
    await assertFails(
        () => new Compute("q", { ...base, tolerations: [{ key: "k", operator: pulumi.output("Exist") }] }),
        'Compute "q": tolerations[0].operator: "Exist" is not one of "Exists", "Equal"; did you mean "Exists"?',
    );
});

test("k8s schema: generated from Kubernetes v1.34.4; enums extracted; only what the user supplied is walked", () => {
    assert.equal(KUBERNETES_VERSION, "v1.34.4");
    assert.deepEqual(DEFINITIONS.Toleration.p.operator, { e: ["Exists", "Equal"] });
    assert.deepEqual(DEFINITIONS.TopologySpreadConstraint.r, ["maxSkew", "topologyKey", "whenUnsatisfiable"]);
    assert.deepEqual(DEFINITIONS.ContainerPort.p.protocol, { e: ["TCP", "UDP", "SCTP"] });
    // An optional enum field left empty is "unset" (the API server defaults it); a required one is not.
    assert.deepEqual(k8sIssues({ key: "a", operator: "", effect: "" }, "Toleration"), []);
    // ...but an empty toleration is refused, as the API server's validateTolerations does (key empty => operator Exists).
    assert.deepEqual(
        k8sIssues({}, "Toleration").map((i) => i.path),
        [["operator"]],
    );
    assert.deepEqual(
        k8sIssues({ type: "" }, "SeccompProfile").map((i) => i.message),
        ['"" is not one of "Unconfined", "RuntimeDefault", "Localhost"'],
    );
});

test('k8s schema: import "mlkube" does not load the generated definitions; first validation does', () => {
    const dist = path.resolve(__dirname, "..", "dist");
    const script = `const m = require(${JSON.stringify(dist)}); const loaded = () => Object.keys(require.cache).some((k) => k.includes("k8s-openapi.generated"));
        const before = loaded(); try { new m.Compute("x", { image: "i", tolerations: [{ operater: "Exists" }] }); } catch {} console.log(JSON.stringify([before, loaded()]));`;
    const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), [false, true]);
});

/**
 * Fields whose valid values the API server narrows beyond their schema type (src/schema/object-rules.ts,
 * compared with the server): user/group IDs 0..2^31-1, scheduling weights 1..100, topology keys qualified
 * names. Valid values of those fields are drawn from the narrower range.
 */
const ID = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const SERVER_RANGES: Record<string, fc.Arbitrary<unknown>> = {
    runAsUser: ID,
    runAsGroup: ID,
    fsGroup: ID,
    supplementalGroups: fc.array(ID, { maxLength: 2 }),
    weight: fc.integer({ min: 1, max: 100 }),
    topologyKey: fc.constantFrom("kubernetes.io/hostname", "topology.kubernetes.io/zone", "zone"),
    // Selector requirements: a label key, and the values their operator takes.
    matchExpressions: fc.array(
        fc.constantFrom(
            { key: "zone", operator: "In", values: ["a", "b"] },
            { key: "example.com/pool", operator: "Exists" },
            { key: "gpu", operator: "NotIn", values: [""] },
        ),
        { maxLength: 2 },
    ),
    matchFields: fc.array(fc.constant({ key: "metadata.name", operator: "In", values: ["node-1"] }), { maxLength: 1 }),
};

/** An arbitrary valid value of a compact K8s type (objects: required fields plus a random subset of the others). */
function valid(t: K8sType, depth: number): fc.Arbitrary<unknown> {
    if (typeof t === "string") {
        switch (t) {
            case "string":
            case "byte":
                return fc.string({ maxLength: 5 });
            case "boolean":
                return fc.boolean();
            case "int32":
                return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
            case "int64":
                return fc.maxSafeInteger();
            case "number":
                return fc.double({ noNaN: true, noDefaultInfinity: true });
            case "quantity":
                return fc.constantFrom("1", "500m", "16Gi", 2);
            case "int-or-string":
                return fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom("http", "50%"));
            case "any":
                return fc.constant({});
            default: {
                const d = DEFINITIONS[t.slice(1)];
                const required = d.r ?? [];
                const optional = depth > 0 ? Object.keys(d.p).filter((k) => !required.includes(k)) : [];
                const rec: Record<string, fc.Arbitrary<unknown>> = {};
                for (const k of [...required, ...optional]) rec[k] = SERVER_RANGES[k] ?? valid(d.p[k], depth - 1);
                return fc.record(rec, { requiredKeys: required });
            }
        }
    }
    if ("e" in t) return fc.constantFrom(...t.e);
    if ("a" in t) return t.k || depth <= 0 ? fc.constant([]) : fc.array(valid(t.a, depth - 1), { maxLength: 2 });
    return fc.dictionary(fc.constantFrom("a", "b"), valid(t.m, depth - 1), { maxKeys: 2 });
}

/** The API server's validateTolerations, written here for the test (pkg/apis/core/validation). */
function serverAcceptsToleration(v: unknown): boolean {
    const t = v as Record<string, unknown>;
    const s = (k: string) => (typeof t[k] === "string" ? t[k] : "");
    const qualified = (k: string) => {
        const parts = k.split("/");
        const n = parts[parts.length - 1];
        return (
            parts.length <= 2 &&
            (parts.length === 1 ||
                /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(parts[0])) &&
            n.length <= 63 &&
            /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(n)
        );
    };
    if (s("key") !== "" && !qualified(s("key"))) return false;
    if (s("key") === "" && s("operator") !== "Exists") return false;
    if (t.tolerationSeconds !== undefined && s("effect") !== "NoExecute") return false;
    if (s("operator") === "Exists") return s("value") === "";
    return (
        s("value") === "" || (s("value").length <= 63 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(s("value")))
    );
}

test("k8s schema (property): valid values pass; an added unknown field or a wrong-typed field is reported at its path", () => {
    for (const def of [
        "Toleration",
        "PodSecurityContext",
        "SecurityContext",
        "Affinity",
        "TopologySpreadConstraint",
        "Volume",
        "EnvVar",
        "VolumeMount",
    ]) {
        // A Toleration is also checked across its fields (validateTolerations): valid ones are those the server accepts.
        const values = def === "Toleration" ? valid(`#${def}`, 3).filter(serverAcceptsToleration) : valid(`#${def}`, 3);
        fc.assert(
            fc.property(values, fc.constantFrom("bogusField", "x"), (v, extra) => {
                assert.deepEqual(k8sIssues(v, def), [], JSON.stringify(v));
                const bad = { ...(v as object), [extra]: 1 };
                assert.deepEqual(
                    k8sIssues(bad, def).map((i) => i.path.join(".")),
                    [extra],
                );
                const field = Object.keys(DEFINITIONS[def].p)[0];
                const wrong = { ...(v as object), [field]: Symbol.for("x") };
                assert.deepEqual(
                    k8sIssues(wrong, def).map((i) => i.path.join(".")),
                    [field],
                );
            }),
            { numRuns: 50, seed: 12 },
        );
    }
});
