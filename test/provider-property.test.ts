/**
 * Property test of the multi-language provider's input normaliser (src/provider/normalize.ts): whatever
 * the engine delivers to `construct` — wrong types, `__proto__` keys, nested junk, huge strings, values
 * wrapped in (secret, dependent) Outputs at any position — the provider either builds the component or
 * refuses with mlkube's own message. Never a crash (TypeError, RangeError, …), never a hang, never a
 * polluted prototype, never a secret value in a message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { MlkubeProvider } from "../src/provider";
import { resetObjectRegistry } from "../src/registry";
import { emit } from "./helpers";

const SCHEMA = fs.readFileSync(path.join(__dirname, "..", "schema.json"), "utf8");
const SENTINEL = "S3NTINEL-do-not-print";

/** A valid input per component; the property replaces, adds or wraps fields of it. */
const BASE: Record<string, Record<string, unknown>> = {
    "mlkube:index:Volume": { size: "1Gi", accessMode: "ReadWriteOnce", labels: { team: "ml" } },
    "mlkube:index:Secret": { env: { TOKEN: SENTINEL } },
    "mlkube:index:Compute": {
        image: "busybox",
        replicas: 1,
        ports: [{ port: 80 }],
        env: { A: "1" },
        volumes: ["data"],
        resources: { cpu: 1, memory: "1Gi" },
    },
    "mlkube:index:TrainJob": {
        image: "pytorch",
        command: ["torchrun", "train.py"],
        numNodes: 2,
        env: { SEED: "1" },
        backend: "jobset",
    },
};
/** Field names the property picks from, per component: its schema's inputs plus a few it does not have. */
const FIELDS: Record<string, string[]> = Object.fromEntries(
    Object.entries(
        (JSON.parse(SCHEMA) as { resources: Record<string, { inputProperties: Record<string, unknown> }> }).resources,
    ).map(([t, r]) => [t, [...Object.keys(r.inputProperties), "__proto__", "constructor", "bogus"]]),
);

/** An Output as the engine delivers one. */
function wire<T>(value: T, secret: boolean, known = true): pulumi.Output<T> {
    const OutputImpl = pulumi.Output as unknown as new (
        r: Set<pulumi.Resource>,
        p: Promise<T>,
        k: Promise<boolean>,
        s: Promise<boolean>,
        a: Promise<Set<pulumi.Resource>>,
    ) => pulumi.Output<T>;
    return new OutputImpl(
        new Set(),
        Promise.resolve(value),
        Promise.resolve(known),
        Promise.resolve(secret),
        Promise.resolve(new Set()),
    );
}

const leaf = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom("", "1Gi", "16GB", "ReadWriteMany", "env", "files", "/mnt/x", "a".repeat(70_000), "__proto__"),
    fc.integer({ min: -5, max: 70_000 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
);
/** JSON-like values with own `__proto__`/`constructor` keys now and then (what JSON.parse yields). */
const junk = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 4 }),
    object: fc
        .array(
            fc.tuple(
                fc.oneof(
                    fc.string({ maxLength: 8 }),
                    fc.constantFrom(
                        "__proto__",
                        "constructor",
                        "claimName",
                        "secretName",
                        "key",
                        "fieldRef",
                        "volume",
                        "port",
                    ),
                ),
                tie("value"),
            ),
            { maxLength: 4 },
        )
        .map((entries) => {
            const o: Record<string, unknown> = {};
            for (const [k, v] of entries)
                Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
            return o;
        }),
})).value;
/** `v` with every string in it replaced by the sentinel (what a secret holds; it must never be printed). */
function secretly(v: unknown): unknown {
    if (typeof v === "string") return SENTINEL;
    if (Array.isArray(v)) return v.map(secretly);
    if (v !== null && typeof v === "object") {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v))
            Object.defineProperty(o, k, { value: secretly(x), enumerable: true, writable: true, configurable: true });
        return o;
    }
    return v;
}
/** A value, sometimes wrapped in an Output the way the engine wraps secrets and unknowns. */
const delivered = fc
    .tuple(junk, fc.constantFrom("plain", "plain", "secret", "unknown"))
    .map(([v, how]) => (how === "plain" ? v : how === "secret" ? wire(secretly(v), true) : wire(v, false, false)));

const edits = (type: string) =>
    fc.array(fc.tuple(fc.constantFrom(...FIELDS[type]), fc.oneof(delivered, fc.constant(undefined))), {
        minLength: 1,
        maxLength: 3,
    });

test("property: the provider builds or refuses any construct input with mlkube's message — no crash, hang, pollution or secret leak", async () => {
    const types = Object.keys(BASE);
    await fc.assert(
        fc.asyncProperty(
            fc.constantFrom(...types).chain((t) => fc.tuple(fc.constant(t), edits(t))),
            fc.boolean(),
            async ([type, changes], preview) => {
                resetObjectRegistry();
                const inputs: Record<string, unknown> = { ...BASE[type] };
                for (const [k, v] of changes)
                    Object.defineProperty(inputs, k, {
                        value: v,
                        enumerable: true,
                        writable: true,
                        configurable: true,
                    });
                const p = new MlkubeProvider({ schema: SCHEMA, version: "0.1.0" });
                const component = type.slice("mlkube:index:".length);
                const thrown: Error[] = [];
                const out = await emit(
                    async () => {
                        await Promise.race([
                            p.construct("x", type, inputs as pulumi.Inputs, {}).catch((e: unknown) => {
                                thrown.push(e as Error);
                            }),
                            new Promise((_, reject) =>
                                setTimeout(() => reject(new Error("construct hung")), 10_000).unref(),
                            ),
                        ]);
                    },
                    {},
                    { preview },
                );
                assert.equal(({} as Record<string, unknown>).polluted, undefined, "no prototype pollution");
                assert.equal(Object.getPrototypeOf({}), Object.prototype);
                for (const e of [...thrown, ...out.errors]) {
                    assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
                    assert.ok(
                        !/^(TypeError|RangeError|ReferenceError|SyntaxError)$/.test(e.name),
                        `crash: ${e.name}: ${e.message}`,
                    );
                    assert.ok(
                        !/Cannot read properties|is not a function|is not iterable|Maximum call stack/.test(e.message),
                        `crash: ${e.message}`,
                    );
                    assert.ok(
                        e.message.startsWith(`${component} "x"`) ||
                            e.message.startsWith(`${component}.existing`) ||
                            /^(Volume|Secret)(\.existing)? "/.test(e.message),
                        `not mlkube's message: ${e.message}`,
                    );
                    assert.ok(!e.message.includes(SENTINEL), `secret in a message: ${e.message}`);
                    assert.ok(e.message.length < 20_000, `message of ${e.message.length} characters`);
                }
            },
        ),
        { numRuns: Number(process.env.PROVIDER_PROPERTY_RUNS ?? 200), seed: 20261130 },
    );
});
