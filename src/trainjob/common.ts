/**
 * What the TrainJob backends share: names and their DNS limits, the torch rendezvous environment,
 * the lifecycle annotations (waitFor/timeout/skipAwait) and the terminal-state check.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { ValidationIssue } from "../errors";
import { parseQuantity } from "../schema/quantity";

export const TRAINJOB_COMPONENT = "TrainJob";
/** The replicated job and container name on both backends (the Kubeflow runtimes' convention). */
export const NODE = "node";
/** Default rendezvous (master) port: torchrun's and the Kubeflow torch plugin's. */
export const MASTER_PORT = 29500;

/** Name of the rendezvous port on a headless Service (user ports may not take it). @internal */
export const RENDEZVOUS_PORT_NAME = "rendezvous";
/** PET_MASTER_ADDR of a single-pod job without a Service (torchrun's own default). */
export const LOCAL_MASTER = "127.0.0.1";
/** Default `timeout` with waitForCompletion (training runs for hours; the provider's default is minutes). */
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 24 * 3600;

/** The env vars the Kubeflow torch plugin sets; the Trainer rejects them in `spec.trainer.env`. */
export const PET_ENV = ["PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"];
/**
 * The plain torch.distributed variables mlkube sets on both backends, for launchers that are not torchrun
 * (Lightning, Accelerate, a plain `init_process_group`). Not WORLD_SIZE/RANK: torchrun sets those for each
 * worker (WORLD_SIZE = total processes, not nodes), and a per-node value would contradict it.
 */
export const TORCH_ENV = ["MASTER_ADDR", "MASTER_PORT", "NODE_RANK"];

/** What to do instead of setting a reserved rendezvous variable in `env`. */
export const RESERVED_ENV_FIX: Record<string, string> = {
    PET_NNODES: "set numNodes",
    PET_NPROC_PER_NODE: "set numProcPerNode",
    PET_NODE_RANK: "it comes from each pod's completion index; remove it",
    NODE_RANK: "it comes from each pod's completion index; remove it",
    PET_MASTER_ADDR: "it is pod 0's DNS name; remove it",
    MASTER_ADDR: "it is pod 0's DNS name; remove it",
    PET_MASTER_PORT: `the rendezvous port is masterPort (default ${29500}), which the pods expose; remove it (set masterPort) and have the program use MASTER_PORT`,
    MASTER_PORT: `the rendezvous port is masterPort (default ${29500}), which the pods expose; remove it (set masterPort) and have the program use MASTER_PORT`,
};

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
 * Problems with the object name: an RFC 1035 label (TrainJob CEL, JobSet subdomain, Service name), and
 * short enough that the longest pod name the JobSet webhook checks, `<name>-node-0-<numNodes-1>-abcde`,
 * is ≤63. `longest` overrides that last rule for other backends: it returns the longest name that must
 * fit in 63 characters and what it is, or undefined when nothing but the name itself must fit.
 */
export function nameIssues(
    objectName: string,
    numNodes: number,
    path: (string | number)[],
    longest: (objectName: string, numNodes: number) => { name: string; what: string } | undefined = (n, k) => ({
        name: `${podHostname(n, k - 1)}-abcde`,
        what: `"${podHostname(n, k - 1)}" plus the 5-character pod suffix`,
    }),
): ValidationIssue[] {
    if (!DNS1035.test(objectName) || objectName.length > 63) {
        const fixed =
            objectName
                .toLowerCase()
                .replace(/[^a-z0-9-]+/g, "-")
                .replace(/^[^a-z]+/, "")
                .replace(/-+$/, "")
                .slice(0, 40) || "train";
        return [
            {
                path,
                message: `${JSON.stringify(objectName)} is not a valid TrainJob/JobSet name (an RFC 1035 label: lowercase letters, digits and '-', starting with a letter, ending with a letter or digit); use ${JSON.stringify(fixed)}`,
            },
        ];
    }
    const long = longest(objectName, numNodes);
    if (long && long.name.length > 63) {
        const max = objectName.length - (long.name.length - 63);
        return [
            {
                path,
                message: `${JSON.stringify(objectName)} is too long for the pod names it produces: ${long.what} is ${long.name.length} characters, more than 63; with numNodes ${numNodes} use a name of at most ${max} characters`,
            },
        ];
    }
    return [];
}

const COMPLETION_INDEX = {
    fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
};

/**
 * PET_NPROC_PER_NODE by Trainer v2.3's torch plugin rule: `numProcPerNode` when given; else "auto" (one
 * worker per GPU) when any requested resource's name contains "gpu"; else max(1, ceil(CPU request, or
 * limit)); no CPU at all → 1. A GPU resource whose name lacks "gpu" (e.g. a MIG slice
 * `nvidia.com/mig-1g.10gb`, `habana.ai/gaudi`) takes the CPU branch, as in the Trainer: set numProcPerNode.
 */
export function procPerNode(
    numProcPerNode: number | undefined,
    resources: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } | undefined,
): string {
    if (numProcPerNode !== undefined) return String(numProcPerNode);
    const names = [...Object.keys(resources?.requests ?? {}), ...Object.keys(resources?.limits ?? {})];
    if (names.some((n) => n.toLowerCase().includes("gpu"))) return "auto";
    const cpu = resources?.requests?.cpu ?? resources?.limits?.cpu;
    if (typeof cpu !== "string" && typeof cpu !== "number") return "1";
    return String(Math.max(1, Math.ceil(parseQuantity(String(cpu)))));
}

/** Where the nodes meet: pod 0's address and port, and where each pod reads its node rank. */
export interface Rendezvous {
    host: string;
    port: number;
    /** The value part of the NODE_RANK env var: the completion index, or a fixed "0". */
    rank: Pick<k8s.core.v1.EnvVar, "value" | "valueFrom">;
}

/** Rank from the Indexed Job's completion index (JobSet and Indexed Job pods). */
export const INDEXED_RANK: Rendezvous["rank"] = { valueFrom: COMPLETION_INDEX };

/** The JobSet/Kubeflow rendezvous: pod 0 at `<name>-node-0-0.<name>`, rank from the completion index. */
export function jobSetRendezvous(objectName: string, port: number = MASTER_PORT): Rendezvous {
    return { host: masterHost(objectName), port, rank: INDEXED_RANK };
}

/** The plain torch.distributed env (every backend): MASTER_ADDR, MASTER_PORT, NODE_RANK. */
export function torchEnv(objectName: string, r: Rendezvous = jobSetRendezvous(objectName)): k8s.core.v1.EnvVar[] {
    return [
        { name: "MASTER_ADDR", value: r.host },
        { name: "MASTER_PORT", value: String(r.port) },
        { name: "NODE_RANK", ...r.rank },
    ];
}

/** The env the Kubeflow torch plugin injects (PET_*), for the jobset and job backends. */
export function petEnv(
    objectName: string,
    numNodes: number,
    nproc: string,
    r: Rendezvous = jobSetRendezvous(objectName),
): k8s.core.v1.EnvVar[] {
    return [
        { name: "PET_NNODES", value: String(numNodes) },
        { name: "PET_NPROC_PER_NODE", value: nproc },
        { name: "PET_NODE_RANK", ...r.rank },
        { name: "PET_MASTER_ADDR", value: r.host },
        { name: "PET_MASTER_PORT", value: String(r.port) },
    ];
}

/** An extra port of the `node` container (validated args). */
export interface NodePort {
    port: number;
    name?: string;
    protocol?: "TCP" | "UDP" | "SCTP";
}

/** Container ports of the `node` container: the rendezvous port (when other pods connect to it), then the user's. */
export function containerPorts(
    rendezvous: number | undefined,
    ports: NodePort[] | undefined,
): k8s.core.v1.ContainerPort[] | undefined {
    const out: k8s.core.v1.ContainerPort[] = rendezvous === undefined ? [] : [{ containerPort: rendezvous }];
    for (const p of ports ?? [])
        out.push({
            containerPort: p.port,
            ...(p.name ? { name: p.name } : {}),
            ...(p.protocol ? { protocol: p.protocol } : {}),
        });
    return out.length ? out : undefined;
}

/** The name of a user port on a Service (names are required there once there are two ports). */
export function servicePortName(p: NodePort): string {
    return p.name ?? (p.protocol && p.protocol !== "TCP" ? `${p.protocol.toLowerCase()}-${p.port}` : `port-${p.port}`);
}

/** Kueue's LocalQueue label (on the JobSet/TrainJob/Job, never the pods). */
export const KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name";
/** Kueue's WorkloadPriorityClass label. */
export const KUEUE_PRIORITY_LABEL = "kueue.x-k8s.io/priority-class";

/** The Kueue labels of a queued job object (`queue` already resolved against `mlkube:queue`). */
export function queueLabels(queue: string | undefined, priorityClass: string | undefined): Record<string, string> {
    if (!queue) return {};
    return priorityClass
        ? { [KUEUE_QUEUE_LABEL]: queue, [KUEUE_PRIORITY_LABEL]: priorityClass }
        : { [KUEUE_QUEUE_LABEL]: queue };
}

/**
 * `spec.suspend` of the job object: a queued job starts suspended (Kueue's documented contract: its
 * webhook suspends queued jobs on create and its controller resumes them on admission), else the user's.
 */
export function suspendOf<T>(queue: string | undefined, suspend: T): T | true | undefined {
    return queue ? true : suspend;
}

/** The terminal condition types of each kind. */
export const TERMINAL = {
    JobSet: { complete: "Completed", failed: "Failed" },
    TrainJob: { complete: "Complete", failed: "Failed" },
    Job: { complete: "Complete", failed: "Failed" },
} as const;

/**
 * `pulumi.com/waitFor`: stop waiting on either terminal condition (a plain `condition=Completed` would
 * hang until the timeout when the job fails). The component then reads `status` and fails on Failed.
 */
export function waitForExpression(kind: keyof typeof TERMINAL): string {
    const t = TERMINAL[kind];
    return `jsonpath={.status.conditions[?(@.status=='True' && (@.type=='${t.complete}' || @.type=='${t.failed}'))].type}`;
}

/**
 * What a waited job (waitForCompletion) declares as its desired `status`, so that a job whose recorded
 * state is not final differs from the program and is updated, i.e. waited for, again: the provider diffs
 * the program against the live object it recorded (pruned to the inputs), and a `pulumi refresh` after an
 * interrupted `pulumi up` records a running job without the initialization error that would have made
 * the next `up` wait (pulumi-kubernetes Read has no await for custom resources). The API server ignores
 * `status` in what is applied (a status subresource), so this changes no object. Only kinds with one field
 * that is "Completed" exactly when the job succeeded: JobSet `status.terminalState`. A batch/v1 Job needs
 * none (the provider's Read checks a Job's completion itself, so the initialization error survives a
 * refresh); a Kubeflow TrainJob has no such field (its conditions are a list, compared by position).
 * See docs/operations.md.
 */
export const DECLARED_FINISH: { [K in keyof typeof TERMINAL]?: Record<string, string> } = {
    JobSet: { terminalState: "Completed" },
};

/** Lifecycle annotations of the emitted object. */
export function lifecycleAnnotations(
    kind: keyof typeof TERMINAL,
    wait: boolean | undefined,
    timeout: number | undefined,
): Record<string, string> {
    if (!wait) return { "pulumi.com/skipAwait": "true" };
    return {
        "pulumi.com/waitFor": waitForExpression(kind),
        "pulumi.com/timeoutSeconds": String(timeout ?? DEFAULT_WAIT_TIMEOUT_SECONDS),
    };
}

interface Condition {
    type?: string;
    status?: string;
    reason?: string;
    message?: string;
}

/** The job failed: raised from the component's `status` output so `pulumi up` fails with the job's reason. */
export class TrainJobFailedError extends Error {
    /**
     * Built by mlkube when `waitForCompletion` sees the job fail.
     * @param resourceName The TrainJob component's Pulumi resource name.
     * @param kind Kind of the failed object: `JobSet` or `TrainJob`.
     * @param objectName Kubernetes name of the failed object.
     * @param reason The Failed condition's `reason`, if any.
     * @param detail The Failed condition's `message`, if any.
     * @param namespace Namespace of the object, for the `kubectl describe` hint.
     */
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
                `the failed containers' last log lines are their termination messages: \`kubectl get pods${ns} -l ${kind === "Job" ? "batch.kubernetes.io/job-name" : "jobset.sigs.k8s.io/jobset-name"}=${objectName} -o jsonpath='{range .items[*]}{.metadata.name}: {.status.containerStatuses[*].state.terminated.message}{"\\n"}{end}'\`; ` +
                `see also \`kubectl describe ${kind.toLowerCase()} ${objectName}${ns}\`, then fix and run \`pulumi up\` again (a changed spec replaces the job)`,
        );
        this.name = "TrainJobFailedError";
    }
}

/**
 * `pulumi up` finished a TrainJob with waitForCompletion whose job is still running: the wait did not happen
 * (e.g. a Kubeflow TrainJob after an interrupted `up` and a `pulumi refresh`). Failing beats reporting
 * success for a job that has not finished (docs/operations.md).
 */
export class TrainJobNotWaitedError extends Error {
    constructor(resourceName: string, kind: string, objectName: string, namespace: string | undefined) {
        const ns = namespace ? ` -n ${namespace}` : "";
        super(
            `TrainJob "${resourceName}": waitForCompletion: ${kind} "${objectName}" has not finished, and this update did not wait for it ` +
                `(its last \`pulumi up\` was interrupted, and \`pulumi refresh\` recorded it as running); ` +
                `wait for it with \`kubectl wait${ns} ${kind.toLowerCase()}/${objectName} --for=jsonpath='{.status.conditions[?(@.type=="${TERMINAL[kind as keyof typeof TERMINAL]?.complete ?? "Complete"}")].status}'=True --timeout=24h\`, ` +
                `then run \`pulumi refresh\` and \`pulumi up\``,
        );
        this.name = "TrainJobNotWaitedError";
    }
}

/**
 * Whether `status` is one a controller wrote (a field other than the ones the program declared), not an
 * echo of the program's inputs (mocks, `mlkube render`) or a status not written yet.
 */
export function observedStatus(status: unknown, declared: Record<string, unknown> | undefined): boolean {
    if (!status || typeof status !== "object" || Array.isArray(status)) return false;
    return Object.keys(status).some((k) => !declared || !Object.prototype.hasOwnProperty.call(declared, k));
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
    const conditions = ((status as { conditions?: Condition[] } | undefined)?.conditions ?? []).filter(
        (c) => c && c.status === "True",
    );
    const failed = conditions.find((c) => c.type === TERMINAL[kind].failed);
    if (failed) {
        if (failOnFailure)
            throw new TrainJobFailedError(
                ctx.resourceName,
                kind,
                ctx.objectName,
                failed.reason,
                failed.message,
                ctx.namespace,
            );
        return "Failed";
    }
    return conditions.some((c) => c.type === TERMINAL[kind].complete) ? "Complete" : undefined;
}
