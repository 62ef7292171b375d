/**
 * What both TrainJob backends share: names and their DNS limits, the torch rendezvous environment,
 * the lifecycle annotations (waitFor/timeout/skipAwait) and the terminal-state check.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { parseQuantity } from "../schema/quantity";

export const TRAINJOB_COMPONENT = "TrainJob";
/** The replicated job and container name on both backends (the Kubeflow runtimes' convention). */
export const NODE = "node";
export const MASTER_PORT = 29500;
/** Default `timeout` with waitForCompletion (training runs for hours; the provider's default is minutes). */
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 24 * 3600;

/** The env vars the Kubeflow torch plugin sets; the Trainer rejects them in `spec.trainer.env`. */
export const PET_ENV = ["PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"];
/** The plain torch.distributed variables mlkube sets on both backends. */
export const TORCH_ENV = ["MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "NODE_RANK"];

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Hostname of pod `i` of the node job: `<name>-node-0-<i>` (JobSet naming, Indexed Job). */
export function podHostname(objectName: string, index: number): string {
    return `${objectName}-${NODE}-0-${index}`;
}

/** Pod 0's DNS name inside the namespace: `<name>-node-0-0.<name>` (the subdomain is the object name). */
export function masterHost(objectName: string): string {
    return `${podHostname(objectName, 0)}.${objectName}`;
}

/**
 * Problems with the object name: an RFC 1035 label (TrainJob CEL, JobSet subdomain), and short enough
 * that the longest pod name the JobSet webhook checks, `<name>-node-0-<numNodes-1>-abcde`, is ≤63.
 */
export function nameIssues(objectName: string, numNodes: number, path: (string | number)[]): ValidationIssue[] {
    if (!DNS1035.test(objectName) || objectName.length > 63) {
        const fixed = objectName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "").slice(0, 40) || "train";
        return [{ path, message: `${JSON.stringify(objectName)} is not a valid TrainJob/JobSet name (an RFC 1035 label: lowercase letters, digits and '-', starting with a letter, ending with a letter or digit); use ${JSON.stringify(fixed)}` }];
    }
    const longest = `${podHostname(objectName, numNodes - 1)}-abcde`;
    if (longest.length > 63) {
        const max = objectName.length - (longest.length - 63);
        return [{
            path,
            message: `${JSON.stringify(objectName)} is too long for the pod names it produces: "${podHostname(objectName, numNodes - 1)}" plus the 5-character pod suffix is ${longest.length} characters, more than 63; with numNodes ${numNodes} use a name of at most ${max} characters`,
        }];
    }
    return [];
}

const COMPLETION_INDEX = { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } };

/** PET_NPROC_PER_NODE as the torch plugin computes it: given, else "auto" with GPUs, else the CPU count (≥1). */
export function procPerNode(numProcPerNode: number | undefined, gpu: boolean, cpu: string | number | undefined): string {
    if (numProcPerNode !== undefined) return String(numProcPerNode);
    if (gpu || cpu === undefined) return "auto";
    return String(Math.max(1, Math.ceil(parseQuantity(String(cpu)))));
}

/** The plain torch.distributed env (both backends): MASTER_ADDR/PORT, WORLD_SIZE (= nodes), NODE_RANK. */
export function torchEnv(objectName: string, numNodes: number): k8s.core.v1.EnvVar[] {
    return [
        { name: "MASTER_ADDR", value: masterHost(objectName) },
        { name: "MASTER_PORT", value: String(MASTER_PORT) },
        { name: "WORLD_SIZE", value: String(numNodes) },
        { name: "NODE_RANK", valueFrom: COMPLETION_INDEX },
    ];
}

/** The env the Kubeflow torch plugin injects (PET_*), for the jobset backend. */
export function petEnv(objectName: string, numNodes: number, nproc: string): k8s.core.v1.EnvVar[] {
    return [
        { name: "PET_NNODES", value: String(numNodes) },
        { name: "PET_NPROC_PER_NODE", value: nproc },
        { name: "PET_NODE_RANK", valueFrom: COMPLETION_INDEX },
        { name: "PET_MASTER_ADDR", value: masterHost(objectName) },
        { name: "PET_MASTER_PORT", value: String(MASTER_PORT) },
    ];
}

/** The terminal condition types of each kind. */
export const TERMINAL = {
    JobSet: { complete: "Completed", failed: "Failed" },
    TrainJob: { complete: "Complete", failed: "Failed" },
} as const;

/**
 * `pulumi.com/waitFor`: stop waiting on either terminal condition (a plain `condition=Completed` would
 * hang until the timeout when the job fails). The component then reads `status` and fails on Failed.
 */
export function waitForExpression(kind: keyof typeof TERMINAL): string {
    const t = TERMINAL[kind];
    return `jsonpath={.status.conditions[?(@.status=='True' && (@.type=='${t.complete}' || @.type=='${t.failed}'))].type}`;
}

/** Lifecycle annotations of the emitted object. */
export function lifecycleAnnotations(kind: keyof typeof TERMINAL, wait: boolean | undefined, timeout: number | undefined): Record<string, string> {
    if (!wait) return { "pulumi.com/skipAwait": "true" };
    return { "pulumi.com/waitFor": waitForExpression(kind), "pulumi.com/timeoutSeconds": String(timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS) };
}

interface Condition {
    type?: string;
    status?: string;
    reason?: string;
    message?: string;
}

/** The job failed: raised from the component's `status` output so `pulumi up` fails with the job's reason. */
export class TrainJobFailedError extends Error {
    constructor(
        readonly resourceName: string,
        readonly kind: string,
        readonly objectName: string,
        readonly reason: string | undefined,
        readonly detail: string | undefined,
        namespace: string | undefined,
    ) {
        const ns = namespace ? ` -n ${namespace}` : "";
        super(
            `TrainJob "${resourceName}": ${kind} "${objectName}" failed${reason ? ` (${reason})` : ""}${detail ? `: ${detail}` : ""}; ` +
                `see \`kubectl describe ${kind.toLowerCase()} ${objectName}${ns}\` and the pod logs, then fix and run \`pulumi up\` again (a changed spec replaces the job)`,
        );
        this.name = "TrainJobFailedError";
    }
}

/**
 * Checks a live `status` after waiting: returns "Complete"/"Failed"/undefined, or throws
 * TrainJobFailedError when `failOnFailure` and the Failed condition is True.
 */
export function terminalState(
    kind: keyof typeof TERMINAL,
    status: unknown,
    ctx: { resourceName: string; objectName: string; namespace?: string },
    failOnFailure: boolean,
): "Complete" | "Failed" | undefined {
    const conditions = ((status as { conditions?: Condition[] } | undefined)?.conditions ?? []).filter((c) => c && c.status === "True");
    const failed = conditions.find((c) => c.type === TERMINAL[kind].failed);
    if (failed) {
        if (failOnFailure) throw new TrainJobFailedError(ctx.resourceName, kind, ctx.objectName, failed.reason, failed.message, ctx.namespace);
        return "Failed";
    }
    return conditions.some((c) => c.type === TERMINAL[kind].complete) ? "Complete" : undefined;
}

/** Rewrites issue paths of the pod builder (`resources.*`) into TrainJob's vocabulary (`resourcesPerNode.*`). */
export function renamePodIssues(e: unknown): never {
    if (e instanceof MlkubeValidationError) {
        throw new MlkubeValidationError(
            e.component,
            e.resourceName,
            e.issues.map((i) => (i.path[0] === "resources" ? { ...i, path: ["resourcesPerNode", ...i.path.slice(1)] } : i)),
        );
    }
    throw e;
}
