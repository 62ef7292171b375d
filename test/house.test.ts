/**
 * The house drawn from the imports of src/ (issue 28): which room may import which. Every import of every
 * file under src/ counts — `import`, `import type`, `export … from`, `require()` and `import()` (types
 * too) — read with the TypeScript compiler's `preProcessFile`, so a type-only arrow is an arrow.
 *
 * - The pod layer (src/pod) knows no component: it imports only itself, src/schema, src/errors.ts and
 *   src/plain.ts (helpers that read no stack config), directly and through what those import.
 * - The layers run one way: components (compute.ts, trainjob/) → workload/ → volume.ts, secret/ → pod/ →
 *   schema/, errors.ts, plain.ts; nothing points back up.
 * - Import cycles (strongly connected components of the graph) are listed; none may run through
 *   `CYCLE_FREE` (set `CYCLE_FREE_EVERYWHERE` to forbid them in all of src/, generated files aside).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..");
const SRC = path.join(ROOT, "src");

/** Rooms in which no import cycle is allowed (paths relative to the repository; a directory or a file). */
const CYCLE_FREE = ["src/pod", "src/workload"];
/** Flip to true once trainjob/ is untangled: no import cycle anywhere in src/, except through generated files. */
const CYCLE_FREE_EVERYWHERE = true;

/** What src/pod may import (besides packages and node built-ins). */
const POD_MAY_IMPORT = ["src/pod", "src/schema", "src/errors.ts", "src/plain.ts"];

const isGenerated = (f: string): boolean => /\.generated\.ts$/.test(f);

function sourceFiles(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...sourceFiles(p));
        else if (/\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(p);
    }
    return out;
}

/** The repository-relative file a relative specifier names (`./x` → x.ts or x/index.ts), or undefined for a package. */
function resolve(from: string, spec: string): string | undefined {
    if (!spec.startsWith(".")) return undefined;
    const base = path.resolve(path.dirname(from), spec);
    for (const cand of [`${base}.ts`, path.join(base, "index.ts"), base]) {
        if (fs.existsSync(cand) && fs.statSync(cand).isFile())
            return path.relative(ROOT, cand).split(path.sep).join("/");
    }
    throw new Error(`${path.relative(ROOT, from)}: cannot resolve import ${JSON.stringify(spec)}`);
}

/** The import graph of src/: file → the src files it imports (repository-relative paths). */
function importGraph(): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(SRC)) {
        const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
        const targets = info.importedFiles
            .map((f) => resolve(file, f.fileName))
            .filter((t): t is string => t !== undefined);
        graph.set(path.relative(ROOT, file).split(path.sep).join("/"), [...new Set(targets)]);
    }
    return graph;
}

const within = (file: string, rooms: string[]): boolean => rooms.some((r) => file === r || file.startsWith(`${r}/`));

/** Strongly connected components with more than one file (or a file importing itself), by Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const out: string[][] = [];
    const visit = (v: string): void => {
        idx.set(v, index);
        low.set(v, index++);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!idx.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
        }
        if (low.get(v) === idx.get(v)) {
            const scc: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                scc.push(w);
            } while (w !== v);
            if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
        }
    };
    for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
    return out;
}

const graph = importGraph();

test("house: the pod layer imports only itself, schema/, errors.ts and plain.ts (directly and transitively): no component, no stack config", () => {
    const direct: string[] = [];
    for (const [file, targets] of graph) {
        if (!within(file, ["src/pod"])) continue;
        for (const t of targets) if (!within(t, POD_MAY_IMPORT)) direct.push(`${file} imports ${t}`);
    }
    assert.deepEqual(direct, []);
    // What the allowed rooms import must stay inside them too, or the pod layer would reach a component through them.
    const seen = new Set<string>();
    const todo = [...graph.keys()].filter((f) => within(f, ["src/pod"]));
    const outside: string[] = [];
    while (todo.length) {
        const f = todo.pop()!;
        if (seen.has(f)) continue;
        seen.add(f);
        for (const t of graph.get(f) ?? []) {
            if (!within(t, POD_MAY_IMPORT)) outside.push(`${f} imports ${t}`);
            else todo.push(t);
        }
    }
    assert.deepEqual(outside, []);
    for (const forbidden of [
        "src/volume.ts",
        "src/secret",
        "src/compute.ts",
        "src/trainjob",
        "src/config.ts",
        "src/metadata.ts",
        "src/workload",
    ]) {
        assert.ok(![...seen].some((f) => within(f, [forbidden])), `the pod layer reaches ${forbidden}`);
    }
});

test("house: layers run one way — components → workload/ → volume.ts, secret/ → pod/ → schema/, errors.ts, plain.ts", () => {
    const layers: [string[], string[]][] = [
        // [room, rooms it must not import]
        [
            ["src/pod", "src/schema", "src/errors.ts", "src/plain.ts"],
            [
                "src/workload",
                "src/volume.ts",
                "src/secret",
                "src/compute.ts",
                "src/trainjob",
                "src/config.ts",
                "src/metadata.ts",
                "src/provider",
                "src/render",
            ],
        ],
        [
            ["src/volume.ts", "src/secret"],
            ["src/workload", "src/compute.ts", "src/trainjob", "src/provider", "src/render"],
        ],
        [["src/workload"], ["src/compute.ts", "src/trainjob", "src/provider", "src/render"]],
        // The component base knows no component; only the provider and the schema generator read the table.
        [
            ["src/base.ts", "src/registry.ts"],
            [
                "src/components.ts",
                "src/compute.ts",
                "src/trainjob",
                "src/volume.ts",
                "src/secret",
                "src/workload",
                "src/provider",
                "src/render",
            ],
        ],
        [
            ["src/compute.ts", "src/trainjob", "src/volume.ts", "src/secret", "src/workload", "src/pod", "src/render"],
            ["src/components.ts", "src/provider"],
        ],
        // TrainJob backends know the spec and their shared parts, never the component, the dispatcher or the table.
        [
            [
                "src/trainjob/spec.ts",
                "src/trainjob/backend.ts",
                "src/trainjob/rules.ts",
                "src/trainjob/common.ts",
                "src/trainjob/node.ts",
                "src/trainjob/initializer.ts",
                "src/trainjob/patches.ts",
                "src/trainjob/reserved-env.ts",
                "src/trainjob/jobset.ts",
                "src/trainjob/kubeflow.ts",
                "src/trainjob/job.ts",
            ],
            [
                "src/trainjob/component.ts",
                "src/trainjob/render.ts",
                "src/trainjob/backends.ts",
                "src/trainjob/index.ts",
            ],
        ],
        [
            ["src/trainjob/spec.ts"],
            ["src/trainjob/jobset.ts", "src/trainjob/kubeflow.ts", "src/trainjob/job.ts", "src/trainjob/node.ts"],
        ],
    ];
    const back: string[] = [];
    for (const [room, notUp] of layers) {
        for (const [file, targets] of graph) {
            if (!within(file, room)) continue;
            for (const t of targets) if (within(t, notUp)) back.push(`${file} imports ${t}`);
        }
    }
    assert.deepEqual(back, []);
});

test("house: no import cycle in src/ (the generated k8s schema data aside)", (t) => {
    const withoutGenerated = new Map(
        [...graph].filter(([f]) => !isGenerated(f)).map(([f, ts_]) => [f, ts_.filter((x) => !isGenerated(x))]),
    );
    const found = cycles(withoutGenerated);
    t.diagnostic(
        found.length
            ? `import cycles in src/ (generated files aside): ${found.map((c) => c.join(" ↔ ")).join("; ")}`
            : "no import cycle in src/",
    );
    const forbidden = CYCLE_FREE_EVERYWHERE ? found : found.filter((c) => c.some((f) => within(f, CYCLE_FREE)));
    assert.deepEqual(forbidden, []);
    // The graph is read right: the generated k8s schema data and its reader import each other.
    assert.ok(
        cycles(graph).some((c) => c.some(isGenerated)),
        "expected the generated k8s-openapi data in a cycle with src/schema/k8s.ts",
    );
});
