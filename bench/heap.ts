/**
 * Summarises V8 heap snapshots by constructor (count, self size, retained size) and, for the
 * constructors that differ most between two snapshots, by retainer (who holds them).
 *
 *   MLKUBE_BENCH_HEAPSNAPSHOT=scratch/heap node scratch/bench-build/bench/programs/main.js mlkube 1000 1
 *   MLKUBE_BENCH_HEAPSNAPSHOT=scratch/heap node scratch/bench-build/bench/programs/main.js floor 1000 1
 *   node --max-old-space-size=8000 --import tsx bench/heap.ts scratch/heap/mlkube-1000-built.heapsnapshot \
 *        scratch/heap/floor-1000-built.heapsnapshot [--top 40] [--per 1000] [--retainers 12]
 *
 * With one snapshot: the top constructors by retained size. With two (A B): the constructors by
 * self-size difference A − B, with counts per `--per` units (e.g. per workload), then, for the
 * `--retainers` biggest differences, the first retainer of each instance grouped as
 * `<retainer constructor>.<edge name>` for A and B side by side.
 *
 * Snapshots of a ~1 GiB heap are ~1.5–2 GiB of JSON, more than one JS string can hold, so the file is
 * read in chunks and the numeric arrays are parsed into typed arrays. Retained sizes come from a
 * dominator tree (Lengauer–Tarjan, weak edges ignored), as in Chrome DevTools.
 */
import * as fs from "node:fs";

interface Snapshot {
    file: string;
    nodeFields: string[];
    nodeTypes: string[];
    edgeFields: string[];
    edgeTypes: string[];
    nodes: Uint32Array;
    edges: Uint32Array;
    strings: string[];
    nodeCount: number;
    /** First edge index (in edges, not fields) of each node; length nodeCount + 1. */
    firstEdge: Uint32Array;
    retained?: Float64Array;
    /** Immediate dominator of each node (node ordinal). */
    idom?: Uint32Array;
}

/** Reads the whole file as a stream of bytes with a small pull parser for the three parts we need. */
function load(file: string): Snapshot {
    const fd = fs.openSync(file, "r");
    const CHUNK = 1 << 24;
    let buf = Buffer.alloc(0);
    let pos = 0;
    let eof = false;
    const fill = () => {
        if (eof) return false;
        const b = Buffer.allocUnsafe(CHUNK);
        const n = fs.readSync(fd, b, 0, CHUNK, null);
        if (n === 0) {
            eof = true;
            return false;
        }
        buf = Buffer.concat([buf.subarray(pos), b.subarray(0, n)]);
        pos = 0;
        return true;
    };
    const peek = () => {
        while (pos >= buf.length) if (!fill()) return -1;
        return buf[pos];
    };
    const readUntil = (marker: string): string => {
        // Returns the text before `marker` and consumes the marker.
        let out = "";
        for (;;) {
            const i = buf.indexOf(marker, pos, "latin1");
            if (i >= 0) {
                out += buf.toString("utf8", pos, i);
                pos = i + marker.length;
                return out;
            }
            const keep = Math.max(pos, buf.length - marker.length);
            out += buf.toString("utf8", pos, keep);
            pos = keep;
            if (!fill()) throw new Error(`${file}: ${marker} not found`);
        }
    };
    const numbers = (expected: number): Uint32Array => {
        const out = new Uint32Array(expected);
        let k = 0;
        let cur = 0;
        let inNum = false;
        for (;;) {
            if (pos >= buf.length && !fill()) throw new Error(`${file}: truncated array`);
            const end = buf.length;
            while (pos < end) {
                const c = buf[pos++];
                if (c >= 48 && c <= 57) {
                    cur = cur * 10 + (c - 48);
                    inNum = true;
                } else {
                    if (inNum) {
                        out[k++] = cur;
                        cur = 0;
                        inNum = false;
                    }
                    if (c === 93 /* ] */) {
                        if (k !== expected) throw new Error(`${file}: expected ${expected} numbers, got ${k}`);
                        return out;
                    }
                }
            }
        }
    };
    const head = JSON.parse(
        readUntil('"nodes":[')
            .replace(/^\s*\{\s*"snapshot"\s*:/, "")
            .replace(/,\s*$/, ""),
    ) as {
        meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
        node_count: number;
        edge_count: number;
    };
    const nf = head.meta.node_fields.length;
    const ef = head.meta.edge_fields.length;
    const nodes = numbers(head.node_count * nf);
    readUntil('"edges":[');
    const edges = numbers(head.edge_count * ef);
    readUntil('"strings":[');
    const strings: string[] = [];
    // Strings: JSON string tokens separated by commas, ending with ']'.
    for (;;) {
        let c = peek();
        while (c === 44 || c === 10 || c === 13 || c === 32) {
            pos++;
            c = peek();
        }
        if (c === 93 || c === -1) break;
        if (c !== 34) throw new Error(`${file}: unexpected byte ${c} in strings`);
        let i = pos + 1;
        for (;;) {
            if (i >= buf.length) {
                const off = i - pos;
                if (!fill()) throw new Error(`${file}: truncated string`);
                i = pos + off;
                continue;
            }
            const b = buf[i];
            if (b === 92) i += 2;
            else if (b === 34) break;
            else i++;
        }
        strings.push(JSON.parse(buf.toString("utf8", pos, i + 1)));
        pos = i + 1;
    }
    fs.closeSync(fd);
    const s: Snapshot = {
        file,
        nodeFields: head.meta.node_fields,
        nodeTypes: head.meta.node_types[0],
        edgeFields: head.meta.edge_fields,
        edgeTypes: head.meta.edge_types[0],
        nodes,
        edges,
        strings,
        nodeCount: head.node_count,
        firstEdge: new Uint32Array(head.node_count + 1),
    };
    const ecIdx = s.nodeFields.indexOf("edge_count");
    let e = 0;
    for (let i = 0; i < s.nodeCount; i++) {
        s.firstEdge[i] = e;
        e += nodes[i * nf + ecIdx];
    }
    s.firstEdge[s.nodeCount] = e;
    return s;
}

const NF = (s: Snapshot) => s.nodeFields.length;
const EF = (s: Snapshot) => s.edgeFields.length;

function nodeType(s: Snapshot, i: number): string {
    return s.nodeTypes[s.nodes[i * NF(s) + s.nodeFields.indexOf("type")]];
}
function nodeName(s: Snapshot, i: number): string {
    return s.strings[s.nodes[i * NF(s) + s.nodeFields.indexOf("name")]];
}
function selfSize(s: Snapshot, i: number): number {
    return s.nodes[i * NF(s) + s.nodeFields.indexOf("self_size")];
}

/** The class a node is counted under: constructor name for objects, "(closure) fn" for functions, "(type)" otherwise. */
function classOf(s: Snapshot, i: number): string {
    const t = nodeType(s, i);
    switch (t) {
        case "object":
        case "native":
            return nodeName(s, i);
        case "closure":
            return `(closure) ${nodeName(s, i) || "anonymous"}`;
        case "string":
        case "concatenated string":
        case "sliced string":
            return "(string)";
        case "code":
            return "(compiled code)";
        case "hidden":
        case "object shape":
            return `(system) ${nodeName(s, i)
                .replace(/\s*\/.*$/, "")
                .slice(0, 40)}`;
        default:
            return `(${t})`;
    }
}

/** Dominator tree (Lengauer–Tarjan, simple version with path compression) from node 0 (the root). */
function dominators(s: Snapshot): void {
    const n = s.nodeCount;
    const ef = EF(s);
    const typeIdx = s.edgeFields.indexOf("type");
    const toIdx = s.edgeFields.indexOf("to_node");
    const weak = s.edgeTypes.indexOf("weak");
    const nf = NF(s);
    const target = (e: number) => s.edges[e * ef + toIdx] / nf;
    const skip = (e: number) => s.edges[e * ef + typeIdx] === weak;
    // DFS numbering (iterative).
    const semi = new Int32Array(n).fill(-1); // dfs number, later semidominator number
    const vertex = new Uint32Array(n); // dfs number -> node
    const parent = new Uint32Array(n);
    let count = 0;
    const stack = new Uint32Array(n + 1);
    const edgeCursor = new Uint32Array(n);
    let sp = 0;
    stack[sp++] = 0;
    semi[0] = count;
    vertex[count++] = 0;
    edgeCursor[0] = s.firstEdge[0];
    while (sp > 0) {
        const v = stack[sp - 1];
        const end = s.firstEdge[v + 1];
        let pushed = false;
        while (edgeCursor[v] < end) {
            const e = edgeCursor[v]++;
            if (skip(e)) continue;
            const w = target(e);
            if (semi[w] === -1) {
                parent[w] = v;
                semi[w] = count;
                vertex[count++] = w;
                edgeCursor[w] = s.firstEdge[w];
                stack[sp++] = w;
                pushed = true;
                break;
            }
        }
        if (!pushed) sp--;
    }
    // Predecessors (reverse edges) among reachable nodes, CSR.
    const predCount = new Uint32Array(n + 1);
    for (let v = 0; v < n; v++) {
        if (semi[v] === -1) continue;
        for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) if (!skip(e)) predCount[target(e) + 1]++;
    }
    for (let i = 0; i < n; i++) predCount[i + 1] += predCount[i];
    const preds = new Uint32Array(predCount[n]);
    const fillPos = predCount.slice(0, n);
    for (let v = 0; v < n; v++) {
        if (semi[v] === -1) continue;
        for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) if (!skip(e)) preds[fillPos[target(e)]++] = v;
    }
    const ancestor = new Int32Array(n).fill(-1);
    const label = new Uint32Array(n);
    for (let i = 0; i < n; i++) label[i] = i;
    const idom = new Uint32Array(n);
    const bucketHead = new Int32Array(n).fill(-1);
    const bucketNext = new Int32Array(n).fill(-1);
    const cstack = new Uint32Array(n);
    const compress = (v: number) => {
        let k = 0;
        let u = v;
        while (ancestor[ancestor[u]] !== -1) {
            cstack[k++] = u;
            u = ancestor[u];
        }
        while (k > 0) {
            const x = cstack[--k];
            const a = ancestor[x];
            if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
            ancestor[x] = ancestor[a];
        }
    };
    const evalNode = (v: number) => {
        if (ancestor[v] === -1) return v;
        compress(v);
        return label[v];
    };
    for (let i = count - 1; i > 0; i--) {
        const w = vertex[i];
        for (let p = predCount[w]; p < predCount[w + 1]; p++) {
            const v = preds[p];
            if (semi[v] === -1) continue;
            const u = evalNode(v);
            if (semi[u] < semi[w]) semi[w] = semi[u];
        }
        const sw = vertex[semi[w]];
        bucketNext[w] = bucketHead[sw];
        bucketHead[sw] = w;
        const pw = parent[w];
        ancestor[w] = pw;
        for (let v = bucketHead[pw]; v !== -1; v = bucketNext[v]) {
            const u = evalNode(v);
            idom[v] = semi[u] < semi[v] ? u : pw;
        }
        bucketHead[pw] = -1;
    }
    for (let i = 1; i < count; i++) {
        const w = vertex[i];
        if (idom[w] !== vertex[semi[w]]) idom[w] = idom[idom[w]];
    }
    idom[0] = 0;
    // Retained sizes: accumulate self sizes up the tree in reverse DFS order.
    const retained = new Float64Array(n);
    for (let v = 0; v < n; v++) if (semi[v] !== -1) retained[v] = selfSize(s, v);
    for (let i = count - 1; i > 0; i--) {
        const w = vertex[i];
        retained[idom[w]] += retained[w];
    }
    s.retained = retained;
    s.idom = idom;
}

interface ClassStats {
    count: number;
    self: number;
    /** Sum of retained sizes of instances not dominated by another instance of the same class. */
    retained: number;
}

function byClass(s: Snapshot): Map<string, ClassStats> {
    const m = new Map<string, ClassStats>();
    const cls: string[] = new Array(s.nodeCount);
    for (let i = 0; i < s.nodeCount; i++) cls[i] = classOf(s, i);
    for (let i = 1; i < s.nodeCount; i++) {
        if (s.retained && s.retained[i] === 0 && selfSize(s, i) > 0) continue; // unreachable
        const c = cls[i];
        let st = m.get(c);
        if (!st) m.set(c, (st = { count: 0, self: 0, retained: 0 }));
        st.count++;
        st.self += selfSize(s, i);
        if (s.retained && s.idom) {
            let d = s.idom[i];
            let nested = false;
            for (let k = 0; d !== 0 && k < 64; k++, d = s.idom[d]) {
                if (cls[d] === c) {
                    nested = true;
                    break;
                }
            }
            if (!nested) st.retained += s.retained[i];
        }
    }
    return m;
}

/** For instances of `cls`: their first non-weak retainer grouped as "<retainer class>.<edge>". */
function retainersOf(s: Snapshot, wanted: Set<string>): Map<string, Map<string, number>> {
    const nf = NF(s);
    const ef = EF(s);
    const typeIdx = s.edgeFields.indexOf("type");
    const nameIdx = s.edgeFields.indexOf("name_or_index");
    const toIdx = s.edgeFields.indexOf("to_node");
    const weak = s.edgeTypes.indexOf("weak");
    const out = new Map<string, Map<string, number>>();
    const seen = new Uint8Array(s.nodeCount);
    for (let v = 0; v < s.nodeCount; v++) {
        for (let e = s.firstEdge[v]; e < s.firstEdge[v + 1]; e++) {
            const t = s.edges[e * ef + typeIdx];
            if (t === weak) continue;
            const w = s.edges[e * ef + toIdx] / nf;
            if (seen[w]) continue;
            const c = classOf(s, w);
            if (!wanted.has(c)) continue;
            seen[w] = 1;
            const et = s.edgeTypes[t];
            const raw = s.edges[e * ef + nameIdx];
            const edge =
                et === "element" || et === "hidden"
                    ? `[${et === "element" ? "i" : "h"}]`
                    : et === "context"
                      ? `ctx:${s.strings[raw]}`
                      : s.strings[raw];
            const key = `${classOf(s, v)}.${edge}`;
            let m = out.get(c);
            if (!m) out.set(c, (m = new Map()));
            m.set(key, (m.get(key) ?? 0) + 1);
        }
    }
    return out;
}

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)}`;

function main(): void {
    const argv = process.argv.slice(2);
    const files: string[] = [];
    let top = 40;
    let per = 1;
    let retainers = 12;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--top") top = Number(argv[++i]);
        else if (argv[i] === "--per") per = Number(argv[++i]);
        else if (argv[i] === "--retainers") retainers = Number(argv[++i]);
        else files.push(argv[i]);
    }
    if (files.length < 1 || files.length > 2)
        throw new Error("usage: heap.ts A.heapsnapshot [B.heapsnapshot] [--top N] [--per UNITS] [--retainers K]");
    const snaps = files.map((f) => {
        const t0 = Date.now();
        const s = load(f);
        dominators(s);
        process.stderr.write(
            `heap: ${f}: ${s.nodeCount} nodes, ${s.edges.length / EF(s)} edges, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
        );
        return s;
    });
    const stats = snaps.map(byClass);
    const total = (m: Map<string, ClassStats>) => [...m.values()].reduce((a, x) => a + x.self, 0);
    for (let k = 0; k < snaps.length; k++)
        console.log(`${files[k]}: ${snaps[k].nodeCount} nodes, live self size ${MiB(total(stats[k]))} MiB`);
    const A = stats[0];
    const B = stats[1] ?? new Map<string, ClassStats>();
    const keys = new Set([...A.keys(), ...B.keys()]);
    const zero: ClassStats = { count: 0, self: 0, retained: 0 };
    const rows = [...keys].map((c) => ({ c, a: A.get(c) ?? zero, b: B.get(c) ?? zero }));
    if (snaps.length === 2) {
        rows.sort((x, y) => y.a.self - y.b.self - (x.a.self - x.b.self));
        console.log(`\nBy constructor, A − B by self size (counts per ${per}); A = ${files[0]}, B = ${files[1]}`);
        console.log(
            `| constructor | count A | count B | Δ count /${per} | self A MiB | self B MiB | Δ self MiB | retained A MiB | retained B MiB |`,
        );
        console.log("|:--|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (const r of rows.slice(0, top)) {
            console.log(
                `| ${r.c.slice(0, 60)} | ${r.a.count} | ${r.b.count} | ${((r.a.count - r.b.count) / per).toFixed(2)} | ${MiB(r.a.self)} | ${MiB(r.b.self)} | ${MiB(r.a.self - r.b.self)} | ${MiB(r.a.retained)} | ${MiB(r.b.retained)} |`,
            );
        }
        console.log(`| total | | | | ${MiB(total(A))} | ${MiB(total(B))} | ${MiB(total(A) - total(B))} | | |`);
        const wanted = new Set(
            rows
                .slice(0, retainers)
                .filter((r) => r.a.self > r.b.self)
                .map((r) => r.c),
        );
        const ra = retainersOf(snaps[0], wanted);
        const rb = retainersOf(snaps[1], wanted);
        console.log(
            `\nFirst retainer of each instance ("<retainer>.<edge>"), counts per ${per}, A vs B, for the ${wanted.size} largest differences`,
        );
        for (const c of wanted) {
            const ma = ra.get(c) ?? new Map();
            const mb = rb.get(c) ?? new Map();
            const ks = [...new Set([...ma.keys(), ...mb.keys()])].sort(
                (x, y) => (ma.get(y) ?? 0) - (mb.get(y) ?? 0) - ((ma.get(x) ?? 0) - (mb.get(x) ?? 0)),
            );
            console.log(`\n${c}`);
            for (const k of ks.slice(0, 10)) {
                const a = ma.get(k) ?? 0;
                const b = mb.get(k) ?? 0;
                if (a === b) continue;
                console.log(
                    `  ${k.slice(0, 90).padEnd(90)} A ${(a / per).toFixed(2).padStart(8)}  B ${(b / per).toFixed(2).padStart(8)}  Δ ${((a - b) / per).toFixed(2).padStart(8)}`,
                );
            }
        }
    } else {
        rows.sort((x, y) => y.a.retained - x.a.retained);
        console.log(`\n| constructor | count | count /${per} | self MiB | retained MiB |`);
        console.log("|:--|--:|--:|--:|--:|");
        for (const r of rows.slice(0, top))
            console.log(
                `| ${r.c.slice(0, 60)} | ${r.a.count} | ${(r.a.count / per).toFixed(2)} | ${MiB(r.a.self)} | ${MiB(r.a.retained)} |`,
            );
    }
}

main();
