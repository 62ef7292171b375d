/**
 * backend "jobset": one replicated job `node` (an Indexed Job with parallelism = completions = numNodes),
 * DNS hostnames for the pods, the Kubeflow torch runtime's rendezvous env, and every field the JobSet
 * webhook would default set explicitly (they are immutable: leaving them to the webhook makes updates
 * fight it). Runtime patches are merged the way the Trainer controller merges them.
 */
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { compact, InputMap, objectAnnotations, objectLabels, resolveNamespace } from "../metadata";
import { finalPodIssues, PodSource } from "../pod/final";
import { strategicMerge } from "../pod/merge";
import {
    jobSetRendezvous,
    lifecycleAnnotations,
    MASTER_PORT,
    masterHost,
    NODE,
    queueLabels,
    suspendOf,
    TRAINJOB_COMPONENT,
} from "./common";
import type { Backend } from "./backend";
import { jobOnlyFieldIssues, ownObjectIssues } from "./rules";
import type { RenderedTrainJob, ValidatedTrainJobArgs } from "./spec";
import { checkPatches, keepToleration, RuntimePatch, runtimePodSources } from "./patches";
import {
    buildInitializerPod,
    configuredKinds,
    initializerClaim,
    initializerName,
    initializerVolumeIssues,
    ValidatedInitializers,
} from "./initializer";
import { buildNodePod } from "./node";

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
export function renderJobSet(name: string, objectName: string, a: ValidatedTrainJobArgs): RenderedTrainJob {
    const numNodes = a.numNodes ?? 1;
    const namespace = resolveNamespace(a.namespace);
    const rdzv = jobSetRendezvous(objectName, a.masterPort ?? MASTER_PORT);
    // The runtime patches merge into the pod below: the final pod is checked after them.
    const { pod, issues } = buildNodePod(name, objectName, a, {
        namespace,
        numNodes,
        rdzv,
        exposeRendezvous: true,
        patchedLater: true,
    });

    // Initializers: one replicated job each (a plain one-pod Job), which `node` waits for.
    const kinds = configuredKinds(a.initializer);
    const longest = kinds.length ? `${objectName}-${initializerName(kinds[kinds.length - 1])}-0-0-abcde` : "";
    if (longest.length > 63) {
        issues.push({
            path: a.name === undefined ? [] : ["name"],
            message: `${JSON.stringify(objectName)} is too long for the initializer pods it produces: "${longest.slice(0, -6)}" plus the 5-character pod suffix is ${longest.length} characters, more than 63; use a name of at most ${objectName.length - (longest.length - 63)} characters`,
        });
    }
    const initJobs = kinds.map((k) => {
        const p = buildInitializerPod(k, a, { name, objectName, namespace });
        pod.dependencies.push(...p.dependencies.filter((d) => !pod.dependencies.includes(d)));
        return {
            name: initializerName(k),
            replicas: 1,
            template: {
                spec: {
                    parallelism: 1,
                    completions: 1,
                    completionMode: "Indexed",
                    backoffLimit: 0,
                    template: p.template,
                },
            },
            containers: [initializerName(k)],
            sources: p.sources,
        };
    });

    // Runtime patches may only touch what exists: the replicated jobs and their pods' containers.
    let patches = (a.runtimePatches ?? []) as RuntimePatch[];
    const containers = [
        ...((pod.template.spec.containers as { name: string }[] | undefined) ?? []),
        ...((pod.template.spec.initContainers as { name: string }[] | undefined) ?? []),
    ].map((c) => c.name);
    const jobs: Record<string, string[]> = Object.fromEntries(initJobs.map((j) => [j.name, j.containers]));
    jobs[NODE] = containers;
    for (const i of checkPatches(patches, { jobs, description: "the generated JobSet" }, 0))
        issues.push({ ...i, path: ["runtimePatches", ...i.path] });
    if (pod.gpuToleration) patches = keepToleration(patches, NODE, pod.gpuToleration);

    const rules =
        a.activeDeadlineSeconds !== undefined
            ? [{ name: "DeadlineExceeded", action: "FailJobSet", onJobFailureReasons: ["DeadlineExceeded"] }]
            : undefined;
    let spec: Record<string, unknown> = compact({
        replicatedJobs: [
            ...initJobs.map(({ containers: _c, sources: _s, ...j }) => j),
            compact({
                name: NODE,
                replicas: 1,
                dependsOn: initJobs.length ? initJobs.map((j) => ({ name: j.name, status: "Complete" })) : undefined,
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
            }),
        ],
        network: { enableDNSHostnames: true, publishNotReadyAddresses: true, subdomain: objectName },
        successPolicy: { operator: "All" },
        startupPolicy: { startupPolicyOrder: "AnyOrder" },
        failurePolicy: compact({ maxRestarts: a.maxRestarts ?? 0, restartStrategy: "Recreate", rules }),
        suspend: suspendOf(a.queue || undefined, a.suspend),
        ttlSecondsAfterFinished: a.ttlSecondsAfterFinished,
        managedBy: a.managedBy,
    });

    // labels/annotations: the JobSet only (pods get podLabels/podAnnotations), as the SDK's Labels/Annotations do for a TrainJob.
    let labels: InputMap = objectLabels(TRAINJOB_COMPONENT, objectName, a.labels);
    let annotations: InputMap = { ...a.annotations };
    for (const p of patches) {
        const t = p.trainingRuntimeSpec?.template;
        if (t?.spec) spec = strategicMerge(spec, t.spec);
        if (t?.metadata?.labels) labels = { ...labels, ...t.metadata.labels };
        if (t?.metadata?.annotations) annotations = { ...annotations, ...t.metadata.annotations };
    }
    // The final pods, after the patches: secure-default conflicts and names, where the user wrote them.
    const built: Record<string, PodSource[]> = Object.fromEntries(initJobs.map((j) => [j.name, j.sources]));
    built[NODE] = pod.sources;
    for (const rj of (spec.replicatedJobs as
        { name?: unknown; template?: { spec?: { template?: { spec?: unknown } } } }[] | undefined) ?? []) {
        if (typeof rj?.name !== "string") continue;
        const base = Object.hasOwn(built, rj.name) ? built[rj.name] : [];
        issues.push(
            ...finalPodIssues(rj.template?.spec?.template?.spec, [...base, ...runtimePodSources(patches, rj.name)]),
        );
    }
    if (issues.length) throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);

    return {
        object: {
            apiVersion: JOBSET_API_VERSION,
            kind: "JobSet",
            metadata: compact({
                name: objectName,
                namespace,
                labels: { ...labels, ...queueLabels(a.queue || undefined, a.priorityClass) },
                annotations: objectAnnotations({
                    ...annotations,
                    ...lifecycleAnnotations("JobSet", a.waitForCompletion, a.timeout),
                }),
            }),
            spec,
        },
        dependencies: pod.dependencies,
        replaceOnChanges: JOBSET_IMMUTABLE,
        objectName,
        masterHost: masterHost(objectName),
    };
}

/**
 * Initializers on a JobSet are pods of their own, possibly on other nodes than the training pods: they
 * share the data through a ReadWriteMany claim, which is required.
 */
function initializerIssues(i: ValidatedInitializers): ValidationIssue[] {
    if (i.volume === undefined) {
        return [
            {
                path: ["initializer", "volume"],
                message: `is required with backend "jobset": the initializers and the nodes are different pods, so they share the data through a ReadWriteMany claim; give a Volume with accessMode "ReadWriteMany" (or the name of such a claim), or use backend "job" (init containers in each pod)`,
            },
        ];
    }
    const issues: ValidationIssue[] = [];
    const mode = initializerClaim(i)?.accessMode;
    if (typeof mode === "string" && mode !== "ReadWriteMany") {
        issues.push({
            path: ["initializer", "volume"],
            message: `has accessMode ${JSON.stringify(mode)}, but with backend "jobset" the initializer pods and every node pod mount it, possibly on different nodes; use accessMode "ReadWriteMany", or backend "job"`,
        });
    }
    return [...issues, ...initializerVolumeIssues(i)];
}

/** backend "jobset" (the default): a JobSet, restarted whole with maxRestarts. @internal */
export const jobsetBackend: Backend<"jobset"> = {
    name: "jobset",
    refusesPetEnv: false,
    rules: (a) => [
        ...jobOnlyFieldIssues(a, "; the jobset backend restarts the whole JobSet with maxRestarts"),
        ...ownObjectIssues(a),
    ],
    check: (a) => (a.initializer ? initializerIssues(a.initializer) : []),
    render: renderJobSet,
};
