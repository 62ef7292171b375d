/**
 * A quick seeded slice of the hostile-input fuzz suite (test/fuzz/): every component gets generated
 * hostile argument objects; none may crash, hang, pollute a prototype, leak a secret or its internal
 * marker, change in a YAML round trip, or fail without a field path. The full run (10,000 cases per
 * component, outcome table) is `npm run test:fuzz`.
 *
 * "Invalid objects" (emitted objects the Kubernetes/CRD schemas, the API server's extra rules or the
 * kubelet's rules reject) count as failures too.
 *
 * KNOWN_OPEN: defect classes the widened generator (issue 22) still finds in src/ after main's fixes
 * (merged 2026-12-07); they are for the engineers fixing src/. A failure of a known class is printed,
 * not failed; any other failure fails. Remove an entry once its fix is merged (the test prints the
 * entries that matched nothing in this slice).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeCases } from "./fuzz/cases";
import { FAILURES, fuzz, table } from "./fuzz/run";

const SEED = 7;

/** [class, what it matches in "[kind] <mutations> :: <detail>"]. */
const KNOWN_OPEN: Array<[string, RegExp]> = [
    ["podPatch adds a container without an image (the API server refuses \"image: Required value\")", /^\[invalid\] .*:: .*containers\[\d+\]\.image: Required value/],
    ["affinity keys and values are not checked", /^\[invalid\] .*:: .*affinity\.nodeAffinity\..*matchExpressions\[\d+\]\.(key|values)/],
    ["a hostile volumes value (null, an Output) drops the pod's volumes but keeps their mounts", /^\[invalid\] .*at volumes.*:: .*volumeMounts\[\d+\]\.name: .* not found among the pod's volumes/],
    ["args are read before they are validated: a throwing getter escapes (applyStackDefaults, profile merging)", /^\[crash\] .*:: Error: getter[\s\S]*(applyStackDefaults|mergeResources|mergeProfile)/],
    ["a BigInt reaches JSON.stringify in src/schema/k8s.ts (TypeError)", /^\[crash\] .*bigint.*:: TypeError: Do not know how to serialize a BigInt/],
];

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
    for (const [cls] of KNOWN_OPEN) t.diagnostic(`known open (src/, issue 22): ${cls}: ${known.get(cls)?.join(", ") ?? "none in this slice"}`);
    assert.deepEqual(unknown, [], "failures outside the known open classes");
});
