/**
 * backend "kubeflow": a Kubeflow Trainer v2.2+ TrainJob (v2.3+ with terminationGracePeriodSeconds, which
 * v2.2's CRD lacks in a runtime patch's pod spec). The pod is built by the shared pod builder and
 * then split: image/command/args/env/resources go to `spec.trainer`; everything else the pod options
 * produced (volumes, mounts, security, scheduling, service account, pull secrets, pod metadata) becomes
 * one runtime patch owned by mlkube (`mlkube.dev/trainjob`), ahead of the user's patches so theirs win.
 * What neither place can carry fails with an error naming the option.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { compact, InputMap, objectAnnotations, objectLabels, resolveNamespace } from "../metadata";
import { finalPodIssues, PodSource } from "../pod/final";
import { strategicMerge } from "../pod/merge";
import { isStackDefault } from "../workload/defaults";
import { tryBuildPod } from "../workload/resolve";
import { bindingOf, Secret } from "../secret/secret";
import {
    lifecycleAnnotations,
    MASTER_PORT,
    masterHost,
    NODE,
    queueLabels,
    suspendOf,
    torchEnv,
    TRAINJOB_COMPONENT,
} from "./common";
import type { Backend } from "./backend";
import { jobOnlyFieldIssues } from "./rules";
import type { RenderedTrainJob, ValidatedTrainJobArgs } from "./spec";
import { configuredKinds, initializerName, kubeflowInitializer } from "./initializer";
import { checkedEnvSecretKeys } from "./reserved-env";
import {
    checkPatches,
    keepToleration,
    MLKUBE_MANAGER,
    PodSpecPatch,
    RuntimePatch,
    runtimePodSources,
    RuntimeShape,
    serializePatch,
    TORCH_RUNTIME_JOBS,
} from "./patches";

/** The provider annotation that picks the propagation policy of deletes. */
const DELETION_POLICY = "pulumi.com/deletionPropagationPolicy";

export const TRAINER_API_VERSION = "trainer.kubeflow.org/v1alpha1";
/** ClusterTrainingRuntime a `backend: "kubeflow"` TrainJob uses when `runtime` is not set. */
export const DEFAULT_RUNTIME = "torch-distributed";

/** TrainJob paths with CEL `self == oldSelf` (and runtimePatches, which only change while suspended): changes replace. */
export const TRAINJOB_IMMUTABLE = [
    "spec.runtimeRef",
    "spec.trainer",
    "spec.initializer",
    "spec.activeDeadlineSeconds",
    "spec.managedBy",
    "spec.runtimePatches",
];

/** Pod spec fields a PodSpecPatch can carry. */
const PATCHABLE_POD_FIELDS = new Set([
    "serviceAccountName",
    "volumes",
    "containers",
    "imagePullSecrets",
    "securityContext",
    "nodeSelector",
    "affinity",
    "tolerations",
    "schedulingGates",
    "terminationGracePeriodSeconds",
]);
/** Container fields spec.trainer or a ContainerPatch can carry (envFrom is converted below). */
const CARRIED_CONTAINER_FIELDS = new Set([
    "name",
    "image",
    "command",
    "args",
    "env",
    "envFrom",
    "resources",
    "volumeMounts",
    "securityContext",
    "ports",
]);
/** The TrainJob option that produces a pod spec field, for messages. */
const POD_FIELD_OPTION: Record<string, string> = {
    priorityClassName: "priorityClassName",
    runtimeClassName: "runtimeClassName",
    topologySpreadConstraints: "topologySpreadConstraints",
};
const CONTAINER_FIELD_OPTION: Record<string, string> = {
    workingDir: "workingDir",
    imagePullPolicy: "imagePullPolicy",
    volumeDevices: "volumes",
    lifecycle: "preStop",
};

/** maxLength of spec.trainer.image in the Trainer v2.3 TrainJob CRD. */
const TRAINER_IMAGE_MAX = 500;

function unsupportedPodFields(
    spec: k8s.core.v1.PodSpec,
    container: Record<string, unknown>,
    issues: ValidationIssue[],
): void {
    const suffix = `: the Kubeflow TrainJob API cannot express it (a runtime patch only carries ${[...PATCHABLE_POD_FIELDS].join(", ")}); set it in the training runtime, or use backend "jobset"`;
    for (const k of Object.keys(spec)) {
        if (PATCHABLE_POD_FIELDS.has(k)) continue;
        issues.push({
            path: [POD_FIELD_OPTION[k] ?? "podPatch"].concat(POD_FIELD_OPTION[k] ? [] : [k]),
            message: `pod field ${k} is not supported with backend "kubeflow"${suffix}`,
        });
    }
    for (const k of Object.keys(container)) {
        if (CARRIED_CONTAINER_FIELDS.has(k)) continue;
        const option = CONTAINER_FIELD_OPTION[k];
        const what =
            k === "volumeDevices"
                ? "a Block-mode volume (volumeDevices)"
                : k === "lifecycle"
                  ? "a preStop hook (container lifecycle)"
                  : `container field ${k}`;
        issues.push({
            path: option ? [option] : ["podPatch", "containers"],
            message: `${what} is not supported with backend "kubeflow": spec.trainer takes image, command, args, env and resources, and a container patch only volumeMounts and securityContext; set it in the training runtime, or use backend "jobset"`,
        });
    }
    for (const c of (spec.containers as k8s.core.v1.Container[] | undefined) ?? []) {
        if (c.name !== NODE) {
            issues.push({
                path: ["podPatch", "containers"],
                message: `container ${JSON.stringify(c.name)} cannot be added with backend "kubeflow" (a runtime patch can only change containers of the runtime); use backend "jobset"`,
            });
        }
    }
}

/** One entry per name, the last one's value at the first one's place (envFrom's rule: a later source wins). */
export function laterWins(env: k8s.core.v1.EnvVar[]): k8s.core.v1.EnvVar[] {
    const byName = new Map<string, k8s.core.v1.EnvVar>();
    for (const e of env) byName.set(e.name as string, e);
    return [...byName.values()];
}

/**
 * The problems of the pods the Trainer makes: mlkube's patch (the pod `spec` the builder made) and then
 * the user's patches merged into each replicated job's pod as the Trainer merges them (strategic merge,
 * in list order). The runtime's own pod is not known here: it counts as empty, and volumeMounts are not
 * checked against the pod's volumes (the runtime may bring its own).
 */
function finalPodsIssues(spec: k8s.core.v1.PodSpec, sources: PodSource[], patches: RuntimePatch[]): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const jobs = new Set<string>([NODE]);
    for (const p of patches)
        for (const rj of p.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? [])
            if (typeof rj.name === "string") jobs.add(rj.name);
    for (const job of jobs) {
        const own = job === NODE ? sources : [];
        const patched = runtimePodSources(patches, job);
        const pod = patched.reduce<unknown>((s, p) => strategicMerge(s, p.spec), job === NODE ? spec : {});
        issues.push(...finalPodIssues(pod, [...own, ...patched], { volumesKnown: false, containersKnown: false }));
    }
    return issues;
}

/** @internal */
export function renderKubeflowTrainJob(name: string, objectName: string, a: ValidatedTrainJobArgs): RenderedTrainJob {
    const namespace = resolveNamespace(a.namespace);
    const runtimeName = a.runtime?.name ?? DEFAULT_RUNTIME;
    const runtimeKind = a.runtime?.kind ?? "ClusterTrainingRuntime";

    const { pod, issues } = tryBuildPod(
        { ...a, resources: a.resourcesPerNode },
        {
            component: TRAINJOB_COMPONENT,
            name,
            objectName,
            containerName: NODE,
            resourcesField: "resourcesPerNode",
            // Without numNodes the runtime's mlPolicy.numNodes applies (1 in torch-distributed).
            podCount: { count: a.numNodes ?? 1, field: "numNodes", unit: "node" },
            // The Trainer CRD keys a container patch's volumeMounts by name: one pod volume per mount.
            oneVolumePerMount: true,
            namespace,
            extraEnv: torchEnv(objectName),
            // A rotated token must not restart a training run.
            rollOnSecretChange: false,
            // The Trainer merges mlkube's patch and the user's runtimePatches into the runtime's pod: checked below.
            patchedLater: true,
        },
    );
    const spec = pod.template.spec;
    const container = (spec.containers as k8s.core.v1.Container[])[0] as Record<string, unknown> &
        k8s.core.v1.Container;
    // Neither spec.trainer nor a container patch carries it; the runtime's container decides.
    delete container.terminationMessagePolicy;
    unsupportedPodFields(spec, container, issues);
    // The Trainer CRD caps spec.trainer.image (the API server would reject the TrainJob at `pulumi up`).
    if (typeof container.image === "string" && container.image.length > TRAINER_IMAGE_MAX) {
        issues.push({
            path: ["image"],
            message: `is ${container.image.length} characters long; spec.trainer.image of a Kubeflow TrainJob takes at most ${TRAINER_IMAGE_MAX}`,
        });
    }

    // Env-mounted Secrets (envFrom) cannot reach the node container through a patch; list their keys
    // as secretKeyRef entries of spec.trainer.env instead (what the SDK's TrainerEnvFrom does).
    // Precedence as with envFrom on the jobset backend: the container's own env wins, then later Secrets.
    const fromSecrets: pulumi.Output<k8s.core.v1.EnvVar[]>[] = [];
    const explicit = new Set(((container.env as k8s.core.v1.EnvVar[] | undefined) ?? []).map((e) => e.name as string));
    // Keys known at construction keep the TrainJob's spec known in a preview where the Secret is replaced
    // (a rotated value); keys from an Output are checked against the reserved names when they resolve.
    const checkedKeys = checkedEnvSecretKeys(name, a.secrets, true, issues);
    (a.secrets ?? []).forEach((s, i) => {
        const b = bindingOf(s);
        if (b.kind !== "env") return;
        // Only a Secret of this program lists its keys here: a reference's are the user's word, not the Secret's.
        const known = s instanceof Secret ? checkedKeys[i] : undefined;
        const keys =
            known === undefined
                ? undefined
                : pulumi.output(known as pulumi.Input<string[]>).apply((ks) => [...ks].sort());
        if (!keys && isStackDefault(s)) {
            issues.push({
                path: ["defaultMounts"],
                message: `mlkube:secrets mounts Secret ${JSON.stringify(b.secretName)} as env (envFrom), which a Kubeflow TrainJob cannot express and whose keys are unknown here; give it mount: "files" in mlkube:secrets, set defaultMounts: false on this TrainJob, or use backend "jobset"`,
            });
            return;
        }
        if (!keys) {
            issues.push({
                path: ["secrets", i],
                message: `Secret ${JSON.stringify(b.secretName)} is mounted as env (envFrom), which a Kubeflow TrainJob cannot express and whose keys are unknown here; list the keys in env (env: { KEY: Secret.existing(${JSON.stringify(b.secretName)}).ref("KEY") }), mount it as files (Secret.existing(${JSON.stringify(b.secretName)}, { mount: "files" })), or use backend "jobset"`,
            });
            return;
        }
        fromSecrets.push(
            keys.apply((ks) =>
                ks
                    .filter((k) => !explicit.has(k))
                    .map((k) => ({ name: k, valueFrom: { secretKeyRef: { name: b.secretName, key: k } } })),
            ),
        );
    });

    // User patches: the webhook's rules, against the default runtime's shape when we know it.
    const userPatches = (a.runtimePatches ?? []) as RuntimePatch[];
    const shape: RuntimeShape =
        runtimeName === DEFAULT_RUNTIME && runtimeKind === "ClusterTrainingRuntime"
            ? { jobs: TORCH_RUNTIME_JOBS, description: `runtime "${DEFAULT_RUNTIME}"` }
            : { description: `runtime "${runtimeName}"` };
    for (const i of checkPatches(userPatches, shape, 1)) issues.push({ ...i, path: ["runtimePatches", ...i.path] });
    issues.push(...finalPodsIssues(spec, pod.sources, userPatches));
    if (issues.length) throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);

    // mlkube's own patch: everything of the pod that is not spec.trainer.
    const podAnnotations = (pod.template.metadata.annotations ?? {}) as InputMap;
    const podSpecPatch: PodSpecPatch = compact({
        serviceAccountName: spec.serviceAccountName as string | undefined,
        volumes: spec.volumes as PodSpecPatch["volumes"],
        containers:
            container.volumeMounts || container.securityContext
                ? [
                      compact({
                          name: NODE,
                          volumeMounts: container.volumeMounts as k8s.core.v1.VolumeMount[] | undefined,
                          securityContext: container.securityContext as k8s.core.v1.SecurityContext | undefined,
                      }),
                  ]
                : undefined,
        imagePullSecrets: spec.imagePullSecrets as { name: string }[] | undefined,
        securityContext: spec.securityContext as k8s.core.v1.PodSecurityContext | undefined,
        nodeSelector: spec.nodeSelector as Record<string, string> | undefined,
        affinity: spec.affinity as k8s.core.v1.Affinity | undefined,
        tolerations: spec.tolerations as k8s.core.v1.Toleration[] | undefined,
        schedulingGates: spec.schedulingGates as { name: string }[] | undefined,
        terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds as number | undefined,
    });
    // labels/annotations go on the TrainJob only, as the Kubeflow SDK's Labels/Annotations options do; the
    // JobSet gets mlkube's standard labels, the pods the builder's (podLabels, podAnnotations).
    const labels = objectLabels(TRAINJOB_COMPONENT, objectName, a.labels);
    const own: RuntimePatch = {
        manager: MLKUBE_MANAGER,
        trainingRuntimeSpec: {
            template: {
                metadata: { labels: objectLabels(TRAINJOB_COMPONENT, objectName) },
                spec: {
                    replicatedJobs: [
                        {
                            name: NODE,
                            template: {
                                spec: {
                                    template: {
                                        metadata: compact({
                                            labels: pod.template.metadata.labels as InputMap,
                                            annotations: Object.keys(podAnnotations).length
                                                ? podAnnotations
                                                : undefined,
                                        }),
                                        spec: podSpecPatch,
                                    },
                                },
                            },
                        },
                    ],
                },
            },
        },
    };

    const baseEnv = (container.env as k8s.core.v1.EnvVar[] | undefined) ?? [];
    const env: pulumi.Input<k8s.core.v1.EnvVar[]> | undefined = fromSecrets.length
        ? pulumi.all(fromSecrets).apply((lists) => [...baseEnv, ...laterWins(lists.flat())] as never)
        : baseEnv.length
          ? baseEnv
          : undefined;

    const trainer = compact({
        image: container.image,
        command: container.command,
        args: container.args,
        env,
        // Left out when not given, so the runtime's mlPolicy.numNodes applies.
        numNodes: a.numNodes,
        numProcPerNode: a.numProcPerNode,
        resourcesPerNode: container.resources,
    });

    return {
        object: {
            apiVersion: TRAINER_API_VERSION,
            kind: "TrainJob",
            metadata: compact({
                name: objectName,
                namespace,
                // Kueue's labels only here: on the runtime JobSet (patch metadata above) Kueue would queue it a second time.
                labels: { ...labels, ...queueLabels(a.queue || undefined, a.priorityClass) },
                annotations: objectAnnotations({
                    ...a.annotations,
                    ...lifecycleAnnotations("TrainJob", a.waitForCompletion, a.timeout),
                    // Trainer v2.3 re-creates the JobSet of a TrainJob that is being deleted in the foreground,
                    // so a foreground delete (the provider's default) waits minutes or forever. In the
                    // background the TrainJob goes at once and the garbage collector removes its JobSet and pods.
                    [DELETION_POLICY]: "background",
                }),
            }),
            spec: compact({
                runtimeRef: { apiGroup: "trainer.kubeflow.org", kind: runtimeKind, name: runtimeName },
                trainer,
                runtimePatches: [
                    own,
                    ...(pod.gpuToleration ? keepToleration(userPatches, NODE, pod.gpuToleration) : userPatches),
                ].map(serializePatch),
                suspend: suspendOf(a.queue || undefined, a.suspend),
                initializer: a.initializer ? kubeflowInitializer(a.initializer) : undefined,
                activeDeadlineSeconds: a.activeDeadlineSeconds,
                managedBy: a.managedBy,
            }),
        },
        dependencies: pod.dependencies,
        replaceOnChanges: TRAINJOB_IMMUTABLE,
        objectName,
        masterHost: masterHost(objectName),
    };
}

const KUBEFLOW_MANAGERS = ["trainer.kubeflow.org/trainjob-controller", "kueue.x-k8s.io/multikueue"];

/** The fields the Kubeflow TrainJob API cannot carry (the runtime's JobSet decides them). */
function kubeflowRuleIssues(a: Record<string, unknown>): ValidationIssue[] {
    const issues = jobOnlyFieldIssues(a, "");
    const why = `the Kubeflow TrainJob API has no such field (the runtime's JobSet decides it); set it in the training runtime, or use backend "jobset"`;
    if (a.maxRestarts !== undefined)
        issues.push({ path: ["maxRestarts"], message: `is not supported with backend "kubeflow": ${why}` });
    if (a.ttlSecondsAfterFinished !== undefined)
        issues.push({ path: ["ttlSecondsAfterFinished"], message: `is not supported with backend "kubeflow": ${why}` });
    if (a.ports !== undefined) {
        issues.push({
            path: ["ports"],
            message: `is not supported with backend "kubeflow": neither spec.trainer nor a runtime patch can add container ports (the Trainer's torch plugin adds only 29500); set them in the training runtime, or use backend "jobset" or "job"`,
        });
    }
    if (a.masterPort !== undefined && a.masterPort !== MASTER_PORT) {
        issues.push({
            path: ["masterPort"],
            message: `cannot be changed with backend "kubeflow": the Trainer's torch plugin sets PET_MASTER_PORT to ${MASTER_PORT} itself and rejects it in spec.trainer.env; use backend "jobset" or "job"`,
        });
    }
    const managedBy = typeof a.managedBy === "string" ? a.managedBy : undefined;
    if (managedBy !== undefined && !KUBEFLOW_MANAGERS.includes(managedBy)) {
        issues.push({
            path: ["managedBy"],
            message: `${JSON.stringify(managedBy)} is not accepted by the Trainer; use ${KUBEFLOW_MANAGERS.map((m) => JSON.stringify(m)).join(" or ")}`,
        });
    }
    return issues;
}

/** Initializers run as the runtime's jobs: the runtime decides their volume and images, and must have them. */
function kubeflowCheckIssues(a: ValidatedTrainJobArgs): ValidationIssue[] {
    const i = a.initializer;
    if (!i) return [];
    const issues: ValidationIssue[] = [];
    if (i.volume !== undefined)
        issues.push({
            path: ["initializer", "volume"],
            message: `is not used with backend "kubeflow": the training runtime provides the initializers' volume; remove it`,
        });
    for (const k of configuredKinds(i)) {
        if (i[k]!.image !== undefined)
            issues.push({
                path: ["initializer", k, "image"],
                message: `is not used with backend "kubeflow": the training runtime's ${initializerName(k)} container decides the image; remove it`,
            });
    }
    const runtime = a.runtime?.name ?? DEFAULT_RUNTIME;
    if (runtime === DEFAULT_RUNTIME && (a.runtime?.kind ?? "ClusterTrainingRuntime") === "ClusterTrainingRuntime") {
        issues.push({
            path: ["initializer"],
            message: `needs a training runtime with dataset-initializer/model-initializer jobs: the stock "${DEFAULT_RUNTIME}" runtime of Trainer v2.3 has none, so the Trainer's webhook would reject the TrainJob; set runtime to one that has them (e.g. a torchtune runtime, or your own), or use backend "jobset" or "job"`,
        });
    }
    return issues;
}

/** backend "kubeflow": a Kubeflow Trainer TrainJob; pod options travel as mlkube's runtime patch. @internal */
export const kubeflowBackend: Backend<"kubeflow"> = {
    name: "kubeflow",
    refusesPetEnv: true,
    rules: kubeflowRuleIssues,
    check: kubeflowCheckIssues,
    render: renderKubeflowTrainJob,
};
