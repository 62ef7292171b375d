/**
 * Ownership with the real engine (test/e2e/programs/shared; docs/operations.md, "Two stacks, one
 * namespace"): a second stack with the same names in the same namespace fails with a conflict naming the
 * first stack and changes none of its objects, and destroying it deletes none of them: for a program with
 * every kind of object, and for Computes that have nothing but their force-applied Deployment (stopped by
 * the Compute's ownership guard, the ConfigMap `<name>.mlkube-owner`).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Stack, createNamespace, deleteNamespaces, get, list, requirePrerequisites } from "./helpers";

const PROGRAM = "test/e2e/programs/shared";
const PROJECT = "mlkube-e2e-shared";
/** The objects the program creates (kind, name): every kind mlkube emits for it. */
const OBJECTS = [
    ["persistentvolumeclaim", "data"],
    ["secret", "keys"],
    ["deployment", "api"],
    ["service", "api"],
    ["poddisruptionbudget", "api"],
    ["jobsets.jobset.x-k8s.io", "train"],
] as const;

before(() => requirePrerequisites());
after(() => deleteNamespaces());

function uids(ns: string): Record<string, string | undefined> {
    return Object.fromEntries(OBJECTS.map(([kind, name]) => [`${kind}/${name}`, get(kind, name, ns)?.metadata.uid]));
}

describe("ownership: two stacks, one namespace", () => {
    let a: Stack;
    let b: Stack;
    let ns: string;

    before(async () => {
        ns = await createNamespace("own");
        a = new Stack(PROGRAM, "owna", ns);
        b = new Stack(PROGRAM, "ownb", ns);
        // The same program with the same config in both stacks, as in the report: nothing differs but the stack.
        a.init({}, { token: "token-1" });
        b.init({}, { token: "token-1" });
        const r = a.up();
        assert.equal(r.status, 0, r.output);
    });

    after(() => {
        a?.remove();
        b?.remove();
    });

    test("the second stack's up fails naming the first stack, changes none of its objects, and its destroy deletes none", () => {
        const t0 = Date.now();
        const before = uids(ns);
        for (const [k, v] of Object.entries(before)) assert.ok(v, `stack A created ${k}`);
        const up = b.up();
        assert.notEqual(up.status, 0, `stack B's up must fail:\n${up.output}`);
        // The API server's conflict names the owner's field manager: the other stack, by project and name.
        assert.match(
            up.output,
            new RegExp(
                `conflicts? with "mlkube/${PROJECT}/${a.name}":\\s*(- )?\\.metadata\\.annotations\\.mlkube\\.dev/stack`,
            ),
            up.output,
        );
        assert.deepEqual(uids(ns), before, "no object of stack A was replaced");
        for (const [kind, name] of OBJECTS) {
            const o = get(kind, name, ns);
            assert.equal(
                o.metadata.annotations["mlkube.dev/stack"],
                `${PROJECT}/${a.name}`,
                `${kind}/${name} still marked as stack A's`,
            );
        }
        const destroy = b.pulumi(["destroy", "--yes", "--skip-preview"]);
        assert.equal(destroy.status, 0, destroy.output);
        assert.deepEqual(uids(ns), before, "destroying stack B deleted none of stack A's objects");
        const p = a.preview(["--expect-no-changes", "--refresh"]);
        assert.equal(p.status, 0, p.output);
        console.log(
            `# shared namespace: B up ${up.seconds}s (failed as expected), B destroy ${destroy.seconds}s, A preview ${p.seconds}s, test ${(Date.now() - t0) / 1000}s`,
        );
    });
});

/** Every object in `ns` that mlkube manages, as `<kind>/<name>` → uid and annotations. */
function managed(ns: string): Record<string, { uid: string; annotations: Record<string, string> }> {
    const kinds =
        "deployments,services,poddisruptionbudgets,horizontalpodautoscalers,configmaps,secrets,persistentvolumeclaims";
    return Object.fromEntries(
        list(kinds, ns, "app.kubernetes.io/managed-by=mlkube").map((o: any) => [
            `${o.kind}/${o.metadata.name}`,
            { uid: o.metadata.uid, annotations: o.metadata.annotations },
        ]),
    );
}

// Issue 23 item 2: a Compute whose Deployment (forced applies) has no unforced object of its name before it —
// one replica and no budget, or `disruptionBudget: false` — and no Volume or Secret of the same names.
describe("ownership: two stacks, one namespace, Computes with only a Deployment", () => {
    let a: Stack;
    let b: Stack;
    let ns: string;

    before(async () => {
        ns = await createNamespace("solo");
        a = new Stack(PROGRAM, "soloa", ns);
        b = new Stack(PROGRAM, "solob", ns);
        a.init({ solo: "true" });
        b.init({ solo: "true" });
        const r = a.up();
        assert.equal(r.status, 0, r.output);
    });

    after(() => {
        a?.remove();
        b?.remove();
    });

    test("the second stack's up fails naming the first stack, takes no Deployment over, and its destroy deletes nothing", () => {
        const t0 = Date.now();
        const before = managed(ns);
        for (const d of ["Deployment/solo", "Deployment/nobudget"]) assert.ok(before[d], `stack A created ${d}`);
        const up = b.up();
        assert.notEqual(up.status, 0, `stack B's up must fail:\n${up.output}`);
        assert.match(
            up.output,
            new RegExp(
                `conflicts? with "mlkube/${PROJECT}/${a.name}":\\s*(- )?\\.metadata\\.annotations\\.mlkube\\.dev/stack`,
            ),
            up.output,
        );
        // Nothing of stack A's changed hands or was replaced: same uids, same annotations (marker and manager).
        assert.deepEqual(managed(ns), before, "stack A's objects are unchanged");
        const destroy = b.pulumi(["destroy", "--yes", "--skip-preview"]);
        assert.equal(destroy.status, 0, destroy.output);
        assert.deepEqual(managed(ns), before, "destroying stack B deleted none of stack A's objects");
        const p = a.preview(["--expect-no-changes", "--refresh"]);
        assert.equal(p.status, 0, p.output);
        console.log(
            `# shared namespace, Deployment-only Computes: B up ${up.seconds}s (failed as expected), B destroy ${destroy.seconds}s, A preview ${p.seconds}s, test ${(Date.now() - t0) / 1000}s\n# ${up.output
                .split("\n")
                .filter((l) => /conflict/.test(l))
                .slice(0, 2)
                .map((l) => l.trim())
                .join("\n# ")}`,
        );
    });
});
