/**
 * What the pod builder is given: PodOptions after validation, with every Volume and Secret already turned
 * into the plain structures of ./refs by the component layer (src/workload/resolve.ts), and the stack
 * configuration it applies. Nothing here is a component.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import type { ClaimMount, SecretBinding } from "./refs";
import type { EmptyDirSpec, EnvValue, EphemeralVolumeSpec, PodPatch, PreStopSpec, Resources, TmpfsSpec } from "./types";

/** A `volumes` entry: the claim and how this workload mounts it (each undefined: the claim's own setting). */
export interface ClaimVolume {
    claim: ClaimMount;
    mountPath?: pulumi.Input<string>;
    subPath?: pulumi.Input<string>;
    readOnly?: boolean;
}

/** An `imagePullSecrets` entry: the Secret's binding, and whether the user gave it by name (a string: not checked). */
export interface PullSecret {
    binding: SecretBinding;
    byName: boolean;
}

/**
 * Validated pod options in plain form (quantities are strings, as validation leaves them). The fields
 * mean what they mean in PodOptions (src/workload/options.ts); `volumes`, `secrets` and
 * `imagePullSecrets` are resolved.
 */
export interface PodInput {
    image: pulumi.Input<string>;
    command?: pulumi.Input<string>[];
    args?: pulumi.Input<string>[];
    env?: { [name: string]: EnvValue };
    workingDir?: pulumi.Input<string>;
    imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
    imagePullSecrets?: PullSecret[];
    serviceAccountName?: pulumi.Input<string>;
    podLabels?: { [key: string]: pulumi.Input<string> };
    podAnnotations?: { [key: string]: pulumi.Input<string> };
    resources?: Resources;
    volumes?: ClaimVolume[];
    emptyDirs?: EmptyDirSpec[];
    sharedMemory?: string;
    tmpfs?: TmpfsSpec;
    ephemeralVolumes?: EphemeralVolumeSpec[];
    secrets?: SecretBinding[];
    nodeSelector?: { [key: string]: string } | string;
    tolerations?: k8s.core.v1.Toleration[];
    gpuToleration?: boolean;
    affinity?: k8s.core.v1.Affinity;
    priorityClassName?: pulumi.Input<string>;
    runtimeClassName?: pulumi.Input<string>;
    topologySpreadConstraints?: k8s.core.v1.TopologySpreadConstraint[];
    secureDefaults?: boolean;
    securityContext?: k8s.core.v1.PodSecurityContext;
    containerSecurityContext?: k8s.core.v1.SecurityContext;
    podPatch?: PodPatch;
    terminationGracePeriodSeconds?: number;
    preStop?: PreStopSpec;
    /** The profile the options came from (its podPatch is looked up in `PodConfig.profiles` for error paths). */
    profile?: string;
}

/**
 * The stack configuration the builder applies (the `mlkube:*` keys it reads; src/config.ts's
 * MlkubeConfig is one). Passed in the context by the component layer: the builder reads no config.
 */
export interface PodConfig {
    labels?: Record<string, string>;
    storageClass?: string;
    imagePullSecrets?: string[];
    nodeSelector?: Record<string, string>;
    tolerations?: k8s.core.v1.Toleration[];
    serviceAccountName?: string;
    profiles?: Record<string, Record<string, unknown>>;
}
