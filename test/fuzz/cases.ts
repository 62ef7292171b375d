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
    /** Stack config of the case, when a mutation planted a profile (default FUZZ_CONFIG). */
    config?: Record<string, string>;
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
// Stack config, Secrets made inside the program

/** Valid profiles of the stack config (`mlkube:profiles`) that every case runs with; valid args pick them. */
export const VALID_PROFILES = ["gpu", "small"] as const;
const PROFILES: Record<string, Record<string, unknown>> = {
    gpu: {
        nodeSelector: { pool: "gpu" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
    },
    small: { resources: { cpu: "500m", memory: "1Gi" }, podLabels: { tier: "small" } },
};

/** The stack config of a case: the valid profiles, plus `extra` profiles (hostile ones a mutation planted). */
export function stackConfig(extra: Record<string, unknown> = {}): Record<string, string> {
    return { "mlkube:profiles": JSON.stringify({ ...PROFILES, ...extra }) };
}
/** The config of cases without their own. */
export const FUZZ_CONFIG = stackConfig();

/** A value made inside the program (a Secret component registers a resource): replaced by `materialize`. */
export class Deferred {
    constructor(
        readonly label: string,
        readonly make: (name: string) => unknown,
    ) {}
}

/** A Secret component with `args` made in the program (named `<case>-s<k>`), or `Secret.existing(existing)`. */
function deferredSecret(args: Record<string, unknown> | undefined, existing?: string): Deferred {
    return new Deferred(existing ? `Secret.existing(${existing})` : "Secret", (name) => {
        const { Secret } = require("../../src") as typeof import("../../src");
        return existing
            ? Secret.existing(existing, existing.endsWith("files") ? { mount: "files" } : {})
            : new Secret(name, args as never);
    });
}

/** `args` with every Deferred made (in place of the marker), inside the program; they register `<name>-s<k>` (`case<i>-s<k>` when the case's name is not a string). */
export function materialize(args: unknown, name: unknown, i: number): unknown {
    let k = 0;
    const seen = new Set<unknown>();
    // Deferred values sit a few levels down (`secrets[i]`); hostile values (cycles, 20,000-deep) are not entered further.
    const walk = (v: unknown, depth: number): unknown => {
        if (v instanceof Deferred) return v.make(`${typeof name === "string" ? name : `case${i}`}-s${k++}`);
        if (depth > 4 || !isTree(v) || seen.has(v)) return v;
        seen.add(v);
        for (const key of Object.keys(v)) {
            const d = Object.getOwnPropertyDescriptor(v, key);
            if (d && "value" in d && d.value instanceof Deferred)
                Object.defineProperty(v, key, { ...d, value: walk(d.value, depth + 1) });
            else if (d && "value" in d) walk(d.value, depth + 1);
        }
        return v;
    };
    return walk(args, 0);
}

// ---------------------------------------------------------------------------------------------
// Valid args

const dnsName = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/);
const mem = fc
    .tuple(fc.integer({ min: 1, max: 512 }), fc.constantFrom("Mi", "Gi", "M", "G"))
    .map(([n, u]) => `${n}${u}`);
/** Sizes of memory-backed volumes: they count against the memory request, which fitMemory raises to hold them. */
const smallMem = fc.integer({ min: 1, max: 256 }).map((n) => `${n}Mi`);
const cpu = fc.oneof(
    fc.integer({ min: 1, max: 32 }),
    fc.integer({ min: 1, max: 8000 }).map((m) => `${m}m`),
    fc.constant(0.5),
);
const absPath = fc.array(dnsName, { minLength: 1, maxLength: 3 }).map((p) => `/${p.join("/")}`);
const labelValue = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?$/);
const labels = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}(\.io\/[a-z]{1,8})?$/), labelValue, { maxKeys: 3 });
const envName = fc
    .stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/)
    .filter((n) => !/^(PET_|MASTER_|WORLD_SIZE|NODE_RANK)/.test(n));
const envMap = fc.dictionary(
    envName,
    fc.string({ maxLength: 12 }).filter((s) => !s.includes(SECRET_MARK)),
    { maxKeys: 4 },
);
const resources = fc.record(
    { cpu, memory: mem, ephemeralStorage: mem, gpu: fc.integer({ min: 0, max: 8 }) },
    { requiredKeys: [] },
);
const image = fc.constantFrom("nginx", "ghcr.io/acme/app:1.2", "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime");
const securityContext = fc.record(
    {
        runAsUser: fc.integer({ min: 1, max: 65535 }),
        runAsGroup: fc.integer({ min: 1, max: 65535 }),
        fsGroup: fc.integer({ min: 1, max: 65535 }),
    },
    { requiredKeys: [] },
);
const toleration = fc.record({
    key: fc.constantFrom("gpu", "example.com/dedicated"),
    operator: fc.constantFrom("Exists", "Equal"),
    effect: fc.constantFrom("NoSchedule", "NoExecute", "PreferNoSchedule"),
});
const affinity = dnsName.map((zone) => ({
    nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
                { matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: [zone] }] },
            ],
        },
    },
}));

const podOptions = {
    image,
    command: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 3 }),
    args: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
    env: envMap,
    labels,
    annotations: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 12 }), { maxKeys: 2 }),
    volumes: fc.uniqueArray(dnsName, { maxLength: 2 }),
    emptyDirs: fc.uniqueArray(
        absPath.map((p) => ({ mountPath: `/scratch${p}` })),
        { maxLength: 2, selector: (e) => e.mountPath },
    ),
    sharedMemory: smallMem,
    nodeSelector: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), labelValue, { maxKeys: 2 }),
    tolerations: fc.array(toleration, { maxLength: 2 }),
    affinity,
    securityContext,
    containerSecurityContext: fc.record({ readOnlyRootFilesystem: fc.boolean() }, { requiredKeys: [] }),
    secureDefaults: fc.boolean(),
    imagePullPolicy: fc.constantFrom("Always", "IfNotPresent", "Never"),
    tmpfs: fc.record({ size: smallMem, path: absPath.map((p) => `/tmpfs${p}`) }, { requiredKeys: ["size"] }),
    profile: fc.constantFrom(...VALID_PROFILES),
    secrets: fc.array(
        fc.oneof(
            fc
                .dictionary(
                    envName,
                    fc.nat().map((n) => `${SECRET_MARK}-${n}`),
                    { minKeys: 1, maxKeys: 2 },
                )
                .map((env) => deferredSecret({ env })),
            fc.constantFrom("existing-token", "existing-files").map((n) => deferredSecret(undefined, n)),
        ),
        { maxLength: 2 },
    ),
};

/** A valid podPatch for the main container `main` (Compute: "main", TrainJob: "node"): every kind of patch field. */
const podPatch = (main: string) =>
    fc.record(
        {
            containers: fc
                .record({ readOnlyRootFilesystem: fc.boolean() })
                .map((sc) => [{ name: main, securityContext: sc }]),
            volumes: fc.uniqueArray(
                dnsName.map((n) => ({ name: `x-${n}`, emptyDir: {} })),
                { maxLength: 2, selector: (v) => v.name },
            ),
            tolerations: fc.array(toleration, { maxLength: 2 }),
            securityContext: fc.record({ fsGroup: fc.integer({ min: 1, max: 65535 }) }),
            terminationGracePeriodSeconds: fc.integer({ min: 0, max: 600 }),
        },
        { requiredKeys: [] },
    );

/** A runtime patch (TrainJob `runtimePatches`) of the `node` pod: scheduling, security, volumes, patch names. */
const runtimePatch = fc
    .record(
        {
            nodeSelector: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), labelValue, { maxKeys: 2 }),
            tolerations: fc.array(toleration, { maxLength: 2 }),
            securityContext: fc.record({ fsGroup: fc.integer({ min: 1, max: 65535 }) }),
            volumes: fc.uniqueArray(
                dnsName.map((n) => ({ name: `rp-${n}`, emptyDir: {} })),
                { maxLength: 1, selector: (v) => v.name },
            ),
            containers: fc
                .record({ readOnlyRootFilesystem: fc.boolean() })
                .map((sc) => [{ name: "node", securityContext: sc }]),
        },
        { requiredKeys: [] },
    )
    .map((spec) => ({
        manager: "example.com/team",
        trainingRuntimeSpec: {
            template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec } } } }] } },
        },
    }));

/** Valid args whose memory-backed volumes (sharedMemory, tmpfs) fit in the memory request: the request is raised to 1Gi. */
function fitMemory(a: Record<string, unknown>, key: "resources" | "resourcesPerNode"): Record<string, unknown> {
    if (a.sharedMemory === undefined && a.tmpfs === undefined) return a;
    return { ...a, [key]: { ...(a[key] as object), memory: "1Gi" } };
}

export const VALID: Record<ComponentName, fc.Arbitrary<Record<string, unknown>>> = {
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
        fc.record(
            {
                env: fc.dictionary(
                    envName,
                    fc.nat().map((n) => `${SECRET_MARK}-${n}`),
                    { minKeys: 1, maxKeys: 3 },
                ),
                mount: fc.constantFrom("env", "files"),
            },
            { requiredKeys: ["env"] },
        ),
        fc.constant({ fromEnv: ["FUZZ_TOKEN"] }),
        fc.constant(null).map(() => ({ fromFile: [fixtures().file] })),
        fc.constant(null).map(() => ({ fromDirectory: fixtures().subdir })),
        fc.constantFrom({ provider: "openai" }, { provider: "huggingface", mount: "files" }),
        fc.record({
            gitSsh: fc.constant({ privateKey: `${SECRET_MARK}-sshkey`, knownHosts: "github.com ssh-ed25519 AAAA" }),
            mountPath: absPath,
        }),
    ),
    Compute: fc
        .record(
            {
                ...podOptions,
                podPatch: podPatch("main"),
                resources,
                replicas: fc.integer({ min: 0, max: 5 }),
                ports: fc.uniqueArray(
                    fc.integer({ min: 1, max: 65535 }).map((port) => ({ port })),
                    { maxLength: 3, selector: (p) => p.port },
                ),
                serviceType: fc.constantFrom("ClusterIP", "NodePort", "LoadBalancer", "Headless"),
                autoscaling: fc.record({
                    minReplicas: fc.integer({ min: 1, max: 3 }),
                    maxReplicas: fc.integer({ min: 3, max: 10 }),
                }),
                disruptionBudget: fc.oneof(
                    fc.constant(false),
                    fc.record({ maxUnavailable: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant("25%")) }),
                    fc.record({ minAvailable: fc.constant(1) }),
                ),
                readinessProbe: fc.record(
                    { path: fc.constant("/healthz"), periodSeconds: fc.integer({ min: 1, max: 30 }) },
                    { requiredKeys: [] },
                ),
            },
            { requiredKeys: ["image"] },
        )
        .map((args) => {
            let a = args as Record<string, unknown>;
            // No ports, no Service: no service type, and probes need a port.
            const ports = a.ports as Array<{ port: number }> | undefined;
            if (!ports?.length) {
                const { serviceType: _s, readinessProbe: _p, ...rest } = a;
                a = rest;
            } else if (a.readinessProbe) a = { ...a, readinessProbe: { ...a.readinessProbe, port: ports[0].port } };
            // A budget of minAvailable 1 needs 2+ pods.
            const minPods = a.autoscaling
                ? (a.autoscaling as { minReplicas: number }).minReplicas
                : ((a.replicas as number | undefined) ?? 1);
            if (
                (a.disruptionBudget as { minAvailable?: number } | undefined)?.minAvailable !== undefined &&
                minPods < 2
            )
                a = { ...a, disruptionBudget: { maxUnavailable: 1 } };
            a = fitMemory(a, "resources");
            // An autoscaler owns the replica count and measures CPU against the request.
            if (a.autoscaling === undefined) return a;
            const { replicas: _r, ...rest } = a;
            return { ...rest, resources: { ...(a.resources as object), cpu: 1 } };
        }),
    TrainJob: fc
        .record(
            {
                ...podOptions,
                podPatch: podPatch("node"),
                backend: fc.constantFrom("jobset", "kubeflow", "job"),
                numNodes: fc.integer({ min: 1, max: 4 }),
                numProcPerNode: fc.integer({ min: 1, max: 8 }),
                resourcesPerNode: resources,
                activeDeadlineSeconds: fc.integer({ min: 1, max: 86400 }),
                runtimePatches: fc.array(runtimePatch, { maxLength: 1 }),
            },
            { requiredKeys: ["image"] },
        )
        .map((a) => {
            // Options the kubeflow backend cannot carry are dropped from valid args (the mutations bring them back).
            if (a.backend === "kubeflow") {
                const {
                    affinity: _a,
                    emptyDirs: _e,
                    imagePullPolicy: _i,
                    tmpfs: _t,
                    ...rest
                } = a as Record<string, unknown>;
                // An existing Secret mounted as env (envFrom, keys unknown) cannot be expressed in spec.trainer.
                const secrets = (rest.secrets as unknown[] | undefined)?.filter(
                    (x) => !(x instanceof Deferred && x.label === "Secret.existing(existing-token)"),
                );
                return fitMemory({ ...rest, secrets }, "resourcesPerNode");
            }
            if (a.backend === "job") {
                const { runtimePatches: _r, ...rest } = a as Record<string, unknown>;
                return fitMemory(rest, "resourcesPerNode");
            }
            return fitMemory(a, "resourcesPerNode");
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
    [
        "cyclic",
        () => {
            const o: Record<string, unknown> = { a: 1 };
            o.self = o;
            return o;
        },
    ],
    [
        "cyclic array",
        () => {
            const a: unknown[] = [1];
            a.push(a);
            return a;
        },
    ],
    ["20000-deep", () => deep()],
    [
        "throwing getter",
        () =>
            Object.defineProperty({}, "x", {
                enumerable: true,
                get: () => {
                    throw new Error("getter");
                },
            }),
    ],
    ["output(bad)", () => pulumi.output(42)],
    ["output(string)", () => pulumi.output("yes")],
    ["secret string", (i) => pulumi.secret(`${SECRET_MARK}-${i}`)],
    ["secret bad", (i) => pulumi.secret(`${SECRET_MARK}_Not A Name ${i}`)],
    ["secret number", () => pulumi.secret(70000)],
    ["secret object", (i) => pulumi.secret({ key: `${SECRET_MARK}-${i}` })],
    ["promise bad", () => Promise.resolve({ nope: true })],
    ["promise string", () => Promise.resolve("promised")],
    [
        "rejecting promise",
        () => {
            const p = Promise.reject(new Error(`${REJECT_MARK}: the program's own failure`));
            p.catch(() => undefined); // handled later by Pulumi; avoid a process-level warning before then
            return p;
        },
    ],
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
    [
        "object name",
        () => ({
            toString: () => {
                throw new Error("no");
            },
        }),
    ],
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
    const out: Array<[Record<string | number, unknown>, string | number]> = [[root, "root"]];
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

// ---------------------------------------------------------------------------------------------
// Targeted mutations: near-valid values in the positions mlkube reads and merges

/** Deep copy of plain objects/arrays; anything else (Deferred, Outputs) kept by reference. */
function clone(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(clone);
    if (isTree(v)) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, clone(e)]));
    return v;
}

/** Whether `v` is plain data (what valid args are made of): primitives, arrays and plain objects without getters, not too deep. */
function plainData(v: unknown, depth: number): boolean {
    if (v === null || ["string", "number", "boolean", "undefined"].includes(typeof v))
        return typeof v !== "string" || v.length < 1000;
    if (depth > 12 || !isTree(v)) return false;
    return Object.keys(v).every((k) => {
        const d = Object.getOwnPropertyDescriptor(v, k);
        return d !== undefined && "value" in d && plainData(d.value, depth + 1);
    });
}

/** Wrappers that keep a valid value valid: an Output, a secret, a Promise, an Output of a Promise. */
const WRAPS: Array<[string, (v: unknown) => unknown]> = [
    ["output", (v) => pulumi.output(v)],
    ["secret", (v) => pulumi.secret(v)],
    ["promise", (v) => Promise.resolve(v)],
    ["output(promise)", (v) => pulumi.output(Promise.resolve(v))],
];

type Args = Record<string, unknown>;
/** A targeted change of the args (in place), or what to replace: `{ replace }` (new args), `{ secrets }`, `{ config }` (profiles). */
type Plant = (a: Args, main: string, i: number) => Record<string, unknown> | void;

/** `v` when it is a plain object of plain data (a plant merges into it), else {} (hostile values are replaced, not read). */
const obj = (v: unknown): Args => (isTree(v) && !Array.isArray(v) && plainData(v, 0) ? (v as Args) : {});
const rp = (spec: Args) => [
    {
        manager: "example.com/team",
        trainingRuntimeSpec: {
            template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec } } } }] } },
        },
    },
];
const PRIVILEGED = { privileged: true };
const SYS_ADMIN = { capabilities: { add: ["SYS_ADMIN"] } };

/**
 * Hostile profiles a plant may put in the stack config (schema-valid pod options whose combination is
 * not): each case planting one runs with its own config (see `Case.config`).
 */
const HOSTILE_PROFILES: Record<string, (main: string) => Args> = {
    privileged: () => ({ containerSecurityContext: PRIVILEGED }),
    "sys-admin": () => ({ containerSecurityContext: SYS_ADMIN }),
    "run-as-root": () => ({ securityContext: { runAsUser: 0 } }),
    "patch-privileged": (main) => ({ podPatch: { containers: [{ name: main, securityContext: PRIVILEGED }] } }),
    "patch-sys-admin": (main) => ({ podPatch: { containers: [{ name: main, securityContext: SYS_ADMIN }] } }),
    "patch-root": () => ({ podPatch: { securityContext: { runAsUser: 0 } } }),
    "empty-toleration": () => ({ tolerations: [{}] }),
    "patch-empty-toleration": () => ({ podPatch: { tolerations: [{}] } }),
    "patch-volume-name": () => ({ podPatch: { volumes: [{ name: "extra/../..", emptyDir: {} }] } }),
    "milli-memory": () => ({ resources: { memory: "512m" } }),
    "pet-env": () => ({ env: { PET_NNODES: "9", MASTER_ADDR: "evil" } }),
};

/** Plants of Compute and TrainJob args (`main`: the main container's name). */
const POD_PLANTS: Array<[string, Plant]> = [
    [
        "podPatch privileged",
        (a, main) =>
            void (a.podPatch = { ...obj(a.podPatch), containers: [{ name: main, securityContext: PRIVILEGED }] }),
    ],
    [
        "podPatch SYS_ADMIN",
        (a, main) =>
            void (a.podPatch = { ...obj(a.podPatch), containers: [{ name: main, securityContext: SYS_ADMIN }] }),
    ],
    ["podPatch runAsUser 0", (a) => void (a.podPatch = { ...obj(a.podPatch), securityContext: { runAsUser: 0 } })],
    [
        "podPatch runAsNonRoot false",
        (a) => void (a.podPatch = { ...obj(a.podPatch), securityContext: { runAsNonRoot: false } }),
    ],
    [
        "containerSecurityContext privileged",
        (a) => void (a.containerSecurityContext = { ...obj(a.containerSecurityContext), ...PRIVILEGED }),
    ],
    [
        "containerSecurityContext SYS_ADMIN",
        (a) => void (a.containerSecurityContext = { ...obj(a.containerSecurityContext), ...SYS_ADMIN }),
    ],
    [
        "containerSecurityContext runAsUser 0",
        (a) => void (a.containerSecurityContext = { ...obj(a.containerSecurityContext), runAsUser: 0 }),
    ],
    ["securityContext runAsUser 0", (a) => void (a.securityContext = { ...obj(a.securityContext), runAsUser: 0 })],
    [
        "capabilities.add Output",
        (a) => void (a.containerSecurityContext = { capabilities: { add: pulumi.output(["SYS_ADMIN"]) } }),
    ],
    [
        "capabilities.add [Output]",
        (a) => void (a.containerSecurityContext = { capabilities: { add: [pulumi.output("NET_ADMIN")] } }),
    ],
    [
        "capabilities.add [secret]",
        (a) => void (a.containerSecurityContext = { capabilities: { add: [pulumi.secret("SYS_ADMIN")] } }),
    ],
    [
        "podPatch.containers Output",
        (a, main) =>
            void (a.podPatch = {
                ...obj(a.podPatch),
                containers: pulumi.output([{ name: main, securityContext: PRIVILEGED }]),
            }),
    ],
    [
        "podPatch.containers[0] Output",
        (a, main) =>
            void (a.podPatch = {
                ...obj(a.podPatch),
                containers: [pulumi.output({ name: main, securityContext: SYS_ADMIN })],
            }),
    ],
    [
        "podPatch.containers[0] Promise",
        (a, main) =>
            void (a.podPatch = {
                ...obj(a.podPatch),
                containers: [Promise.resolve({ name: main, securityContext: { readOnlyRootFilesystem: true } })],
            }),
    ],
    [
        "podPatch.containers[0].name Output",
        (a, main) =>
            void (a.podPatch = {
                ...obj(a.podPatch),
                containers: [{ name: pulumi.output(main), securityContext: PRIVILEGED }],
            }),
    ],
    [
        "podPatch Output",
        (a, main) => void (a.podPatch = pulumi.output({ containers: [{ name: main, securityContext: SYS_ADMIN }] })),
    ],
    [
        "podPatch volume name traversal",
        (a) => void (a.podPatch = { ...obj(a.podPatch), volumes: [{ name: "extra/../..", emptyDir: {} }] }),
    ],
    [
        "podPatch volume name uppercase",
        (a) => void (a.podPatch = { ...obj(a.podPatch), volumes: [{ name: "Extra", emptyDir: {} }] }),
    ],
    [
        "podPatch duplicate volume",
        (a) =>
            void (a.podPatch = {
                ...obj(a.podPatch),
                volumes: [
                    { name: "dup", emptyDir: {} },
                    { name: "dup", emptyDir: {} },
                ],
            }),
    ],
    [
        "podPatch volume without source",
        (a) => void (a.podPatch = { ...obj(a.podPatch), volumes: [{ name: "nosource" }] }),
    ],
    [
        "podPatch container name bad",
        (a) => void (a.podPatch = { ...obj(a.podPatch), containers: [{ name: "Side_Car", image: "busybox" }] }),
    ],
    [
        "podPatch container without image",
        (a) => void (a.podPatch = { ...obj(a.podPatch), containers: [{ name: "sidecar" }] }),
    ],
    ["podPatch containers [{}]", (a) => void (a.podPatch = { ...obj(a.podPatch), containers: [{}] })],
    ["podPatch volumes [{}]", (a) => void (a.podPatch = { ...obj(a.podPatch), volumes: [{}] })],
    ["podPatch tolerations [{}]", (a) => void (a.podPatch = { ...obj(a.podPatch), tolerations: [{}] })],
    [
        "podPatch volumeMount to no volume",
        (a, main) =>
            void (a.podPatch = {
                ...obj(a.podPatch),
                containers: [{ name: main, volumeMounts: [{ name: "ghost", mountPath: "/ghost" }] }],
            }),
    ],
    ["tolerations [{}]", (a) => void (a.tolerations = [{}])],
    ["toleration Exists with value", (a) => void (a.tolerations = [{ key: "a", operator: "Exists", value: "x" }])],
    [
        "toleration seconds with NoSchedule",
        (a) => void (a.tolerations = [{ key: "a", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }]),
    ],
    ["toleration empty key Equal", (a) => void (a.tolerations = [{ operator: "Equal", value: "x" }])],
    [
        "toleration empty operator/effect",
        (a) => void (a.tolerations = [{ key: "a", operator: "", effect: "", value: "v" }]),
    ],
    ["toleration bad key", (a) => void (a.tolerations = [{ key: "a b", operator: "Exists" }])],
    [
        "memory 512m",
        (a) => {
            const k = "resourcesPerNode" in a ? "resourcesPerNode" : "resources";
            a[k] = { ...obj(a[k]), memory: "512m" };
        },
    ],
    [
        "memory request above limit",
        (a) => {
            const k = "resourcesPerNode" in a ? "resourcesPerNode" : "resources";
            a[k] = { ...obj(a[k]), memory: "2Gi", limits: { memory: "1Gi" } };
        },
    ],
    [
        "ephemeralStorage 1m",
        (a) => {
            const k = "resourcesPerNode" in a ? "resourcesPerNode" : "resources";
            a[k] = { ...obj(a[k]), ephemeralStorage: "1m" };
        },
    ],
    [
        "gpu 0.5",
        (a) => {
            const k = "resourcesPerNode" in a ? "resourcesPerNode" : "resources";
            a[k] = { ...obj(a[k]), gpu: 0.5 };
        },
    ],
    ["sharedMemory 512m", (a) => void (a.sharedMemory = "512m")],
    ["tmpfs size 100m", (a) => void (a.tmpfs = { size: "100m" })],
    ["emptyDir sizeLimit 1m", (a) => void (a.emptyDirs = [{ mountPath: "/scratch/m", sizeLimit: "1m" }])],
    [
        "emptyDir Memory sizeLimit 512m",
        (a) => void (a.emptyDirs = [{ mountPath: "/scratch/m", sizeLimit: "512m", medium: "Memory" }]),
    ],
    ["emptyDirs same path", (a) => void (a.emptyDirs = [{ mountPath: "/scratch/x" }, { mountPath: "/scratch/x" }])],
    ["emptyDir mountPath /", (a) => void (a.emptyDirs = [{ mountPath: "/" }])],
    ["env PET_NNODES", (a) => void (a.env = { ...obj(a.env), PET_NNODES: "3" })],
    ["env MASTER_ADDR", (a) => void (a.env = { ...obj(a.env), MASTER_ADDR: "10.0.0.1" })],
    ["env name with =", (a) => void (a.env = { ...obj(a.env), "A=B": "x" })],
    ["secret with PET_ key", () => ({ secrets: [deferredSecret({ env: { PET_NODE_RANK: `${SECRET_MARK}-pet` } })] })],
    [
        "secret with MASTER_ADDR key",
        () => ({ secrets: [deferredSecret({ env: { MASTER_ADDR: `${SECRET_MARK}-master` } })] }),
    ],
    [
        "secret mounted twice",
        () => {
            const s = deferredSecret({ env: { TOKEN: `${SECRET_MARK}-twice` } });
            return { secrets: [s, s] };
        },
    ],
    [
        "hostile profile",
        (a, _main, i) => {
            const names = Object.keys(HOSTILE_PROFILES);
            const name = names[i % names.length];
            a.profile = name;
            return { config: { [name]: HOSTILE_PROFILES[name]("") } };
        },
    ],
];

/** Plants only TrainJob has (runtime patches of the jobset and kubeflow backends). */
const TRAINJOB_PLANTS: Array<[string, Plant]> = [
    [
        "runtimePatch privileged",
        (a) => void (a.runtimePatches = rp({ containers: [{ name: "node", securityContext: PRIVILEGED }] })),
    ],
    [
        "runtimePatch SYS_ADMIN",
        (a) => void (a.runtimePatches = rp({ containers: [{ name: "node", securityContext: SYS_ADMIN }] })),
    ],
    ["runtimePatch runAsUser 0", (a) => void (a.runtimePatches = rp({ securityContext: { runAsUser: 0 } }))],
    ["runtimePatch tolerations [{}]", (a) => void (a.runtimePatches = rp({ tolerations: [{}] }))],
    [
        "runtimePatch volume name traversal",
        (a) => void (a.runtimePatches = rp({ volumes: [{ name: "extra/../..", emptyDir: {} }] })),
    ],
    ["runtimePatch container name", (a) => void (a.runtimePatches = rp({ containers: [{ name: "Node" }] }))],
    [
        "runtimePatch containers Output",
        (a) =>
            void (a.runtimePatches = rp({
                containers: pulumi.output([{ name: "node", securityContext: PRIVILEGED }]),
            })),
    ],
    [
        "runtimePatch Output",
        (a) =>
            void (a.runtimePatches = pulumi.output(rp({ containers: [{ name: "node", securityContext: SYS_ADMIN }] }))),
    ],
    ["runtimePatch manager bad", (a) => void (a.runtimePatches = [{ ...rp({})[0], manager: "team" }])],
];

/** Plants of Secret args: special directories, reserved env names as keys. */
const SECRET_PLANTS: Array<[string, Plant]> = [
    ["fromDirectory /", () => ({ replace: { fromDirectory: "/" } })],
    ["fromDirectory /proc", () => ({ replace: { fromDirectory: "/proc" } })],
    ["fromDirectory /dev", () => ({ replace: { fromDirectory: "/dev" } })],
    ["env key PET_NNODES", () => ({ replace: { env: { PET_NNODES: `${SECRET_MARK}-pet` } } })],
    ["env key MASTER_ADDR", () => ({ replace: { env: { MASTER_ADDR: `${SECRET_MARK}-addr` }, mount: "env" } })],
    ["env key with slash", () => ({ replace: { env: { "a/b": `${SECRET_MARK}-slash` }, mount: "files" } })],
    ["env key ..x", () => ({ replace: { env: { "..x": `${SECRET_MARK}-dots` }, mount: "files" } })],
];

const VOLUME_PLANTS: Array<[string, Plant]> = [
    ["size 512m", (a) => void (a.size = "512m")],
    ["size 0", (a) => void (a.size = "0")],
    ["size 1m", (a) => void (a.size = "1m")],
];

const PLANTS: Record<ComponentName, Array<[string, Plant]>> = {
    Volume: VOLUME_PLANTS,
    Secret: SECRET_PLANTS,
    Compute: POD_PLANTS,
    TrainJob: [...POD_PLANTS, ...TRAINJOB_PLANTS],
};

/**
 * `count` cases of `component` from `seed`, starting at `start`. Most cases are valid args with 1–3
 * mutations, each one of: a hostile value in a slot (or a hostile key added), a valid value at any depth
 * wrapped in an Output/secret/Promise, an empty object in a list, or a targeted near-valid change
 * (PLANTS: secure-default conflicts through every kind of patch and profile, names in patches, byte
 * quantities in milli-units, reserved env names, special directories, …). Some cases keep the valid args
 * (so valid output is checked too: `calm` of them, default 10%) or only change name/options.
 */
export function makeCases(component: ComponentName, seed: number, start: number, count: number, calm = 0.1): Case[] {
    const valid = fc
        .sample(VALID[component], { seed: seed + COMPONENTS.indexOf(component), numRuns: start + count })
        .slice(start);
    return valid.map((v, j) => {
        const i = start + j;
        const r = rng(seed * 1_000_003 + i * 7919 + COMPONENTS.indexOf(component));
        const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
        const holder = { root: clone(v) };
        const main = component === "Compute" ? "main" : "node";
        const mutations: string[] = [];
        let profiles: Record<string, unknown> | undefined;
        // `calm` of the cases keep their valid args; the others get 1 (2/3), 2 (2/9) or 3 (1/9) mutations.
        const roll = r();
        const rest = (roll - calm) / (1 - calm);
        const n = roll < calm ? 0 : rest < 2 / 3 ? 1 : rest < 8 / 9 ? 2 : 3;
        for (let m = 0; m < n; m++) {
            const all = slots(holder);
            const [o, key] = r() < 0.05 ? all[0] : pick(all.slice(1).length ? all.slice(1) : all);
            const what = r();
            if (what < 0.1 && isTree(o[key]) && !Array.isArray(o[key])) {
                const k = pick(HOSTILE_KEYS);
                const [label, make] = pick(HOSTILE);
                Object.defineProperty(o[key], k, {
                    value: make(i),
                    enumerable: true,
                    writable: true,
                    configurable: true,
                });
                mutations.push(`add key ${JSON.stringify(k.slice(0, 20))} = ${label} at ${String(key)}`);
            } else if (what < 0.45) {
                const [label, make] = pick(HOSTILE);
                o[key] = make(i);
                mutations.push(`${label} at ${String(key)}`);
            } else if (what < 0.62) {
                // A valid value at any depth (a leaf, an item, a list, an object) as an Output, secret or Promise.
                const [label, wrap] = pick(WRAPS);
                if (!plainData(o[key], 0)) continue; // only valid values (hostile ones are not wrapped; Deferred ones are made in the program)
                o[key] = wrap(o[key]);
                mutations.push(`${label}(valid) at ${String(key)}`);
            } else if (what < 0.7) {
                const lists = all.filter(([h, k]) => Array.isArray(h[k]));
                if (!lists.length) continue;
                const [h, k] = pick(lists);
                const list = h[k] as unknown[];
                if (list.length && r() < 0.5) list[Math.floor(r() * list.length)] = {};
                else list.push({});
                mutations.push(`{} in list ${String(k)}`);
            } else {
                if (!isTree(holder.root) || Array.isArray(holder.root)) continue;
                const [label, plant] = pick(PLANTS[component]);
                const out = plant(holder.root as Args, main, i);
                if (out && typeof out === "object") {
                    if ("replace" in out) holder.root = clone(out.replace);
                    if ("secrets" in out) (holder.root as Args).secrets = out.secrets;
                    if ("config" in out) profiles = { ...profiles, ...(out.config as object) };
                }
                mutations.push(label);
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
        return {
            component,
            name,
            args: holder.root,
            opts,
            mutations,
            config: profiles ? stackConfig(profiles) : undefined,
        };
    });
}
