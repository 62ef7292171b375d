/**
 * A quick seeded slice of the hostile-input fuzz suite (test/fuzz/): every component gets generated
 * hostile argument objects; none may crash, hang, pollute a prototype, leak a secret or its internal
 * marker, change in a YAML round trip, or fail without a field path. The full run (10,000 cases per
 * component, outcome table) is `npm run test:fuzz`.
 *
 * "Invalid objects" (emitted objects the Kubernetes/CRD schemas, the API server's extra rules or the
 * kubelet's rules reject) count as failures too.
 *
 * KNOWN_OPEN: defect classes the widened generator (issue 22) found in src/ that are being fixed in
 * parallel. A failure of a known class is printed, not failed; any other failure fails. Remove an entry
 * once its fix is merged (the test prints the entries that matched nothing in this slice).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeCases } from "./fuzz/cases";
import { FAILURES, fuzz, table } from "./fuzz/run";

const SEED = 7;

/** [class, what it matches in "[kind] <mutations> :: <detail>"]. */
const KNOWN_OPEN: Array<[string, RegExp]> = [
    ["Secret.fromDirectory of a special directory (/proc, /dev, /) crashes or hangs", /^\[(crash|hang)\] .*fromDirectory \/(proc|dev)?(;|$| ::)/],
    ["secure-default conflicts through podPatch/profiles/runtimePatches (privileged or CAP_SYS_ADMIN next to allowPrivilegeEscalation: false; runAsNonRoot with runAsUser 0)", /^\[invalid\] .*:: .*(allowPrivilegeEscalation|runAsNonRoot with runAsUser 0)/],
    ["tolerations the API server refuses are emitted (an empty toleration, Exists with a value, tolerationSeconds without NoExecute)", /^\[invalid\] .*:: .*tolerations\[\d+\]\.(operator|effect|value|key)/],
    ["pod volume names from podPatch/runtimePatches are not checked (\"extra/../..\", \"Extra\")", /^\[invalid\] .*:: .*volumes\[\d+\]\.name: .* must be a DNS-1123 label/],
    ["container names and mounts from podPatch are not checked (\"Side_Car\", a mount of no volume, a container without image)", /^\[invalid\] .*podPatch (container name bad|volumeMount to no volume|container without image).*:: /],
    ["Outputs/Promises where mlkube reads (capabilities.add, tolerations, volumes, podPatch.containers[0]): a TypeError, a container added twice, mounts of dropped volumes", /^\[(crash|invalid)\] .*((output|secret|promise)[^;]*\(valid\) at|Output|Promise|secret bad at|output\(|promise ).*:: .*(TypeError|duplicate "(main|node)"|image: Required value|not found among|is not iterable|is not a function)/],
    ["PET_* env names (an env var or a Secret key) reach a Kubeflow TrainJob's spec.trainer.env, which the Trainer refuses", /^\[invalid\] .*:: .*must not have reserved envs/],
    ["affinity keys and values are not checked", /^\[invalid\] .*:: .*affinity\.nodeAffinity\..*matchExpressions\[\d+\]\.(key|values)/],
    ["profile merging reads args before they are validated (a throwing getter escapes)", /^\[crash\] .* :: Error: getter[\s\S]*mergeResources/],
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
