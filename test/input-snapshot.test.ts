/**
 * `snapshot()` (src/schema/input.ts), which every component constructor runs over its args: a deep copy
 * of plain objects and arrays in which each Output or Promise becomes an `Unresolved` marker carrying
 * the path where it was found. It walks with one shared path stack (issue 15), so the property checks
 * that every marker still gets its own, correct path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { errorMap, presentKeySchema, snapshot, Unresolved } from "../src/schema/input";
import { computeArgsSchema } from "../src/compute";
import { volumeArgsSchema } from "../src/volume";
import { secretArgsSchema } from "../src/secret/secret";
import { trainJobFieldsSchema } from "../src/trainjob/spec";

type Tree = null | boolean | number | string | { out: number } | Tree[] | { [k: string]: Tree };

const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
    t: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.oneof(
            fc.constant(null),
            fc.boolean(),
            fc.integer(),
            fc.string({ maxLength: 4 }),
            fc.record({ out: fc.nat() }),
        ),
        fc.array(tie("t"), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom("a", "b", "c", "out0"), tie("t"), { maxKeys: 3 }),
    ),
})).t;

/** The tree with each `{ out: n }` replaced by an Output (or a Promise when n is odd), and the expected marker paths. */
function materialize(t: Tree, path: (string | number)[], markers: (string | number)[][]): unknown {
    if (
        t !== null &&
        typeof t === "object" &&
        !Array.isArray(t) &&
        Object.keys(t).length === 1 &&
        typeof t.out === "number"
    ) {
        markers.push([...path]);
        return t.out % 2 ? Promise.resolve(t.out) : pulumi.output(t.out);
    }
    if (Array.isArray(t)) return t.map((e, i) => materialize(e, [...path, i], markers));
    if (t !== null && typeof t === "object")
        return Object.fromEntries(Object.entries(t).map(([k, e]) => [k, materialize(e, [...path, k], markers)]));
    return t;
}

function found(
    v: unknown,
    path: (string | number)[],
    out: { path: readonly (string | number)[]; at: (string | number)[] }[],
): void {
    if (v instanceof Unresolved) out.push({ path: v.path, at: path });
    else if (Array.isArray(v)) v.forEach((e, i) => found(e, [...path, i], out));
    else if (v !== null && typeof v === "object") for (const [k, e] of Object.entries(v)) found(e, [...path, k], out);
}

test("snapshot: every Output/Promise becomes a marker with its own path; plain parts are copied, the args untouched", () => {
    fc.assert(
        fc.property(tree, fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.nat(5)), { maxLength: 2 }), (t, prefix) => {
            const markers: (string | number)[][] = [];
            const args = materialize(t, [], markers);
            const before = JSON.stringify(args);
            const snap = snapshot(args, "Compute", "api", prefix);
            const got: { path: readonly (string | number)[]; at: (string | number)[] }[] = [];
            found(snap, [], got);
            assert.deepEqual(
                got.map((g) => g.at),
                markers,
            );
            for (const g of got) assert.deepEqual(g.path, [...prefix, ...g.at]);
            assert.equal(JSON.stringify(args), before);
            if (args !== null && typeof args === "object" && markers.length === 0) {
                assert.notEqual(snap, args);
                assert.deepEqual(snap, args);
            }
        }),
        { numRuns: 300, seed: 15 },
    );
});

/**
 * validate()'s fast path (parseArgs, issue 15): zod visits every field of an object schema, so the
 * args are first parsed by a copy of the schema without the optional fields they leave out, and only a
 * failure is parsed again with the whole schema. The property: on any args, the copy succeeds exactly
 * when the whole schema does, with the same value, so validate() returns and reports what it did before.
 */
const pools: Record<string, unknown[]> = {
    image: ["nginx:1.27", "ghcr.io/acme/api@sha256:" + "a".repeat(64), "", 7],
    replicas: [0, 2, -1, 1.5, "2"],
    resources: [{ cpu: "500m", memory: "1Gi" }, { memory: "16GB" }, { cpu: 2, memory: "512Mi", gpus: 1 }, "1Gi"],
    env: [{ LOG_LEVEL: "info" }, { "BAD-NAME": "x" }, { A: 1 }],
    ports: [
        [{ port: 8080 }],
        [
            { port: 8080, name: "http" },
            { port: 9090, name: "http" },
        ],
        [{ port: 0 }],
    ],
    readinessProbe: [{ path: "/healthz" }, { path: "/h", command: ["true"] }, {}],
    autoscaling: [
        { maxReplicas: 4 },
        { minReplicas: 5, maxReplicas: 2 },
        { maxReplicas: 3, targetMemoryUtilizationPercentage: 80 },
    ],
    strategy: [
        { type: "Recreate" },
        { type: "Recreate", maxSurge: 1 },
        { type: "RollingUpdate", maxSurge: 0, maxUnavailable: 0 },
    ],
    tolerations: [[{ key: "gpu", operator: "Exists", effect: "NoSchedule" }], [{ key: "gpu", operater: "Exists" }]],
    securityContext: [{ runAsUser: 1000, runAsGroup: 1000 }, { runAsUser: "root" }],
    podPatch: [{ enableServiceLinks: false }, { containers: [{ image: "x" }] }],
    nodeSelector: [{ "kubernetes.io/arch": "amd64" }, "a=b", "not a selector"],
    name: ["api", "API_1", ""],
    namespace: ["ml", "Not/A/Namespace"],
    size: ["10Gi", "10GB", 5],
    accessMode: ["ReadWriteOnce", "ReadWriteMany", "ReadWriteAll"],
    storageClass: ["standard", "Bad_Class"],
    reclaim: ["Retain", "Delete", "Keep"],
    fromEnv: [["HOME"], "HOME"],
    mount: [{ env: true }, { files: "/etc/creds" }, "/etc"],
    mountPath: ["/etc/creds", "relative/path"],
    provider: ["aws", "aws2"],
    labels: [{ team: "ml" }, { "bad key!": "x" }],
    annotations: [{ "example.com/owner": "ml" }],
    command: [["torchrun", "train.py"], "train.py"],
    numNodes: [1, 2, 0],
    resourcesPerNode: [{ cpu: "4", memory: "16Gi" }, { memory: "lots" }],
    backend: ["jobset", "kubeflow", "ray"],
    unknownField: [1],
    imagePullPolicy: ["IfNotPresent", "Sometimes"],
};

test("validate's present-field fast path succeeds exactly when the whole schema does, with the same value (random args)", () => {
    const schemas = {
        Compute: computeArgsSchema(),
        Volume: volumeArgsSchema(),
        Secret: secretArgsSchema(),
        TrainJob: trainJobFieldsSchema(),
    } as Record<string, z.ZodType>;
    const bases: Record<string, Record<string, unknown>> = {
        Compute: { image: "nginx:1.27" },
        Volume: { size: "10Gi" },
        Secret: { env: { API_KEY: "k" } },
        TrainJob: { image: "ghcr.io/acme/train:1", command: ["torchrun", "train.py"] },
    };
    // Per component, the fields it has (mostly a valid value) plus one it does not; a field is sometimes given as undefined.
    const argsOf = (component: string) => {
        const shape = (schemas[component] as z.ZodObject).shape as Record<string, unknown>;
        const keys = [...Object.keys(pools).filter((k) => Object.hasOwn(shape, k)), "unknownField"];
        const entry = fc
            .constantFrom(...keys)
            .chain((k) =>
                fc.tuple(
                    fc.constant(k),
                    fc.oneof({ arbitrary: fc.constant(pools[k][0]), weight: 4 }, fc.constantFrom(...pools[k])),
                    fc.nat(9),
                ),
            );
        return fc.uniqueArray(entry, { selector: (e) => e[0], maxLength: 7 }).map((entries) => {
            const args: Record<string, unknown> = structuredClone(bases[component]);
            for (const [k, v, u] of entries) {
                if (u === 0)
                    args[k] = undefined; // given, as undefined (Object.keys sees it, as zod's `k in input` does)
                else if (k !== "unknownField" || u === 1) args[k] = structuredClone(v);
            }
            return { component, args };
        });
    };
    let successes = 0;
    fc.assert(
        fc.property(fc.constantFrom(...Object.keys(schemas)).chain(argsOf), ({ component, args }) => {
            const schema = schemas[component];
            assert.ok(
                schema instanceof z.ZodObject,
                `${component}'s args schema is an object schema (else the fast path never runs)`,
            );
            const full = schema.safeParse(args, { error: errorMap });
            const sub = presentKeySchema(schema.clone(), args);
            if (!sub) {
                assert.ok(
                    Object.keys(args).some((k) => !Object.hasOwn(schema.shape, k)),
                    "only args with a field the schema does not know skip the fast path",
                );
                assert.equal(full.success, false, "the whole (strict) schema reports that field");
                return;
            }
            const fast = sub.safeParse(args, { error: errorMap });
            assert.equal(
                fast.success,
                full.success,
                `${component} ${JSON.stringify(args)}: fast ${fast.success}, whole ${full.success}`,
            );
            if (full.success) {
                successes++;
                assert.deepEqual(fast.data, full.data);
            }
        }),
        { numRuns: 600, seed: 15 },
    );
    assert.ok(successes > 30, `enough valid args were generated to compare values (${successes})`);
});

test("validate's fast path: only fields that read as nothing when absent are left out; key sets are exact and bounded", () => {
    for (const [component, schema] of Object.entries({
        Compute: computeArgsSchema(),
        Volume: volumeArgsSchema(),
        Secret: secretArgsSchema(),
        TrainJob: trainJobFieldsSchema(),
    })) {
        const whole = schema.shape as Record<string, z.ZodType>;
        const kept = Object.keys(presentKeySchema(schema.clone(), {})!.shape);
        for (const k of Object.keys(whole)) {
            if (kept.includes(k)) continue;
            assert.ok(whole[k] instanceof z.ZodOptional, `${component}.${k} was left out but is not optional`);
            const r = whole[k].safeParse(undefined);
            assert.ok(r.success && r.data === undefined, `${component}.${k} was left out but makes a value of nothing`);
        }
        assert.ok(
            kept.length < Object.keys(whole).length / 3,
            `${component}: most optional fields are left out (${kept.length} of ${Object.keys(whole).length} kept)`,
        );
    }
    // A field whose default makes a value when it is absent stays in the copy, as does one given.
    const withDefault = z.strictObject({
        a: z.string().optional(),
        b: z.string().default("x").optional(),
        c: z.number().optional(),
    });
    assert.deepEqual(Object.keys(presentKeySchema(withDefault, { c: 1 })!.shape).sort(), ["b", "c"]);
    const schema = computeArgsSchema().clone(); // a cache of its own
    const sub = presentKeySchema(schema, { image: "x", replicas: 2 })!;
    assert.ok(Object.keys(sub.shape).includes("replicas"));
    assert.equal(presentKeySchema(schema, { replicas: 3, image: "y" }), sub, "one copy per key set, in any order");
    // Args with a field the schema does not know take the whole schema (which reports it): nothing is cached for them.
    assert.equal(presentKeySchema(schema, { image: "x", ["k".repeat(100_000)]: 1 }), undefined);
    // Programs that vary their fields cannot grow the cache without bound: past the limit, the whole schema is used.
    const names = Object.keys(schema.shape)
        .filter((k) => k !== "image")
        .slice(0, 15);
    let undef = 0;
    for (let i = 0; i < names.length; i++)
        for (let j = i + 1; j < names.length; j++)
            if (presentKeySchema(schema, { image: "x", [names[i]]: 1, [names[j]]: 1 }) === undefined) undef++;
    assert.ok(
        undef >= 30,
        `the cache of key sets is bounded (${undef} of 105 unseen key sets fell back to the whole schema)`,
    );
});
