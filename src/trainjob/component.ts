/**
 * TrainJob: multi-node training with one API and three backends. `backend: "jobset"` (default) emits a
 * JobSet (jobset.x-k8s.io/v1alpha2) with the Kubeflow torch runtime's rendezvous environment;
 * `backend: "kubeflow"` emits a Kubeflow Trainer TrainJob (trainer.kubeflow.org/v1alpha1) whose pod
 * options travel as a runtime patch; `backend: "job"` emits a batch/v1 Job (Indexed, with a headless
 * Service, for several nodes) and needs no controller. Pods are assembled by the shared pod builder.
 */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions";
import { Job } from "@pulumi/kubernetes/batch/v1";
import { Service } from "@pulumi/kubernetes/core/v1";
import { z } from "zod";
import { applyStackDefaults } from "../workload/defaults";
import { PodOptions, Resources, podOptionsShape, resourcesSchema } from "../workload/options";
import { Agree, checkResourceArgs, Resolved, input, schemaMatches, validateAndRender } from "../schema/input";
import { dnsLabel, dnsSubdomain, int32 } from "../schema/names";
import { asPulumiError, MlkubeValidationError, ValidationIssue } from "../errors";
import { LOCAL_MASTER, MASTER_PORT, TRAINJOB_COMPONENT, terminalState, nameIssues, TERMINAL, DECLARED_FINISH, observedStatus, TrainJobNotWaitedError } from "./common";
import { reservedEnvMessage } from "./reserved-env";
import { mlkubeConfig } from "../config";
import { domainPrefixedPathProblem, RuntimePatch, runtimePatchesSchema } from "./patches";
import { renderJobSet } from "./jobset";
import { claimObjects } from "../registry";
import { keepFieldManager } from "../metadata";
import { DEFAULT_RUNTIME, renderKubeflowTrainJob } from "./kubeflow";
import { jobLongestName, renderJob, RENDEZVOUS_PORT_NAME } from "./job";
import { initializerIssues, Initializers, initializersSchema } from "./initializer";

/** Pulumi type token of {@link TrainJob} components. */
export const TRAINJOB_TYPE = "mlkube:index:TrainJob";

/** What a TrainJob creates: a JobSet (`jobset`), a Kubeflow Trainer TrainJob (`kubeflow`) or a batch/v1 Job (`job`). */
export type TrainJobBackend = "jobset" | "kubeflow" | "job";

/** An extra port of the training container (Metaflow's `port`): metrics, a debugger, a dashboard. */
export interface TrainJobPort {
    /** Container port, 1–65535. */
    port: number;
    /** Port name: an IANA service name (lowercase letters, digits, '-', at most 15 characters, with a letter). Default: none on the container, `port-<port>` on a Service. */
    name?: string;
    /** Default `TCP`. */
    protocol?: "TCP" | "UDP" | "SCTP";
}

/** The Kubeflow training runtime a TrainJob runs on. */
export interface RuntimeRef {
    /** Default `torch-distributed`. */
    name: string;
    /** Default `ClusterTrainingRuntime`; `TrainingRuntime` must be in the TrainJob's namespace. */
    kind?: "ClusterTrainingRuntime" | "TrainingRuntime";
}

/**
 * Arguments of {@link TrainJob}: distributed training with torchrun semantics, plus every pod option
 * ({@link PodOptions}) except `resources` (use `resourcesPerNode`). The job spec is immutable:
 * changes other than `suspend` replace the job (see docs/concepts/trainjob.md).
 */
export interface TrainJobArgs extends Omit<PodOptions, "resources"> {
    /**
     * `jobset` (default): a JobSet (needs the JobSet controller); `kubeflow`: a Kubeflow Trainer TrainJob
     * (needs Trainer ≥ 2.2; ≥ 2.3 with `terminationGracePeriodSeconds`, the one field mlkube emits that
     * v2.2's TrainJob CRD lacks); `job`: a batch/v1 Job, Indexed with a headless Service for numNodes > 1
     * (needs nothing installed). The training script sees the same torch env on all three.
     */
    backend?: TrainJobBackend;

    /** Pods (nodes) that train together. Default 1. */
    numNodes?: number;
    /** Processes per node (torchrun --nproc-per-node). Default: auto (GPU count, else CPU count). */
    numProcPerNode?: number;
    /** Resources of each node, in Compute's `resources` vocabulary (`gpu: 8`, `memory: "512Gi"`, …). */
    resourcesPerNode?: Resources;
    /** jobset: whole-job restarts after a node fails (failurePolicy.maxRestarts). Default 0. */
    maxRestarts?: number;
    /**
     * job: pod failures, counted over all nodes, before the Job fails (Job `backoffLimit`). A failed pod is
     * replaced on its own (its index keeps its hostname). Default 0: a failed node fails the run, as
     * `maxRestarts: 0` does on the jobset backend.
     */
    backoffLimit?: number;
    /**
     * job, numNodes > 1: retries of each node (index) on its own (Job `backoffLimitPerIndex`); the other
     * nodes keep running. Without `backoffLimit`, the total is then not capped. Default: not set.
     */
    backoffLimitPerIndex?: number;
    /**
     * job: exit codes (1–255) of the `node` container that fail the Job at once instead of being retried
     * (a Job `podFailurePolicy` rule with action FailJob), e.g. `[2]` for a usage error. Default: none.
     */
    noRetryExitCodes?: number[];

    /** Fail the job after this many seconds of running (Metaflow @timeout). Default: no deadline. */
    activeDeadlineSeconds?: number;
    /** jobset, job: delete the finished JobSet/Job (and its pods) after this many seconds. Default: kept. */
    ttlSecondsAfterFinished?: number;
    /** Create suspended / suspend a running job (updates in place; `false` resumes it). Default false. */
    suspend?: pulumi.Input<boolean>;
    /** Name of the JobSet/TrainJob. Default: the component name. */
    name?: string;
    /** Namespace. Default: `mlkube:namespace`, else the provider's. */
    namespace?: pulumi.Input<string>;
    /** kubeflow: the training runtime. Default `{ name: "torch-distributed", kind: "ClusterTrainingRuntime" }`. */
    runtime?: RuntimeRef;
    /** Hand the job to another controller (e.g. "kueue.x-k8s.io/multikueue"); immutable, so a change replaces the job. Default: the JobSet/Trainer controller. */
    managedBy?: string;
    /** Patches of the runtime's JobSet, typed after the Kubeflow SDK's RuntimePatch; applied on both backends. Default: none. */
    runtimePatches?: RuntimePatch[];
    /**
     * Fetch a dataset and/or a model before training (the Kubeflow SDK's Initializer): the training
     * script finds them at `/workspace/dataset` and `/workspace/model` on every backend. jobset:
     * replicated jobs `dataset-initializer`/`model-initializer` that `node` waits for, sharing a
     * ReadWriteMany `volume`; job: init containers in every pod (an emptyDir per kind unless `volume`);
     * kubeflow: `spec.initializer` (needs a runtime with initializer jobs; the stock `torch-distributed`
     * has none). Default: none.
     */
    initializer?: Initializers;
    /**
     * Extra ports of the `node` container (metrics, debugger). Pods are reached directly at
     * `<pod hostname>.<name>:<port>` through the headless Service; on backend "job" (numNodes > 1) they are
     * also ports of mlkube's headless Service. Not supported with backend "kubeflow" (the Trainer API has
     * no container ports). Default: none.
     */
    ports?: TrainJobPort[];
    /**
     * The torch rendezvous (master) port: PET_MASTER_PORT / MASTER_PORT and the container port pod 0
     * listens on. Default 29500. Backend "kubeflow": fixed at 29500 by the Trainer's torch plugin.
     */
    masterPort?: number;
    /**
     * Kueue LocalQueue to submit the job to: the label `kueue.x-k8s.io/queue-name` on the JobSet, TrainJob
     * or Job (not on the pods). The job is created suspended; Kueue resumes it when it admits it, and mlkube
     * leaves `spec.suspend` to Kueue from then on (no diff on the next `pulumi up`). Needs Kueue installed
     * with the matching integration. Default: stack config `mlkube:queue`, else not queued; `false` opts out
     * of the stack default.
     */
    queue?: string | false;
    /**
     * With a queue: Kueue WorkloadPriorityClass name, the label `kueue.x-k8s.io/priority-class` (orders and
     * preempts workloads in Kueue; not the pods' `priorityClassName`). Default: none.
     */
    priorityClass?: string;

    /** Make `pulumi up` wait until the job succeeds, and fail with the job's reason when it fails. Default false (`pulumi up` returns once the job is created). */
    waitForCompletion?: boolean;
    /** With waitForCompletion: give up after this many seconds. Default 86400 (24h). */
    timeout?: number;
}

const { resources: _resources, ...podShapeWithoutResources } = podOptionsShape;

/** Kubernetes caps an Indexed Job's completions (one per node) at 100,000. */
export const MAX_NUM_NODES = 100_000;

const KUBEFLOW_MANAGERS = ["trainer.kubeflow.org/trainjob-controller", "kueue.x-k8s.io/multikueue"];

/** The fields of TrainJobArgs, each on its own; the cross-field rules are `trainJobRuleIssues`. @internal */
export const trainJobFieldsSchema = z
    .strictObject({
        ...podShapeWithoutResources,
        backend: z.enum(["jobset", "kubeflow", "job"]).optional(),
        numNodes: int32(1).max(MAX_NUM_NODES, { error: `must be at most ${MAX_NUM_NODES} (the Indexed Job limit on completions)` }).optional(),
        numProcPerNode: int32(1).optional(),
        resourcesPerNode: resourcesSchema.optional(),
        maxRestarts: int32().optional(),
        backoffLimit: int32().optional(),
        backoffLimitPerIndex: int32().optional(),
        noRetryExitCodes: z.array(z.number().int().min(1).max(255)).min(1).max(255).optional(),
        activeDeadlineSeconds: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        ttlSecondsAfterFinished: int32().optional(),
        suspend: input(z.boolean()).optional(),
        name: z.string().optional(),
        namespace: input(dnsLabel()).optional(),
        runtime: z.strictObject({ name: dnsSubdomain, kind: z.enum(["ClusterTrainingRuntime", "TrainingRuntime"]).optional() }).optional(),
        managedBy: z.string().min(1).max(253).optional(),
        runtimePatches: runtimePatchesSchema.optional(),
        ports: z
            .array(
                z.strictObject({
                    port: z.number().int().min(1).max(65535),
                    name: dnsLabel(15)
                        .refine((n) => /[a-z]/.test(n), { error: (iss) => `${JSON.stringify(iss.input)} must contain a letter (an IANA service name)` })
                        .optional(),
                    protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
                }),
            )
            .max(64)
            .optional(),
        masterPort: z.number().int().min(1).max(65535).optional(),
        initializer: initializersSchema.optional(),
        queue: z.union([dnsLabel(), z.literal(false)]).optional(),
        priorityClass: dnsLabel().optional(),
        waitForCompletion: z.boolean().optional(),
        timeout: int32(1).optional(),
    });

/**
 * The rules that tie TrainJob fields together (reserved env, backend-specific fields). Written over the
 * raw args, so they run even when some field is malformed: every problem is reported at once.
 * @internal
 */
export function trainJobRuleIssues(raw: unknown): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (!raw || typeof raw !== "object") return issues;
    const a = raw as Record<string, unknown>;
    const kubeflow = a.backend === "kubeflow";
    const job = a.backend === "job";
    if (!job) {
        for (const k of ["backoffLimit", "backoffLimitPerIndex", "noRetryExitCodes"] as const) {
            if (a[k] !== undefined) issues.push({ path: [k], message: `only applies with backend "job" (a batch/v1 Job's retry settings)${kubeflow ? "" : "; the jobset backend restarts the whole JobSet with maxRestarts"}` });
        }
    } else {
        if (a.maxRestarts !== undefined) issues.push({ path: ["maxRestarts"], message: `is not supported with backend "job" (a Job retries failed pods, not the whole run); use backoffLimit` });
        if (a.backoffLimitPerIndex !== undefined && (a.numNodes ?? 1) === 1) {
            issues.push({ path: ["backoffLimitPerIndex"], message: "needs numNodes > 1 (an Indexed Job); with one node use backoffLimit" });
        }
        if (a.runtimePatches !== undefined) issues.push({ path: ["runtimePatches"], message: `only applies to backends "jobset" and "kubeflow" (they patch a JobSet); with backend "job" use podPatch` });
    }
    const rdzvPort = typeof a.masterPort === "number" ? a.masterPort : MASTER_PORT;
    const seenPorts = new Map<string, number>();
    const seenNames = new Map<string, number>();
    (Array.isArray(a.ports) ? (a.ports as unknown[]) : []).forEach((item, i) => {
        if (!item || typeof item !== "object") return;
        const p = item as { port?: unknown; name?: unknown; protocol?: unknown };
        const key = `${String(p.port)}/${typeof p.protocol === "string" ? p.protocol : "TCP"}`;
        if (seenPorts.has(key)) issues.push({ path: ["ports", i, "port"], message: `${key} is already ports[${seenPorts.get(key)}]; list each port once` });
        seenPorts.set(key, i);
        if (typeof p.name === "string") {
            if (seenNames.has(p.name)) issues.push({ path: ["ports", i, "name"], message: `${JSON.stringify(p.name)} is already the name of ports[${seenNames.get(p.name)}]; port names must be unique` });
            seenNames.set(p.name, i);
            if (p.name === RENDEZVOUS_PORT_NAME) issues.push({ path: ["ports", i, "name"], message: `"${RENDEZVOUS_PORT_NAME}" is the name of the rendezvous port; pick another name` });
        }
        if (p.port === rdzvPort && (p.protocol ?? "TCP") === "TCP") {
            issues.push({ path: ["ports", i, "port"], message: `${p.port} is the rendezvous port (masterPort${a.masterPort === undefined ? ", default 29500" : ""}); use another port, or change masterPort` });
        }
    });
    const env = a.env && typeof a.env === "object" && Object.getPrototypeOf(a.env) === Object.prototype ? Object.keys(a.env) : [];
    for (const k of env) {
        const why = reservedEnvMessage(k, kubeflow);
        if (why) issues.push({ path: ["env", k], message: `is reserved: ${why}` });
    }
    if (a.timeout !== undefined && a.waitForCompletion !== true) issues.push({ path: ["timeout"], message: "only applies with waitForCompletion: true" });
    const managedBy = typeof a.managedBy === "string" ? a.managedBy : undefined;
    if (kubeflow) {
        const why = `the Kubeflow TrainJob API has no such field (the runtime's JobSet decides it); set it in the training runtime, or use backend "jobset"`;
        if (a.maxRestarts !== undefined) issues.push({ path: ["maxRestarts"], message: `is not supported with backend "kubeflow": ${why}` });
        if (a.ttlSecondsAfterFinished !== undefined) issues.push({ path: ["ttlSecondsAfterFinished"], message: `is not supported with backend "kubeflow": ${why}` });
        if (a.ports !== undefined) {
            issues.push({ path: ["ports"], message: `is not supported with backend "kubeflow": neither spec.trainer nor a runtime patch can add container ports (the Trainer's torch plugin adds only 29500); set them in the training runtime, or use backend "jobset" or "job"` });
        }
        if (a.masterPort !== undefined && a.masterPort !== MASTER_PORT) {
            issues.push({ path: ["masterPort"], message: `cannot be changed with backend "kubeflow": the Trainer's torch plugin sets PET_MASTER_PORT to ${MASTER_PORT} itself and rejects it in spec.trainer.env; use backend "jobset" or "job"` });
        }
        if (managedBy !== undefined && !KUBEFLOW_MANAGERS.includes(managedBy)) {
            issues.push({ path: ["managedBy"], message: `${JSON.stringify(managedBy)} is not accepted by the Trainer; use ${KUBEFLOW_MANAGERS.map((m) => JSON.stringify(m)).join(" or ")}` });
        }
    } else if (a.backend === undefined || a.backend === "jobset" || job) {
        if (a.runtime !== undefined) issues.push({ path: ["runtime"], message: `only applies with backend "kubeflow" (the jobset backend builds the JobSet itself)` });
        if (managedBy !== undefined && managedBy.length > 0) {
            const problem = managedBy.length > 63 ? "must be at most 63 characters" : domainPrefixedPathProblem(managedBy);
            if (problem) issues.push({ path: ["managedBy"], message: `${JSON.stringify(managedBy)} ${problem}` });
        }
    }
    return issues;
}

/** TrainJobArgs: the fields and the rules between them. @internal */
export const trainJobArgsSchema = trainJobFieldsSchema.superRefine((a, ctx) => {
    for (const i of trainJobRuleIssues(a)) ctx.addIssue({ code: "custom", path: [...i.path], message: i.message });
});
schemaMatches<Agree<Resolved<TrainJobArgs>, z.input<typeof trainJobArgsSchema>>>();

/** @internal */
export type ValidatedTrainJobArgs = z.output<typeof trainJobArgsSchema>;

/** What a renderer returns: the object for `apiextensions.CustomResource` and how to manage it. */
export interface RenderedTrainJob {
    object: { apiVersion: string; kind: "JobSet" | "TrainJob" | "Job"; metadata: Record<string, unknown>; spec: Record<string, unknown> };
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

/** Validates names and renders the object for validated args (pure; used by the component and tests). @internal */
export function renderTrainJob(name: string, args: ValidatedTrainJobArgs): RenderedTrainJob {
    const objectName = args.name ?? name;
    const issues: ValidationIssue[] = nameIssues(objectName, args.numNodes ?? 1, args.name === undefined ? [] : ["name"], args.backend === "job" ? jobLongestName : undefined);
    // Kueue: the stack default applies unless the job opts out; then suspend belongs to Kueue.
    const queue = args.queue === false ? undefined : (args.queue ?? mlkubeConfig().queue);
    const a: ValidatedTrainJobArgs = { ...args, queue: queue ?? undefined };
    if (queue && args.suspend !== undefined) {
        issues.push({ path: ["suspend"], message: `is decided by Kueue for a queued job (queue ${JSON.stringify(queue)}): mlkube creates it suspended and Kueue resumes it on admission; remove suspend, or set queue: false` });
    }
    if (args.initializer) {
        issues.push(...initializerIssues(args.initializer, args.backend ?? "jobset"));
        const runtime = args.runtime?.name ?? DEFAULT_RUNTIME;
        if (args.backend === "kubeflow" && runtime === DEFAULT_RUNTIME && (args.runtime?.kind ?? "ClusterTrainingRuntime") === "ClusterTrainingRuntime") {
            issues.push({
                path: ["initializer"],
                message: `needs a training runtime with dataset-initializer/model-initializer jobs: the stock "${DEFAULT_RUNTIME}" runtime of Trainer v2.3 has none, so the Trainer's webhook would reject the TrainJob; set runtime to one that has them (e.g. a torchtune runtime, or your own), or use backend "jobset" or "job"`,
            });
        }
    }
    if (!queue && args.priorityClass !== undefined) {
        issues.push({ path: ["priorityClass"], message: `only applies to a queued job (a Kueue WorkloadPriorityClass); set queue (or the stack default mlkube:queue), or use priorityClassName for the pods' PriorityClass` });
    }
    try {
        const r = a.backend === "kubeflow" ? renderKubeflowTrainJob(name, objectName, a) : a.backend === "job" ? renderJob(name, objectName, a) : renderJobSet(name, objectName, a);
        // Once Kueue resumes the job, the next update must not suspend it again: with server-side apply the
        // provider drops an ignored field that another manager (Kueue) now owns from the applied object
        // (pulumi-kubernetes await.go handleSSAIgnoreFields), so there is neither a diff nor a conflict.
        if (!issues.length) return queue ? { ...r, ignoreChanges: ["spec.suspend"] } : r;
    } catch (e) {
        if (!(e instanceof MlkubeValidationError)) throw e;
        issues.push(...e.issues);
    }
    throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);
}

/**
 * Validates and renders TrainJob args, reporting every problem at once: malformed fields, the rules
 * between fields, and (when the fields are well-formed) what the pod builder and the backend find.
 * @internal
 */
export function validateAndRenderTrainJob(name: string, args: unknown): { a: ValidatedTrainJobArgs; r: RenderedTrainJob } {
    // Stack profiles, default mounts and default requests first: the merged args are validated as written.
    return validateAndRender(TRAINJOB_COMPONENT, name, trainJobFieldsSchema, trainJobRuleIssues, applyStackDefaults(TRAINJOB_COMPONENT, name, args, "resourcesPerNode"), (a) => renderTrainJob(name, a));
}

/**
 * Distributed training: `numNodes` pods × `numProcPerNode` processes with the torch rendezvous
 * environment set, as a JobSet or a Kubeflow Trainer TrainJob (see docs/concepts/trainjob.md).
 *
 * ```ts
 * new mlkube.TrainJob("finetune", { image, command: ["torchrun", "train.py"], numNodes: 4, resourcesPerNode: { gpu: 8 } });
 * ```
 */
export class TrainJob extends pulumi.ComponentResource {
    /** Name of the JobSet, TrainJob or Job (also the headless Service / DNS subdomain of the pods). */
    readonly jobName: pulumi.Output<string>;
    /** Namespace of the job. */
    readonly namespace: pulumi.Output<string>;
    /**
     * Pod 0's DNS name: `<name>-node-0-0.<name>.<namespace>.svc` (jobset, kubeflow), `<name>-0.<name>.<namespace>.svc`
     * (job with numNodes > 1), or `127.0.0.1` for a one-node job (no Service). The port is `masterPort`.
     */
    readonly masterAddress: pulumi.Output<string>;
    /** The backend used: `jobset`, `kubeflow` or `job`. */
    readonly backend: pulumi.Output<TrainJobBackend>;
    /**
     * With waitForCompletion: "Complete" once the job succeeded (fails `pulumi up` with the job's reason
     * when it failed). Otherwise the terminal state seen so far, or undefined.
     */
    readonly state: pulumi.Output<"Complete" | "Failed" | undefined>;
    /** The JobSet or TrainJob (a CustomResource), or the batch/v1 Job. */
    readonly job: CustomResource | Job;
    /** backend "job" with numNodes > 1: the headless Service named like the Job. */
    readonly service?: Service;

    /**
     * Creates the job. `name` is the Pulumi resource name and the default job name (a DNS-1123 label).
     * Throws MlkubeValidationError before registering anything when `args` are invalid.
     */
    constructor(name: string, args: TrainJobArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate and render before registering anything: bad input creates nothing.
        checkResourceArgs(TRAINJOB_COMPONENT, name, opts);
        const { a, r } = validateAndRenderTrainJob(name, args);
        // The JobSet controller also creates a headless Service named after the job (the pods' DNS subdomain);
        // on backend "job" mlkube creates it.
        const ns = r.object.metadata.namespace as pulumi.Input<string> | undefined;
        claimObjects(TRAINJOB_COMPONENT, name, [{ kind: r.object.kind, namespace: ns, name: r.objectName }, { kind: "Service", namespace: ns, name: r.objectName }]);
        super(TRAINJOB_TYPE, name, {}, opts);
        if (r.service) {
            this.service = new Service(name, r.service as never, { parent: this, deleteBeforeReplace: true });
        }
        const jobOpts: pulumi.CustomResourceOptions = {
            parent: this,
            // The Service first: pods resolve each other through it as soon as they start.
            dependsOn: this.service ? [...r.dependencies, this.service] : r.dependencies,
            replaceOnChanges: r.replaceOnChanges,
            ignoreChanges: keepFieldManager(r.ignoreChanges),
            deleteBeforeReplace: true,
        };
        // `status` is an output property, so the live status can be read; a waited job declares the status it
        // waits for, so a job recorded unfinished is waited for again (DECLARED_FINISH, docs/operations.md).
        const declared = a.waitForCompletion ? DECLARED_FINISH[r.object.kind] : undefined;
        this.job = r.object.kind === "Job" ? new Job(name, r.object as never, jobOpts) : new CustomResource(name, { ...r.object, status: declared ? { ...declared } : undefined }, jobOpts);
        // The name mlkube gives the object, once the job exists: not `metadata.name`, which the provider's preview
        // of a replacement reports as a generated name that `pulumi up` never uses.
        this.jobName = this.job.metadata.apply(() => r.objectName);
        this.namespace = this.job.metadata.namespace;
        this.masterAddress = r.masterHost === LOCAL_MASTER ? pulumi.output(LOCAL_MASTER) : pulumi.interpolate`${r.masterHost}.${this.namespace}.svc`;

        this.backend = pulumi.output(a.backend ?? "jobset");
        const status = (this.job as unknown as { status: pulumi.Output<unknown> }).status;
        const kind = r.object.kind as keyof typeof TERMINAL;
        this.state = pulumi
            .all([status, this.namespace])
            .apply(([s, ns]) => {
                try {
                    const state = terminalState(kind, s, { resourceName: name, objectName: r.objectName, namespace: ns }, a.waitForCompletion === true);
                    // After a real update (not a preview) a waited job has finished; if not, the wait was skipped.
                    if (a.waitForCompletion && state === undefined && !pulumi.runtime.isDryRun() && observedStatus(s, declared)) throw new TrainJobNotWaitedError(name, kind, r.objectName, ns);
                    return state;
                } catch (e) {
                    // Shown under the JobSet/TrainJob in `pulumi up`'s diagnostics, without a stack trace.
                    throw asPulumiError(e as Error, this.job);
                }
            });
        if (a.waitForCompletion && !pulumi.runtime.isDryRun()) {
            // Progress and diagnosis while the provider waits (docs/diagnosis.md); loaded only for a waited update.
            (require("../diagnose/start") as typeof import("../diagnose/start")).startDiagnosis(this, opts, { ctx: { component: "TrainJob", name, expected: a.numNodes ?? 1 }, kind, objectName: r.objectName, namespace: ns, progress: true }, status);
        }
        this.registerOutputs({ jobName: this.jobName, namespace: this.namespace, masterAddress: this.masterAddress, backend: this.backend, state: this.state });
    }
}
