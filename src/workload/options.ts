/**
 * PodOptions: the vocabulary Compute and TrainJob share for what runs in a pod (image, env, resources,
 * storage, secrets, scheduling, security, and a typed `podPatch` escape hatch). The interface is the
 * public contract; the zod schema beside it validates it and is checked against it at compile time.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { lazy } from "../schema/lazy";
import { Agree, Resolved, input, pulumiResource, record, schemaMatches } from "../schema/input";
import { k8sObject } from "../schema/k8s";
import {
    absolutePath,
    annotationMap,
    dnsLabel,
    dnsSubdomain,
    downwardEnvFieldMessage,
    envName,
    INT32_MAX,
    isDownwardEnvField,
    labelKey,
    labelValue,
    qualifiedNameProblem,
    secretKey,
    subPath,
} from "../schema/names";
import { byteQuantity, quantity } from "../schema/quantity";
import {
    EmptyDirSpec,
    EnvValue,
    EphemeralVolumeSpec,
    GPU_RESOURCES,
    gpuResourceName,
    PodPatch,
    PreStopSpec,
    Resources,
    TmpfsSpec,
} from "../pod/types";
import { Secret, SecretReference } from "../secret/secret";
import { Volume, VolumeReference } from "../volume";

export {
    EmptyDirSpec,
    EnvValue,
    EphemeralVolumeSpec,
    FieldRef,
    GpuVendor,
    gpuResourceName,
    PodPatch,
    PreStopSpec,
    ResourceLimits,
    Resources,
    TmpfsSpec,
} from "../pod/types";

/** A claim mounted with a path, subPath or read-only flag of its own. */
export interface VolumeMountSpec {
    /** A Volume, `Volume.existing(...)`, or the name of an existing claim. */
    volume: Volume | VolumeReference | string;
    /**
     * Where the claim is mounted in the container.
     * @default the volume's mountPath (`/mnt/<claim>`)
     */
    mountPath?: pulumi.Input<string>;
    /**
     * Mount only this relative path inside the claim.
     * @default the whole claim
     */
    subPath?: pulumi.Input<string>;
    /**
     * Mount read-only.
     * @default the volume's own setting, else false
     */
    readOnly?: boolean;
}

/**
 * The pod vocabulary shared by {@link Compute} and {@link TrainJob}: image, command, env, resources,
 * volumes, secrets, scheduling and security. One pod builder turns it into the pod template.
 */
export interface PodOptions {
    /** Container image. */
    image: pulumi.Input<string>;
    /**
     * Entrypoint, replacing the image's ENTRYPOINT.
     * @default the image's
     */
    command?: pulumi.Input<string>[];
    /**
     * Arguments, replacing the image's CMD.
     * @default the image's
     */
    args?: pulumi.Input<string>[];
    /** Env vars: a value, a Secret key (`secret.ref("KEY")`) or a Downward API field (`{ fieldRef: "status.podIP" }`). */
    env?: { [name: string]: EnvValue };
    /**
     * Working directory of the container.
     * @default the image's
     */
    workingDir?: pulumi.Input<string>;
    /**
     * When the kubelet pulls the image.
     * @default Kubernetes' (`Always` for `:latest` or no tag, else `IfNotPresent`)
     */
    imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
    /** Secret names, or Secrets of the `docker` provider. */
    imagePullSecrets?: (string | Secret | SecretReference)[];
    /**
     * Service account of the pods.
     * @default `mlkube:serviceAccountName`, else the namespace's `default`
     */
    serviceAccountName?: pulumi.Input<string>;
    /**
     * Labels of the objects the component creates (Deployment, Service and autoscaler; JobSet or TrainJob),
     * not of the pods: use `podLabels` for those. A Kueue `kueue.x-k8s.io/queue-name` goes here.
     */
    labels?: { [key: string]: pulumi.Input<string> };
    /** Annotations of the objects the component creates (not of the pods: use `podAnnotations`). */
    annotations?: { [key: string]: pulumi.Input<string> };
    /**
     * Labels of the pods only (besides mlkube's `app.kubernetes.io/*` labels and `mlkube:labels`).
     * @default none
     */
    podLabels?: { [key: string]: pulumi.Input<string> };
    /**
     * Annotations of the pods only (e.g. `prometheus.io/scrape`).
     * @default none
     */
    podAnnotations?: { [key: string]: pulumi.Input<string> };
    /**
     * CPU, memory, disk and GPU requests/limits of the main container.
     * @default none (BestEffort)
     */
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
    /**
     * Tolerations, added to `mlkube:tolerations` (and the GPU toleration, see `gpuToleration`).
     * @default none
     */
    tolerations?: k8s.core.v1.Toleration[];
    /**
     * Add the usual `<gpu resource>: NoSchedule` toleration to GPU pods.
     * @default true
     */
    gpuToleration?: boolean;
    /**
     * Node/pod affinity and anti-affinity (Kubernetes Affinity).
     * @default none
     */
    affinity?: k8s.core.v1.Affinity;
    /**
     * PriorityClass of the pods (scheduling priority and preemption).
     * @default none (the cluster default)
     */
    priorityClassName?: pulumi.Input<string>;
    /**
     * RuntimeClass of the pods (e.g. `nvidia`).
     * @default the node's default runtime
     */
    runtimeClassName?: pulumi.Input<string>;
    /**
     * How pods spread across zones/nodes (Kubernetes TopologySpreadConstraint).
     * @default none
     */
    topologySpreadConstraints?: k8s.core.v1.TopologySpreadConstraint[];
    /**
     * Apply mlkube's secure defaults (Pod Security Standards "restricted"): runAsNonRoot, seccomp
     * RuntimeDefault, no privilege escalation, all capabilities dropped.
     * @default true
     */
    secureDefaults?: boolean;
    /** Pod securityContext, merged over the secure defaults (runAsUser, runAsGroup, fsGroup, …). */
    securityContext?: k8s.core.v1.PodSecurityContext;
    /** Container securityContext, merged over the secure defaults. */
    containerSecurityContext?: k8s.core.v1.SecurityContext;
    /** Merged into the pod spec last. */
    podPatch?: PodPatch;
    /**
     * Seconds between SIGTERM (after the preStop hook starts) and SIGKILL when the pod stops. On a TrainJob
     * with backend "kubeflow" it travels in the runtime patch, a field of the TrainJob CRD since Kubeflow
     * Trainer v2.3 (v2.2 lacks it: server-side apply fails, client-side apply drops it).
     * @default Kubernetes' 30
     */
    terminationGracePeriodSeconds?: number;
    /**
     * A hook that runs before the container is stopped (drain connections, flush a checkpoint).
     * @default none
     */
    preStop?: PreStopSpec;
    /**
     * A named preset of pod options from the stack's `mlkube:profiles` (node selector, tolerations, GPU
     * vendor, priority/runtime class, labels, …). Explicit args win over the profile; see the README for
     * the merge rule of each field.
     * @default no profile
     */
    profile?: string;
    /**
     * Mount the stack's `mlkube:volumes` and `mlkube:secrets` into this workload.
     * @default true
     */
    defaultMounts?: boolean;
}

const gpuVendor = lazy(() =>
    z.string().superRefine((v, ctx) => {
        if (Object.hasOwn(GPU_RESOURCES, v)) return;
        const problem = v.includes("/")
            ? qualifiedNameProblem(v)
            : "is neither a known vendor nor a domain-prefixed extended resource name";
        if (problem)
            ctx.addIssue({
                code: "custom",
                message: `${JSON.stringify(v)} ${problem}; use "nvidia", "amd", "intel" or a resource name such as "habana.ai/gaudi"`,
            });
    }),
);

/** Why `name` cannot be an extended resource name, or undefined (domain-prefixed, not kubernetes.io, not a GPU count). */
export function extendedResourceProblem(name: string): string | undefined {
    if (!name.includes("/"))
        return `is not an extended resource name: those are domain-prefixed ("vpc.amazonaws.com/efa", "rdma/hca"); cpu, memory and ephemeral-storage have their own fields`;
    const problem = qualifiedNameProblem(name);
    if (problem) return problem;
    const domain = name.slice(0, name.indexOf("/"));
    if (domain === "kubernetes.io" || domain.endsWith(".kubernetes.io"))
        return `is in the kubernetes.io domain, which is reserved for native resources`;
    if (Object.values(GPU_RESOURCES).includes(name)) return `is a GPU resource; use gpu (and gpuVendor) instead`;
    return undefined;
}

const extendedResources = lazy(() =>
    z.record(
        z.string().superRefine((n, ctx) => {
            const problem = extendedResourceProblem(n);
            if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(n)} ${problem}` });
        }),
        z
            .number()
            .int({
                error: (iss) =>
                    `${String(iss.input)} is not a whole number: extended resources are counted in whole devices`,
            })
            .nonnegative()
            .max(INT32_MAX),
    ),
);

/** Resources without the cross-field rules (profiles may set `gpuVendor` for the GPUs a workload asks for). */
/** @internal */
export const resourcesObject = lazy(() =>
    z.strictObject({
        cpu: quantity().optional(),
        memory: byteQuantity("Mi").optional(),
        ephemeralStorage: byteQuantity("Gi").optional(),
        gpu: z
            .number()
            .nonnegative()
            .max(INT32_MAX)
            .refine(Number.isInteger, {
                error: (iss) =>
                    `${String(iss.input)} is not a whole number: GPUs are whole devices; request ${Math.max(1, Math.ceil(Number(iss.input)))} (GPU sharing, e.g. MIG slices, is its own extended resource: set gpuVendor to its name)`,
            })
            .optional(),
        gpuVendor: gpuVendor().optional(),
        limits: z
            .strictObject({
                cpu: quantity().optional(),
                memory: byteQuantity("Mi").optional(),
                ephemeralStorage: byteQuantity("Gi").optional(),
            })
            .optional(),
        qos: z.enum(["Guaranteed", "Burstable"]).optional(),
        extendedResources: extendedResources().optional(),
    }),
);

/** @internal */
export const resourcesSchema = lazy(() =>
    resourcesObject().superRefine((r, ctx) => {
        if (r.qos === "Guaranteed") {
            for (const k of ["cpu", "memory"] as const) {
                if (r[k] === undefined)
                    ctx.addIssue({
                        code: "custom",
                        path: [k],
                        message: `qos "Guaranteed" needs ${k}; set it or use qos "Burstable"`,
                    });
            }
            for (const k of ["cpu", "memory", "ephemeralStorage"] as const) {
                if (r.limits?.[k] !== undefined && String(r.limits[k]) !== String(r[k])) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["limits", k],
                        message: `qos "Guaranteed" sets limits equal to requests; remove limits.${k} or use qos "Burstable"`,
                    });
                }
            }
        }
        if (r.gpuVendor !== undefined && !r.gpu)
            ctx.addIssue({ code: "custom", path: ["gpuVendor"], message: "only applies with gpu > 0" });
        if (r.gpu && r.extendedResources && gpuResourceName(r.gpuVendor) in r.extendedResources) {
            ctx.addIssue({
                code: "custom",
                path: ["extendedResources", gpuResourceName(r.gpuVendor)],
                message: `is also set by gpu; remove it from extendedResources`,
            });
        }
    }),
);
schemaMatches<Agree<Resolved<Resources>, z.input<ReturnType<typeof resourcesSchema>>>>();

/** @internal */
export const secretKeyRefSchema = lazy(() =>
    z.strictObject({
        secretName: dnsSubdomain(),
        key: secretKey(),
        optional: z.boolean().optional(),
        resource: pulumiResource().optional(),
        checksum: input(z.string()).optional(),
    }),
);
/** @internal */
export const fieldRefSchema = lazy(() =>
    z.strictObject({
        fieldRef: z.string().refine(isDownwardEnvField, { error: (iss) => downwardEnvFieldMessage(String(iss.input)) }),
    }),
);

const envValue = lazy(() => z.union([secretKeyRefSchema(), fieldRefSchema(), input(z.string())]));

/** @internal */
export const volumeLike = lazy(() => z.union([z.instanceof(Volume), z.instanceof(VolumeReference), dnsLabel()]));
/** @internal */
export const secretLike = lazy(() => z.union([z.instanceof(Secret), z.instanceof(SecretReference), dnsSubdomain()]));

/** @internal */
export const volumeMountSchema = lazy(() =>
    z.strictObject({
        volume: volumeLike(),
        mountPath: input(absolutePath()).optional(),
        subPath: input(subPath()).optional(),
        readOnly: z.boolean().optional(),
    }),
);

/** A strategic-merge patch of the pod spec: PodSpec fields (Kubernetes OpenAPI schema), `null` deletes, containers need a name. */
const podPatchSchema = lazy(() => k8sObject<PodPatch>("PodSpec", "patch"));

/** Schema of `preStop`: exactly one action; `port` only with `path`. @internal */
export const preStopSchema = lazy(() =>
    z
        .strictObject({
            command: z.array(z.string()).min(1).optional(),
            sleepSeconds: z
                .number()
                .int()
                .min(1)
                .max(2 ** 31 - 1)
                .optional(),
            path: z.string().startsWith("/").optional(),
            port: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
        })
        .superRefine((p, ctx) => {
            const kinds = (["command", "sleepSeconds", "path"] as const).filter((k) => p[k] !== undefined);
            if (kinds.length !== 1) {
                ctx.addIssue({
                    code: "custom",
                    message: kinds.length
                        ? `${kinds.join(" and ")} are mutually exclusive; pick one`
                        : "needs one of command (exec), sleepSeconds or path (HTTP GET)",
                });
            }
            if (p.port !== undefined && p.path === undefined)
                ctx.addIssue({ code: "custom", path: ["port"], message: "only applies with path (HTTP GET)" });
        }),
);
schemaMatches<Agree<Resolved<PreStopSpec>, z.input<ReturnType<typeof preStopSchema>>>>();

/** The PodOptions fields, as a zod shape that Compute and TrainJob schemas extend. @internal */
export const podOptionsShape = lazy(() => ({
    image: input(z.string().min(1)),
    command: z.array(input(z.string())).optional(),
    args: z.array(input(z.string())).optional(),
    env: record(envName(), envValue()).optional(),
    workingDir: input(absolutePath()).optional(),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    imagePullSecrets: z.array(secretLike()).optional(),
    serviceAccountName: input(dnsSubdomain()).optional(),
    labels: record(labelKey(), input(labelValue())).optional(),
    annotations: annotationMap(input(z.string())).optional(),
    podLabels: record(labelKey(), input(labelValue())).optional(),
    podAnnotations: annotationMap(input(z.string())).optional(),
    resources: resourcesSchema().optional(),
    volumes: z.array(z.union([volumeLike(), volumeMountSchema()])).optional(),
    emptyDirs: z
        .array(
            z.strictObject({
                mountPath: absolutePath(),
                name: dnsLabel().optional(),
                sizeLimit: byteQuantity("Gi").optional(),
                medium: z.literal("Memory").optional(),
            }),
        )
        .optional(),
    sharedMemory: byteQuantity("Gi").optional(),
    tmpfs: z.strictObject({ size: byteQuantity("Gi").optional(), path: absolutePath().optional() }).optional(),
    ephemeralVolumes: z
        .array(
            z.strictObject({
                mountPath: absolutePath(),
                size: byteQuantity("Gi"),
                name: dnsLabel().optional(),
                storageClass: dnsSubdomain().optional(),
                accessMode: z.enum(["ReadWriteOnce", "ReadWriteOncePod"]).optional(),
            }),
        )
        .optional(),
    secrets: z.array(secretLike()).optional(),
    nodeSelector: z.union([record(labelKey(), labelValue()), z.string()]).optional(),
    tolerations: z.array(k8sObject<k8s.core.v1.Toleration>("Toleration")).optional(),
    gpuToleration: z.boolean().optional(),
    affinity: k8sObject<k8s.core.v1.Affinity>("Affinity").optional(),
    priorityClassName: input(dnsSubdomain()).optional(),
    runtimeClassName: input(dnsSubdomain()).optional(),
    topologySpreadConstraints: z
        .array(k8sObject<k8s.core.v1.TopologySpreadConstraint>("TopologySpreadConstraint"))
        .optional(),
    secureDefaults: z.boolean().optional(),
    securityContext: k8sObject<k8s.core.v1.PodSecurityContext>("PodSecurityContext", "merge").optional(),
    containerSecurityContext: k8sObject<k8s.core.v1.SecurityContext>("SecurityContext", "merge").optional(),
    podPatch: podPatchSchema().optional(),
    terminationGracePeriodSeconds: z
        .number()
        .int()
        .nonnegative()
        .max(2 ** 53 - 1)
        .optional(),
    preStop: preStopSchema().optional(),
    profile: z.string().min(1).optional(),
    defaultMounts: z.boolean().optional(),
}));

/** @internal */
export const podOptionsSchema = lazy(() => z.strictObject(podOptionsShape()));
schemaMatches<Agree<Resolved<PodOptions>, z.input<ReturnType<typeof podOptionsSchema>>>>();

/** @internal */
export type ValidatedPodOptions = z.output<ReturnType<typeof podOptionsSchema>>;
