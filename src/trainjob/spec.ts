/**
 * What a TrainJob is, as data: its public args (`TrainJobArgs` and the types it uses), the zod schema of
 * each field, and the types every backend shares (`ValidatedTrainJobArgs` in, `RenderedTrainJob` out).
 * Knows no backend: the backends (listed in backends.ts) and the component import this, never the reverse.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { lazy } from "../schema/lazy";
import { PodOptions, Resources, podOptionsShape, resourcesSchema } from "../workload/options";
import { Agree, input, schemaMatches } from "../schema/input";
import { dnsLabel, dnsSubdomain, int32 } from "../schema/names";
import { RuntimePatch, runtimePatchesSchema } from "./patches";
import { Initializers, initializersSchema } from "./initializer";

/** Pulumi type token of {@link TrainJob} components. */
export const TRAINJOB_TYPE = "mlkube:index:TrainJob";

/** What a TrainJob creates: a JobSet (`jobset`), a Kubeflow Trainer TrainJob (`kubeflow`) or a batch/v1 Job (`job`). */
export type TrainJobBackend = "jobset" | "kubeflow" | "job";

/** The backends by name; each is one file under src/trainjob and one line of `BACKENDS` (backends.ts). @internal */
export const TRAINJOB_BACKENDS = ["jobset", "kubeflow", "job"] as const;
schemaMatches<Agree<TrainJobBackend, (typeof TRAINJOB_BACKENDS)[number]>>();

/** An extra port of the training container (Metaflow's `port`): metrics, a debugger, a dashboard. */
export interface TrainJobPort {
    /** Container port, 1–65535. */
    port: number;
    /**
     * Port name: an IANA service name (lowercase letters, digits, '-', at most 15 characters, with a letter).
     * @default none on the container, `port-<port>` on a Service
     */
    name?: string;
    /**
     * Protocol of the port.
     * @default "TCP"
     */
    protocol?: "TCP" | "UDP" | "SCTP";
}

/** The Kubeflow training runtime a TrainJob runs on. */
export interface RuntimeRef {
    /** Name of the ClusterTrainingRuntime or TrainingRuntime (without `runtime`, `torch-distributed`). */
    name: string;
    /**
     * `ClusterTrainingRuntime`, or `TrainingRuntime` (which must be in the TrainJob's namespace).
     * @default "ClusterTrainingRuntime"
     */
    kind?: "ClusterTrainingRuntime" | "TrainingRuntime";
}

/**
 * Arguments of {@link TrainJob}: distributed training with torchrun semantics, plus every pod option
 * ({@link PodOptions}) except `resources` (use `resourcesPerNode`). The job spec is immutable:
 * changes other than `suspend` replace the job (see docs/concepts/trainjob.md).
 */
export interface TrainJobArgs extends Omit<PodOptions, "resources"> {
    /**
     * `jobset`: a JobSet (needs the JobSet controller); `kubeflow`: a Kubeflow Trainer TrainJob
     * (needs Trainer ≥ 2.2; ≥ 2.3 with `terminationGracePeriodSeconds`, the one field mlkube emits that
     * v2.2's TrainJob CRD lacks); `job`: a batch/v1 Job, Indexed with a headless Service for numNodes > 1
     * (needs nothing installed). The training script sees the same torch env on all three.
     * @default "jobset"
     */
    backend?: TrainJobBackend;

    /**
     * Pods (nodes) that train together.
     * @default 1
     */
    numNodes?: number;
    /**
     * Processes per node (torchrun --nproc-per-node).
     * @default auto (GPU count, else CPU count)
     */
    numProcPerNode?: number;
    /** Resources of each node, in Compute's `resources` vocabulary (`gpu: 8`, `memory: "512Gi"`, …). */
    resourcesPerNode?: Resources;
    /**
     * jobset: whole-job restarts after a node fails (failurePolicy.maxRestarts).
     * @default 0
     */
    maxRestarts?: number;
    /**
     * job: pod failures, counted over all nodes, before the Job fails (Job `backoffLimit`). A failed pod is
     * replaced on its own (its index keeps its hostname). With 0 a failed node fails the run, as
     * `maxRestarts: 0` does on the jobset backend.
     * @default 0
     */
    backoffLimit?: number;
    /**
     * job, numNodes > 1: retries of each node (index) on its own (Job `backoffLimitPerIndex`); the other
     * nodes keep running. Without `backoffLimit`, the total is then not capped.
     * @default not set
     */
    backoffLimitPerIndex?: number;
    /**
     * job: exit codes (1–255) of the `node` container that fail the Job at once instead of being retried
     * (a Job `podFailurePolicy` rule with action FailJob), e.g. `[2]` for a usage error.
     * @default none
     */
    noRetryExitCodes?: number[];

    /**
     * Fail the job after this many seconds of running (Metaflow @timeout).
     * @default no deadline
     */
    activeDeadlineSeconds?: number;
    /**
     * jobset, job: delete the finished JobSet/Job (and its pods) after this many seconds.
     * @default kept
     */
    ttlSecondsAfterFinished?: number;
    /**
     * Create suspended / suspend a running job (updates in place; `false` resumes it).
     * @default false
     */
    suspend?: pulumi.Input<boolean>;
    /**
     * Name of the JobSet, TrainJob or Job.
     * @default the component name
     */
    name?: string;
    /**
     * Namespace.
     * @default `mlkube:namespace`, else the provider's
     */
    namespace?: pulumi.Input<string>;
    /**
     * kubeflow: the training runtime.
     * @default `{ name: "torch-distributed", kind: "ClusterTrainingRuntime" }`
     */
    runtime?: RuntimeRef;
    /**
     * Hand the job to another controller (e.g. "kueue.x-k8s.io/multikueue"); immutable, so a change replaces the job.
     * @default the JobSet/Trainer controller
     */
    managedBy?: string;
    /**
     * Patches of the runtime's JobSet, typed after the Kubeflow SDK's RuntimePatch; applied on both backends.
     * @default none
     */
    runtimePatches?: RuntimePatch[];
    /**
     * Fetch a dataset and/or a model before training (the Kubeflow SDK's Initializer): the training
     * script finds them at `/workspace/dataset` and `/workspace/model` on every backend. jobset:
     * replicated jobs `dataset-initializer`/`model-initializer` that `node` waits for, sharing a
     * ReadWriteMany `volume`; job: init containers in every pod (an emptyDir per kind unless `volume`);
     * kubeflow: `spec.initializer` (needs a runtime with initializer jobs; the stock `torch-distributed`
     * has none).
     * @default none
     */
    initializer?: Initializers;
    /**
     * Extra ports of the `node` container (metrics, debugger). Pods are reached directly at
     * `<pod hostname>.<name>:<port>` through the headless Service; on backend "job" (numNodes > 1) they are
     * also ports of mlkube's headless Service. Not supported with backend "kubeflow" (the Trainer API has
     * no container ports).
     * @default none
     */
    ports?: TrainJobPort[];
    /**
     * The torch rendezvous (master) port: PET_MASTER_PORT / MASTER_PORT and the container port pod 0
     * listens on. Backend "kubeflow": fixed at 29500 by the Trainer's torch plugin.
     * @default 29500
     */
    masterPort?: number;
    /**
     * Kueue LocalQueue to submit the job to: the label `kueue.x-k8s.io/queue-name` on the JobSet, TrainJob
     * or Job (not on the pods). The job is created suspended; Kueue resumes it when it admits it, and mlkube
     * leaves `spec.suspend` to Kueue from then on (no diff on the next `pulumi up`). Needs Kueue installed
     * with the matching integration. `false` opts out of the stack default.
     * @default stack config `mlkube:queue`, else not queued
     */
    queue?: string | false;
    /**
     * With a queue: Kueue WorkloadPriorityClass name, the label `kueue.x-k8s.io/priority-class` (orders and
     * preempts workloads in Kueue; not the pods' `priorityClassName`).
     * @default none
     */
    priorityClass?: string;

    /**
     * Make `pulumi up` wait until the job succeeds, and fail with the job's reason when it fails; `false`:
     * `pulumi up` returns once the job is created.
     * @default false
     */
    waitForCompletion?: boolean;
    /**
     * With waitForCompletion: give up after this many seconds (86400: 24 hours).
     * @default 86400
     */
    timeout?: number;
}

/** Kubernetes caps an Indexed Job's completions (one per node) at 100,000. */
export const MAX_NUM_NODES = 100_000;

/** The fields of TrainJobArgs, each on its own; the cross-field rules are `trainJobRuleIssues` (rules.ts). @internal */
export const trainJobFieldsSchema = lazy(() => {
    const { resources: _resources, ...podShapeWithoutResources } = podOptionsShape();
    return z.strictObject({
        ...podShapeWithoutResources,
        backend: z.enum(TRAINJOB_BACKENDS).optional(),
        numNodes: int32(1)
            .max(MAX_NUM_NODES, { error: `must be at most ${MAX_NUM_NODES} (the Indexed Job limit on completions)` })
            .optional(),
        numProcPerNode: int32(1).optional(),
        resourcesPerNode: resourcesSchema().optional(),
        maxRestarts: int32().optional(),
        backoffLimit: int32().optional(),
        backoffLimitPerIndex: int32().optional(),
        noRetryExitCodes: z.array(z.number().int().min(1).max(255)).min(1).max(255).optional(),
        activeDeadlineSeconds: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        ttlSecondsAfterFinished: int32().optional(),
        suspend: input(z.boolean()).optional(),
        name: z.string().optional(),
        namespace: input(dnsLabel()).optional(),
        runtime: z
            .strictObject({
                name: dnsSubdomain(),
                kind: z.enum(["ClusterTrainingRuntime", "TrainingRuntime"]).optional(),
            })
            .optional(),
        managedBy: z.string().min(1).max(253).optional(),
        runtimePatches: runtimePatchesSchema().optional(),
        ports: z
            .array(
                z.strictObject({
                    port: z.number().int().min(1).max(65535),
                    name: dnsLabel(15)
                        .refine((n) => /[a-z]/.test(n), {
                            error: (iss) => `${JSON.stringify(iss.input)} must contain a letter (an IANA service name)`,
                        })
                        .optional(),
                    protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
                }),
            )
            .max(64)
            .optional(),
        masterPort: z.number().int().min(1).max(65535).optional(),
        initializer: initializersSchema().optional(),
        queue: z.union([dnsLabel(), z.literal(false)]).optional(),
        priorityClass: dnsLabel().optional(),
        waitForCompletion: z.boolean().optional(),
        timeout: int32(1).optional(),
    });
});

/** @internal */
export type ValidatedTrainJobArgs = z.output<ReturnType<typeof trainJobFieldsSchema>>;

/** What a backend's `render` returns: the object for `apiextensions.CustomResource` and how to manage it. @internal */
export interface RenderedTrainJob {
    object: {
        apiVersion: string;
        kind: "JobSet" | "TrainJob" | "Job";
        metadata: Record<string, unknown>;
        spec: Record<string, unknown>;
    };
    /** The headless Service the pods resolve each other through, when the backend needs its own (job). */
    service?: Record<string, unknown>;
    dependencies: pulumi.Resource[];
    /** Immutable paths: a change replaces the object (deleted first: the name is fixed). */
    replaceOnChanges: string[];
    /** Paths another controller owns after create (Kueue's `spec.suspend`). */
    ignoreChanges?: string[];
    objectName: string;
    /** Pod 0's address inside the namespace (`<name>-node-0-0.<name>`), or LOCAL_MASTER for a lone pod without a Service. */
    masterHost: string;
}
