/**
 * A quick seeded slice of the hostile-input fuzz suite (test/fuzz/): every component gets generated
 * hostile argument objects; none may crash, hang, pollute a prototype, leak a secret or its internal
 * marker, change in a YAML round trip, or fail without a field path. The full run (10,000 cases per
 * component, outcome table) is `npm run test:fuzz`.
 *
 * "Invalid objects" (emitted objects the Kubernetes/CRD schemas or the API server's extra rules reject)
 * count as failures too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FAILURES, fuzz, table } from "./fuzz/run";

test("fuzz slice: hostile args never crash, hang, pollute, leak or lose their field path", async () => {
    const t = await fuzz({ cases: Number(process.env.FUZZ_CASES ?? 150), seed: 7, watchdogMs: 60_000 });
    const checked = FAILURES;
    const bad = t.examples.filter((e) => checked.includes(e.kind));
    process.stdout.write(`${table(t)}\n`);
    assert.deepEqual(
        bad.map((e) => `[${e.kind}] ${e.component} case ${e.i}: ${e.detail}`),
        [],
    );
    for (const c of Object.values(t.counts)) for (const k of checked) assert.equal(c[k], 0, k);
});
