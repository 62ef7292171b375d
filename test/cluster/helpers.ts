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
import * as path from "node:path";
import { collect } from "../../src/render/collect";
import { K8sObject, render, toObjects, toYaml } from "../../src/render";
import type { TrainJobBackend } from "../../src";
import { ensureBuilt } from "../render-helpers";
import { createNamespace as createKubeNamespace, kubectl, list, ROOT, Run } from "../kube";

export { ROOT, KUBECONFIG, KUBECTL, kubectl, kc, get, list, sleep, waitFor, deleteNamespaces } from "../kube";
export type { Run, WaitOptions } from "../kube";
/** Field manager of every apply of this suite. */
export const FIELD_MANAGER = "mlkube-test";

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

/** A namespace of this run (`mlkube-ct-<prefix>-<run>`) enforcing Pod Security "restricted" like `mlkube-test`. */
export function createNamespace(prefix: string): Promise<string> {
    return createKubeNamespace("ct", prefix);
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
    assert.notEqual(
        r.status,
        0,
        `expected the server to reject the objects (${expected}), but the apply succeeded:\n${r.stdout}\nobjects:\n${toYaml(objects)}`,
    );
    assert.match(r.stderr, expected, `rejected, but not with ${expected}:\n${r.stderr}`);
    return r.stderr;
}

// ---------------------------------------------------------------------------------------------
// Reading and waiting

/** The status condition of `type` (True or not), if any. */
export function condition(
    obj: any,
    type: string,
): { type: string; status: string; reason?: string; message?: string } | undefined {
    return (obj?.status?.conditions ?? []).find((c: any) => c.type === type);
}

export function conditionTrue(obj: any, type: string): boolean {
    return condition(obj, type)?.status === "True";
}

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * Renders `examples/<name>` with the offline renderer, secrets in clear (the apply needs real values),
 * every mlkube component in `namespace`. Asserts the render succeeded.
 */
export async function renderExample(
    name: string,
    namespace: string,
    config: Record<string, string> = {},
): Promise<K8sObject[]> {
    ensureBuilt(); // the examples import "mlkube" from dist/
    const r = await render(path.join(ROOT, "examples", name), {
        stack: "dev",
        showSecrets: true,
        config: { "mlkube:namespace": namespace, ...config },
    });
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
        `rendering examples/${name} failed`,
    );
    assert.deepEqual(r.warnings, []);
    assert.ok(r.objects.length > 0);
    return r.objects;
}

/** Runs `program` (mlkube components from src/) under the renderer's mocks and returns its objects, secrets in clear. */
export async function emitObjects(
    program: () => unknown,
    namespace: string,
    config: Record<string, string> = {},
): Promise<K8sObject[]> {
    const r = await collect(program, { config: { "mlkube:namespace": namespace, ...config } });
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
        "the program failed validation",
    );
    return toObjects(r.resources, true).objects;
}

/** The validation error messages `program` produces (empty when it is valid). */
export async function validationErrors(program: () => unknown, namespace = "default"): Promise<string[]> {
    const r = await collect(program, { config: { "mlkube:namespace": namespace } });
    return r.errors.map((e) => e.message);
}

export function find(objects: K8sObject[], kind: string, name?: string): any {
    const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
    assert.ok(
        o,
        `no ${kind}${name ? ` ${name}` : ""} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`,
    );
    return o;
}

export function envValue(container: any, name: string): string | undefined {
    return (container?.env ?? []).find((e: any) => e.name === name)?.value;
}

// ---------------------------------------------------------------------------------------------
// Real node (docs/cluster.md, "Real node"): containers really run there.

/** The test image (tools/testimage), imported into containerd by `scripts/cluster.sh up`; never pulled. */
export const TEST_IMAGE = "mlkube.local/testapp:v1";

/** PodOptions that put a pod on the real node, through mlkube's own scheduling options. */
export const ON_REAL_NODE = {
    image: TEST_IMAGE,
    imagePullPolicy: "Never" as const,
    nodeSelector: { "mlkube.test/node-kind": "real" },
    tolerations: [{ key: "mlkube.test/real-node", operator: "Equal", value: "true", effect: "NoSchedule" }],
};

/** The torch image's reference, from the image table (scripts/images.sh ref torch). */
export function torchImage(): string {
    const r = spawnSync(path.join(ROOT, "scripts", "images.sh"), ["ref", "torch"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

/** A TrainJob backend (the tests' name for it). */
export type Backend = TrainJobBackend;

/** The object kind (for kubectl), pod label selector and completion condition of each backend's run. */
export function trainJobKind(backend: Backend): {
    kind: string;
    selector: (name: string) => string;
    status: "JobSet" | "TrainJob" | "Job";
    complete: string;
} {
    if (backend === "job")
        return {
            kind: "job",
            selector: (n) => `batch.kubernetes.io/job-name=${n}`,
            status: "Job",
            complete: "Complete",
        };
    if (backend === "kubeflow")
        return {
            kind: "trainjob",
            selector: (n) => `jobset.sigs.k8s.io/jobset-name=${n}`,
            status: "TrainJob",
            complete: "Complete",
        };
    return {
        kind: "jobset",
        selector: (n) => `jobset.sigs.k8s.io/jobset-name=${n}`,
        status: "JobSet",
        complete: "Completed",
    };
}

/** Whether the cluster has the real node (it is left out with MLKUBE_REAL_NODE=0). */
export function hasRealNode(): boolean {
    const r = kubectl(["get", "nodes", "-l", "mlkube.test/node-kind=real", "-o", "name"]);
    return r.status === 0 && r.stdout.trim() !== "";
}

/** `kubectl exec POD -- /testapp ARGS...` in the pod's first container; never throws. */
export function execApp(namespace: string, pod: string, ...args: string[]): Run {
    return kubectl(["-n", namespace, "exec", pod, "--", "/testapp", ...args]);
}

/** Parses the JSON lines testapp prints. */
export function jsonLines(text: string): any[] {
    return text
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
}

/** Running and Ready pods matching `selector`, not being deleted. */
export function readyPods(namespace: string, selector: string): any[] {
    return list("pods", namespace, selector).filter(
        (p) =>
            !p.metadata.deletionTimestamp &&
            p.status.phase === "Running" &&
            (p.status.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
    );
}
