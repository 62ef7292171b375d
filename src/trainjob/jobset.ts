/**
 * backend "jobset": one replicated job `node` (an Indexed Job with parallelism = completions = numNodes),
 * DNS hostnames for the pods, the Kubeflow torch runtime's rendezvous env, and every field the JobSet
 * webhook would default set explicitly (they are immutable: leaving them to the webhook makes updates
 * fight it). Runtime patches are merged the way the Trainer controller merges them.
 */
import { MlkubeValidationError } from "../errors";
import { compact, InputMap, objectAnnotations, objectLabels, resolveNamespace } from "../metadata";
import { buildPod, BuiltPod } from "../pod/builder";
import { strategicMerge } from "../pod/merge";
import { lifecycleAnnotations, MASTER_PORT, masterHost, NODE, petEnv, procPerNode, renamePodIssues, torchEnv, TRAINJOB_COMPONENT } from "./common";
import type { RenderedTrainJob, ValidatedTrainJobArgs } from "./component";
import { checkPatches, RuntimePatch } from "./patches";

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

export function renderJobSet(name: string, objectName: string, a: ValidatedTrainJobArgs): RenderedTrainJob {
    const numNodes = a.numNodes ?? 1;
    const namespace = resolveNamespace(a.namespace);
    const nproc = procPerNode(a.numProcPerNode, !!a.resourcesPerNode?.gpu, a.resourcesPerNode?.cpu ?? a.resourcesPerNode?.limits?.cpu);

    let pod: BuiltPod;
    try {
        pod = buildPod(
            { ...a, resources: a.resourcesPerNode },
            {
                component: TRAINJOB_COMPONENT,
                name,
                objectName,
                containerName: NODE,
                restartPolicy: "Never",
                // A rotated token must not restart a training run.
                rollOnSecretChange: false,
                namespace,
                ports: [{ containerPort: MASTER_PORT }],
                extraEnv: [...petEnv(objectName, numNodes, nproc), ...torchEnv(objectName, numNodes)],
            },
        );
    } catch (e) {
        renamePodIssues(e);
    }

    // Runtime patches may only touch what exists: replicated job `node` and the pod's containers.
    const patches = (a.runtimePatches ?? []) as RuntimePatch[];
    const containers = [...((pod.template.spec.containers as { name: string }[] | undefined) ?? []), ...((pod.template.spec.initContainers as { name: string }[] | undefined) ?? [])].map((c) => c.name);
    const issues = checkPatches(patches, { jobs: { [NODE]: containers }, description: "the generated JobSet" }, 0);
    if (issues.length) throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues.map((i) => ({ ...i, path: ["runtimePatches", ...i.path] })));


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
