/**
 * backend "jobset": one replicated job `node` (an Indexed Job with parallelism = completions = numNodes),
 * DNS hostnames for the pods, the Kubeflow torch runtime's rendezvous env, and every field the JobSet
 * webhook would default set explicitly (they are immutable: leaving them to the webhook makes updates
 * fight it). Runtime patches are merged the way the Trainer controller merges them.
 */
import { MlkubeValidationError } from "../errors";
import { compact, InputMap, objectAnnotations, objectLabels, resolveNamespace } from "../metadata";
import { resourcesOf, tryBuildPod } from "../pod/builder";
import { strategicMerge } from "../pod/merge";
import { lifecycleAnnotations, MASTER_PORT, masterHost, NODE, petEnv, procPerNode, torchEnv, TRAINJOB_COMPONENT } from "./common";
import type { RenderedTrainJob, ValidatedTrainJobArgs } from "./component";
import { checkPatches, keepToleration, RuntimePatch } from "./patches";

export const JOBSET_API_VERSION = "jobset.x-k8s.io/v1alpha2";

/** JobSet paths the API refuses to change (CEL `self == oldSelf` and the webhook): changes replace the JobSet. */
export const JOBSET_IMMUTABLE = [
    "spec.replicatedJobs",
    "spec.network",
    "spec.successPolicy",
    "spec.failurePolicy",
    "spec.startupPolicy",
    "spec.managedBy",
    "spec.volumeClaimPolicies",
];

/** @internal */
export function renderJobSet(name: string, objectName: string, a: import("./component").ValidatedTrainJobArgs): RenderedTrainJob {
    const numNodes = a.numNodes ?? 1;
    const namespace = resolveNamespace(a.namespace);
    const podOptions = { ...a, resources: a.resourcesPerNode };
    // PET_NPROC_PER_NODE from the container's resources, by the Trainer's rule (resource names, CPU count).
    const nproc = procPerNode(a.numProcPerNode, resourcesOf(podOptions));

    const { pod, issues } = tryBuildPod(podOptions, {
        component: TRAINJOB_COMPONENT,
        name,
        objectName,
        containerName: NODE,
        resourcesField: "resourcesPerNode",
        podCount: { count: numNodes, field: "numNodes", unit: "node" },
        restartPolicy: "Never",
        // A rotated token must not restart a training run.
        rollOnSecretChange: false,
        namespace,
        ports: [{ containerPort: MASTER_PORT }],
        extraEnv: [...petEnv(objectName, numNodes, nproc), ...torchEnv(objectName)],
    });

    // Runtime patches may only touch what exists: replicated job `node` and the pod's containers.
    let patches = (a.runtimePatches ?? []) as RuntimePatch[];
    const containers = [...((pod.template.spec.containers as { name: string }[] | undefined) ?? []), ...((pod.template.spec.initContainers as { name: string }[] | undefined) ?? [])].map((c) => c.name);
    for (const i of checkPatches(patches, { jobs: { [NODE]: containers }, description: "the generated JobSet" }, 0)) issues.push({ ...i, path: ["runtimePatches", ...i.path] });
    if (issues.length) throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);
    if (pod.gpuToleration) patches = keepToleration(patches, NODE, pod.gpuToleration);

    const rules = a.activeDeadlineSeconds !== undefined ? [{ name: "DeadlineExceeded", action: "FailJobSet", onJobFailureReasons: ["DeadlineExceeded"] }] : undefined;
    let spec: Record<string, unknown> = compact({
        replicatedJobs: [
            {
                name: NODE,
                replicas: 1,
                template: {
                    spec: compact({
                        parallelism: numNodes,
                        completions: numNodes,
                        completionMode: "Indexed",
                        backoffLimit: 0,
                        activeDeadlineSeconds: a.activeDeadlineSeconds,
                        template: pod.template,
                    }),
                },
            },
        ],
        network: { enableDNSHostnames: true, publishNotReadyAddresses: true, subdomain: objectName },
        successPolicy: { operator: "All" },
        startupPolicy: { startupPolicyOrder: "AnyOrder" },
        failurePolicy: compact({ maxRestarts: a.maxRestarts ?? 0, restartStrategy: "Recreate", rules }),
        suspend: a.suspend,
        ttlSecondsAfterFinished: a.ttlSecondsAfterFinished,
        managedBy: a.managedBy,
    });

    // labels/annotations: the JobSet only (pods get podLabels/podAnnotations), as the SDK's Labels/Annotations do for a TrainJob.
    let labels: InputMap = objectLabels(TRAINJOB_COMPONENT, objectName, a.labels as InputMap | undefined);
    let annotations: InputMap = { ...(a.annotations as InputMap | undefined) };
    for (const p of patches) {
        const t = p.trainingRuntimeSpec?.template;
        if (t?.spec) spec = strategicMerge(spec, t.spec);
        if (t?.metadata?.labels) labels = { ...labels, ...(t.metadata.labels as InputMap) };
        if (t?.metadata?.annotations) annotations = { ...annotations, ...(t.metadata.annotations as InputMap) };
    }

    return {
        object: {
            apiVersion: JOBSET_API_VERSION,
            kind: "JobSet",
            metadata: compact({
                name: objectName,
                namespace,
                labels,
                annotations: objectAnnotations({ ...annotations, ...lifecycleAnnotations("JobSet", a.waitForCompletion, a.timeout) }),
            }),
            spec,
        },
        dependencies: pod.dependencies,
        replaceOnChanges: JOBSET_IMMUTABLE,
        objectName,
        masterHost: masterHost(objectName),
    };
}
