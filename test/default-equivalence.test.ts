/**
 * schema.json's `default`s are safe to send. Pulumi's generated Python and Go SDKs fill a schema default in
 * when the user leaves the field out (pkg/codegen/python: `if x is None: x = <default>`; pkg/codegen/go:
 * `if args.X == nil { args.X = … }`), so the provider then receives the value explicitly. Property: for
 * every property that carries a `default`, at every place a component's args can hold it, valid args with
 * the default written in render exactly what they render without it (same objects, same errors), also
 * under a stack profile that sets the profile fields to other values. Literal defaults for which this
 * does not hold are listed in scripts/gen-schema.ts DEFAULTS_NOT_SENT instead (docs/schema.md "Defaults").
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { Compute, Secret, TrainJob, Volume } from "../src";
import { resetObjectRegistry } from "../src/registry";
import { ComponentName, fixtures, materialize, stackConfig, VALID } from "./fuzz/cases";
import { emit } from "./helpers";

type Spec = {
    default?: unknown;
    $ref?: string;
    items?: Spec;
    additionalProperties?: Spec;
    oneOf?: Spec[];
    properties?: Record<string, Spec>;
};
const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "schema.json"), "utf8")) as {
    resources: Record<string, { inputProperties: Record<string, Spec> }>;
    types: Record<string, Spec>;
};

interface Defaulted {
    /** Where in the args: property names, `*` for every item of a list or value of a map. */
    path: string[];
    value: unknown;
    /** The schema property, `<type>.<property>`. */
    where: string;
}

/** Every property with a `default` that a component's args reach, by path. */
function defaultedPaths(component: string): Defaulted[] {
    const out: Defaulted[] = [];
    const walk = (spec: Spec, at: string[], where: string, depth: number): void => {
        if (depth > 8) return;
        if (spec.default !== undefined) out.push({ path: at, value: spec.default, where });
        if (spec.$ref?.startsWith("#/types/")) {
            const name = spec.$ref.slice("#/types/".length);
            for (const [k, p] of Object.entries(SCHEMA.types[name]?.properties ?? {}))
                walk(p, [...at, k], `${name}.${k}`, depth + 1);
        }
        if (spec.items) walk(spec.items, [...at, "*"], where, depth + 1);
        if (spec.additionalProperties) walk(spec.additionalProperties, [...at, "*"], where, depth + 1);
        for (const o of spec.oneOf ?? []) walk(o, at, where, depth + 1);
    };
    for (const [k, p] of Object.entries(SCHEMA.resources[`mlkube:index:${component}`].inputProperties))
        walk(p, [k], `mlkube:index:${component}.${k}`, 0);
    return out;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Writes `value` at `at` wherever the parent is a plain object without that key; how many places it wrote. */
function setAt(root: unknown, at: string[], value: unknown): number {
    const [head, ...rest] = at;
    if (head === "*") {
        const items = Array.isArray(root) ? root : isPlain(root) ? Object.values(root) : [];
        return items.reduce<number>((n, item) => n + setAt(item, rest, value), 0);
    }
    if (!isPlain(root)) return 0;
    if (rest.length === 0) {
        if (Object.hasOwn(root, head)) return 0;
        root[head] = value;
        return 1;
    }
    return Object.hasOwn(root, head) ? setAt(root[head], rest, value) : 0;
}

const clone = <T>(v: T): T => structuredCloneKeepingClasses(v) as T;
function structuredCloneKeepingClasses(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(structuredCloneKeepingClasses);
    if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneKeepingClasses(x)]));
    return v; // Deferred markers, class instances: shared, made inside each program
}

/** A profile that sets every profile field with a schema default to another value. */
const CONTRARY = {
    gpuToleration: false,
    secureDefaults: false,
    resources: { gpuVendor: "amd", qos: "Guaranteed", cpu: 1, memory: "2Gi" },
};
const CONFIG = {
    ...stackConfig({ contrary: CONTRARY }),
    "mlkube:checksumKey": "default-equivalence-test-key-0123456789",
};

/** Args that reach the nested defaults the fuzz suite's valid args leave out (autoscaling without minReplicas, …). */
const SEEDS: Record<ComponentName, Record<string, unknown>[]> = {
    Volume: [{ size: "1Gi" }],
    Secret: [{ env: { A: "b" } }],
    Compute: [
        { image: "busybox", autoscaling: { maxReplicas: 3 }, resources: { cpu: 1 }, ports: [{ port: 80 }] },
        {
            image: "busybox",
            autoscaling: { maxReplicas: 4, targetMemoryUtilizationPercentage: 70 },
            resources: { cpu: 1, memory: "1Gi" },
        },
        {
            image: "busybox",
            replicas: 2,
            ports: [{ port: 80 }, { port: 81, name: "m" }],
            ephemeralVolumes: [{ mountPath: "/scratch", size: "1Gi" }],
            tmpfs: { size: "1Gi" },
            resources: { memory: "2Gi", gpu: 1 },
        },
        {
            image: "busybox",
            tmpfs: { size: "1Gi", path: "/scratch" },
            resources: { memory: "2Gi", qos: "Guaranteed", cpu: 1 },
        },
    ],
    TrainJob: [
        {
            image: "pytorch",
            numNodes: 2,
            resourcesPerNode: { gpu: 2, memory: "4Gi" },
            tmpfs: { size: "1Gi" },
            ephemeralVolumes: [{ mountPath: "/scratch", size: "1Gi" }],
        },
        { image: "pytorch", backend: "kubeflow", resourcesPerNode: { gpu: 1 } },
        { image: "pytorch", backend: "kubeflow", runtime: { name: "torch-distributed" }, waitForCompletion: true },
        { image: "pytorch", backend: "job", numNodes: 3, resourcesPerNode: { cpu: 2 } },
    ],
};

const CLASSES = { Volume, Secret, Compute, TrainJob } as const;

/** What a component renders from `args` (resources with their options, and error messages), as comparable text. */
async function rendered(component: ComponentName, args: Record<string, unknown>, i: number): Promise<string> {
    resetObjectRegistry();
    const r = await emit(() => {
        const a = materialize(clone(args), `d${i}`, i);
        new (CLASSES[component] as new (n: string, a: unknown) => unknown)(`d${i}`, a);
    }, CONFIG);
    // Types, names, inputs, parents and the options that matter (retainOnDelete, dependsOn, ignoreChanges, …).
    return JSON.stringify({ resources: r.resources, errors: r.errors.map((e) => e.message) });
}

for (const component of ["Volume", "Secret", "Compute", "TrainJob"] as const) {
    test(`${component}: writing a schema default renders what leaving it out renders`, async () => {
        fixtures();
        const defaulted = defaultedPaths(component);
        const samples = [
            ...SEEDS[component],
            ...fc.sample(VALID[component], {
                seed: 28,
                numRuns: component === "Compute" || component === "TrainJob" ? 10 : 4,
            }),
        ];
        // Each sample as written, and with the contrary profile (when it picks none).
        const cases = samples.flatMap((s) =>
            (component === "Compute" || component === "TrainJob") && s.profile === undefined
                ? [s, { ...s, profile: "contrary" }]
                : [s],
        );
        const exercised = new Map<string, number>();
        const differ = new Set<string>();
        let i = 0;
        for (const args of cases) {
            const baseline = await rendered(component, args, i);
            // A control: the same args twice render the same (else the comparison proves nothing).
            if (i === 0)
                assert.equal(
                    await rendered(component, args, i),
                    baseline,
                    `${component}: rendering is not deterministic`,
                );
            for (const d of defaulted) {
                const withDefault = clone(args);
                if (setAt(withDefault, d.path, d.value) === 0) continue;
                exercised.set(d.where, (exercised.get(d.where) ?? 0) + 1);
                if ((await rendered(component, withDefault, i)) !== baseline)
                    differ.add(`${d.where} = ${JSON.stringify(d.value)}`);
            }
            i++;
        }
        assert.deepEqual(
            [...differ].sort(),
            [],
            `${component}: writing these defaults renders differently from leaving them out: list them in DEFAULTS_NOT_SENT (scripts/gen-schema.ts)`,
        );
        const never = [...new Set(defaulted.map((d) => d.where))].filter((w) => !exercised.has(w));
        assert.deepEqual(never, [], `${component}: schema defaults no sample reached (add a seed)`);
    });
}
