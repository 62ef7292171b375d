/**
 * The defect classes the widened fuzz generator (issue 22) still found after the final-pod, Outputs and
 * Secret fixes, each reproduced and then proven gone as a class:
 *
 * - a podPatch container whose name matches none of the pod's adds a container with no image;
 * - affinity selector requirements, weights and topology keys, and out-of-range user/group IDs in the
 *   security contexts, were emitted unchecked (the API server refuses them; rules compared with a
 *   server-side dry run, see src/schema/object-rules.ts);
 * - `podPatch.volumes: null` removed the pod's volumes and kept mlkube's mounts of them;
 * - stack defaults read the args before validation, so a throwing getter escaped as a raw Error;
 * - a BigInt as a list's merge key crashed the duplicate check with a TypeError.
 *
 * The property at the end draws affinities, security contexts and patches from the whole space the
 * server's rules care about; every case is refused with a field path or emits objects the calibrated
 * checker (test/conformance.ts, whose rules test/cluster/calibration.test.ts compares with the server) accepts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Compute, MlkubeValidationError, TrainJob } from "../src";
import { validateObject } from "./conformance";
import { assertFails, emit } from "./helpers";

const img = { image: "busybox" };

test("a podPatch container that matches no container of the pod needs an image (named at the patch)", async () => {
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                podPatch: { containers: [{ name: "sidecar", env: [{ name: "A", value: "1" }] }] },
            }),
        /Compute "c": podPatch\.containers\[0\]\.image: is required: "sidecar" matches no container of the pod \("main"\), so the patch adds a new container, which needs an image/,
    );
    await assertFails(
        () =>
            new TrainJob("t", {
                ...img,
                podPatch: { containers: [{ name: "main", env: [{ name: "A", value: "1" }] }] },
            }),
        /TrainJob "t": podPatch\.containers\[0\]\.image: is required: "main" matches no container of the pod \("node"\)/,
    );
    // Patching the real container, or adding a whole one, is fine.
    const out = await emit(() => {
        new Compute("ok", {
            ...img,
            podPatch: {
                containers: [
                    { name: "main", env: [{ name: "A", value: "1" }] },
                    { name: "side", image: "busybox" },
                ],
            },
        });
    });
    assert.deepEqual(out.errors, []);
    for (const o of out.objects()) assert.deepEqual(validateObject(o), []);
});

test("affinity: selector operators and values, node field selectors, weights and topology keys are checked as the API server checks them", async () => {
    const term = (e: Record<string, unknown>) => ({
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [e] }] },
        },
    });
    const at =
        "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]";
    await assertFails(
        () => new Compute("c", { ...img, affinity: term({ key: "../../etc/passwd", operator: "Exists" }) as never }),
        new RegExp(`${at.replace(/[.[\]]/g, "\\$&")}\\.key: "\\.\\./\\.\\./etc/passwd" is not a valid label key`),
    );
    await assertFails(
        () => new Compute("c", { ...img, affinity: term({ key: "zone", operator: "In", values: [] }) as never }),
        /matchExpressions\[0\]\.values: must be specified when operator is "In"/,
    );
    await assertFails(
        () => new Compute("c", { ...img, affinity: term({ key: "zone", operator: "Exists", values: ["a"] }) as never }),
        /matchExpressions\[0\]\.values: may not be specified when operator is "Exists"/,
    );
    await assertFails(
        () => new Compute("c", { ...img, affinity: term({ key: "zone", operator: "In", values: ["a b"] }) as never }),
        /matchExpressions\[0\]\.values\[0\]: "a b" is not a valid label value/,
    );
    await assertFails(
        () => new Compute("c", { ...img, affinity: term({ key: "n", operator: "Gt", values: ["1", "2"] }) as never }),
        /values: must be a single value \(an integer\) when operator is "Gt"/,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                affinity: {
                    nodeAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: {
                            nodeSelectorTerms: [{ matchFields: [{ key: "metadata.labels", operator: "Exists" }] }],
                        },
                    },
                },
            }),
        /matchFields\[0\]\.key: "metadata\.labels" is not a node field selector key[\s\S]*matchFields\[0\]\.operator: "Exists" is not valid for a node field selector/,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                affinity: {
                    podAntiAffinity: {
                        preferredDuringSchedulingIgnoredDuringExecution: [
                            { weight: 101, podAffinityTerm: { topologyKey: "zone" } },
                        ],
                    },
                },
            }),
        /preferredDuringSchedulingIgnoredDuringExecution\[0\]\.weight: 101 is out of range: a scheduling weight is 1 to 100/,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                affinity: {
                    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "a/b/c" }] },
                },
            }),
        /requiredDuringSchedulingIgnoredDuringExecution\[0\]\.topologyKey: "a\/b\/c" is not a valid topology key/,
    );
});

test("security contexts: user and group IDs out of 0..2^31-1 are refused (the schema's int64 allowed them)", async () => {
    await assertFails(
        () => new TrainJob("t", { ...img, securityContext: { runAsUser: -1 } }),
        /TrainJob "t": securityContext\.runAsUser: -1 is out of range: IDs are 0 to 2147483647/,
    );
    await assertFails(
        () => new Compute("c", { ...img, containerSecurityContext: { runAsGroup: 2 ** 31 } }),
        /containerSecurityContext\.runAsGroup: 2147483648 is out of range/,
    );
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { securityContext: { supplementalGroups: [5, -3] } } }),
        /podPatch\.securityContext\.supplementalGroups\[1\]: -3 is out of range/,
    );
});

test("podPatch volumes: null keeps no mount of a removed volume: refused at podPatch.volumes", async () => {
    await assertFails(
        () => new Compute("c", { ...img, volumes: ["data"], podPatch: { volumes: null } as never }),
        /Compute "c": podPatch\.volumes: null removes the pod's volumes, but the container "main" mounts "pvc-data"/,
    );
});

test("args read before validation: a throwing getter is reported at its field, not thrown raw", async () => {
    for (const field of ["labels", "profile", "resources", "volumes"]) {
        const args: Record<string, unknown> = { ...img };
        Object.defineProperty(args, field, {
            enumerable: true,
            get: () => {
                throw new Error("getter");
            },
        });
        let err: unknown;
        try {
            new Compute("c", args as never);
        } catch (e) {
            err = e;
        }
        assert.ok(err instanceof MlkubeValidationError, `${field}: ${String(err)}`);
        assert.match(err.message, new RegExp(`${field}: could not be read \\(its getter threw\\)`));
    }
});

test("a BigInt where a list is keyed (an env name) is a type error at its field, not a TypeError", async () => {
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                podPatch: {
                    containers: [
                        {
                            name: "main",
                            env: [
                                { name: 10n as never, value: "a" },
                                { name: 10n as never, value: "b" },
                            ],
                        },
                    ],
                },
            }),
        /podPatch\.containers\[0\]\.env\[0\]\.name: expected a string, got a bigint/,
    );
});

// ---------------------------------------------------------------------------------------------------
// The class, as a property.

/** Mostly what the server admits, sometimes not: so that both sides of the property are exercised. */
const mostly = <T>(good: T[], bad: T[]) =>
    fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 12 }, { arbitrary: fc.constantFrom(...bad), weight: 1 });
const qualified = mostly(
    ["zone", "topology.kubernetes.io/zone", "example.com/pool", "UPPER_ok"],
    ["", "../../x", "a/b/c", "-bad"],
);
const value = mostly(["a", "us-east-1a", "", "1"], ["a b", "x".repeat(64), "../x"]);
const setOp = mostly(["In", "Exists"], ["NotIn", "DoesNotExist"]);
const values = (n: number) => fc.array(value, { minLength: n, maxLength: n });
/** Operators with the number of values they take, and sometimes not. */
const requirement = fc.oneof(
    {
        arbitrary: fc.record({ key: qualified, operator: fc.constantFrom("In", "NotIn"), values: values(1) }),
        weight: 6,
    },
    { arbitrary: fc.record({ key: qualified, operator: fc.constantFrom("Exists", "DoesNotExist") }), weight: 4 },
    {
        arbitrary: fc.record({ key: qualified, operator: fc.constantFrom("Gt", "Lt"), values: fc.constant(["3"]) }),
        weight: 2,
    },
    {
        arbitrary: fc.record({
            key: qualified,
            operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"),
            values: fc.array(value, { maxLength: 2 }),
        }),
        weight: 1,
    },
);
const labelRequirement = fc.oneof(
    {
        arbitrary: fc.record({ key: qualified, operator: fc.constantFrom("In", "NotIn"), values: values(1) }),
        weight: 4,
    },
    { arbitrary: fc.record({ key: qualified, operator: setOp, values: fc.array(value, { maxLength: 1 }) }), weight: 1 },
);
const fieldRequirement = fc.oneof(
    { arbitrary: fc.constant({ key: "metadata.name", operator: "In", values: ["node-1"] }), weight: 6 },
    {
        arbitrary: fc.record({
            key: fc.constantFrom("metadata.name", "metadata.labels"),
            operator: fc.constantFrom("In", "Exists", "Gt"),
            values: fc.array(fc.constantFrom("node-1", "Node_1", ""), { maxLength: 2 }),
        }),
        weight: 1,
    },
);
const id = fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 65535 }), weight: 12 },
    { arbitrary: fc.constantFrom(-1, 2 ** 31 - 1, 2 ** 31), weight: 1 },
);
const scheduleWeight = fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 100 }), weight: 12 },
    { arbitrary: fc.constantFrom(0, -1, 101), weight: 1 },
);
const affinity = fc.record(
    {
        nodeAffinity: fc.record(
            {
                requiredDuringSchedulingIgnoredDuringExecution: fc.record({
                    nodeSelectorTerms: fc.array(
                        fc.record(
                            {
                                matchExpressions: fc.array(requirement, { maxLength: 2 }),
                                matchFields: fc.array(fieldRequirement, { maxLength: 1 }),
                            },
                            { requiredKeys: [] },
                        ),
                        { minLength: 1, maxLength: 2 },
                    ),
                }),
                preferredDuringSchedulingIgnoredDuringExecution: fc.array(
                    fc.record({
                        weight: scheduleWeight,
                        preference: fc.record({ matchExpressions: fc.array(requirement, { maxLength: 2 }) }),
                    }),
                    { maxLength: 1 },
                ),
            },
            { requiredKeys: [] },
        ),
        podAntiAffinity: fc.record(
            {
                requiredDuringSchedulingIgnoredDuringExecution: fc.array(
                    fc.record({
                        topologyKey: qualified,
                        labelSelector: fc.record({ matchExpressions: fc.array(labelRequirement, { maxLength: 2 }) }),
                    }),
                    { maxLength: 1 },
                ),
                preferredDuringSchedulingIgnoredDuringExecution: fc.array(
                    fc.record({ weight: scheduleWeight, podAffinityTerm: fc.record({ topologyKey: qualified }) }),
                    { maxLength: 1 },
                ),
            },
            { requiredKeys: [] },
        ),
    },
    { requiredKeys: [] },
);
const patchContainer = fc.oneof(
    {
        arbitrary: fc.record({ name: fc.constantFrom("main", "node"), env: fc.constant([{ name: "A", value: "1" }]) }),
        weight: 6,
    },
    { arbitrary: fc.record({ name: fc.constant("side"), image: mostly(["busybox"], ["", undefined]) }), weight: 2 },
);

test("property: affinities, IDs and patched containers are either refused at a field or emitted as the server would admit them", async (t) => {
    let emitted = 0;
    await fc.assert(
        fc.asyncProperty(
            fc.constantFrom("Compute", "TrainJob"),
            affinity,
            fc.record({ runAsUser: id, runAsGroup: id, fsGroup: id }, { requiredKeys: [] }),
            fc.array(patchContainer, { maxLength: 2 }),
            fc.oneof({ arbitrary: fc.constant(false), weight: 12 }, { arbitrary: fc.constant(true), weight: 1 }),
            async (kind, aff, sc, containers, nullVolumes) => {
                const args = {
                    ...img,
                    volumes: ["data"],
                    affinity: aff,
                    securityContext: sc,
                    // The main container is "main" on Compute and "node" on TrainJob: the other name adds a container.
                    podPatch: {
                        containers: containers.filter((c, i, all) => all.findIndex((d) => d.name === c.name) === i),
                        ...(nullVolumes ? { volumes: null } : {}),
                    },
                } as never;
                const out = await emit(() => (kind === "Compute" ? new Compute("p", args) : new TrainJob("p", args)));
                if (out.errors.length) {
                    for (const e of out.errors) {
                        // emit() hands back the engine's copy of the error: the class name and issues, not the class.
                        assert.equal(e.name, "MlkubeValidationError", String(e));
                        for (const i of (e as MlkubeValidationError).issues)
                            assert.ok(i.path.length > 0, `an issue without a field: ${e.message}`);
                    }
                    return;
                }
                emitted++;
                for (const o of out.objects())
                    assert.deepEqual(validateObject(o), [], JSON.stringify({ aff, sc, containers, nullVolumes }));
            },
        ),
        { numRuns: Number(process.env.FUZZ_CLASS_RUNS ?? 200), seed: 20261207 },
    );
    t.diagnostic(`${emitted} of the cases were emitted and checked`);
    assert.ok(emitted > 20, `only ${emitted} cases were emitted; the property checks too little`);
});

// ---------------------------------------------------------------------------------------------------
// Classes found by `npm run test:fuzz` at 10,000 cases per component after the fixes above.

test("an Output in a field with a server rule (selector key, label value, ID) is checked against the rule when it resolves, secret or not", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const expr = (key: unknown, values: unknown) =>
        ({
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: [{ key, operator: "In", values }] }],
                },
            },
        }) as never;
    await assertFails(
        () => new Compute("c", { ...img, affinity: expr(pulumi.output("bad key/with/slashes"), ["a"]) }),
        /matchExpressions\[0\]\.key: "bad key\/with\/slashes" is not a valid label key/,
    );
    await assertFails(
        () => new Compute("c", { ...img, affinity: expr("zone", [pulumi.output("a b")]) }),
        /matchExpressions\[0\]\.values\[0\]: "a b" is not a valid label value/,
    );
    await assertFails(
        () => new Compute("c", { ...img, affinity: expr("zone", pulumi.output(["ok", "not ok"])) }),
        /matchExpressions\[0\]\.values: \[1\]: "not ok" is not a valid label value/,
    );
    // A secret: what was wrong without the value.
    const r = await emit(() => new Compute("c", { ...img, affinity: expr("zone", [pulumi.secret("SECRETVALUE no")]) }));
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /values\[0\]: is not valid \(the value is a secret/);
    assert.doesNotMatch(r.errors[0].message, /SECRETVALUE/);
    // Valid Outputs stay Inputs.
    const ok = await emit(
        () => new Compute("ok", { ...img, affinity: expr(pulumi.output("zone"), [pulumi.output("us-east-1a")]) }),
    );
    assert.deepEqual(ok.errors, []);
    for (const o of ok.objects()) assert.deepEqual(validateObject(o), []);
});

test("null in a patch value that replaces a list (tolerations) means 'not set' and is not emitted", async () => {
    const out = await emit(() => {
        new Compute("c", {
            ...img,
            podPatch: { tolerations: [{ key: "gpu", operator: "Exists", effect: null }] } as never,
        });
        new TrainJob("t", {
            ...img,
            backend: "job",
            podPatch: { tolerations: [{ key: "gpu", operator: null, value: "x" }] } as never,
        });
    });
    assert.deepEqual(out.errors, []);
    for (const o of out.objects()) {
        assert.deepEqual(validateObject(o), []);
        assert.doesNotMatch(JSON.stringify(o), /null/);
    }
});

test("a patch may not remove the pod's containers, nor patch a container with a null name", async () => {
    await assertFails(
        () => new TrainJob("t", { ...img, podPatch: { containers: null } as never }),
        /TrainJob "t": podPatch\.containers: null removes the pod's containers/,
    );
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { containers: [{ name: null, image: "x" }] } as never }),
        /podPatch\.containers\[0\]\.name: is required \(containers are merged by name\)/,
    );
});

test("a negative terminationGracePeriodSeconds in podPatch is refused (the Trainer's CRD refuses it in runtime patches)", async () => {
    await assertFails(
        () => new TrainJob("t", { ...img, backend: "kubeflow", podPatch: { terminationGracePeriodSeconds: -1 } }),
        /podPatch\.terminationGracePeriodSeconds: -1 is negative/,
    );
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { terminationGracePeriodSeconds: -5 } }),
        /podPatch\.terminationGracePeriodSeconds: -5 is negative/,
    );
});
