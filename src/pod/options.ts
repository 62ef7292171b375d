/**
 * PodOptions: the vocabulary Compute and TrainJob share for what runs in a pod (image, env, resources,
 * storage, secrets, scheduling, security, and a typed `podPatch` escape hatch). The interface is the
 * public contract; the zod schema beside it validates it and is checked against it at compile time.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { Agree, Resolved, input, record, schemaMatches } from "../schema/input";
import { k8sObject } from "../schema/k8s";
import { absolutePath, annotationMap, dnsLabel, dnsSubdomain, downwardEnvFieldMessage, envName, INT32_MAX, isDownwardEnvField, labelKey, labelValue, qualifiedNameProblem, secretKey, subPath } from "../schema/names";
import { byteQuantity, quantity } from "../schema/quantity";
import { Secret, SecretKeyRef, SecretReference } from "../secret/secret";
import { Volume, VolumeReference } from "../volume";

export type GpuVendor = "nvidia" | "amd" | "intel";

export interface ResourceLimits {
    cpu?: string | number;
    memory?: string;
    ephemeralStorage?: string;
}

export interface Resources {
    /** CPU request: cores as a number (2, 0.5) or a quantity ("500m"). */
    cpu?: string | number;
    /** Memory request ("16Gi"). */
    memory?: string;
    /** Local disk request, `ephemeral-storage` (Metaflow `disk`). */
    ephemeralStorage?: string;
    /** Number of GPUs (always set as requests and limits, as Kubernetes requires). */
    gpu?: number;
    /** `nvidia` (default) → nvidia.com/gpu, `amd` → amd.com/gpu, `intel` → gpu.intel.com/i915, or any extended resource name. */
    gpuVendor?: string;
    /** Limits where they differ from requests (Burstable). */
    limits?: ResourceLimits;
    /** `Burstable` (default): requests, limits only where given. `Guaranteed`: limits = requests (needs cpu and memory). */
    qos?: "Guaranteed" | "Burstable";
}

export interface VolumeMountSpec {
    /** A Volume, `Volume.existing(...)`, or the name of an existing claim. */
    volume: Volume | VolumeReference | string;
    /** Default: the volume's mountPath (`/mnt/<claim>`). */
    mountPath?: pulumi.Input<string>;
    subPath?: pulumi.Input<string>;
    readOnly?: boolean;
}

export interface EmptyDirSpec {
    mountPath: string;
    /** Pod volume name. Default derived from mountPath. */
    name?: string;
    sizeLimit?: string;
    /** `Memory` for a tmpfs. */
    medium?: "Memory";
}

export interface EphemeralVolumeSpec {
    mountPath: string;
    /** Size of the per-pod claim ("100Gi"). */
    size: string;
    name?: string;
    storageClass?: string;
    accessMode?: "ReadWriteOnce" | "ReadWriteOncePod";
}

export interface TmpfsSpec {
    /** Size limit; default half the memory request (Metaflow's default). */
    size?: string;
    /** Default `/tmp`. When elsewhere, TMPDIR points at it. */
    path?: string;
}

/** Pod spec fields merged last (containers by name, volumes/env by name), for anything PodOptions does not cover. */
export type PodPatch = Omit<k8s.core.v1.PodSpec, "containers"> & { containers?: (Partial<k8s.core.v1.Container> & { name: string })[] };

/** A Downward API value: `env: { POD_IP: { fieldRef: "status.podIP" } }`. */
export interface FieldRef {
    fieldRef: string;
}

export type EnvValue = pulumi.Input<string> | SecretKeyRef | FieldRef;

export interface PodOptions {
    /** Container image. */
    image: pulumi.Input<string>;
    command?: pulumi.Input<string>[];
    args?: pulumi.Input<string>[];
    /** Env vars: a value, a Secret key (`secret.ref("KEY")`) or a Downward API field (`{ fieldRef: "status.podIP" }`). */
    env?: { [name: string]: EnvValue };
    workingDir?: pulumi.Input<string>;
    imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
    /** Secret names, or Secrets of the `docker` provider. */
    imagePullSecrets?: (string | Secret | SecretReference)[];
    serviceAccountName?: pulumi.Input<string>;
    /**
     * Labels of the objects the component creates (Deployment, Service and autoscaler; JobSet or TrainJob),
     * not of the pods: use `podLabels` for those. A Kueue `kueue.x-k8s.io/queue-name` goes here.
     */
    labels?: { [key: string]: pulumi.Input<string> };
    /** Annotations of the objects the component creates (not of the pods: use `podAnnotations`). */
    annotations?: { [key: string]: pulumi.Input<string> };
    /** Labels of the pods only (besides mlkube's `app.kubernetes.io/*` labels and `mlkube:labels`). Default none. */
    podLabels?: { [key: string]: pulumi.Input<string> };
    /** Annotations of the pods only (e.g. `prometheus.io/scrape`). Default none. */
    podAnnotations?: { [key: string]: pulumi.Input<string> };
    resources?: Resources;
    /** Claims to mount: Volumes, references, claim names, or `{ volume, mountPath, subPath, readOnly }`. */
    volumes?: (Volume | VolumeReference | string | VolumeMountSpec)[];
    /** Scratch space (emptyDir). */
    emptyDirs?: EmptyDirSpec[];
    /** Size of a Memory emptyDir at /dev/shm (PyTorch data loaders, NCCL): "8Gi". */
    sharedMemory?: string;
    /** A Memory-backed scratch directory (Metaflow's use_tmpfs / tmpfs_size / tmpfs_path). */
    tmpfs?: TmpfsSpec;
    /** Generic ephemeral volumes: a claim per pod, deleted with the pod. */
    ephemeralVolumes?: EphemeralVolumeSpec[];
    /** Secrets, each reaching the container as its kind says (env, files, git-ssh, image pull). */
    secrets?: (Secret | SecretReference | string)[];
    /** Node labels the pod must match: an object, or Metaflow's "k=v,k2=v2" string. */
    nodeSelector?: { [key: string]: string } | string;
    tolerations?: k8s.core.v1.Toleration[];
    /** Add the usual `<gpu resource>: NoSchedule` toleration to GPU pods. Default true. */
    gpuToleration?: boolean;
    affinity?: k8s.core.v1.Affinity;
    priorityClassName?: pulumi.Input<string>;
    runtimeClassName?: pulumi.Input<string>;
    topologySpreadConstraints?: k8s.core.v1.TopologySpreadConstraint[];
    /**
     * Apply mlkube's secure defaults (Pod Security Standards "restricted"): runAsNonRoot, seccomp
     * RuntimeDefault, no privilege escalation, all capabilities dropped. Default true.
     */
    secureDefaults?: boolean;
    /** Pod securityContext, merged over the secure defaults (runAsUser, runAsGroup, fsGroup, …). */
    securityContext?: k8s.core.v1.PodSecurityContext;
    /** Container securityContext, merged over the secure defaults. */
    containerSecurityContext?: k8s.core.v1.SecurityContext;
    /** Merged into the pod spec last. */
    podPatch?: PodPatch;
}

const GPU_RESOURCES: Record<GpuVendor, string> = { nvidia: "nvidia.com/gpu", amd: "amd.com/gpu", intel: "gpu.intel.com/i915" };

export function gpuResourceName(vendor: string | undefined): string {
    const v = vendor ?? "nvidia";
    return Object.hasOwn(GPU_RESOURCES, v) ? GPU_RESOURCES[v as GpuVendor] : v;
}

const gpuVendor = z.string().superRefine((v, ctx) => {
    if (Object.hasOwn(GPU_RESOURCES, v)) return;
    const problem = v.includes("/") ? qualifiedNameProblem(v) : "is neither a known vendor nor a domain-prefixed extended resource name";
    if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} ${problem}; use "nvidia", "amd", "intel" or a resource name such as "habana.ai/gaudi"` });
});

export const resourcesSchema = z
    .strictObject({
        cpu: quantity.optional(),
        memory: byteQuantity("Mi").optional(),
        ephemeralStorage: byteQuantity("Gi").optional(),
        gpu: z
            .number()
            .nonnegative()
            .max(INT32_MAX)
            .refine(Number.isInteger, { error: (iss) => `${iss.input} is not a whole number: GPUs are whole devices; request ${Math.max(1, Math.ceil(Number(iss.input)))} (GPU sharing, e.g. MIG slices, is its own extended resource: set gpuVendor to its name)` })
            .optional(),
        gpuVendor: gpuVendor.optional(),
        limits: z.strictObject({ cpu: quantity.optional(), memory: byteQuantity("Mi").optional(), ephemeralStorage: byteQuantity("Gi").optional() }).optional(),
        qos: z.enum(["Guaranteed", "Burstable"]).optional(),
    })
    .superRefine((r, ctx) => {
        if (r.qos === "Guaranteed") {
            for (const k of ["cpu", "memory"] as const) {
                if (r[k] === undefined) ctx.addIssue({ code: "custom", path: [k], message: `qos "Guaranteed" needs ${k}; set it or use qos "Burstable"` });
            }
            for (const k of ["cpu", "memory", "ephemeralStorage"] as const) {
                if (r.limits?.[k] !== undefined && String(r.limits[k]) !== String(r[k])) {
                    ctx.addIssue({ code: "custom", path: ["limits", k], message: `qos "Guaranteed" sets limits equal to requests; remove limits.${k} or use qos "Burstable"` });
                }
            }
        }
        if (r.gpuVendor !== undefined && !r.gpu) ctx.addIssue({ code: "custom", path: ["gpuVendor"], message: "only applies with gpu > 0" });
    });
schemaMatches<Agree<Resolved<Resources>, z.input<typeof resourcesSchema>>>();

const secretKeyRefSchema = z.strictObject({ secretName: dnsSubdomain, key: secretKey, optional: z.boolean().optional(), resource: z.any().optional(), checksum: input(z.string()).optional() });
const fieldRefSchema = z.strictObject({ fieldRef: z.string().refine(isDownwardEnvField, { error: (iss) => downwardEnvFieldMessage(String(iss.input)) }) });

const envValue = z.union([secretKeyRefSchema, fieldRefSchema, input(z.string())]);

const volumeLike = z.union([z.instanceof(Volume), z.instanceof(VolumeReference), dnsLabel()]);
const secretLike = z.union([z.instanceof(Secret), z.instanceof(SecretReference), dnsSubdomain]);

export const volumeMountSchema = z.strictObject({
    volume: volumeLike,
    mountPath: input(absolutePath).optional(),
    subPath: input(subPath).optional(),
    readOnly: z.boolean().optional(),
});

/** A strategic-merge patch of the pod spec: PodSpec fields (Kubernetes OpenAPI schema), `null` deletes, containers need a name. */
const podPatchSchema = k8sObject<PodPatch>("PodSpec", "patch");

/** The PodOptions fields, as a zod shape that Compute and TrainJob schemas extend. */
export const podOptionsShape = {
    image: input(z.string().min(1)),
    command: z.array(input(z.string())).optional(),
    args: z.array(input(z.string())).optional(),
    env: record(envName, envValue).optional(),
    workingDir: input(absolutePath).optional(),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    imagePullSecrets: z.array(secretLike).optional(),
    serviceAccountName: input(dnsSubdomain).optional(),
    labels: record(labelKey, input(labelValue)).optional(),
    annotations: annotationMap(input(z.string())).optional(),
    podLabels: record(labelKey, input(labelValue)).optional(),
    podAnnotations: annotationMap(input(z.string())).optional(),
    resources: resourcesSchema.optional(),
    volumes: z.array(z.union([volumeLike, volumeMountSchema])).optional(),
    emptyDirs: z
        .array(z.strictObject({ mountPath: absolutePath, name: dnsLabel().optional(), sizeLimit: byteQuantity("Gi").optional(), medium: z.literal("Memory").optional() }))
        .optional(),
    sharedMemory: byteQuantity("Gi").optional(),
    tmpfs: z.strictObject({ size: byteQuantity("Gi").optional(), path: absolutePath.optional() }).optional(),
    ephemeralVolumes: z
        .array(
            z.strictObject({
                mountPath: absolutePath,
                size: byteQuantity("Gi"),
                name: dnsLabel().optional(),
                storageClass: dnsSubdomain.optional(),
                accessMode: z.enum(["ReadWriteOnce", "ReadWriteOncePod"]).optional(),
            }),
        )
        .optional(),
    secrets: z.array(secretLike).optional(),
    nodeSelector: z.union([record(labelKey, labelValue), z.string()]).optional(),
    tolerations: z.array(k8sObject<k8s.core.v1.Toleration>("Toleration")).optional(),
    gpuToleration: z.boolean().optional(),
    affinity: k8sObject<k8s.core.v1.Affinity>("Affinity").optional(),
    priorityClassName: input(dnsSubdomain).optional(),
    runtimeClassName: input(dnsSubdomain).optional(),
    topologySpreadConstraints: z.array(k8sObject<k8s.core.v1.TopologySpreadConstraint>("TopologySpreadConstraint")).optional(),
    secureDefaults: z.boolean().optional(),
    securityContext: k8sObject<k8s.core.v1.PodSecurityContext>("PodSecurityContext", "merge").optional(),
    containerSecurityContext: k8sObject<k8s.core.v1.SecurityContext>("SecurityContext", "merge").optional(),
    podPatch: podPatchSchema.optional(),
};

export const podOptionsSchema = z.strictObject(podOptionsShape);
schemaMatches<Agree<Resolved<PodOptions>, z.input<typeof podOptionsSchema>>>();

export type ValidatedPodOptions = z.output<typeof podOptionsSchema>;
