/**
 * backend "job": a plain `batch/v1` Job, so a TrainJob needs no controller beyond Kubernetes itself.
 * `numNodes: 1` is a NonIndexed Job with one pod (rendezvous on the pod itself); `numNodes > 1` is an
 * Indexed Job (completions = parallelism = numNodes) plus a headless Service named like the Job that
 * the pods join through `subdomain`, so pod `i` resolves as `<name>-<i>.<name>` and every pod gets the
 * same torch rendezvous env as on the other backends (PET_MASTER_ADDR = pod 0's hostname, PET_NODE_RANK =
 * the completion index). Retries, deadline, TTL and suspend map to the Job's own fields.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { compact, InputMap, objectAnnotations, objectLabels, resolveNamespace } from "../metadata";
import {
    INDEXED_RANK,
    RENDEZVOUS_PORT_NAME,
    servicePortName,
    lifecycleAnnotations,
    LOCAL_MASTER,
    MASTER_PORT,
    NODE,
    queueLabels,
    Rendezvous,
    suspendOf,
    TRAINJOB_COMPONENT,
} from "./common";
import type { Backend } from "./backend";
import { ownObjectIssues } from "./rules";
import type { RenderedTrainJob, ValidatedTrainJobArgs } from "./spec";
import { buildInitializerPod, configuredKinds, initializerVolumeIssues, mergeVolumes } from "./initializer";
import { buildNodePod } from "./node";

/**
 * Job paths the API server refuses to change (apis/batch/validation ValidateJobSpecUpdate): the pod
 * template, completions and completionMode (numNodes), selector, podFailurePolicy, backoffLimitPerIndex,
 * successPolicy and managedBy. A change replaces the Job. backoffLimit, activeDeadlineSeconds,
 * ttlSecondsAfterFinished, suspend and parallelism update in place.
 */
export const JOB_IMMUTABLE = [
    "spec.template",
    "spec.completions",
    "spec.completionMode",
    "spec.selector",
    "spec.podFailurePolicy",
    "spec.backoffLimitPerIndex",
    "spec.successPolicy",
    "spec.managedBy",
];

/** The label the Job controller puts on its pods (Kubernetes ≥1.27); the headless Service selects by it. @internal */
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

/** Hostname of pod `i` of an Indexed Job: `<job>-<i>` (set by the Job controller). @internal */
export function jobPodHostname(objectName: string, index: number): string {
    return `${objectName}-${index}`;
}

/** The longest name that must fit in 63 characters: the last pod's hostname (pod names are truncated by the controller). @internal */
export function jobLongestName(objectName: string, numNodes: number): { name: string; what: string } | undefined {
    if (numNodes <= 1) return undefined;
    const host = jobPodHostname(objectName, numNodes - 1);
    return { name: host, what: `the hostname of the last pod, "${host}",` };
}

/** The rendezvous of a Job: pod 0 through the headless Service, or the pod itself when it is alone. @internal */
export function jobRendezvous(objectName: string, numNodes: number, port: number = MASTER_PORT): Rendezvous {
    if (numNodes <= 1) return { host: LOCAL_MASTER, port, rank: { value: "0" } };
    return { host: `${jobPodHostname(objectName, 0)}.${objectName}`, port, rank: INDEXED_RANK };
}

/** @internal */
export function renderJob(name: string, objectName: string, a: ValidatedTrainJobArgs): RenderedTrainJob {
    const numNodes = a.numNodes ?? 1;
    const indexed = numNodes > 1;
    const namespace = resolveNamespace(a.namespace);
    const rdzv = jobRendezvous(objectName, numNodes, a.masterPort ?? MASTER_PORT);
    // One node: nothing connects to the rendezvous port from outside the pod.
    const { pod, issues } = buildNodePod(name, objectName, a, { namespace, numNodes, rdzv, exposeRendezvous: indexed });
    // Initializers: init containers of every pod, built by the same pod builder, sharing the node's mounts.
    let podSpec: k8s.core.v1.PodSpec = indexed ? { ...pod.template.spec, subdomain: objectName } : pod.template.spec;
    const inits = configuredKinds(a.initializer).map((k) => buildInitializerPod(k, a, { name, objectName, namespace }));
    if (inits.length) {
        podSpec = {
            ...podSpec,
            initContainers: [
                ...inits.map((p) => (p.template.spec.containers as k8s.core.v1.Container[])[0]),
                ...((podSpec.initContainers as k8s.core.v1.Container[] | undefined) ?? []),
            ],
            volumes: inits.reduce(
                (vs, p) => mergeVolumes(vs, p.template.spec.volumes as k8s.core.v1.Volume[] | undefined),
                podSpec.volumes as k8s.core.v1.Volume[] | undefined,
            ),
        };
        for (const p of inits)
            for (const d of p.dependencies) if (!pod.dependencies.includes(d)) pod.dependencies.push(d);
    }
    if (pod.template.spec.subdomain !== undefined || pod.template.spec.hostname !== undefined) {
        issues.push({
            path: ["podPatch"],
            message: `hostname and subdomain are set by the job backend (pods are reached as <name>-<index>.<name>); remove them from podPatch`,
        });
    }
    if (issues.length) throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);

    const exitCodes = a.noRetryExitCodes?.length ? [...new Set(a.noRetryExitCodes)].sort((x, y) => x - y) : undefined;
    // backoffLimitPerIndex alone: leave backoffLimit to the API default (MaxInt32), which otherwise caps the per-index retries.
    const backoffLimit = a.backoffLimit ?? (a.backoffLimitPerIndex === undefined ? 0 : undefined);
    const spec = compact({
        completions: numNodes,
        parallelism: numNodes,
        completionMode: indexed ? "Indexed" : "NonIndexed",
        backoffLimit,
        backoffLimitPerIndex: a.backoffLimitPerIndex,
        podFailurePolicy: exitCodes
            ? {
                  rules: [
                      { action: "FailJob", onExitCodes: { containerName: NODE, operator: "In", values: exitCodes } },
                  ],
              }
            : undefined,
        activeDeadlineSeconds: a.activeDeadlineSeconds,
        ttlSecondsAfterFinished: a.ttlSecondsAfterFinished,
        suspend: suspendOf(a.queue || undefined, a.suspend),
        managedBy: a.managedBy,
        template: { metadata: pod.template.metadata, spec: podSpec },
    });

    const labels: InputMap = objectLabels(TRAINJOB_COMPONENT, objectName, a.labels);
    const service: Record<string, unknown> | undefined = indexed
        ? {
              apiVersion: "v1",
              kind: "Service",
              metadata: compact({
                  name: objectName,
                  namespace,
                  labels,
                  annotations: objectAnnotations({ "pulumi.com/skipAwait": "true" }),
              }),
              spec: {
                  clusterIP: "None",
                  // Pods resolve each other before they are ready (torchrun connects while starting).
                  publishNotReadyAddresses: true,
                  selector: { [JOB_NAME_LABEL]: objectName },
                  ports: [
                      { name: RENDEZVOUS_PORT_NAME, port: rdzv.port, targetPort: rdzv.port, protocol: "TCP" },
                      ...(a.ports ?? []).map((p) => ({
                          name: servicePortName(p),
                          port: p.port,
                          targetPort: p.port,
                          protocol: p.protocol ?? "TCP",
                      })),
                  ],
              } satisfies k8s.core.v1.ServiceSpec,
          }
        : undefined;

    return {
        object: {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: compact({
                name: objectName,
                namespace,
                labels: { ...labels, ...queueLabels(a.queue || undefined, a.priorityClass) },
                annotations: objectAnnotations({
                    ...a.annotations,
                    ...lifecycleAnnotations("Job", a.waitForCompletion, a.timeout),
                }),
            }),
            spec,
        },
        service,
        dependencies: pod.dependencies,
        replaceOnChanges: JOB_IMMUTABLE,
        objectName,
        masterHost: rdzv.host,
    };
}

/** The rules of backend "job": a Job retries pods, not the whole run, and has no runtime to patch. */
function jobRuleIssues(a: Record<string, unknown>): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (a.maxRestarts !== undefined)
        issues.push({
            path: ["maxRestarts"],
            message: `is not supported with backend "job" (a Job retries failed pods, not the whole run); use backoffLimit`,
        });
    if (a.backoffLimitPerIndex !== undefined && (a.numNodes ?? 1) === 1) {
        issues.push({
            path: ["backoffLimitPerIndex"],
            message: "needs numNodes > 1 (an Indexed Job); with one node use backoffLimit",
        });
    }
    if (a.runtimePatches !== undefined)
        issues.push({
            path: ["runtimePatches"],
            message: `only applies to backends "jobset" and "kubeflow" (they patch a JobSet); with backend "job" use podPatch`,
        });
    return [...issues, ...ownObjectIssues(a)];
}

/** backend "job": a batch/v1 Job (Indexed, with a headless Service, for several nodes); needs no controller. @internal */
export const jobBackend: Backend<"job"> = {
    name: "job",
    refusesPetEnv: false,
    rules: jobRuleIssues,
    check: (a) => (a.initializer ? initializerVolumeIssues(a.initializer) : []),
    longestName: jobLongestName,
    render: renderJob,
};
