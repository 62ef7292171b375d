/**
 * Property tests: random valid args always give objects that conform to the Kubernetes schemas (and
 * pods that pass PSS "restricted"); random invalid args always give an MlkubeValidationError whose
 * lines carry a field path — never a crash, a TypeError or "undefined".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Compute, ComputeArgs, MlkubeValidationError, Volume, VolumeArgs } from "../src";
import { collect } from "../src/render/collect";
import { validateObject } from "./conformance";
import { reveal } from "./helpers";
import { restrictedViolations } from "./pss";
import { parseQuantity } from "../src/schema/quantity";

const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
const memQuantity = fc
    .tuple(fc.integer({ min: 1, max: 512 }), fc.constantFrom("Mi", "Gi", "Ti", "M", "G"))
    .map(([n, u]) => `${n}${u}`);
const cpuQuantity = fc.oneof(
    fc.integer({ min: 1, max: 64 }),
    fc.integer({ min: 1, max: 8000 }).map((m) => `${m}m`),
    fc.constantFrom(0.5, 0.25, 1.5),
);
const absPath = fc.array(dnsName, { minLength: 1, maxLength: 3 }).map((p) => `/${p.join("/")}`);
const labelValue = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?$/);
const labels = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}(\.io\/[a-z]{1,8})?$/), labelValue, { maxKeys: 3 });

const volumeArgs: fc.Arbitrary<VolumeArgs> = fc.record(
    {
        size: memQuantity,
        accessMode: fc.constantFrom(
            "ReadWriteOnce" as const,
            "ReadWriteMany" as const,
            "ReadOnlyMany" as const,
            "ReadWriteOncePod" as const,
        ),
        storageClass: dnsName,
        volumeMode: fc.constantFrom("Filesystem" as const, "Block" as const),
        namespace: dnsName,
        labels,
        mountPath: absPath,
        reclaim: fc.constantFrom("Retain" as const, "Delete" as const),
    },
    { requiredKeys: ["size"] },
);

const resources = fc.record(
    {
        cpu: cpuQuantity,
        memory: memQuantity,
        ephemeralStorage: memQuantity,
        gpu: fc.integer({ min: 0, max: 8 }),
    },
    { requiredKeys: [] },
);

const computeArgs: fc.Arbitrary<ComputeArgs> = fc
    .record(
        {
            image: fc.constantFrom("nginx", "ghcr.io/acme/app:1.2", "vllm/vllm-openai:v0.6.3"),
            command: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 3 }),
            env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string({ maxLength: 10 }), {
                maxKeys: 4,
            }),
            labels,
            resources,
            replicas: fc.integer({ min: 0, max: 5 }),
            volumes: fc.uniqueArray(dnsName, { maxLength: 3 }),
            emptyDirs: fc.uniqueArray(
                absPath.map((p) => ({ mountPath: `/scratch${p}` })),
                { maxLength: 2, selector: (e) => e.mountPath },
            ),
            sharedMemory: memQuantity,
            ports: fc.uniqueArray(
                fc.integer({ min: 1, max: 65535 }).map((port) => ({ port })),
                { maxLength: 3, selector: (p) => p.port },
            ),
            nodeSelector: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), labelValue, { maxKeys: 2 }),
            secureDefaults: fc.boolean(),
        },
        { requiredKeys: ["image"] },
    )
    .map((a) => {
        // Memory-backed volumes must fit in the memory they are charged to (refused otherwise: see the unit tests).
        const mem = a.resources?.memory;
        if (mem && a.sharedMemory && parseQuantity(a.sharedMemory) > parseQuantity(mem)) delete a.sharedMemory;
        return a;
    });

async function emitted(program: () => unknown) {
    const r = await collect(program);
    return {
        errors: r.errors,
        objects: r.resources.filter((x) => x.type.startsWith("kubernetes:")).map((x) => reveal(x.inputs)),
    };
}

test("random valid Volume args give a conforming claim", async () => {
    await fc.assert(
        fc.asyncProperty(volumeArgs, async (args) => {
            const { errors, objects } = await emitted(() => new Volume("v", args));
            assert.deepEqual(errors, []);
            assert.equal(objects.length, 1);
            assert.deepEqual(validateObject(objects[0]), []);
            assert.equal(objects[0].spec.resources.requests.storage, args.size);
        }),
        { numRuns: 40 },
    );
});

test("random valid Compute args give conforming objects and restricted pods by default", async () => {
    await fc.assert(
        fc.asyncProperty(computeArgs, async (args) => {
            const { errors, objects } = await emitted(() => new Compute("c", args));
            assert.deepEqual(errors, []);
            for (const o of objects) assert.deepEqual(validateObject(o), [], `${o.kind}: ${JSON.stringify(o)}`);
            const d = objects.find((o) => o.kind === "Deployment");
            if (args.secureDefaults !== false) assert.deepEqual(restrictedViolations(d.spec.template.spec), []);
            assert.equal(
                objects.some((o) => o.kind === "Service"),
                (args.ports ?? []).length > 0,
            );
        }),
        { numRuns: 40 },
    );
});

// Corruptions of a valid value: each must be reported as a validation error with a field path.
const corrupt = fc.constantFrom<[string, unknown]>(
    ["resources", { memory: "16GB" }],
    ["resources", { cpu: -1 }],
    ["resources", { gpu: 1.5 }],
    ["replicas", -3],
    ["replicas", "two"],
    ["ports", [{ port: 70000 }]],
    ["ports", [{ port: 80 }, { port: 80 }]],
    ["env", { "BAD-NAME": "x" }],
    ["env", { OK: 42 }],
    ["volumes", ["Not_A_Name"]],
    ["volumes", [{ volume: "a", mountPath: "relative" }]],
    ["emptyDirs", [{ mountPath: "/x", sizeLimit: "1 gig" }]],
    ["labels", { "a/b/c": "x" }],
    ["nodeSelector", "novalue"],
    ["imagePullPolicy", "Sometimes"],
    ["serviceType", "Loadbalancer"],
    ["image", ""],
    ["image", undefined],
    ["tmpfs", { path: "tmp" }],
    ["imge", "typo"],
    ["podPatch", { containerz: [] }],
    ["autoscaling", { maxReplicas: 0 }],
);

test("random invalid Compute args give a validation error with a field path, never a crash", async () => {
    fc.assert(
        fc.property(computeArgs, corrupt, (valid, [field, bad]) => {
            const args = { ...valid, [field]: bad };
            try {
                new Compute("c", args);
            } catch (e) {
                assert.ok(e instanceof MlkubeValidationError, `not a validation error: ${e}`);
                assert.match(e.message, /^Compute "c": /);
                assert.doesNotMatch(e.message, /undefined|\[object Object\]/);
                for (const issue of e.issues)
                    assert.ok(issue.path.length > 0 || /source|exactly/.test(issue.message), `no path in ${e.message}`);
                return;
            }
            assert.fail(`accepted invalid ${field}=${JSON.stringify(bad)}`);
        }),
        { numRuns: 200 },
    );
});
