/**
 * TrainJob: multi-node training with one API and two backends. `backend: "jobset"` (default) emits a
 * JobSet (jobset.x-k8s.io/v1alpha2) with the Kubeflow torch runtime's rendezvous environment;
 * `backend: "kubeflow"` emits a Kubeflow Trainer TrainJob (trainer.kubeflow.org/v1alpha1) whose pod
 * options travel as a runtime patch. Pods are assembled by the shared pod builder in both cases.
 */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions";
import { z } from "zod";
import { PodOptions, Resources, podOptionsShape, resourcesSchema } from "../pod/options";
import { Agree, checkResourceArgs, errorMap, knownKeysOf, Resolved, input, schemaMatches, snapshot, toIssues, unmarkAll } from "../schema/input";
import { dnsLabel, dnsSubdomain, int32 } from "../schema/names";
import { asPulumiError, formatPath, MlkubeValidationError, ValidationIssue } from "../errors";
import { PET_ENV, RESERVED_ENV_FIX, TORCH_ENV, TRAINJOB_COMPONENT, terminalState, nameIssues, TERMINAL } from "./common";
import { domainPrefixedPathProblem, RuntimePatch, runtimePatchesSchema } from "./patches";
import { renderJobSet } from "./jobset";
import { claimObjects } from "../registry";
import { renderKubeflowTrainJob } from "./kubeflow";

export const TRAINJOB_TYPE = "mlkube:index:TrainJob";

export type TrainJobBackend = "jobset" | "kubeflow";

/** The Kubeflow training runtime a TrainJob runs on. */
export interface RuntimeRef {
    /** Default `torch-distributed`. */
    name: string;
    /** Default `ClusterTrainingRuntime`; `TrainingRuntime` must be in the TrainJob's namespace. */
    kind?: "ClusterTrainingRuntime" | "TrainingRuntime";
}

export interface TrainJobArgs extends Omit<PodOptions, "resources"> {
    /** `jobset` (default): a JobSet; `kubeflow`: a Kubeflow Trainer TrainJob (needs the Trainer installed). */
    backend?: TrainJobBackend;
    /** Pods (nodes) that train together. Default 1. */
    numNodes?: number;
    /** Processes per node (torchrun --nproc-per-node). Default: auto (GPU count, else CPU count). */
    numProcPerNode?: number;
    /** Resources of each node, in Compute's `resources` vocabulary (`gpu: 8`, `memory: "512Gi"`, …). */
    resourcesPerNode?: Resources;
    /** jobset: whole-job restarts after a node fails (failurePolicy.maxRestarts). Default 0. */
    maxRestarts?: number;
    /** Fail the job after this many seconds of running (Metaflow @timeout). */
    activeDeadlineSeconds?: number;
    /** jobset: delete the finished JobSet (and its pods) after this many seconds. */
    ttlSecondsAfterFinished?: number;
    /** Create suspended / suspend a running job (updates in place). */
    suspend?: pulumi.Input<boolean>;
    /** Name of the JobSet/TrainJob. Default: the component name. */
    name?: string;
    namespace?: pulumi.Input<string>;
    /** kubeflow: the training runtime. Default `{ name: "torch-distributed", kind: "ClusterTrainingRuntime" }`. */
    runtime?: RuntimeRef;
    /** Hand the job to another controller (e.g. "kueue.x-k8s.io/multikueue"). */
    managedBy?: string;
    /** Patches of the runtime's JobSet, typed after the Kubeflow SDK's RuntimePatch; applied on both backends. */
    runtimePatches?: RuntimePatch[];
    /** Make `pulumi up` wait until the job succeeds, and fail with the job's reason when it fails. */
    waitForCompletion?: boolean;
    /** With waitForCompletion: give up after this many seconds. Default 86400 (24h). */
    timeout?: number;
}

const { resources: _resources, ...podShapeWithoutResources } = podOptionsShape;

/** Kubernetes caps an Indexed Job's completions (one per node) at 100,000. */
export const MAX_NUM_NODES = 100_000;

const KUBEFLOW_MANAGERS = ["trainer.kubeflow.org/trainjob-controller", "kueue.x-k8s.io/multikueue"];

/** The fields of TrainJobArgs, each on its own; the cross-field rules are `trainJobRuleIssues`. */
export const trainJobFieldsSchema = z
    .strictObject({
        ...podShapeWithoutResources,
        backend: z.enum(["jobset", "kubeflow"]).optional(),
        numNodes: int32(1).max(MAX_NUM_NODES, { error: `must be at most ${MAX_NUM_NODES} (the Indexed Job limit on completions)` }).optional(),
        numProcPerNode: int32(1).optional(),
        resourcesPerNode: resourcesSchema.optional(),
        maxRestarts: int32().optional(),
        activeDeadlineSeconds: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
        ttlSecondsAfterFinished: int32().optional(),
        suspend: input(z.boolean()).optional(),
        name: z.string().optional(),
        namespace: input(dnsLabel()).optional(),
        runtime: z.strictObject({ name: dnsSubdomain, kind: z.enum(["ClusterTrainingRuntime", "TrainingRuntime"]).optional() }).optional(),
        managedBy: z.string().min(1).max(253).optional(),
        runtimePatches: runtimePatchesSchema.optional(),
        waitForCompletion: z.boolean().optional(),
        timeout: int32(1).optional(),
    });

/**
 * The rules that tie TrainJob fields together (reserved env, backend-specific fields). Written over the
 * raw args, so they run even when some field is malformed: every problem is reported at once.
 */
export function trainJobRuleIssues(raw: unknown): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (!raw || typeof raw !== "object") return issues;
    const a = raw as Record<string, unknown>;
    const kubeflow = a.backend === "kubeflow";
    const env = a.env && typeof a.env === "object" && Object.getPrototypeOf(a.env) === Object.prototype ? Object.keys(a.env) : [];
    for (const k of env) {
        if (PET_ENV.includes(k) || TORCH_ENV.includes(k)) {
            issues.push({
                path: ["env", k],
                message: `is reserved: TrainJob sets the torch rendezvous variables (${[...PET_ENV, ...TORCH_ENV].join(", ")}) itself${kubeflow && PET_ENV.includes(k) ? " and the Kubeflow Trainer rejects PET_* in spec.trainer.env" : ""}; ${RESERVED_ENV_FIX[k]}`,
            });
        }
    }
    if (a.timeout !== undefined && a.waitForCompletion !== true) issues.push({ path: ["timeout"], message: "only applies with waitForCompletion: true" });
    const managedBy = typeof a.managedBy === "string" ? a.managedBy : undefined;
    if (kubeflow) {
        const why = `the Kubeflow TrainJob API has no such field (the runtime's JobSet decides it); set it in the training runtime, or use backend "jobset"`;
        if (a.maxRestarts !== undefined) issues.push({ path: ["maxRestarts"], message: `is not supported with backend "kubeflow": ${why}` });
        if (a.ttlSecondsAfterFinished !== undefined) issues.push({ path: ["ttlSecondsAfterFinished"], message: `is not supported with backend "kubeflow": ${why}` });
        if (managedBy !== undefined && !KUBEFLOW_MANAGERS.includes(managedBy)) {
            issues.push({ path: ["managedBy"], message: `${JSON.stringify(managedBy)} is not accepted by the Trainer; use ${KUBEFLOW_MANAGERS.map((m) => JSON.stringify(m)).join(" or ")}` });
        }
    } else if (a.backend === undefined || a.backend === "jobset") {
        if (a.runtime !== undefined) issues.push({ path: ["runtime"], message: `only applies with backend "kubeflow" (the jobset backend builds the JobSet itself)` });
        if (managedBy !== undefined && managedBy.length > 0) {
            const problem = managedBy.length > 63 ? "must be at most 63 characters" : domainPrefixedPathProblem(managedBy);
            if (problem) issues.push({ path: ["managedBy"], message: `${JSON.stringify(managedBy)} ${problem}` });
        }
    }
    return issues;
}

/** TrainJobArgs: the fields and the rules between them. */
export const trainJobArgsSchema = trainJobFieldsSchema.superRefine((a, ctx) => {
    for (const i of trainJobRuleIssues(a)) ctx.addIssue({ code: "custom", path: [...i.path], message: i.message });
});
schemaMatches<Agree<Resolved<TrainJobArgs>, z.input<typeof trainJobArgsSchema>>>();

export type ValidatedTrainJobArgs = z.output<typeof trainJobArgsSchema>;

/** What a renderer returns: the object for `apiextensions.CustomResource` and how to manage it. */
export interface RenderedTrainJob {
    object: { apiVersion: string; kind: "JobSet" | "TrainJob"; metadata: Record<string, unknown>; spec: Record<string, unknown> };
    dependencies: pulumi.Resource[];
    /** Immutable paths: a change replaces the object (deleted first: the name is fixed). */
    replaceOnChanges: string[];
    objectName: string;
    /** Pod 0's address inside the namespace (`<name>-node-0-0.<name>`). */
    masterHost: string;
}

/** Validates names and renders the object for validated args (pure; used by the component and tests). */
export function renderTrainJob(name: string, a: ValidatedTrainJobArgs): RenderedTrainJob {
    const objectName = a.name ?? name;
    const issues: ValidationIssue[] = nameIssues(objectName, a.numNodes ?? 1, a.name === undefined ? [] : ["name"]);
    try {
        const r = a.backend === "kubeflow" ? renderKubeflowTrainJob(name, objectName, a) : renderJobSet(name, objectName, a);
        if (!issues.length) return r;
    } catch (e) {
        if (!(e instanceof MlkubeValidationError)) throw e;
        issues.push(...e.issues);
    }
    throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);
}

/**
 * Validates and renders TrainJob args, reporting every problem at once: malformed fields, the rules
 * between fields, and (when the fields are well-formed) what the pod builder and the backend find.
 */
export function validateAndRenderTrainJob(name: string, args: unknown): { a: ValidatedTrainJobArgs; r: RenderedTrainJob } {
    const raw = snapshot(args ?? {}, TRAINJOB_COMPONENT, name);
    const parsed = trainJobFieldsSchema.safeParse(raw, { error: errorMap });
    const issues: ValidationIssue[] = parsed.success ? [] : toIssues(parsed.error, [], knownKeysOf(trainJobFieldsSchema));
    const rules = trainJobRuleIssues(raw);
    issues.push(...rules);
    if (parsed.success) {
        // Outputs inside pass-through objects (securityContext, affinity, …) become Outputs again.
        const a = unmarkAll(parsed.data);
        try {
            const r = renderTrainJob(name, a);
            if (!issues.length) return { a, r };
        } catch (e) {
            if (!(e instanceof MlkubeValidationError)) throw e;
            // A field the rules already reported (e.g. a reserved env name) is reported once.
            const seen = new Set(rules.map((i) => formatPath(i.path)));
            issues.push(...e.issues.filter((i) => !seen.has(formatPath(i.path))));
        }
    }
    throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);
}

export class TrainJob extends pulumi.ComponentResource {
    /** Name of the JobSet or TrainJob (also the headless Service / DNS subdomain of the pods). */
    readonly jobName: pulumi.Output<string>;
    readonly namespace: pulumi.Output<string>;
    /** Pod 0's DNS name, `<name>-node-0-0.<name>.<namespace>.svc` (rendezvous port 29500). */
    readonly masterAddress: pulumi.Output<string>;
    readonly backend: pulumi.Output<TrainJobBackend>;
    /**
     * With waitForCompletion: "Complete" once the job succeeded (fails `pulumi up` with the job's reason
     * when it failed). Otherwise the terminal state seen so far, or undefined.
     */
    readonly state: pulumi.Output<"Complete" | "Failed" | undefined>;
    /** The JobSet or TrainJob. */
    readonly job: CustomResource;

    constructor(name: string, args: TrainJobArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate and render before registering anything: bad input creates nothing.
        checkResourceArgs(TRAINJOB_COMPONENT, name, opts);
        const { a, r } = validateAndRenderTrainJob(name, args);
        // The JobSet controller also creates a headless Service named after the job (the pods' DNS subdomain).
        const ns = r.object.metadata.namespace as pulumi.Input<string> | undefined;
        claimObjects(TRAINJOB_COMPONENT, name, [{ kind: r.object.kind, namespace: ns, name: r.objectName }, { kind: "Service", namespace: ns, name: r.objectName }]);
        super(TRAINJOB_TYPE, name, {}, opts);
        // `status: undefined` makes `status` an output property, so the live status can be read.
        this.job = new CustomResource(name, { ...r.object, status: undefined }, {
            parent: this,
            dependsOn: r.dependencies,
            replaceOnChanges: r.replaceOnChanges,
            deleteBeforeReplace: true,
        });
        this.jobName = this.job.metadata.name;
        this.namespace = this.job.metadata.namespace;
        this.masterAddress = pulumi.interpolate`${r.masterHost}.${this.namespace}.svc`;
        this.backend = pulumi.output(a.backend ?? "jobset");
        const status = (this.job as unknown as { status: pulumi.Output<unknown> }).status;
        const kind = r.object.kind as keyof typeof TERMINAL;
        this.state = pulumi
            .all([status, this.namespace])
            .apply(([s, ns]) => {
                try {
                    return terminalState(kind, s, { resourceName: name, objectName: r.objectName, namespace: ns }, a.waitForCompletion === true);
                } catch (e) {
                    // Shown under the JobSet/TrainJob in `pulumi up`'s diagnostics, without a stack trace.
                    throw asPulumiError(e as Error, this.job);
                }
            });
        this.registerOutputs({ jobName: this.jobName, namespace: this.namespace, masterAddress: this.masterAddress, backend: this.backend, state: this.state });
    }
}
