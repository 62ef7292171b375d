/**
 * Helpers of the cluster suite (`npm run test:cluster`): kubectl, server-side apply with strict field
 * validation, namespaces of our own, polling with a dump of the object on timeout, and rendering
 * (examples through the offline renderer, ad-hoc components through the same collector).
 *
 * The suite needs the local control plane of `scripts/cluster.sh up` (docs/cluster.md); `requireCluster()`
 * fails with a clear message when it is not up.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { collect } from "../../src/render/collect";
import { K8sObject, render, toObjects, toYaml } from "../../src/render";
import { ensureBuilt } from "../render-helpers";

export const ROOT = path.resolve(__dirname, "..", "..");
export const CLUSTER_DIR = process.env.MLKUBE_CLUSTER_DIR ?? "/tmp/mlkube-cluster";
export const KUBECONFIG = path.join(CLUSTER_DIR, "kubeconfig");
export const KUBECTL = process.env.MLKUBE_KUBECTL ?? path.join(process.env.MLKUBE_CACHE ?? path.join(os.homedir(), ".cache", "mlkube"), "bin", "kubectl");
/** Field manager of every apply of this suite. */
export const FIELD_MANAGER = "mlkube-test";

export interface Run {
    status: number;
    stdout: string;
    stderr: string;
}

/** Runs kubectl against the suite's cluster; never throws. */
export function kubectl(args: string[], input?: string): Run {
    const r = spawnSync(KUBECTL, [`--kubeconfig=${KUBECONFIG}`, ...args], { input, encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs kubectl and returns stdout; throws with stderr when it fails. */
export function kc(args: string[], input?: string): string {
    const r = kubectl(args, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
}

/** Fails the suite with instructions when the local control plane is not up. */
export function requireCluster(): void {
    const s = spawnSync(path.join(ROOT, "scripts", "cluster.sh"), ["status"], { encoding: "utf8" });
    if (s.status !== 0) {
        throw new Error(
            `the local cluster is not up (scripts/cluster.sh status exited ${s.status}); start it with \`scripts/cluster.sh up\` ` +
                `(builds on first use, ~20 min cold; see docs/cluster.md), then run \`npm run test:cluster\` again\n${s.stdout}${s.stderr}`,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Namespaces

const RUN_ID = `${Date.now().toString(36).slice(-4)}${process.pid.toString(36).slice(-2)}`;
const created: string[] = [];

/**
 * Creates a namespace of this test run, enforcing Pod Security "restricted" like `mlkube-test`, and
 * waits for its `default` ServiceAccount (until then the ServiceAccount admission rejects bare pods).
 */
export async function createNamespace(prefix: string): Promise<string> {
    const name = `mlkube-ct-${prefix}-${RUN_ID}`;
    const ns = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name,
            labels: {
                "mlkube.test/suite": "cluster",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    };
    kc(["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"], JSON.stringify(ns));
    created.push(name);
    await waitFor(`ServiceAccount default in ${name}`, () => kubectl(["-n", name, "get", "serviceaccount", "default"]).status === 0, { timeoutMs: 30_000 });
    return name;
}

/** Deletes the namespaces this process created (KEEP_NAMESPACES=1 keeps them for debugging). */
export function deleteNamespaces(): void {
    if (process.env.KEEP_NAMESPACES === "1" || created.length === 0) return;
    kubectl(["delete", "namespace", "--wait=false", "--ignore-not-found", ...created.splice(0)]);
}

// ---------------------------------------------------------------------------------------------
// Apply

export interface ApplyOptions {
    /** `--dry-run=server`: admission (webhooks, PSS, CEL, schema) without persisting. */
    dryRun?: boolean;
}

/** `kubectl apply --server-side --validate=strict` of the objects (multi-document YAML on stdin); never throws. */
export function applyObjects(objects: K8sObject[], options: ApplyOptions = {}): Run {
    const args = ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--validate=strict", "-f", "-"];
    if (options.dryRun) args.push("--dry-run=server");
    return kubectl(args, toYaml(objects));
}

/** Applies and asserts success (printing kubectl's output otherwise). Returns stderr (warnings). */
export function applyOk(objects: K8sObject[], options: ApplyOptions = {}): string {
    const r = applyObjects(objects, options);
    assert.equal(r.status, 0, `server-side apply failed:\n${r.stderr}${r.stdout}\nobjects:\n${toYaml(objects)}`);
    return r.stderr;
}

/** Applies and asserts that the server rejects it with a message matching `expected`. */
export function applyRejected(objects: K8sObject[], expected: RegExp, options: ApplyOptions = {}): string {
    const r = applyObjects(objects, options);
    assert.notEqual(r.status, 0, `expected the server to reject the objects (${expected}), but the apply succeeded:\n${r.stdout}\nobjects:\n${toYaml(objects)}`);
    assert.match(r.stderr, expected, `rejected, but not with ${expected}:\n${r.stderr}`);
    return r.stderr;
}

// ---------------------------------------------------------------------------------------------
// Reading and waiting

/** The live object as JSON, or undefined when it does not exist. */
export function get(kind: string, name: string, namespace?: string): any {
    const r = kubectl([...(namespace ? ["-n", namespace] : []), "get", kind, name, "-o", "json"]);
    if (r.status !== 0) {
        if (/NotFound|not found/.test(r.stderr)) return undefined;
        throw new Error(`kubectl get ${kind} ${name} failed:\n${r.stderr}`);
    }
    return JSON.parse(r.stdout);
}

/** Items of a list (`kubectl get <kind> -l <selector>`). */
export function list(kind: string, namespace: string, selector?: string): any[] {
    return JSON.parse(kc(["-n", namespace, "get", kind, ...(selector ? ["-l", selector] : []), "-o", "json"])).items;
}

/** The status condition of `type` (True or not), if any. */
export function condition(obj: any, type: string): { type: string; status: string; reason?: string; message?: string } | undefined {
    return (obj?.status?.conditions ?? []).find((c: any) => c.type === type);
}

export function conditionTrue(obj: any, type: string): boolean {
    return condition(obj, type)?.status === "True";
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
    timeoutMs?: number;
    intervalMs?: number;
    /** What to print on timeout: `[kind, name, namespace]` (kubectl get -o yaml) or a function. */
    dump?: Array<[string, string, string?]> | (() => string);
}

/**
 * Polls `check` until it returns a truthy value (returned) or the timeout passes (throws with a dump of
 * the objects named in `dump` and the namespace's recent events, so the failure says what is wrong).
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, options: WaitOptions = {}): Promise<T> {
    const { timeoutMs = 90_000, intervalMs = 500 } = options;
    const t0 = Date.now();
    let last: unknown;
    for (;;) {
        try {
            const v = check();
            if (v) return v;
            last = undefined;
        } catch (e) {
            last = e;
        }
        if (Date.now() - t0 > timeoutMs) break;
        await sleep(intervalMs);
    }
    let detail = last ? `last error: ${(last as Error).message}\n` : "";
    if (typeof options.dump === "function") detail += options.dump();
    else {
        const namespaces = new Set<string>();
        for (const [kind, name, ns] of options.dump ?? []) {
            const r = kubectl([...(ns ? ["-n", ns] : []), "get", kind, ...(name ? [name] : []), "-o", "yaml"]);
            detail += `--- kubectl get ${kind} ${name}${ns ? ` -n ${ns}` : ""} -o yaml\n${r.stdout}${r.stderr}`;
            if (ns) namespaces.add(ns);
        }
        for (const ns of namespaces) detail += `--- events in ${ns}\n${kubectl(["-n", ns, "get", "events", "--sort-by=.lastTimestamp"]).stdout}`;
    }
    throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${detail}`);
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * Renders `examples/<name>` with the offline renderer, secrets in clear (the apply needs real values),
 * every mlkube component in `namespace`. Asserts the render succeeded.
 */
export async function renderExample(name: string, namespace: string, config: Record<string, string> = {}): Promise<K8sObject[]> {
    ensureBuilt(); // the examples import "mlkube" from dist/
    const r = await render(path.join(ROOT, "examples", name), { stack: "dev", showSecrets: true, config: { "mlkube:namespace": namespace, ...config } });
    assert.deepEqual(r.errors.map((e) => e.message), [], `rendering examples/${name} failed`);
    assert.deepEqual(r.warnings, []);
    assert.ok(r.objects.length > 0);
    return r.objects;
}

/** Runs `program` (mlkube components from src/) under the renderer's mocks and returns its objects, secrets in clear. */
export async function emitObjects(program: () => unknown, namespace: string, config: Record<string, string> = {}): Promise<K8sObject[]> {
    const r = await collect(program, { config: { "mlkube:namespace": namespace, ...config } });
    assert.deepEqual(r.errors.map((e) => e.message), [], "the program failed validation");
    return toObjects(r.resources, true).objects;
}

/** The validation error messages `program` produces (empty when it is valid). */
export async function validationErrors(program: () => unknown, namespace = "default"): Promise<string[]> {
    const r = await collect(program, { config: { "mlkube:namespace": namespace } });
    return r.errors.map((e) => e.message);
}

export function find(objects: K8sObject[], kind: string, name?: string): any {
    const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
    assert.ok(o, `no ${kind}${name ? ` ${name}` : ""} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
    return o;
}

export function envValue(container: any, name: string): string | undefined {
    return (container?.env ?? []).find((e: any) => e.name === name)?.value;
}
