/** The context a pod is built in, and what the builder returns. */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { PodSource } from "./final";
import type { PodConfig } from "./input";

export interface PodContext {
    /** The stack configuration to apply (`mlkubeConfig()`, read by the component layer). */
    config: PodConfig;
    /** Component type and name, for error messages ("Compute", "api"). */
    component: string;
    name: string;
    /** The Kubernetes name of the workload (labels). */
    objectName: string;
    /** The container's name: "main" for Compute, "node" for TrainJob. */
    containerName: string;
    /** Labels the workload selects its pods by. */
    selectorLabels?: Record<string, string>;
    restartPolicy?: "Always" | "OnFailure" | "Never";
    /** Env vars appended after the user's (e.g. the rendezvous variables of a TrainJob). */
    extraEnv?: k8s.core.v1.EnvVar[];
    ports?: k8s.core.v1.ContainerPort[];
    readinessProbe?: k8s.core.v1.Probe;
    livenessProbe?: k8s.core.v1.Probe;
    startupProbe?: k8s.core.v1.Probe;
    /** Port of an HTTP preStop hook that names none (Compute: its first container port). */
    defaultPort?: number;
    /**
     * Annotate the pod template with a digest of each mounted Secret's content, so a changed value rolls
     * the pods. Default true; jobs turn it off (a rotated token must not restart a training run).
     */
    rollOnSecretChange?: boolean;
    /** The workload's namespace when known, to reject mounts of claims/secrets in other namespaces. */
    namespace?: pulumi.Input<string>;
    /** The user's name for the resources option in paths and messages. Default "resources" (TrainJob: "resourcesPerNode"). */
    resourcesField?: string;
    /** How many pods may run at once and which option says so, to refuse single-attach claims on several pods. */
    podCount?: { count: number; field: string; unit: string };
    /** One pod volume per claim mount (the Kubeflow CRD keys container volumeMounts by name). Default false. */
    oneVolumePerMount?: boolean;
    /**
     * The caller merges more into the pod (runtimePatches) and checks the final pod itself with
     * `finalPodIssues` and the returned `sources`. Default false: the builder checks the pod it returns.
     */
    patchedLater?: boolean;
}

export interface BuiltPod {
    template: { metadata: k8s.meta.v1.ObjectMeta; spec: k8s.core.v1.PodSpec };
    /** Components the pod needs first (Volumes, Secrets): the workload's dependsOn. */
    dependencies: pulumi.Resource[];
    /** The GPU resource and count, if the pod asks for GPUs. */
    gpu?: { resource: string; count: number };
    /** The automatic GPU toleration (unless gpuToleration: false), which runtime patches must keep. */
    gpuToleration?: k8s.core.v1.Toleration;
    /** Claims mlkube created as ReadWriteOnce/ReadWriteOncePod (one node / one pod), with the option that mounts them. */
    singleAttachClaims: {
        claimName: string;
        accessMode: "ReadWriteOnce" | "ReadWriteOncePod";
        path: (string | number)[];
    }[];
    /** The parts of the pod the user wrote (security contexts, profile podPatch, podPatch), in merge order, for the final pod check. */
    sources: PodSource[];
}
