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
import { ComponentSpec, MlkubeComponent, prepare } from "../base";
import { asPulumiError } from "../errors";
import {
    LOCAL_MASTER,
    TRAINJOB_COMPONENT,
    terminalState,
    DECLARED_FINISH,
    observedStatus,
    TrainJobNotWaitedError,
} from "./common";
import { keepFieldManager } from "../metadata";
import { validateAndRenderTrainJob } from "./render";
import { TRAINJOB_TYPE, TrainJobArgs, TrainJobBackend, trainJobFieldsSchema } from "./spec";

/**
 * Distributed training: `numNodes` pods × `numProcPerNode` processes with the torch rendezvous
 * environment set, as a JobSet or a Kubeflow Trainer TrainJob (see docs/concepts/trainjob.md).
 *
 * ```ts
 * new mlkube.TrainJob("finetune", { image, command: ["torchrun", "train.py"], numNodes: 4, resourcesPerNode: { gpu: 8 } });
 * ```
 */
export class TrainJob extends MlkubeComponent {
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
        // The JobSet controller also creates a headless Service named after the job (the pods' DNS subdomain);
        // on backend "job" mlkube creates it.
        const { a, r } = prepare(
            trainJobSpec,
            name,
            opts,
            () => validateAndRenderTrainJob(name, args),
            ({ r }) => {
                const ns = r.object.metadata.namespace as pulumi.Input<string> | undefined;
                return [
                    { kind: r.object.kind, namespace: ns, name: r.objectName },
                    { kind: "Service", namespace: ns, name: r.objectName },
                ];
            },
        );
        const ns = r.object.metadata.namespace as pulumi.Input<string> | undefined;
        super(trainJobSpec, name, opts);
        if (r.service) {
            this.service = new Service(name, r.service, { parent: this, deleteBeforeReplace: true });
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
        this.job =
            r.object.kind === "Job"
                ? new Job(name, r.object as never, jobOpts)
                : new CustomResource(name, { ...r.object, status: declared ? { ...declared } : undefined }, jobOpts);
        // The name mlkube gives the object, once the job exists: not `metadata.name`, which the provider's preview
        // of a replacement reports as a generated name that `pulumi up` never uses.
        this.jobName = this.job.metadata.apply(() => r.objectName);
        this.namespace = this.job.metadata.namespace;
        this.masterAddress =
            r.masterHost === LOCAL_MASTER
                ? pulumi.output(LOCAL_MASTER)
                : pulumi.interpolate`${r.masterHost}.${this.namespace}.svc`;

        this.backend = pulumi.output(a.backend ?? "jobset");
        const status = (this.job as unknown as { status: pulumi.Output<unknown> }).status;
        const kind = r.object.kind;
        this.state = pulumi.all([status, this.namespace]).apply(([s, ns]) => {
            try {
                const state = terminalState(
                    kind,
                    s,
                    { resourceName: name, objectName: r.objectName, namespace: ns },
                    a.waitForCompletion === true,
                );
                // After a real update (not a preview) a waited job has finished; if not, the wait was skipped.
                if (
                    a.waitForCompletion &&
                    state === undefined &&
                    !pulumi.runtime.isDryRun() &&
                    observedStatus(s, declared)
                )
                    throw new TrainJobNotWaitedError(name, kind, r.objectName, ns);
                return state;
            } catch (e) {
                // Shown under the JobSet/TrainJob in `pulumi up`'s diagnostics, without a stack trace.
                throw asPulumiError(e as Error, this.job);
            }
        });
        if (a.waitForCompletion && !pulumi.runtime.isDryRun()) {
            // Progress and diagnosis while the provider waits (docs/diagnosis.md); loaded only for a waited update.
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a waited update, never in preview, render or tests (docs/diagnosis.md)
            (require("../diagnose/start") as typeof import("../diagnose/start")).startDiagnosis(
                this,
                opts,
                {
                    ctx: { component: "TrainJob", name, expected: a.numNodes ?? 1 },
                    kind,
                    objectName: r.objectName,
                    namespace: ns,
                    progress: true,
                },
                status,
            );
        }
        this.finish(trainJobSpec, {
            jobName: this.jobName,
            namespace: this.namespace,
            masterAddress: this.masterAddress,
            backend: this.backend,
            state: this.state,
        });
    }
}

/** TrainJob in the component table (src/components.ts). @internal */
export const trainJobSpec: ComponentSpec<TrainJob> = {
    name: TRAINJOB_COMPONENT,
    token: TRAINJOB_TYPE,
    get schema() {
        return trainJobFieldsSchema();
    },
    source: { args: "TrainJobArgs", argsFile: "src/trainjob/spec.ts", classFile: "src/trainjob/component.ts" },
    create: (name, args, opts) => new TrainJob(name, args as never, opts),
    // `state` waits for the job when waitForCompletion is set (and fails the construct when it failed).
    outputs: ["jobName", "namespace", "masterAddress", "backend", "state"],
};
