/**
 * What the pod builder needs from a Volume or a Secret, as plain structures: the component layer
 * (src/volume.ts, src/secret, src/workload) turns Volumes, Secrets, references and names into these before
 * it calls the builder, so nothing under src/pod knows a component. src/volume.ts and src/secret re-export
 * them under their public names.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Kubernetes access mode of a PersistentVolumeClaim (`spec.accessModes[0]`). */
export type AccessMode = "ReadWriteOnce" | "ReadWriteMany" | "ReadOnlyMany" | "ReadWriteOncePod";

/** What a workload needs to mount a claim. Plain where the pod spec's shape depends on it. */
export interface ClaimMount {
    /** Name of the PersistentVolumeClaim. */
    claimName: string;
    /**
     * Namespace of the claim; a pod can only mount claims of its own namespace.
     * @default unknown (the provider's)
     */
    namespace?: pulumi.Input<string>;
    /** Absolute path where workloads mount the claim unless their `volumes` entry says otherwise. */
    mountPath: pulumi.Input<string>;
    /** `Filesystem` (mounted as a directory) or `Block` (attached as a device at `mountPath`). */
    volumeMode: "Filesystem" | "Block";
    /**
     * Mount read-only.
     * @default false
     */
    readOnly?: boolean;
    /** The claim's access mode when mlkube created it with a plain value; undefined when unknown (not checked). */
    accessMode?: AccessMode;
    /** The claim resource (a dependency of the workload), if mlkube creates it. */
    resource?: pulumi.Resource;
}

/** A reference to one key of a Secret, usable as an env value in Compute and TrainJob. */
export interface SecretKeyRef {
    /** Name of the Kubernetes Secret. */
    secretName: string;
    /** Key within the Secret. */
    key: string;
    /**
     * Start the pod even if the key is missing.
     * @default false
     */
    optional?: boolean;
    /** The Secret resource (a dependency of the workload), if mlkube creates it. */
    resource?: pulumi.Resource;
    /** A digest of the Secret's content (not secret), so pods roll when a referenced value changes. */
    checksum?: pulumi.Input<string>;
}

/** How a Secret reaches pods: everything the pod builder needs, plain where the pod's shape depends on it. */
export interface SecretBinding {
    /** Name of the Kubernetes Secret. */
    secretName: string;
    /**
     * Namespace of the Secret; pods can only use Secrets of their own namespace.
     * @default unknown (the workload's)
     */
    namespace?: pulumi.Input<string>;
    /** How it reaches the pod: env vars, files, image pull secret, or a git SSH key. */
    kind: "env" | "files" | "imagePull" | "gitSsh";
    /** Directory of the files (for `files` and `gitSsh`). */
    mountPath: string;
    /** The user's file mode; undefined: the pod builder's default (0o440 for non-root pods, else 0o400). */
    fileMode?: number;
    /** For directories: key -> relative path under mountPath. */
    items?: {
        /** Key within the Secret. */
        key: string;
        /** Relative file path under mountPath. */
        path: string;
    }[];
    /** Env vars the container gets besides the keys (GOOGLE_APPLICATION_CREDENTIALS, GIT_SSH_COMMAND). */
    env: Record<string, string>;
    /** A digest of the content (not secret), so pods roll when the content changes. */
    checksum?: pulumi.Input<string>;
    /** The Secret resource (a dependency of the workload), if mlkube creates it. */
    resource?: pulumi.Resource;
}
