/**
 * The schema compatibility gate (scripts/schema-compat.ts): every breaking kind is found, additions are
 * not breaking, a change is let through only when the CHANGELOG's Unreleased section names its path, and
 * no input (hostile JSON included) makes it throw.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compareSchemas, newestBaseline, unnamed, unreleasedSection } from "../scripts/schema-compat";

const ROOT = path.resolve(__dirname, "..");
const SCHEMA = JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8"));
const clone = (): any => structuredClone(SCHEMA);
const paths = (prev: unknown, next: unknown) => compareSchemas(prev, next).map((c) => `${c.kind} ${c.path}`);

describe("schema-compat: breaking kinds", () => {
    test("the committed schema against itself and against the newest baseline: nothing breaking", () => {
        assert.deepEqual(compareSchemas(SCHEMA, clone()), []);
        const baseline = newestBaseline(path.join(ROOT, "release"));
        assert.ok(baseline, "release/schema-<version>.json exists");
        assert.deepEqual(compareSchemas(JSON.parse(fs.readFileSync(baseline, "utf8")), SCHEMA), []);
    });

    test("a removed resource, type, input, output and enum value", () => {
        const next = clone();
        delete next.resources["mlkube:index:Secret"];
        delete next.types["mlkube:index:AutoscalingSpec"];
        delete next.resources["mlkube:index:Volume"].inputProperties.storageClass;
        delete next.resources["mlkube:index:Compute"].properties.endpoint;
        next.types["mlkube:index:AccessMode"].enum = next.types["mlkube:index:AccessMode"].enum.filter(
            (e: { value: string }) => e.value !== "ReadWriteOncePod",
        );
        assert.deepEqual(paths(SCHEMA, next).sort(), [
            "removed AccessMode.ReadWriteOncePod",
            "removed AutoscalingSpec",
            "removed Compute.outputs.endpoint",
            "removed Secret",
            "removed Volume.storageClass",
        ]);
    });

    test("a retyped input, type property, output, array item, map value and enum", () => {
        const next = clone();
        next.resources["mlkube:index:Volume"].inputProperties.size = { type: "integer" };
        next.types["mlkube:index:AutoscalingSpec"].properties.maxReplicas.type = "string";
        next.resources["mlkube:index:Compute"].properties.endpoint = { type: "integer" };
        const compute = next.resources["mlkube:index:Compute"].inputProperties;
        compute.args = { type: "array", items: { type: "integer" } };
        compute.env = { type: "object", additionalProperties: { type: "integer" } };
        next.types["mlkube:index:AccessMode"].type = "integer";
        assert.deepEqual(paths(SCHEMA, next).sort(), [
            "type-changed AccessMode",
            "type-changed AutoscalingSpec.maxReplicas",
            "type-changed Compute.args",
            "type-changed Compute.env",
            "type-changed Compute.outputs.endpoint",
            "type-changed Volume.size",
        ]);
    });

    test("an input made plain (Outputs no longer accepted) is breaking; plain dropped is not", () => {
        const prev = clone();
        prev.resources["mlkube:index:Volume"].inputProperties.size = { type: "string" };
        const next = clone();
        next.resources["mlkube:index:Volume"].inputProperties.size = { type: "string", plain: true };
        assert.deepEqual(paths(prev, next), ["type-changed Volume.size"]);
        assert.match(compareSchemas(prev, next)[0].message, /now plain/);
        assert.deepEqual(paths(next, prev), []);
    });

    test("newly required: a resource input, a type property, a new required input; an output no longer always set", () => {
        const next = clone();
        next.resources["mlkube:index:Volume"].requiredInputs.push("storageClass");
        next.types["mlkube:index:AutoscalingSpec"].required.push("minReplicas");
        next.resources["mlkube:index:Compute"].inputProperties.cluster = { type: "string" };
        next.resources["mlkube:index:Compute"].requiredInputs = [
            ...(next.resources["mlkube:index:Compute"].requiredInputs ?? []),
            "cluster",
        ];
        next.resources["mlkube:index:Volume"].required = next.resources["mlkube:index:Volume"].required.filter(
            (r: string) => r !== "claimName",
        );
        assert.deepEqual(paths(SCHEMA, next).sort(), [
            "newly-required AutoscalingSpec.minReplicas",
            "newly-required Compute.cluster",
            "newly-required Volume.storageClass",
            "output-optional Volume.outputs.claimName",
        ]);
    });

    test("additions and widenings are not breaking", () => {
        const next = clone();
        next.resources["mlkube:index:Volume"].inputProperties.newOptional = { type: "string" };
        next.resources["mlkube:index:Volume"].properties.newOutput = { type: "string" };
        next.resources["mlkube:index:Volume"].required = [
            ...next.resources["mlkube:index:Volume"].required,
            "newOutput",
        ];
        next.types["mlkube:index:AccessMode"].enum.push({ value: "Shared" });
        next.types["mlkube:index:New"] = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
        next.resources["mlkube:index:New"] = { isComponent: true, inputProperties: {}, requiredInputs: [] };
        next.types["mlkube:index:AutoscalingSpec"].properties.maxReplicas.type = "number"; // integer -> number
        const compute = next.resources["mlkube:index:Compute"].inputProperties;
        compute.image = { oneOf: [{ type: "string" }, { type: "integer" }] }; // a union that gained a branch
        next.resources["mlkube:index:Volume"].requiredInputs = []; // fewer required inputs
        assert.deepEqual(paths(SCHEMA, next), []);
    });
});

describe("schema-compat: the CHANGELOG names a breaking change", () => {
    const changelog = [
        "# Changelog",
        "",
        "## [Unreleased]",
        "",
        "### Removed",
        "",
        "- `Volume.storageClass`: gone (breaking).",
        "",
        "## [0.1.0] - 2026-12-01",
        "",
        "- `Compute.outputs.endpoint` removed long ago",
        "",
    ].join("\n");

    test("only the Unreleased section counts, and only backticked paths", () => {
        const section = unreleasedSection(changelog);
        assert.match(section, /Volume\.storageClass/);
        assert.doesNotMatch(section, /0\.1\.0|endpoint/);
        const next = clone();
        delete next.resources["mlkube:index:Volume"].inputProperties.storageClass;
        delete next.resources["mlkube:index:Compute"].properties.endpoint;
        assert.deepEqual(
            unnamed(compareSchemas(SCHEMA, next), section).map((c) => c.path),
            ["Compute.outputs.endpoint"],
        );
        assert.equal(unreleasedSection("# no sections"), "");
        assert.equal(unnamed(compareSchemas(SCHEMA, next), "Volume.storageClass without backticks").length, 2);
    });

    test("the CLI fails on an unnamed breaking change and passes once it is named", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-compat-"));
        try {
            const next = clone();
            delete next.resources["mlkube:index:Volume"].inputProperties.storageClass;
            fs.writeFileSync(path.join(dir, "schema.json"), JSON.stringify(next));
            fs.writeFileSync(path.join(dir, "CHANGELOG.md"), "## [Unreleased]\n\n- nothing\n");
            const run = () =>
                spawnSync(
                    process.execPath,
                    [
                        "--import",
                        "tsx",
                        path.join(ROOT, "scripts", "schema-compat.ts"),
                        "--schema",
                        path.join(dir, "schema.json"),
                        "--baseline",
                        path.join(ROOT, "schema.json"),
                        "--changelog",
                        path.join(dir, "CHANGELOG.md"),
                    ],
                    { cwd: ROOT, encoding: "utf8" },
                );
            const bad = run();
            assert.equal(bad.status, 1, bad.stdout + bad.stderr);
            assert.match(bad.stdout, /UNNAMED removed: Volume\.storageClass: input property removed/);
            assert.match(bad.stderr, /not named in the CHANGELOG/);
            fs.writeFileSync(
                path.join(dir, "CHANGELOG.md"),
                "## [Unreleased]\n\n### Removed\n\n- `Volume.storageClass`: use mlkube:storageClass (breaking)\n",
            );
            const good = run();
            assert.equal(good.status, 0, good.stdout + good.stderr);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("schema-compat: hostile input", () => {
    test("any JSON on either side never throws; a schema against itself is never breaking", () => {
        const json = fc.jsonValue({ maxDepth: 6 });
        const schemaLike = fc.record(
            {
                resources: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor")), json),
                types: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("__proto__", "toString")), json),
            },
            { requiredKeys: [] },
        );
        fc.assert(
            fc.property(fc.oneof(json, schemaLike), fc.oneof(json, schemaLike), (a, b) => {
                compareSchemas(a, b);
                assert.deepEqual(compareSchemas(a, structuredClone(a)), []);
            }),
            { numRuns: 300 },
        );
    });

    test("deleting any one input of the real schema is reported as that path", () => {
        const inputs = Object.entries(
            SCHEMA.resources as Record<string, { inputProperties: Record<string, unknown> }>,
        ).flatMap(([token, r]) => Object.keys(r.inputProperties).map((p) => [token, p] as const));
        fc.assert(
            fc.property(fc.constantFrom(...inputs), ([token, prop]) => {
                const next = clone();
                delete next.resources[token].inputProperties[prop];
                assert.ok(paths(SCHEMA, next).includes(`removed ${token.split(":")[2]}.${prop}`));
            }),
            { numRuns: 50 },
        );
    });

    test("a deeply nested type does not overflow the stack", () => {
        const deep = (leaf: string) => {
            let t: Record<string, unknown> = { type: leaf };
            for (let i = 0; i < 10_000; i++) t = { type: "array", items: t };
            return { resources: { "m:i:R": { inputProperties: { x: t } } } };
        };
        assert.deepEqual(compareSchemas(deep("string"), deep("string")), []);
        // Past the depth bound two types compare equal ("?"): the bound is far beyond any real schema's nesting.
        assert.deepEqual(compareSchemas(deep("string"), deep("integer")), []);
    });
});
