/**
 * The plain vocabulary of a pod that PodOptions (src/workload/options.ts) is made of and the pod builder
 * reads: resources, scratch space, hooks, the podPatch escape hatch and env values. Public: src/index.ts
 * exports these types through src/workload/options.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { SecretKeyRef } from "./refs";

/** GPU vendors with a known extended resource name (see {@link Resources.gpuVendor}). */
export type GpuVendor = "nvidia" | "amd" | "intel";

/** Container limits that differ from the requests (Burstable pods). Quantities as in {@link Resources}. */
export interface ResourceLimits {
    /**
     * CPU limit: cores as a number or a quantity (`"4"`, `"500m"`).
     * @default none (unlimited), unless qos is Guaranteed
     */
    cpu?: string | number;
    /**
     * Memory limit, a quantity (`"32Gi"`).
     * @default none, unless qos is Guaranteed
     */
    memory?: string;
    /**
     * Local disk limit, a quantity (`"100Gi"`).
     * @default none
     */
    ephemeralStorage?: string;
}

/**
 * Requests (and limits) of the main container. Quantities use Kubernetes units (`Mi`, `Gi`; `m` for millicores).
 * Default: no requests (BestEffort), unless set here or by stack config.
 */
export interface Resources {
    /** CPU request: cores as a number (2, 0.5) or a quantity ("500m"). */
    cpu?: string | number;
    /** Memory request ("16Gi"). */
    memory?: string;
    /** Local disk request, `ephemeral-storage` (Metaflow `disk`). */
    ephemeralStorage?: string;
    /** Number of GPUs (always set as requests and limits, as Kubernetes requires). */
    gpu?: number;
    /**
     * `nvidia` → nvidia.com/gpu, `amd` → amd.com/gpu, `intel` → gpu.intel.com/i915, or any extended resource name.
     * @default "nvidia"
     */
    gpuVendor?: string;
    /** Limits where they differ from requests (Burstable). */
    limits?: ResourceLimits;
    /**
     * `Burstable`: requests, limits only where given. `Guaranteed`: limits = requests (needs cpu and memory).
     * @default "Burstable"
     */
    qos?: "Guaranteed" | "Burstable";
    /**
     * Extended resources next to the GPUs, by resource name, in whole units: `{ "vpc.amazonaws.com/efa": 4,
     * "rdma/hca": 1 }` (Metaflow `extended_resources`). Set as requests and limits (Kubernetes does not
     * overcommit extended resources).
     * @default none
     */
    extendedResources?: { [resourceName: string]: number };
}

/**
 * A container `preStop` hook: what runs before the container gets SIGTERM. Exactly one of `command`
 * (exec), `sleepSeconds` (the kubelet's sleep action) or `path` (HTTP GET on `port`). It counts against
 * `terminationGracePeriodSeconds`.
 */
export interface PreStopSpec {
    /** Run this command in the container. */
    command?: string[];
    /** Sleep this many seconds (lets load balancers drop the pod's endpoint before shutdown). */
    sleepSeconds?: number;
    /** HTTP GET this path on `port`. */
    path?: string;
    /**
     * Port of the HTTP GET: a number or a container port name. Required with `path` on TrainJob.
     * @default Compute: its first port
     */
    port?: number | string;
}

/** A scratch directory (emptyDir) that lives as long as the pod. */
export interface EmptyDirSpec {
    /** Absolute path in the container. */
    mountPath: string;
    /**
     * Pod volume name.
     * @default derived from mountPath
     */
    name?: string;
    /**
     * Maximum size, a quantity (`"50Gi"`); the pod is evicted when it exceeds it.
     * @default none
     */
    sizeLimit?: string;
    /** `Memory` for a tmpfs. */
    medium?: "Memory";
}

/** A generic ephemeral volume: a PersistentVolumeClaim created with each pod and deleted with it. */
export interface EphemeralVolumeSpec {
    /** Absolute path in the container. */
    mountPath: string;
    /** Size of the per-pod claim ("100Gi"). */
    size: string;
    /**
     * Pod volume name.
     * @default derived from mountPath
     */
    name?: string;
    /**
     * StorageClass.
     * @default `mlkube:storageClass`, else the cluster default
     */
    storageClass?: string;
    /**
     * Access mode.
     * @default "ReadWriteOnce"
     */
    accessMode?: "ReadWriteOnce" | "ReadWriteOncePod";
}

/** A Memory-backed scratch directory; its size counts against the container's memory. */
export interface TmpfsSpec {
    /**
     * Size limit.
     * @default half the memory request (Metaflow's default)
     */
    size?: string;
    /**
     * Where it is mounted. When elsewhere than `/tmp`, TMPDIR points at it.
     * @default "/tmp"
     */
    path?: string;
}

/** Pod spec fields merged last (containers by name, volumes/env by name), for anything PodOptions does not cover. */
export type PodPatch = Omit<k8s.core.v1.PodSpec, "containers"> & {
    /** Containers to merge by `name` (the main container is `main` in Compute, `node` in TrainJob). */
    containers?: (Partial<k8s.core.v1.Container> & {
        /** Name of the container to patch (or add). */
        name: string;
    })[];
};

/** A Downward API value: `env: { POD_IP: { fieldRef: "status.podIP" } }`. */
export interface FieldRef {
    /** Pod field path, e.g. `status.podIP`, `metadata.name`, `spec.nodeName`. */
    fieldRef: string;
}

/** Value of an env var: a string (or Output), a Secret key ({@link Secret.ref}) or a Downward API field. */
export type EnvValue = pulumi.Input<string> | SecretKeyRef | FieldRef;

/** @internal */
export const GPU_RESOURCES: Record<GpuVendor, string> = {
    nvidia: "nvidia.com/gpu",
    amd: "amd.com/gpu",
    intel: "gpu.intel.com/i915",
};

export function gpuResourceName(vendor: string | undefined): string {
    const v = vendor ?? "nvidia";
    return Object.hasOwn(GPU_RESOURCES, v) ? GPU_RESOURCES[v as GpuVendor] : v;
}
