/**
 * kubectl against the local control plane of `scripts/cluster.sh` (docs/cluster.md), shared by the
 * cluster suite (test/cluster) and the end-to-end suite (test/e2e): running kubectl, reading objects,
 * polling with a dump of the objects on timeout, and namespaces of the run that enforce Pod Security
 * "restricted" like `mlkube-test`.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");
export const CLUSTER_DIR = process.env.MLKUBE_CLUSTER_DIR ?? "/tmp/mlkube-cluster";
export const KUBECONFIG = path.join(CLUSTER_DIR, "kubeconfig");
export const KUBECTL =
    process.env.MLKUBE_KUBECTL ??
    path.join(process.env.MLKUBE_CACHE ?? path.join(os.homedir(), ".cache", "mlkube"), "bin", "kubectl");
/** Short id of this run: namespace (and stack) names are unique per run. */
export const RUN_ID = `${Date.now().toString(36).slice(-4)}${process.pid.toString(36).slice(-2)}`;

export interface Run {
    status: number;
    stdout: string;
    stderr: string;
    /** stdout + stderr */
    output: string;
    seconds: number;
}

/** Runs kubectl against the local cluster; never throws for a non-zero exit. */
export function kubectl(args: string[], input?: string): Run {
    const t0 = Date.now();
    const r = spawnSync(KUBECTL, [`--kubeconfig=${KUBECONFIG}`, ...args], {
        input,
        encoding: "utf8",
        maxBuffer: 64 << 20,
        timeout: 120_000,
    });
    if (r.error) throw r.error;
    return {
        status: r.status ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
        output: r.stdout + r.stderr,
        seconds: (Date.now() - t0) / 1000,
    };
}

/** Runs kubectl and returns stdout; throws with its output when it fails. */
export function kc(args: string[], input?: string): string {
    const r = kubectl(args, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (exit ${r.status}):\n${r.output}`);
    return r.stdout;
}

/** The live object as JSON, or undefined when it does not exist. */
export function get(kind: string, name: string, namespace?: string): any {
    const r = kubectl([...(namespace ? ["-n", namespace] : []), "get", kind, name, "-o", "json"]);
    if (r.status !== 0) {
        if (/NotFound|not found/.test(r.stderr)) return undefined;
        throw new Error(`kubectl get ${kind} ${name} failed:\n${r.output}`);
    }
    return JSON.parse(r.stdout);
}

/** Items of a list (`kubectl get <kind> -l <selector>`). */
export function list(kind: string, namespace: string, selector?: string): any[] {
    return JSON.parse(kc(["-n", namespace, "get", kind, ...(selector ? ["-l", selector] : []), "-o", "json"])).items;
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
 * A number as `options` is the timeout in milliseconds.
 */
export async function waitFor<T>(
    what: string,
    check: () => T | undefined | false | null,
    options: WaitOptions | number = {},
): Promise<T> {
    const opts = typeof options === "number" ? { timeoutMs: options } : options;
    const { timeoutMs = 90_000, intervalMs = 500 } = opts;
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
    if (typeof opts.dump === "function") detail += opts.dump();
    else {
        const namespaces = new Set<string>();
        for (const [kind, name, ns] of opts.dump ?? []) {
            const r = kubectl([...(ns ? ["-n", ns] : []), "get", kind, ...(name ? [name] : []), "-o", "yaml"]);
            detail += `--- kubectl get ${kind} ${name}${ns ? ` -n ${ns}` : ""} -o yaml\n${r.output}`;
            if (ns) namespaces.add(ns);
        }
        for (const ns of namespaces)
            detail += `--- events in ${ns}\n${kubectl(["-n", ns, "get", "events", "--sort-by=.lastTimestamp"]).stdout}`;
    }
    throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${detail}`);
}

const created: string[] = [];

/**
 * Creates a namespace of this run, `mlkube-<suite>-<prefix>-<run id>`, enforcing Pod Security
 * "restricted", and waits for its `default` ServiceAccount (until then ServiceAccount admission
 * rejects pods).
 */
export async function createNamespace(suite: "ct" | "e2e", prefix: string): Promise<string> {
    const name = `mlkube-${suite}-${prefix}-${RUN_ID}`;
    const ns = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name,
            labels: {
                "mlkube.test/suite": suite === "ct" ? "cluster" : "e2e",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    };
    kc(["apply", "-f", "-"], JSON.stringify(ns));
    created.push(name);
    await waitFor(
        `ServiceAccount default in ${name}`,
        () => kubectl(["-n", name, "get", "serviceaccount", "default"]).status === 0,
        { timeoutMs: 30_000 },
    );
    return name;
}

/** Deletes the namespaces this process created, without waiting (KEEP_NAMESPACES=1 or MLKUBE_E2E_KEEP=1 keeps them). */
export function deleteNamespaces(): void {
    if (process.env.KEEP_NAMESPACES === "1" || process.env.MLKUBE_E2E_KEEP || created.length === 0) return;
    kubectl(["delete", "namespace", "--wait=false", "--ignore-not-found", ...created.splice(0)]);
}
