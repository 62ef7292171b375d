/**
 * Hostile argument objects for the fuzz suite: valid args of each component (fast-check arbitraries),
 * then mutated — a value somewhere replaced by a wrong type, null/NaN/±Infinity/2^31, a 1 MB string,
 * unicode, an object with own `__proto__`/`constructor` keys, an Output or Promise that rejects or
 * resolves to a bad value, a secret Output, a cyclic or a 20,000-deep value — plus hostile resource
 * names and options. Case `i` of a seed is always the same case (reproduce with `--only`).
 *
 * Secret material carries SECRET_MARK so leaks can be found: pulumi.secret(...) values, Secret `env`
 * values, the env vars and files Secret sources read (set up by `fixtures()`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";

export const COMPONENTS = ["Volume", "Secret", "Compute", "TrainJob"] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** Appears in every secret value the suite creates; must never appear in an error, YAML or plain input. */
export const SECRET_MARK = "FUZZSECRET";
/** Message of the errors hostile Promises reject with (the program's own errors, reported as such). */
export const REJECT_MARK = "FUZZREJECT";

export interface Case {
    component: ComponentName;
    name: unknown;
    args: unknown;
    opts?: unknown;
    /** What was done to the valid args, for reports. */
    mutations: string[];
}

/** Local files and env vars the Secret sources read; created once per process. */
export interface Fixtures {
    dir: string;
    file: string;
    fifo?: string;
    subdir: string;
}

let fixtureCache: Fixtures | undefined;
export function fixtures(): Fixtures {
    if (fixtureCache) return fixtureCache;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-fuzz-"));
    const file = path.join(dir, "token.txt");
    fs.writeFileSync(file, `${SECRET_MARK}-file`);
    const subdir = path.join(dir, "tree");
    fs.mkdirSync(path.join(subdir, "nested"), { recursive: true });
    fs.writeFileSync(path.join(subdir, "a.txt"), `${SECRET_MARK}-dir-a`);
    fs.writeFileSync(path.join(subdir, "nested", "b.txt"), `${SECRET_MARK}-dir-b`);
    let fifo: string | undefined = path.join(dir, "fifo");
    try {
        execFileSync("mkfifo", [fifo]);
    } catch {
        fifo = undefined;
    }
    process.env.FUZZ_TOKEN = `${SECRET_MARK}-env`;
    process.env.OPENAI_API_KEY = `${SECRET_MARK}-openai`;
    process.env.HF_TOKEN = `${SECRET_MARK}-hf`;
    fixtureCache = { dir, file, fifo, subdir };
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    return fixtureCache;
}

// ---------------------------------------------------------------------------------------------
// Valid args

const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);
const mem = fc.tuple(fc.integer({ min: 1, max: 512 }), fc.constantFrom("Mi", "Gi", "M", "G")).map(([n, u]) => `${n}${u}`);
const cpu = fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 8000 }).map((m) => `${m}m`), fc.constant(0.5));
const absPath = fc.array(dnsName, { minLength: 1, maxLength: 3 }).map((p) => `/${p.join("/")}`);
const labelValue = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?$/);
const labels = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}(\.io\/[a-z]{1,8})?$/), labelValue, { maxKeys: 3 });
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/).filter((n) => !/^(PET_|MASTER_|WORLD_SIZE|NODE_RANK)/.test(n));
const envMap = fc.dictionary(envName, fc.string({ maxLength: 12 }).filter((s) => !s.includes(SECRET_MARK)), { maxKeys: 4 });
const resources = fc.record({ cpu, memory: mem, ephemeralStorage: mem, gpu: fc.integer({ min: 0, max: 8 }) }, { requiredKeys: [] });
const image = fc.constantFrom("nginx", "ghcr.io/acme/app:1.2", "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime");
const securityContext = fc.record({ runAsUser: fc.integer({ min: 1, max: 65535 }), runAsGroup: fc.integer({ min: 1, max: 65535 }), fsGroup: fc.integer({ min: 1, max: 65535 }) }, { requiredKeys: [] });
const toleration = fc.record({ key: fc.constantFrom("gpu", "example.com/dedicated"), operator: fc.constantFrom("Exists", "Equal"), effect: fc.constantFrom("NoSchedule", "NoExecute", "PreferNoSchedule") });
const affinity = dnsName.map((zone) => ({
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: [zone] }] }] } },
}));

const podOptions = {
    image,
    command: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 3 }),
    args: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
    env: envMap,
    labels,
    annotations: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 2 }),
    volumes: fc.uniqueArray(dnsName, { maxLength: 2 }),
    emptyDirs: fc.uniqueArray(absPath.map((p) => ({ mountPath: `/scratch${p}` })), { maxLength: 2, selector: (e) => e.mountPath }),
    sharedMemory: mem,
    nodeSelector: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), labelValue, { maxKeys: 2 }),
    tolerations: fc.array(toleration, { maxLength: 2 }),
    affinity,
    securityContext,
    containerSecurityContext: fc.record({ readOnlyRootFilesystem: fc.boolean() }, { requiredKeys: [] }),
    secureDefaults: fc.boolean(),
    imagePullPolicy: fc.constantFrom("Always", "IfNotPresent", "Never"),
};

const VALID: Record<ComponentName, fc.Arbitrary<Record<string, unknown>>> = {
    Volume: fc.record(
        {
            size: mem,
            accessMode: fc.constantFrom("ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"),
            storageClass: dnsName,
            volumeMode: fc.constantFrom("Filesystem", "Block"),
            namespace: dnsName,
            labels,
            mountPath: absPath,
            reclaim: fc.constantFrom("Retain", "Delete"),
        },
        { requiredKeys: ["size"] },
    ),
    Secret: fc.oneof(
        fc.record({ env: fc.dictionary(envName, fc.nat().map((n) => `${SECRET_MARK}-${n}`), { minKeys: 1, maxKeys: 3 }), mount: fc.constantFrom("env", "files") }, { requiredKeys: ["env"] }),
        fc.constant({ fromEnv: ["FUZZ_TOKEN"] }),
        fc.constant(null).map(() => ({ fromFile: [fixtures().file] })),
        fc.constant(null).map(() => ({ fromDirectory: fixtures().subdir })),
        fc.constantFrom({ provider: "openai" }, { provider: "huggingface", mount: "files" }),
        fc.record({ gitSsh: fc.constant({ privateKey: `${SECRET_MARK}-sshkey`, knownHosts: "github.com ssh-ed25519 AAAA" }), mountPath: absPath }),
    ),
    Compute: fc.record(
        {
            ...podOptions,
            resources,
            replicas: fc.integer({ min: 0, max: 5 }),
            ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }).map((port) => ({ port })), { maxLength: 3, selector: (p) => p.port }),
        },
        { requiredKeys: ["image"] },
    ),
    TrainJob: fc
        .record(
            {
                ...podOptions,
                backend: fc.constantFrom("jobset", "kubeflow"),
                numNodes: fc.integer({ min: 1, max: 4 }),
                numProcPerNode: fc.integer({ min: 1, max: 8 }),
                resourcesPerNode: resources,
                activeDeadlineSeconds: fc.integer({ min: 1, max: 86400 }),
                runtimePatches: fc.constant([
                    {
                        manager: "example.com/team",
                        trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec: { nodeSelector: { pool: "a" } } } } } }] } } },
                    },
                ]),
            },
            { requiredKeys: ["image"] },
        )
        .map((a) => {
            // Options the kubeflow backend cannot carry are dropped from valid args (the mutations bring them back).
            if (a.backend === "kubeflow") {
                const { affinity: _a, emptyDirs: _e, imagePullPolicy: _i, ...rest } = a as Record<string, unknown>;
                return rest;
            }
            return a;
        }),
};

// ---------------------------------------------------------------------------------------------
// Hostile values

let deepCache: unknown;
function deep(): unknown {
    if (!deepCache) {
        const root: Record<string, unknown> = {};
        let cur = root;
        for (let i = 0; i < 20000; i++) {
            const next: Record<string, unknown> = {};
            cur.a = next;
            cur = next;
        }
        deepCache = root;
    }
    return deepCache;
}
const MB = "x".repeat(1 << 20);

/** Hostile values by name; functions so Outputs/Promises are fresh per case. `i` is the case index. */
const HOSTILE: Array<[string, (i: number) => unknown]> = [
    ["null", () => null],
    ["undefined", () => undefined],
    ["NaN", () => NaN],
    ["Infinity", () => Infinity],
    ["-Infinity", () => -Infinity],
    ["2^31", () => 2 ** 31],
    ["-1", () => -1],
    ["1.5", () => 1.5],
    ["2^53", () => 2 ** 53],
    ["0", () => 0],
    ["true", () => true],
    ["bigint", () => 10n],
    ["symbol", () => Symbol("s")],
    ["function", () => () => 1],
    ["date", () => new Date(0)],
    ["empty string", () => ""],
    ["1MB string", () => MB],
    ["1MB key", () => ({ [MB]: "v" })],
    ["unicode", () => "héllo-wörld-😀"],
    ["control chars", () => "a\nb\u0000c\u2028"],
    ["newline doc", () => "x\n---\nkind: Secret"],
    ["yaml1.1 yes", () => "yes"],
    ["yaml1.1 on", () => "on"],
    ["yaml1.1 n", () => "n"],
    ["yaml1.1 1_000", () => "1_000"],
    ["yaml1.1 date", () => "2024-01-31"],
    ["number string", () => "8080"],
    ["path traversal", () => "../../etc/passwd"],
    ["empty object", () => ({})],
    ["empty array", () => []],
    ["array of null", () => [null]],
    ["__proto__ key", () => JSON.parse('{"__proto__": {"polluted": "yes"}, "name": "x"}')],
    ["constructor key", () => ({ constructor: "x" })],
    ["toString key", () => ({ toString: "x", valueOf: 1 })],
    ["cyclic", () => {
        const o: Record<string, unknown> = { a: 1 };
        o.self = o;
        return o;
    }],
    ["cyclic array", () => {
        const a: unknown[] = [1];
        a.push(a);
        return a;
    }],
    ["20000-deep", () => deep()],
    ["throwing getter", () => Object.defineProperty({}, "x", { enumerable: true, get: () => { throw new Error("getter"); } })],
    ["output(bad)", () => pulumi.output(42)],
    ["output(string)", () => pulumi.output("yes")],
    ["secret string", (i) => pulumi.secret(`${SECRET_MARK}-${i}`)],
    ["secret bad", (i) => pulumi.secret(`${SECRET_MARK}_Not A Name ${i}`)],
    ["secret number", () => pulumi.secret(70000)],
    ["secret object", (i) => pulumi.secret({ key: `${SECRET_MARK}-${i}` })],
    ["promise bad", () => Promise.resolve({ nope: true })],
    ["promise string", () => Promise.resolve("promised")],
    ["rejecting promise", () => {
        const p = Promise.reject(new Error(`${REJECT_MARK}: the program's own failure`));
        p.catch(() => undefined); // handled later by Pulumi; avoid a process-level warning before then
        return p;
    }],
    ["output(undefined)", () => pulumi.output(undefined)],
    ["fifo path", () => fixtures().fifo ?? "/dev/null"],
    ["/dev/zero", () => "/dev/zero"],
    ["directory path", () => fixtures().dir],
    ["missing path", () => "/nonexistent/file"],
    ["valueOf", () => ["valueOf"]],
    ["constructor string", () => "constructor"],
    ["__proto__ string", () => "__proto__"],
];

/** Keys a mutation may add to an object. */
const HOSTILE_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "imge", "", "a b", "x".repeat(300)];

const NAMES: Array<[string, (i: number) => unknown]> = [
    ["empty name", () => ""],
    ["newline name", (i) => `svc\n---\nkind: Secret-${i}`],
    ["unicode name", (i) => `ünï-${i}`],
    ["long name", (i) => `${"n".repeat(300)}-${i}`],
    ["number name", () => 42],
    ["object name", () => ({ toString: () => { throw new Error("no"); } })],
    ["constructor name", (i) => `constructor-${i}`],
    ["uppercase name", (i) => `hfToken${i}`],
];
const OPTS: Array<[string, () => unknown]> = [
    ["opts null", () => null],
    ["opts number", () => 5],
    ["opts array", () => []],
];

/** A small deterministic PRNG (mulberry32), so a case is reproducible from (seed, index). */
function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Plain objects and arrays (not Outputs, Promises or other hostile values, which mutations leave alone). */
function isTree(v: unknown): v is object {
    if (Array.isArray(v)) return true;
    if (v === null || typeof v !== "object") return false;
    const p = Object.getPrototypeOf(v);
    return p === Object.prototype || p === null;
}

/** Every (object, key) slot of a tree of plain objects/arrays, the root as [holder, "root"]. */
function slots(root: { root: unknown }): Array<[Record<string | number, unknown>, string | number]> {
    const out: Array<[Record<string | number, unknown>, string | number]> = [[root as Record<string, unknown>, "root"]];
    const walk = (v: unknown, depth: number) => {
        if (depth > 12 || !isTree(v)) return;
        for (const k of Object.keys(v)) {
            const d = Object.getOwnPropertyDescriptor(v, k);
            if (!d || !("value" in d)) continue; // a hostile getter: not entered
            out.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k]);
            walk(d.value, depth + 1);
        }
    };
    walk(root.root, 0);
    return out;
}

/**
 * `count` cases of `component` from `seed`, starting at `start`. Most cases are valid args with 1–3
 * mutations; some keep the valid args (so valid output is checked too) or only change name/options.
 */
export function makeCases(component: ComponentName, seed: number, start: number, count: number): Case[] {
    const valid = fc.sample(VALID[component], { seed: seed + COMPONENTS.indexOf(component), numRuns: start + count }).slice(start);
    return valid.map((v, j) => {
        const i = start + j;
        const r = rng(seed * 1_000_003 + i * 7919 + COMPONENTS.indexOf(component));
        const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
        const holder = { root: JSON.parse(JSON.stringify(v)) as unknown };
        // Re-attach what JSON drops (none in valid args) and mutate.
        const mutations: string[] = [];
        const roll = r();
        const n = roll < 0.1 ? 0 : roll < 0.7 ? 1 : roll < 0.9 ? 2 : 3;
        for (let m = 0; m < n; m++) {
            const all = slots(holder);
            const [obj, key] = r() < 0.05 ? all[0] : pick(all.slice(1).length ? all.slice(1) : all);
            const what = r();
            if (what < 0.15 && isTree(obj[key]) && !Array.isArray(obj[key])) {
                const k = pick(HOSTILE_KEYS);
                const [label, make] = pick(HOSTILE);
                Object.defineProperty(obj[key], k, { value: make(i), enumerable: true, writable: true, configurable: true });
                mutations.push(`add key ${JSON.stringify(k.slice(0, 20))} = ${label} at ${String(key)}`);
            } else {
                const [label, make] = pick(HOSTILE);
                obj[key] = make(i);
                mutations.push(`${label} at ${String(key)}`);
            }
        }
        let name: unknown = `f${i}`;
        let opts: unknown;
        const extra = r();
        if (extra < 0.04) {
            const [label, make] = pick(NAMES);
            name = make(i);
            mutations.push(label);
        } else if (extra < 0.06) {
            const [label, make] = pick(OPTS);
            opts = make();
            mutations.push(label);
        }
        return { component, name, args: holder.root, opts, mutations };
    });
}
