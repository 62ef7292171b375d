/**
 * The component table (src/components.ts) drives the classes, the provider and schema.json: every entry's
 * token is the type its class registers, its `create` builds that class, its outputs are what schema.json
 * lists and what the provider's construct returns, and its reference outputs are kept in the state only
 * when the provider builds it (constructForReference). The TrainJob backends table works the same way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { constructForReference } from "../src/base";
import { COMPONENTS, componentOf } from "../src/components";
import { BACKENDS, backendNamed } from "../src/trainjob/backends";
import { TRAINJOB_BACKENDS } from "../src/trainjob/spec";
import { emit } from "./helpers";

const VALID: Record<string, Record<string, unknown>> = {
    Volume: { size: "1Gi" },
    Secret: { env: { K: "v" } },
    Compute: { image: "busybox", ports: [{ port: 80 }] },
    TrainJob: { image: "pytorch", numNodes: 2 },
};

test("component table: one entry per component, tokens mlkube:index:<Name>, found by token", () => {
    assert.deepEqual(
        COMPONENTS.map((c) => c.name),
        ["Volume", "Secret", "Compute", "TrainJob"],
    );
    for (const c of COMPONENTS) {
        assert.equal(c.token, `mlkube:index:${c.name}`);
        assert.equal(componentOf(c.token), c);
        for (const f of [c.source.argsFile, c.source.classFile])
            assert.ok(fs.existsSync(path.join(__dirname, "..", f)), `${c.name}: ${f} does not exist`);
        for (const k of c.referenceOutputs ?? [])
            assert.ok(c.outputs.includes(k), `${c.name}: reference output ${k} is not an output`);
    }
    assert.equal(componentOf("mlkube:index:Nope"), undefined);
    assert.equal(componentOf("constructor"), undefined);
});

test("component table: schema.json's resources and their outputs are the table's", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "schema.json"), "utf8")) as {
        resources: Record<string, { properties: Record<string, unknown> }>;
    };
    assert.deepEqual(Object.keys(schema.resources).sort(), COMPONENTS.map((c) => c.token).sort());
    for (const c of COMPONENTS)
        assert.deepEqual(Object.keys(schema.resources[c.token].properties).sort(), [...c.outputs].sort(), c.name);
});

test("component table: create builds the class, which registers the table's token; each listed output is an Output", async () => {
    const built: pulumi.ComponentResource[] = [];
    const r = await emit(() => {
        for (const c of COMPONENTS) built.push(c.create(`t-${c.name.toLowerCase()}`, VALID[c.name]));
    });
    assert.deepEqual(r.errors, []);
    COMPONENTS.forEach((c, i) => {
        const got = r.resources.find((x) => x.name === `t-${c.name.toLowerCase()}` && x.type.startsWith("mlkube:"));
        assert.equal(got?.type, c.token);
        for (const k of c.outputs)
            assert.ok(
                pulumi.Output.isInstance((built[i] as unknown as Record<string, unknown>)[k]),
                `${c.name}.${k} is not an Output`,
            );
    });
});

test("component table: reference outputs are registered only when built for reference (the provider); TypeScript state stays small", async () => {
    const outputsOf = async (forReference: boolean) => {
        const regs: Record<string, Record<string, unknown>> = {};
        const orig = pulumi.ComponentResource.prototype["registerOutputs" as never] as (
            this: pulumi.ComponentResource,
            o?: pulumi.Inputs,
        ) => void;
        (pulumi.ComponentResource.prototype as unknown as { registerOutputs: typeof orig }).registerOutputs = function (
            this: pulumi.ComponentResource,
            o?: pulumi.Inputs,
        ) {
            // The first call counts: the SDK calls registerOutputs() again after initialize(), which is a no-op then.
            regs[(this as unknown as { __name?: string }).__name ?? "?"] ??= { ...(o as Record<string, unknown>) };
            return orig.call(this, o);
        };
        try {
            await emit(() => {
                for (const c of COMPONENTS)
                    (forReference
                        ? (n: string, a: Record<string, unknown>) => constructForReference(c, n, a)
                        : c.create)(`r-${c.name.toLowerCase()}`, VALID[c.name]);
            });
        } finally {
            (pulumi.ComponentResource.prototype as unknown as { registerOutputs: typeof orig }).registerOutputs = orig;
        }
        return regs;
    };
    const ts = await outputsOf(false);
    const plugin = await outputsOf(true);
    for (const c of COMPONENTS) {
        const n = `r-${c.name.toLowerCase()}`;
        for (const k of c.referenceOutputs ?? []) {
            assert.ok(!Object.hasOwn(ts[n], k), `${c.name}: ${k} registered in a TypeScript program`);
            assert.ok(Object.hasOwn(plugin[n], k), `${c.name}: ${k} not registered when built for reference`);
        }
    }
    // Volume's immutable-claim check is registered either way (the update waits for it).
    assert.ok(Object.hasOwn(ts["r-volume"], "immutableCheck") && Object.hasOwn(plugin["r-volume"], "immutableCheck"));
});

test("backend table: every backend name has one backend of that name; lookup by name, jobset by default, nothing for other values", () => {
    assert.deepEqual(Object.keys(BACKENDS).sort(), [...TRAINJOB_BACKENDS].sort());
    for (const n of TRAINJOB_BACKENDS) assert.equal(BACKENDS[n].name, n);
    assert.equal(backendNamed(undefined), BACKENDS.jobset);
    assert.equal(backendNamed("job"), BACKENDS.job);
    for (const bad of ["toString", "__proto__", "constructor", "JOBSET", 1, null, {}])
        assert.equal(backendNamed(bad), undefined, String(bad));
});
