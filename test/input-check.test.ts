/**
 * Unresolved.check (issue 27 made it one apply on the value): what an Output in args resolves to is
 * checked, flattened like pulumi.output() flattens it, and keeps its resources and secretness; a
 * rejected secret value is described without being quoted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { collect } from "../src/render/collect";
import { SECRET_ISSUE, Unresolved } from "../src/schema/input";

const check = (v: pulumi.Input<unknown>, schema: z.ZodType) =>
    new Unresolved(v, "Compute", "api", ["env", "A"]).check(schema);
const value = (o: pulumi.Output<unknown>) => (o as unknown as { promise(): Promise<unknown> }).promise();
const secretOf = (o: pulumi.Output<unknown>) => (o as unknown as { isSecret: Promise<boolean> }).isSecret;

test("check: a valid Output's value comes through; secretness is kept (plain, secret, Promise)", async () => {
    const plain = check(pulumi.output("ok"), z.string());
    assert.equal(await value(plain), "ok");
    assert.equal(await secretOf(plain), false);
    const secret = check(pulumi.secret("s3cr3t"), z.string());
    assert.equal(await value(secret), "s3cr3t");
    assert.equal(await secretOf(secret), true);
    const promised = check(Promise.resolve("p"), z.string());
    assert.equal(await value(promised), "p");
});

test("check: an Output resolving to an object holding Outputs is flattened before it is checked; a nested secret makes the result secret", async () => {
    const o = check(
        pulumi.output({ a: pulumi.output("x"), b: [pulumi.secret("y")] }),
        z.object({ a: z.string(), b: z.array(z.string()) }),
    );
    assert.deepEqual(await value(o), { a: "x", b: ["y"] });
    assert.equal(await secretOf(o), true);
    const nested = check(pulumi.output({ a: pulumi.output("x") }), z.object({ a: z.string() }));
    assert.equal(await secretOf(nested), false);
});

test("check: an invalid value fails with the path and what was wrong; a secret one (outer or nested) is not quoted", async () => {
    // Under collect(), like a program: a failed check rejects the Output and the promises the SDK derives from it.
    const run = async (bad: pulumi.Input<unknown>, schema: z.ZodType) =>
        (await collect(() => void check(bad, schema))).errors.map((e) => e.message);
    const plain = await run(pulumi.output(42), z.string());
    assert.ok(
        plain.some((m) => /Compute "api"/.test(m) && /env\.A/.test(m) && /string/.test(m)),
        plain.join("\n"),
    );
    const schema = z.union([z.string(), z.object({ a: z.string() })]);
    for (const bad of [pulumi.secret(424242), pulumi.output({ a: pulumi.secret(424242) })]) {
        const msgs = await run(bad, schema);
        assert.ok(
            msgs.length > 0 && msgs.every((m) => m.includes(SECRET_ISSUE) && !m.includes("424242")),
            msgs.join("\n"),
        );
    }
});
