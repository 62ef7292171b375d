/**
 * `snapshot()` (src/schema/input.ts), which every component constructor runs over its args: a deep copy
 * of plain objects and arrays in which each Output or Promise becomes an `Unresolved` marker carrying
 * the path where it was found. It walks with one shared path stack (issue 15), so the property checks
 * that every marker still gets its own, correct path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { snapshot, Unresolved } from "../src/schema/input";

type Tree = null | boolean | number | string | { out: number } | Tree[] | { [k: string]: Tree };

const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
    t: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 4 }), fc.record({ out: fc.nat() })),
        fc.array(tie("t"), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom("a", "b", "c", "out0"), tie("t"), { maxKeys: 3 }),
    ),
})).t;

/** The tree with each `{ out: n }` replaced by an Output (or a Promise when n is odd), and the expected marker paths. */
function materialize(t: Tree, path: (string | number)[], markers: (string | number)[][]): unknown {
    if (t !== null && typeof t === "object" && !Array.isArray(t) && Object.keys(t).length === 1 && typeof t.out === "number") {
        markers.push([...path]);
        return t.out % 2 ? Promise.resolve(t.out) : pulumi.output(t.out);
    }
    if (Array.isArray(t)) return t.map((e, i) => materialize(e, [...path, i], markers));
    if (t !== null && typeof t === "object") return Object.fromEntries(Object.entries(t).map(([k, e]) => [k, materialize(e as Tree, [...path, k], markers)]));
    return t;
}

function found(v: unknown, path: (string | number)[], out: { path: readonly (string | number)[]; at: (string | number)[] }[]): void {
    if (v instanceof Unresolved) out.push({ path: v.path, at: path });
    else if (Array.isArray(v)) v.forEach((e, i) => found(e, [...path, i], out));
    else if (v !== null && typeof v === "object") for (const [k, e] of Object.entries(v)) found(e, [...path, k], out);
}

test("snapshot: every Output/Promise becomes a marker with its own path; plain parts are copied, the args untouched", () => {
    fc.assert(
        fc.property(tree, fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.nat(5)), { maxLength: 2 }), (t, prefix) => {
            const markers: (string | number)[][] = [];
            const args = materialize(t, [], markers);
            const before = JSON.stringify(args);
            const snap = snapshot(args, "Compute", "api", prefix);
            const got: { path: readonly (string | number)[]; at: (string | number)[] }[] = [];
            found(snap, [], got);
            assert.deepEqual(got.map((g) => g.at), markers);
            for (const g of got) assert.deepEqual(g.path, [...prefix, ...g.at]);
            assert.equal(JSON.stringify(args), before);
            if (args !== null && typeof args === "object" && markers.length === 0) {
                assert.notEqual(snap, args);
                assert.deepEqual(snap, args);
            }
        }),
        { numRuns: 300, seed: 15 },
    );
});
