/**
 * Helpers of the end-to-end suite (`npm run test:e2e`): the real `pulumi` CLI (built by
 * scripts/pulumi-bins.sh) against the local control plane (scripts/cluster.sh), with a temporary file
 * backend and a passphrase per stack, and kubectl to look at what landed on the cluster.
 *
 * Programs run in place (examples/<name>, test/e2e/programs/<name>) and import "mlkube" from the
 * repository's dist/ (package.json self-reference), so `npm run build` must have run.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { K8sObject, ObjectSource } from "../../src/render";
import { createNamespace as createKubeNamespace, get, KUBECONFIG, list, ROOT, Run, RUN_ID } from "../kube";

export { ROOT, KUBECONFIG, KUBECTL, RUN_ID, kubectl, kc, get, list, waitFor, deleteNamespaces } from "../kube";
/** The passphrase of every test stack: secrets really are encrypted in state. */
export const PASSPHRASE = "e2e-passphrase";
export type { Run } from "../kube";

// ---------------------------------------------------------------------------------------------
// Preconditions

/** Fails with instructions when the cluster is not up, the Pulumi engine is not built, or dist/ is stale. */
export function requirePrerequisites(): void {
    const s = spawnSync(path.join(ROOT, "scripts", "cluster.sh"), ["status"], { encoding: "utf8" });
    if (s.status !== 0) {
        throw new Error(
            `the local cluster is not up (scripts/cluster.sh status exited ${s.status}); run \`scripts/cluster.sh up\` first (docs/cluster.md)\n${s.stdout}${s.stderr}`,
        );
    }
    const v = spawnSync(path.join(ROOT, "scripts", "pulumi-bins.sh"), ["versions"], { encoding: "utf8" });
    const bin = pulumiEnv().PATH.split(":")[0];
    if (v.status !== 0 || !fs.existsSync(path.join(bin, "pulumi"))) {
        throw new Error(
            `the Pulumi engine is not built (${bin}/pulumi missing); run \`scripts/pulumi-bins.sh build\` first (docs/pulumi-engine.md)`,
        );
    }
    const dist = path.join(ROOT, "dist", "index.js");
    if (!fs.existsSync(dist))
        throw new Error("dist/ is missing; run `npm run build` first (the programs import mlkube from dist/)");
}

const cachedEnv = new Map<string, Record<string, string>>();

/**
 * `eval "$(scripts/pulumi-bins.sh env)"` as an environment object (PATH, PULUMI_HOME, offline switches).
 * `pulumiHome`: a PULUMI_HOME of the caller's (MLKUBE_PULUMI_HOME; the Kubernetes provider is installed
 * into it); default the shared one of the cache.
 */
export function pulumiEnv(pulumiHome?: string): Record<string, string> {
    const cached = cachedEnv.get(pulumiHome ?? "");
    if (cached) return cached;
    const r = spawnSync("bash", ["-c", `eval "$("${ROOT}/scripts/pulumi-bins.sh" env)" && env -0`], {
        encoding: "utf8",
        env: {
            ...process.env,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_BACKEND_URL: "file:///nonexistent-set-per-stack",
            ...(pulumiHome ? { MLKUBE_PULUMI_HOME: pulumiHome } : {}),
        },
    });
    if (r.status !== 0) throw new Error(`scripts/pulumi-bins.sh env failed:\n${r.stderr}`);
    const env = Object.fromEntries(
        r.stdout
            .split("\0")
            .filter(Boolean)
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    cachedEnv.set(pulumiHome ?? "", env);
    return env;
}

// ---------------------------------------------------------------------------------------------
// Namespaces

/** A namespace of this run (`mlkube-e2e-<prefix>-<run>`) enforcing Pod Security "restricted". */
export function createNamespace(prefix: string): Promise<string> {
    return createKubeNamespace("e2e", prefix);
}

// ---------------------------------------------------------------------------------------------
// Pulumi stacks

/**
 * One stack of one program: its own file backend (temp dir) and the suite's passphrase. The stack's
 * config file `Pulumi.<stack>.yaml` lands in the program directory (as with any Pulumi program);
 * `remove()` deletes it (stack names start with `e2e-`, which .gitignore covers).
 */
export class Stack {
    readonly name: string;
    readonly dir: string;
    readonly stateDir: string;
    readonly env: Record<string, string>;
    /** Everything the CLI printed, for the plaintext-secret check. */
    readonly transcript: string[] = [];

    /** `env`: the environment of the CLI (default pulumiEnv()); the backend, passphrase and KUBECONFIG are the stack's. */
    constructor(
        programDir: string,
        prefix: string,
        readonly namespace: string,
        env: Record<string, string> = pulumiEnv(),
    ) {
        this.dir = path.resolve(ROOT, programDir);
        this.name = `e2e-${prefix}-${RUN_ID}`;
        this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `mlkube-e2e-${prefix}-`));
        fs.mkdirSync(path.join(this.stateDir, "state"));
        this.env = {
            ...env,
            PULUMI_BACKEND_URL: `file://${path.join(this.stateDir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            KUBECONFIG,
            NO_COLOR: "1",
        };
    }

    get configFile(): string {
        return path.join(this.dir, `Pulumi.${this.name}.yaml`);
    }

    /** Runs `pulumi <args> --stack <name> --non-interactive --cwd <dir>`; never throws. */
    pulumi(args: string[], opts: { timeoutMs?: number; stack?: boolean; redact?: string[] } = {}): Run {
        const t0 = Date.now();
        const full = [
            ...args,
            ...(opts.stack === false ? [] : ["--stack", this.name]),
            "--non-interactive",
            "--color=never",
            "--cwd",
            this.dir,
        ];
        const r = spawnSync("pulumi", full, {
            env: this.env,
            encoding: "utf8",
            maxBuffer: 256 << 20,
            timeout: opts.timeoutMs ?? 600_000,
        });
        if (r.error) throw r.error;
        const run = {
            status: r.status ?? -1,
            stdout: r.stdout,
            stderr: r.stderr,
            output: r.stdout + r.stderr,
            seconds: (Date.now() - t0) / 1000,
        };
        // The transcript is what the CLI printed; the command line is ours (a `config set --secret` value is on it).
        const shown = full.map((a) => (opts.redact?.includes(a) ? "<value>" : a)).join(" ");
        this.transcript.push(run.output);
        if (process.env.MLKUBE_E2E_VERBOSE)
            console.log(`$ pulumi ${shown} -> ${run.status} (${run.seconds}s)\n${run.output}`);
        return run;
    }

    /** Like pulumi(), but asserts exit 0. */
    ok(args: string[], opts?: { timeoutMs?: number; redact?: string[] }): Run {
        const r = this.pulumi(args, opts);
        assert.equal(
            r.status,
            0,
            `pulumi ${args.map((a) => (opts?.redact?.includes(a) ? "<value>" : a)).join(" ")} failed (exit ${r.status}) after ${r.seconds}s:\n${r.output}`,
        );
        return r;
    }

    init(config: Record<string, string>, secrets: Record<string, string> = {}): void {
        this.ok(["stack", "init"]);
        this.set({ "mlkube:namespace": this.namespace, ...config });
        this.setSecret(secrets);
    }

    set(config: Record<string, string>): void {
        for (const [k, v] of Object.entries(config)) this.ok(["config", "set", k, v]);
    }

    setSecret(secrets: Record<string, string>): void {
        // The value travels on argv of a local process only (as `pulumi config set --secret` users do).
        for (const [k, v] of Object.entries(secrets)) this.ok(["config", "set", "--secret", k, v], { redact: [v] });
    }

    up(): Run {
        return this.pulumi(["up", "--yes", "--skip-preview", "--diff"]);
    }

    preview(extra: string[] = []): Run {
        return this.pulumi(["preview", "--diff", ...extra]);
    }

    /** `pulumi preview --json` (asserts exit 0): the engine's structured plan. */
    previewJson(): PreviewJson {
        const r = this.ok(["preview", "--json"]);
        return JSON.parse(r.stdout) as PreviewJson;
    }

    outputs(): Record<string, any> {
        return JSON.parse(this.ok(["stack", "output", "--json"]).stdout);
    }

    exportState(): string {
        return this.ok(["stack", "export"]).stdout;
    }

    /** Destroys (best effort), removes the stack, its config file and its backend dir. */
    remove(): void {
        if (process.env.MLKUBE_E2E_KEEP) return;
        this.pulumi(["destroy", "--yes", "--skip-preview"]);
        this.pulumi(["stack", "rm", "--yes", "--force"]);
        fs.rmSync(this.configFile, { force: true });
        fs.rmSync(this.stateDir, { recursive: true, force: true });
    }
}

/**
 * Starts `pulumi <args>` for the stack in the background; `done` resolves with its exit status, signal and
 * output. `detached`: in its own process group (a terminal's foreground job, or a CI job), so a signal sent to
 * `-pid` reaches the CLI, its language host and its plugins together, as ^C in a terminal or a killed job does.
 */
export function startPulumi(
    stack: Stack,
    args: string[],
    opts: { detached?: boolean } = {},
): { pid: number; done: Promise<{ status: number | null; signal: string | null; output: string }> } {
    const child = spawn(
        "pulumi",
        [...args, "--stack", stack.name, "--non-interactive", "--color=never", "--cwd", stack.dir],
        { env: stack.env, stdio: ["ignore", "pipe", "pipe"], detached: opts.detached ?? false },
    );
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const done = new Promise<{ status: number | null; signal: string | null; output: string }>((res) =>
        child.once("close", (status, signal) => res({ status, signal, output })),
    );
    return { pid: child.pid!, done };
}

/**
 * The `mlkube:*` stack defaults an example's own `Pulumi.dev.yaml` sets (e.g. inference's `mlkube:profiles`),
 * as JSON strings for `pulumi config set` (mlkube reads JSON for objects and lists).
 */
export function exampleStackDefaults(dir: string): Record<string, string> {
    const file = path.join(path.resolve(ROOT, dir), "Pulumi.dev.yaml");
    if (!fs.existsSync(file)) return {};
    const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> }).config ?? {};
    return Object.fromEntries(
        Object.entries(config)
            .filter(([k]) => k.startsWith("mlkube:") && k !== "mlkube:namespace")
            .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
}

/** Asserts that none of `values` occurs in `text` (plain or base64). */
export function assertNoPlaintext(text: string, values: string[], where: string): void {
    for (const v of values) {
        assert.ok(!text.includes(v), `${where} contains the plaintext secret ${JSON.stringify(v)}`);
        const b64 = Buffer.from(v).toString("base64").replace(/=+$/, "");
        assert.ok(!text.includes(b64), `${where} contains the secret ${JSON.stringify(v)} base64-encoded`);
    }
}

/**
 * No secret value (plain or base64) in `pulumi stack export` (which must hold ciphertext), in anything
 * the CLI printed for this stack, or in the stack config file.
 */
export function assertNoSecretLeak(stack: Stack, values: string[]): void {
    const state = stack.exportState();
    assert.match(state, /"ciphertext"/, "secrets are encrypted in state");
    assertNoPlaintext(state, values, "pulumi stack export");
    assertNoPlaintext(stack.transcript.join("\n"), values, "pulumi output");
    assertNoPlaintext(fs.readFileSync(stack.configFile, "utf8"), values, stack.configFile);
}

/** What `pulumi preview --json` prints (the fields the suite reads). */
export interface PreviewJson {
    steps: Array<{
        op: string;
        urn: string;
        diffReasons?: string[];
        replaceReasons?: string[];
        detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }>;
    }>;
    changeSummary?: Record<string, number>;
}

/** A step of a structured preview, reduced to what a reviewer reads. */
export interface ChangedStep {
    op: string;
    /** Resource type token, e.g. `kubernetes:apps/v1:Deployment`. */
    type: string;
    name: string;
    /** Changed property paths (detailedDiff keys, else diffReasons), sorted. */
    fields: string[];
    replaceReasons: string[];
}

/** The steps of a structured preview that change something (op other than `same`). */
export function changedSteps(p: PreviewJson): ChangedStep[] {
    return p.steps
        .filter((s) => s.op !== "same" && s.op !== "read")
        .map((s) => {
            // urn:pulumi:<stack>::<project>::<parent types $ type>::<name>
            const parts = s.urn.split("::");
            return {
                op: s.op,
                type: parts[2].split("$").pop() as string,
                name: parts.slice(3).join("::"),
                fields: Object.keys(s.detailedDiff ?? {}).length
                    ? Object.keys(s.detailedDiff ?? {}).sort()
                    : [...(s.diffReasons ?? [])].sort(),
                // The engine's replaceReasons when it sends them; CLI 3.259 marks each replacing path in
                // detailedDiff instead (kind "update-replace", "add-replace", "delete-replace").
                replaceReasons: [
                    ...(s.replaceReasons ??
                        Object.entries(s.detailedDiff ?? {})
                            .filter(([, d]) => d.kind.endsWith("-replace"))
                            .map(([k]) => k)),
                ].sort(),
            };
        });
}

/** The change summary of a preview/up ("+ 1 to create", "~ 1 to update", "+-1 to replace", …). */
export function summary(output: string): {
    create: number;
    update: number;
    replace: number;
    delete: number;
    same: number;
} {
    const n = (re: RegExp) => Number(re.exec(output)?.[1] ?? 0);
    return {
        create: n(/\+ (\d+) (?:to create|created)/),
        update: n(/~ (\d+) (?:to update|updated)/),
        replace: n(/\+-(\d+) (?:to replace|replaced)/),
        delete: n(/- (\d+) (?:to delete|deleted)/),
        same: n(/(\d+) unchanged/),
    };
}

// ---------------------------------------------------------------------------------------------
// Live objects against the offline renderer's prediction

const PLURAL: Record<string, string> = {
    JobSet: "jobsets.jobset.x-k8s.io",
    TrainJob: "trainjobs.trainer.kubeflow.org",
};

export function kindArg(o: K8sObject): string {
    return PLURAL[o.kind] ?? o.kind.toLowerCase();
}

/**
 * Finds the live object of each rendered one (auto-named objects by their `<resource name>-` prefix)
 * and returns rendered→live name pairs for auto-named objects.
 */
export function liveObjects(
    objects: K8sObject[],
    sources: ObjectSource[],
    namespace: string,
): { live: any[]; renames: Record<string, string> } {
    const renames: Record<string, string> = {};
    const live = objects.map((o, i) => {
        const ns = o.metadata.namespace ?? namespace;
        if (!sources[i].autoNamed) return get(kindArg(o), o.metadata.name, ns);
        const candidates = list(kindArg(o), ns).filter((l) => l.metadata.name.startsWith(`${sources[i].name}-`));
        assert.equal(
            candidates.length,
            1,
            `one live ${o.kind} named ${sources[i].name}-* in ${ns}, found ${candidates.map((c) => c.metadata.name)}`,
        );
        renames[o.metadata.name] = candidates[0].metadata.name;
        return candidates[0];
    });
    return { live, renames };
}

/**
 * Mismatches between a rendered value and the live one: every field the renderer predicted must be
 * on the live object with the same value (the server may add defaults; lists must have the same length).
 */
export function subsetMismatches(expected: unknown, actual: unknown, at: string, out: string[] = []): string[] {
    if (expected === null || expected === undefined) return out;
    if (Array.isArray(expected)) {
        if (!Array.isArray(actual) || actual.length !== expected.length) {
            out.push(`${at}: expected ${JSON.stringify(expected)}, live ${JSON.stringify(actual)}`);
            return out;
        }
        expected.forEach((e, i) => subsetMismatches(e, actual[i], `${at}[${i}]`, out));
        return out;
    }
    if (typeof expected === "object") {
        if (typeof actual !== "object" || actual === null || Array.isArray(actual)) {
            out.push(`${at}: expected an object ${JSON.stringify(expected)}, live ${JSON.stringify(actual)}`);
            return out;
        }
        for (const [k, v] of Object.entries(expected as Record<string, unknown>))
            subsetMismatches(v, (actual as Record<string, unknown>)[k], `${at}.${k}`, out);
        return out;
    }
    if (String(expected) !== String(actual))
        out.push(`${at}: expected ${JSON.stringify(expected)}, live ${JSON.stringify(actual)}`);
    return out;
}

/**
 * Normalises a rendered object for comparison: auto-names replaced by the live names; secret content
 * compared by keys only (the renderer redacts values and never decrypts `secure:` config), and so are
 * the `checksum.mlkube.dev/*` annotations computed from it.
 */
export function comparable(o: K8sObject, renames: Record<string, string>): any {
    let json = JSON.stringify(o);
    for (const [from, to] of Object.entries(renames)) json = json.split(from).join(to);
    const c = JSON.parse(json);
    if (c.kind === "Secret") {
        const keys = Object.keys({ ...(c.data ?? {}), ...(c.stringData ?? {}) });
        delete c.data;
        delete c.stringData;
        c.__keys = keys.sort();
    }
    return c;
}

export function liveComparable(l: any): any {
    if (l?.kind === "Secret") return { ...l, __keys: Object.keys(l.data ?? {}).sort() };
    return l;
}

/** Removes checksum annotation values from both sides (keys must still match). */
export function maskChecksums(v: any): any {
    if (Array.isArray(v)) return v.map(maskChecksums);
    if (v && typeof v === "object") {
        return Object.fromEntries(
            Object.entries(v).map(([k, x]) => [
                k,
                k.startsWith("checksum.mlkube.dev/") ? "<checksum>" : maskChecksums(x),
            ]),
        );
    }
    return v;
}

/** The top-level kinds the namespace checks look at (`kubectl get <kind>`). */
const OUR_KINDS = [
    "deployments",
    "services",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "jobsets.jobset.x-k8s.io",
    "trainjobs.trainer.kubeflow.org",
];

/**
 * Asserts that every object the renderer predicted is live with every rendered field equal (see
 * subsetMismatches/comparable) and that nothing else of ours is in the namespace (no top-level object
 * without owner that was not predicted). Returns the live names of auto-named objects.
 */
export function assertLiveMatchesRendered(
    rendered: { objects: K8sObject[]; sources: ObjectSource[] },
    namespace: string,
): Record<string, string> {
    const { live, renames } = liveObjects(rendered.objects, rendered.sources, namespace);
    const problems: string[] = [];
    rendered.objects.forEach((o, i) => {
        const where = `${o.kind} ${o.metadata.name}`;
        if (!live[i]) return problems.push(`${where}: not on the cluster`);
        subsetMismatches(
            maskChecksums(comparable(o, renames)),
            maskChecksums(liveComparable(live[i])),
            where,
            problems,
        );
    });
    assert.deepEqual(problems, [], `live objects differ from the rendered ones:\n${problems.join("\n")}`);
    for (const kind of OUR_KINDS) {
        const names = list(kind, namespace)
            .filter((l) => !(kind === "configmaps" && l.metadata.name === "kube-root-ca.crt"))
            .filter((l) => !(l.metadata.ownerReferences ?? []).length)
            .map((l) => l.metadata.name)
            .sort();
        const expected = rendered.objects
            .filter((o) => kindArg(o) === kind || `${kindArg(o)}s` === kind)
            .map((o) => renames[o.metadata.name] ?? o.metadata.name)
            .sort();
        assert.deepEqual(names, expected, `${kind} in ${namespace}`);
    }
    return renames;
}

/** A claim that must survive `pulumi destroy`: its name and the uid it had before. */
export interface KeptClaim {
    name: string;
    uid: string;
}

/**
 * After `pulumi destroy`: every predicted object is gone (or terminating) except the `kept` claims, which
 * are the original ones (same uid), still Bound; no Kubernetes object is left in the stack's state.
 */
export function assertDestroyedExcept(
    stack: Stack,
    predicted: { objects: K8sObject[]; sources: ObjectSource[] },
    kept: KeptClaim[],
): void {
    const keptNames = new Set(kept.map((c) => c.name));
    predicted.objects.forEach((o, i) => {
        const name = o.metadata.name;
        if (o.kind === "PersistentVolumeClaim" && keptNames.has(name)) return;
        if (predicted.sources[i].autoNamed) {
            assert.deepEqual(
                list(kindArg(o), stack.namespace).filter((l) =>
                    l.metadata.name.startsWith(`${predicted.sources[i].name}-`),
                ),
                [],
                `${o.kind} ${name} deleted`,
            );
        } else {
            const l = get(kindArg(o), name, stack.namespace);
            assert.ok(!l || l.metadata.deletionTimestamp, `${o.kind} ${name} deleted`);
        }
    });
    for (const claim of kept) {
        const l = get("pvc", claim.name, stack.namespace);
        assert.ok(l, `claim ${claim.name} kept`);
        assert.equal(l.metadata.uid, claim.uid, `claim ${claim.name} is the original one`);
        assert.equal(l.status.phase, "Bound", `claim ${claim.name} still bound to its volume`);
        assert.ok(!l.metadata.deletionTimestamp);
    }
    const left = (JSON.parse(stack.exportState()).deployment.resources ?? [])
        .filter((x: any) => x.type.startsWith("kubernetes:"))
        .map((x: any) => x.urn);
    assert.deepEqual(left, [], "no Kubernetes object left in the stack");
}
