/**
 * Dataset and model initializers (the Kubeflow SDK's `Initializer`): containers that download a dataset
 * or a model (`hf://…`, `s3://…`) before training, with the contract of the Kubeflow Trainer's initializer
 * runtimes: the images `ghcr.io/kubeflow/trainer/{dataset,model}-initializer` read `STORAGE_URI` and write
 * to `/workspace/dataset` and `/workspace/model`, where the `node` container then finds them.
 *
 * - jobset: replicated jobs `dataset-initializer` / `model-initializer` that `node` depends on (JobSet
 *   `dependsOn` … `Complete`), all mounting one ReadWriteMany claim (subPaths `dataset`, `model`);
 * - job: init containers of every pod, sharing an emptyDir per kind (or the claim) with `node`;
 * - kubeflow: `spec.initializer` (the runtime must provide the initializer jobs and their volume).
 *
 * Initializer containers are built by the one pod builder, like `node`.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { lazy } from "../schema/lazy";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { BuiltPod, envVar } from "../pod/builder";
import { EnvValue, podOptionsShape, secretLike, ValidatedPodOptions, volumeLike } from "../workload/options";
import { buildPod } from "../workload/resolve";
import { Agree, Resolved, schemaMatches } from "../schema/input";
import { bindingOf, Secret, SecretReference } from "../secret/secret";
import { ClaimMount, claimMountOf, Volume, VolumeLike, VolumeReference } from "../volume";
import { TRAINJOB_COMPONENT } from "./common";

/** What one initializer fetches (Kubeflow's `Initializer`: storage_uri, env, secret). */
export interface InitializerSource {
    /** Where from: `hf://<org>/<repo>` (Hugging Face), `s3://<bucket>/<prefix>`, …: the initializer's `STORAGE_URI`. */
    storageUri: string;
    /**
     * Extra env of the initializer, e.g. `{ ACCESS_TOKEN: hf.ref("HF_TOKEN") }`.
     * @default none
     */
    env?: { [name: string]: EnvValue };
    /**
     * A Secret whose keys become env of the initializer (Kubeflow's `secretRef`).
     * @default none
     */
    secret?: Secret | SecretReference | string;
    /**
     * Image (Kubeflow Trainer v2.3.0's). Not with backend "kubeflow" (the runtime's).
     * @default `ghcr.io/kubeflow/trainer/<kind>-initializer:v2.3.0`
     */
    image?: string;
}

/** `initializer` of a TrainJob: what to fetch before training, and where it is kept. */
export interface Initializers {
    /** Downloaded to `/workspace/dataset` before the nodes start. */
    dataset?: InitializerSource;
    /** Downloaded to `/workspace/model` before the nodes start. */
    model?: InitializerSource;
    /**
     * The claim the initializers write to and the nodes read from (subPaths `dataset` and `model`).
     * jobset: required, ReadWriteMany (initializers and nodes are different pods, on different nodes).
     * job: optional (each pod fetches its own copy before `node` starts).
     * kubeflow: not used (the runtime provides the volume).
     * @default job: an emptyDir per pod
     */
    volume?: Volume | VolumeReference | string;
}

/** Where each kind is mounted, on every backend (the Trainer's `DatasetMountPath` / `ModelMountPath`). */
export const INITIALIZER_PATHS = {
    /** Where the dataset initializer writes and the training container reads the dataset. */
    dataset: "/workspace/dataset",
    /** Where the model initializer writes and the training container reads the model. */
    model: "/workspace/model",
} as const;
/** @internal */
export type InitializerKind = keyof typeof INITIALIZER_PATHS;
/** @internal */
export const INITIALIZER_KINDS: InitializerKind[] = ["dataset", "model"];
/** Default images: the Kubeflow Trainer v2.3.0 initializers. @internal */
export const INITIALIZER_IMAGES = {
    dataset: "ghcr.io/kubeflow/trainer/dataset-initializer:v2.3.0",
    model: "ghcr.io/kubeflow/trainer/model-initializer:v2.3.0",
} as const;
/** The user id initializer containers run as under the secure defaults (the images declare no USER, i.e. root). @internal */
export const INITIALIZER_UID = 1000;

/** Container (and replicated job) name of an initializer, as in the Trainer's runtimes. @internal */
export const initializerName = (kind: InitializerKind): string => `${kind}-initializer`;

const STORAGE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/.+$/;

const sourceSchema = lazy(() =>
    z.strictObject({
        storageUri: z
            .string()
            .max(2048)
            .refine((u) => STORAGE_URI.test(u), {
                error: (iss) =>
                    `${JSON.stringify(iss.input)} is not a storage URI; write scheme://location, e.g. "hf://meta-llama/Llama-3.2-1B" or "s3://bucket/prefix"`,
            }),
        env: podOptionsShape().env,
        secret: secretLike().optional(),
        image: z.string().min(1).optional(),
    }),
);
schemaMatches<Agree<Resolved<InitializerSource>, z.input<ReturnType<typeof sourceSchema>>>>();

/** @internal */
export const initializersSchema = lazy(() =>
    z
        .strictObject({
            dataset: sourceSchema().optional(),
            model: sourceSchema().optional(),
            volume: volumeLike().optional(),
        })
        .refine((i) => i.dataset !== undefined || i.model !== undefined, { error: "needs dataset, model or both" }),
);
schemaMatches<Agree<Resolved<Initializers>, z.input<ReturnType<typeof initializersSchema>>>>();

/** @internal */
export type ValidatedInitializers = z.output<ReturnType<typeof initializersSchema>>;

/** The kinds configured, in the runtimes' order (dataset, then model). @internal */
export function configuredKinds(i: ValidatedInitializers | undefined): InitializerKind[] {
    return i ? INITIALIZER_KINDS.filter((k) => i[k] !== undefined) : [];
}

/** The claim the initializers share, as a mount (undefined without `volume`). @internal */
export function initializerClaim(i: ValidatedInitializers): ClaimMount | undefined {
    return i.volume !== undefined ? claimMountOf(i.volume) : undefined;
}

/** A Block-mode claim cannot hold the initializers' files (backends that mount `volume`). @internal */
export function initializerVolumeIssues(i: ValidatedInitializers): ValidationIssue[] {
    return initializerClaim(i)?.volumeMode === "Block"
        ? [{ path: ["initializer", "volume"], message: `is a Block volume; initializers need a Filesystem claim` }]
        : [];
}

/**
 * The PodOptions additions that give a pod the initializer mounts: subPath mounts of the claim, or
 * (job backend without a claim) one emptyDir per kind at the kind's path.
 * @internal
 */
export function initializerMounts(
    i: ValidatedInitializers,
    kinds: InitializerKind[],
): Pick<ValidatedPodOptions, "volumes" | "emptyDirs"> {
    if (i.volume !== undefined)
        return {
            volumes: kinds.map((k) => ({
                volume: i.volume as VolumeLike,
                mountPath: INITIALIZER_PATHS[k],
                subPath: k,
            })),
        };
    return { emptyDirs: kinds.map((k) => ({ name: initializerName(k), mountPath: INITIALIZER_PATHS[k] })) };
}

/**
 * The pod of one initializer, from the one pod builder: the initializer image with STORAGE_URI, the
 * user's env and secret, the kind's mount, and the node's pull secrets, service account and security
 * settings. Under the secure defaults the container runs as uid 1000 (the images declare root, which
 * `runAsNonRoot` refuses) with HOME=/tmp (writable for any uid) unless the pod options set a user.
 * @internal
 */
export function buildInitializerPod(
    kind: InitializerKind,
    a: ValidatedPodOptions & { initializer?: ValidatedInitializers },
    ctx: { name: string; objectName: string; namespace: unknown },
): BuiltPod {
    const i = a.initializer!;
    const src = i[kind]!;
    const secure = a.secureDefaults !== false;
    const userSet = a.securityContext?.runAsUser !== undefined || a.containerSecurityContext?.runAsUser !== undefined;
    const options: ValidatedPodOptions = {
        image: src.image ?? INITIALIZER_IMAGES[kind],
        env: { STORAGE_URI: src.storageUri, ...(secure && !userSet ? { HOME: "/tmp" } : {}), ...src.env },
        secrets: src.secret !== undefined ? [src.secret] : undefined,
        imagePullSecrets: a.imagePullSecrets,
        serviceAccountName: a.serviceAccountName,
        podLabels: a.podLabels,
        secureDefaults: a.secureDefaults,
        securityContext: a.securityContext,
        containerSecurityContext:
            secure && !userSet
                ? { runAsUser: INITIALIZER_UID, runAsGroup: INITIALIZER_UID, ...a.containerSecurityContext }
                : a.containerSecurityContext,
        ...initializerMounts(i, [kind]),
    };
    try {
        return buildPod(options, {
            component: TRAINJOB_COMPONENT,
            name: ctx.name,
            objectName: ctx.objectName,
            containerName: initializerName(kind),
            restartPolicy: "Never",
            rollOnSecretChange: false,
            namespace: ctx.namespace as never,
        });
    } catch (e) {
        // The builder speaks of the initializer's own options: point at them.
        if (e instanceof MlkubeValidationError)
            throw new MlkubeValidationError(
                e.component,
                e.resourceName,
                e.issues.map((x) => ({ ...x, path: ["initializer", kind, ...x.path] })),
            );
        throw e;
    }
}

/** Merges volumes by name (the initializers' and the node's share the claim or emptyDir). @internal */
export function mergeVolumes(
    a: k8s.core.v1.Volume[] | undefined,
    b: k8s.core.v1.Volume[] | undefined,
): k8s.core.v1.Volume[] | undefined {
    const out = [...(a ?? [])];
    for (const v of b ?? []) if (!out.some((x) => x.name === v.name)) out.push(v);
    return out.length ? out : undefined;
}

/** The PodOptions of the node with the initializer mounts added. @internal */
export function withInitializerMounts<T extends ValidatedPodOptions & { initializer?: ValidatedInitializers }>(
    a: T,
): T {
    const kinds = configuredKinds(a.initializer);
    if (!kinds.length) return a;
    const m = initializerMounts(a.initializer!, kinds);
    return {
        ...a,
        volumes: m.volumes ? [...(a.volumes ?? []), ...m.volumes] : a.volumes,
        emptyDirs: m.emptyDirs ? [...(a.emptyDirs ?? []), ...m.emptyDirs] : a.emptyDirs,
    };
}

/** `spec.initializer` of a Kubeflow TrainJob (storageUri, env as EnvVars, secretRef). @internal */
export function kubeflowInitializer(i: ValidatedInitializers): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of configuredKinds(i)) {
        const src = i[k]!;
        const env: k8s.core.v1.EnvVar[] = Object.entries(src.env ?? {}).map(([n, v]) => envVar(n, v));
        out[k] = {
            storageUri: src.storageUri,
            ...(env.length ? { env } : {}),
            ...(src.secret !== undefined ? { secretRef: { name: bindingOf(src.secret).secretName } } : {}),
        };
    }
    return out;
}
