/**
 * A quick seeded slice of the hostile-input fuzz suite (test/fuzz/): every component gets generated
 * hostile argument objects; none may crash, hang, pollute a prototype, leak a secret or its internal
 * marker, change in a YAML round trip, or fail without a field path. The full run (10,000 cases per
 * component, outcome table) is `npm run test:fuzz`.
 *
 * "Invalid objects" (emitted objects the Kubernetes/CRD schemas, the API server's extra rules or the
 * kubelet's rules reject) count as failures too.
 *
 * KNOWN_OPEN: defect classes the generator finds that are not fixed yet, printed instead of failed (any
 * other failure fails). Empty since issue 22's last five classes were fixed (test/fuzz-classes.test.ts);
 * an entry added here must name its issue.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeCases } from "./fuzz/cases";
import { FAILURES, fuzz, table } from "./fuzz/run";

const SEED = 7;

/** [class, what it matches in "[kind] <mutations> :: <detail>"]. */
const KNOWN_OPEN: Array<[string, RegExp]> = [];

test("fuzz slice: hostile args never crash, hang, pollute, leak or lose their field path", async (t) => {
    const cases = Number(process.env.FUZZ_CASES ?? 150);
    const tally = await fuzz({ cases, seed: SEED, watchdogMs: 60_000, examples: Infinity });
    process.stdout.write(`${table(tally)}\n`);
    const failures = tally.examples.filter((e) => FAILURES.includes(e.kind));
    const known = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const e of failures) {
        const c = makeCases(e.component, SEED, e.i, 1)[0];
        const line = `[${e.kind}] ${e.component} case ${e.i} ${c.mutations.join("; ")} :: ${e.detail ?? ""}`;
        const hit = KNOWN_OPEN.find(([, re]) => re.test(line));
        if (hit) known.set(hit[0], [...(known.get(hit[0]) ?? []), `${e.component} case ${e.i}`]);
        else unknown.push(line);
    }
    for (const [cls] of KNOWN_OPEN)
        t.diagnostic(`known open (src/, issue 22): ${cls}: ${known.get(cls)?.join(", ") ?? "none in this slice"}`);
    assert.deepEqual(unknown, [], "failures outside the known open classes");
});
