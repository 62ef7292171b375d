/**
 * Typed runtime patches (`spec.runtimePatches` of a Kubeflow TrainJob), modelled on the Kubeflow SDK's
 * `kubeflow.trainer.options` dataclasses (RuntimePatch → TrainingRuntimeSpecPatch → JobSetTemplatePatch →
 * JobSetSpecPatch → ReplicatedJobPatch → JobTemplatePatch → JobSpecPatch → PodTemplatePatch →
 * PodSpecPatch → ContainerPatch), with exactly the fields the Trainer v2.3 CRD allows.
 *
 * The same patches apply to both backends: the kubeflow backend sends them to the Trainer controller,
 * the jobset backend applies them itself with the controller's semantics (strategic merge in list order).
 * Validation is what the CRD, the Trainer webhook and the SDK check, applied on both backends so a
 * program that works on one works on the other.
 */
import type * as k8s from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { lazy } from "../schema/lazy";
import { patchSource, PodSource } from "../pod/final";
import { Agree, record, Resolved, schemaMatches, Unresolved } from "../schema/input";
import { k8sObject } from "../schema/k8s";
import { absolutePath, dnsSubdomain, envName, isDnsSubdomain, labelKey, labelValue } from "../schema/names";

/** Labels and annotations: the only metadata the Trainer API documents for patches. */
export interface PatchMetadata {
    /**
     * Labels to add.
     * @default none
     */
    labels?: { [key: string]: pulumi.Input<string> };
    /**
     * Annotations to add.
     * @default none
     */
    annotations?: { [key: string]: pulumi.Input<string> };
}

/** A patch of one existing container (Kubeflow `ContainerPatch`): no image/command/args/resources. */
export interface ContainerPatch {
    /** Must exist in the runtime (`node` for the torch runtimes and for the jobset backend). */
    name: string;
    /** Merged by name. Not allowed on the `node` container: use the TrainJob's `env`. */
    env?: k8s.core.v1.EnvVar[];
    /**
     * Merged by mountPath (strategic merge). Names must be unique: the Trainer CRD keys this list by
     * `name`, so mounting one volume twice (two subPaths) needs two pod volumes.
     */
    volumeMounts?: k8s.core.v1.VolumeMount[];
    /**
     * Container securityContext, merged field by field.
     * @default unchanged
     */
    securityContext?: k8s.core.v1.SecurityContext;
}

/** Kubeflow `PodSpecPatch`: the pod fields a manager may set. */
export interface PodSpecPatch {
    /**
     * Service account of the pods.
     * @default unchanged
     */
    serviceAccountName?: string;
    /**
     * Pod volumes, merged by name.
     * @default none added
     */
    volumes?: k8s.core.v1.Volume[];
    /** Patches of init containers, merged by name. */
    initContainers?: ContainerPatch[];
    /** Patches of containers, merged by name. */
    containers?: ContainerPatch[];
    /**
     * Image pull secrets added to the pod (Secret names).
     * @default none
     */
    imagePullSecrets?: {
        /** Name of the Secret. */
        name: string;
    }[];
    /**
     * Pod securityContext, merged field by field.
     * @default unchanged
     */
    securityContext?: k8s.core.v1.PodSecurityContext;
    /**
     * Node labels the pods must match, merged by key.
     * @default unchanged
     */
    nodeSelector?: { [key: string]: string };
    /**
     * Node/pod affinity.
     * @default unchanged
     */
    affinity?: k8s.core.v1.Affinity;
    /** Replaces the list (atomic). mlkube adds the automatic GPU toleration back unless `gpuToleration: false`. */
    tolerations?: k8s.core.v1.Toleration[];
    /**
     * Scheduling gates that hold the pods until removed (e.g. by Kueue).
     * @default none
     */
    schedulingGates?: {
        /** Name of the gate. */
        name: string;
    }[];
    /**
     * In the CRD since Kubeflow Trainer v2.3 (not in v2.2's, nor in the Python SDK's PodSpecPatch): needs a
     * v2.3 Trainer.
     */
    terminationGracePeriodSeconds?: number;
}

/** Patch of a pod template (Kubeflow `PodTemplatePatch`). */
export interface PodTemplatePatch {
    /** Labels/annotations to add. */
    metadata?: PatchMetadata;
    /** Pod spec fields to merge. */
    spec?: PodSpecPatch;
}

/** Patch of a Job spec (Kubeflow `JobSpecPatch`). */
export interface JobSpecPatch {
    /** The Job's pod template. */
    template?: PodTemplatePatch;
}

/** Patch of a Job template (Kubeflow `JobTemplatePatch`). */
export interface JobTemplatePatch {
    /** Labels/annotations to add. */
    metadata?: PatchMetadata;
    /** The Job spec. */
    spec?: JobSpecPatch;
}

/** Patch of one replicated job of the runtime's JobSet, selected by `name`. */
export interface ReplicatedJobPatch {
    /** Must exist in the runtime: `node` for torch-distributed and for the jobset backend. */
    name: string;
    /** The replicated job's Job template. */
    template?: JobTemplatePatch;
}

/** Patch of the JobSet spec (Kubeflow `JobSetSpecPatch`). */
export interface JobSetSpecPatch {
    /** Replicated jobs to patch, merged by name. */
    replicatedJobs?: ReplicatedJobPatch[];
}

/** Patch of the runtime's JobSet template. */
export interface JobSetTemplatePatch {
    /** Labels/annotations of the JobSet. */
    metadata?: PatchMetadata;
    /** The JobSet spec. */
    spec?: JobSetSpecPatch;
}

/** Patch of the training runtime spec (Kubeflow `TrainingRuntimeSpecPatch`). */
export interface TrainingRuntimeSpecPatch {
    /** The runtime's JobSet template. */
    template?: JobSetTemplatePatch;
}

/**
 * One entry of `TrainJobArgs.runtimePatches`, typed after the Kubeflow SDK's `RuntimePatch`: changes a
 * manager makes to the runtime's JobSet for this job. Applied on both backends.
 */
export interface RuntimePatch {
    /** Who owns this patch: a domain-prefixed path ("example.com/team-defaults"), unique per TrainJob. */
    manager: string;
    /** The patch of the runtime spec. */
    trainingRuntimeSpec?: TrainingRuntimeSpecPatch;
}

/** The manager key of the patch mlkube itself writes on the kubeflow backend. */
export const MLKUBE_MANAGER = "mlkube.dev/trainjob";
/** The CRD's maxItems for `spec.runtimePatches`. */
export const MAX_RUNTIME_PATCHES = 16;
/** Containers whose env the Trainer webhook refuses in a patch. */
export const ENV_FORBIDDEN_CONTAINERS = ["node", "dataset-initializer", "model-initializer"];

// ---------------------------------------------------------------------------------------------------
// Schema

/** Turns `Unresolved` markers (Outputs seen by validate()) back into the Outputs they stand for. */
export function unmark(v: unknown): unknown {
    if (v instanceof Unresolved) return v.value;
    if (Array.isArray(v)) return v.map(unmark);
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
        const out: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(v)) out[k] = unmark(e);
        return out;
    }
    return v;
}

/** Kubernetes' IsDomainPrefixedPath: `<DNS-1123 subdomain>/<non-empty path of URL-safe characters>`. */
export function domainPrefixedPathProblem(s: string): string | undefined {
    const slash = s.indexOf("/");
    if (slash < 0) return 'must be a domain-prefixed path such as "example.com/my-manager"';
    const host = s.slice(0, slash);
    const path = s.slice(slash + 1);
    if (!isDnsSubdomain(host))
        return `prefix ${JSON.stringify(host)} is not a DNS subdomain; use a domain you own, e.g. "example.com/my-manager"`;
    if (path.length === 0) return 'needs a path after the domain, e.g. "example.com/my-manager"';
    if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(path))
        return `path ${JSON.stringify(path)} may only hold URL path characters (letters, digits and -._~%!$&'()*+,;=:/)`;
    return undefined;
}

const metadataSchema = lazy(
    () =>
        z.strictObject({
            labels: record(
                labelKey(),
                z.union([labelValue(), z.instanceof(Unresolved).transform((u) => u.value)]),
            ).optional(),
            annotations: record(
                labelKey(),
                z.union([z.string(), z.instanceof(Unresolved).transform((u) => u.value)]),
            ).optional(),
        }) as unknown as z.ZodType<PatchMetadata, Resolved<PatchMetadata>>,
);

const VALUE_FROM_KEYS = ["configMapKeyRef", "secretKeyRef", "fieldRef", "resourceFieldRef"];

const envVarSchema = lazy(
    () =>
        z
            .record(z.string(), z.unknown())
            .superRefine((e, ctx) => {
                if (typeof e.name !== "string" || e.name === "")
                    ctx.addIssue({ code: "custom", path: ["name"], message: "is required (a non-empty env var name)" });
                else if (!envName().safeParse(e.name).success)
                    ctx.addIssue({
                        code: "custom",
                        path: ["name"],
                        message: envName().safeParse(e.name).error!.issues[0].message,
                    });
                if (!("value" in e) && !("valueFrom" in e))
                    ctx.addIssue({ code: "custom", message: "needs a value or a valueFrom" });
                if ("valueFrom" in e) {
                    const vf = e.valueFrom;
                    if (!vf || typeof vf !== "object" || !VALUE_FROM_KEYS.some((k) => k in vf)) {
                        ctx.addIssue({
                            code: "custom",
                            path: ["valueFrom"],
                            message: `must contain one of ${VALUE_FROM_KEYS.join(", ")}`,
                        });
                    }
                }
            })
            .pipe(k8sObject<k8s.core.v1.EnvVar>("EnvVar")) as unknown as z.ZodType<
            k8s.core.v1.EnvVar,
            Resolved<k8s.core.v1.EnvVar>
        >,
);

const volumeMountSchema = lazy(
    () =>
        z
            .record(z.string(), z.unknown())
            .superRefine((m, ctx) => {
                if (typeof m.name !== "string" || m.name === "")
                    ctx.addIssue({ code: "custom", path: ["name"], message: "is required (the name of a pod volume)" });
                if (m.mountPath === undefined)
                    ctx.addIssue({ code: "custom", path: ["mountPath"], message: "is required" });
                else if (typeof m.mountPath === "string") {
                    const r = absolutePath().safeParse(m.mountPath);
                    if (!r.success)
                        ctx.addIssue({ code: "custom", path: ["mountPath"], message: r.error.issues[0].message });
                }
            })
            .pipe(k8sObject<k8s.core.v1.VolumeMount>("VolumeMount")) as unknown as z.ZodType<
            k8s.core.v1.VolumeMount,
            Resolved<k8s.core.v1.VolumeMount>
        >,
);

const volumeSchema = lazy(
    () =>
        z
            .record(z.string(), z.unknown())
            .superRefine((v, ctx) => {
                if (typeof v.name !== "string" || v.name === "")
                    ctx.addIssue({
                        code: "custom",
                        path: ["name"],
                        message: "is required (volumes are merged by name)",
                    });
            })
            .pipe(k8sObject<k8s.core.v1.Volume>("Volume")) as unknown as z.ZodType<
            k8s.core.v1.Volume,
            Resolved<k8s.core.v1.Volume>
        >,
);

const name253 = lazy(() => z.string().min(1).max(253));

/** Adds an issue for every repeated `key` in a list-map; `problem` says what is wrong and the fix (default: merge the two entries). */
function uniqueBy(key: string, what: string, problem = "is listed twice; merge the two entries") {
    return (list: unknown[] | undefined, ctx: z.RefinementCtx) => {
        const seen = new Set<unknown>();
        (list ?? []).forEach((item, i) => {
            const k = (item as Record<string, unknown> | undefined)?.[key];
            if (typeof k !== "string") return;
            if (seen.has(k))
                ctx.addIssue({ code: "custom", path: [i, key], message: `${what} ${JSON.stringify(k)} ${problem}` });
            seen.add(k);
        });
    };
}

const containerPatchSchema = lazy(() =>
    z.strictObject({
        name: name253(),
        env: z.array(envVarSchema()).max(128).superRefine(uniqueBy("name", "env var")).optional(),
        // The Trainer CRD keys volumeMounts by name (one mount per pod volume); the pod API refuses repeated mountPaths.
        volumeMounts: z
            .array(volumeMountSchema())
            .max(128)
            .superRefine(
                uniqueBy(
                    "name",
                    "volume",
                    "is mounted twice in this container: the Trainer keys a container's volumeMounts by name, so a pod volume mounts once; to mount the same source at a second path, add a second pod volume with the same source under another name (in this patch's volumes) and mount that",
                ),
            )
            .superRefine(
                uniqueBy(
                    "mountPath",
                    "mountPath",
                    "is listed twice; a path holds one mount: mount one of them elsewhere",
                ),
            )
            .optional(),
        securityContext: k8sObject<k8s.core.v1.SecurityContext>("SecurityContext", "merge").optional(),
    }),
);
schemaMatches<Agree<Resolved<ContainerPatch>, z.input<ReturnType<typeof containerPatchSchema>>>>();

const nameOnly = lazy(() => z.strictObject({ name: name253() }));

const podSpecPatchSchema = lazy(() =>
    z.strictObject({
        serviceAccountName: dnsSubdomain().optional(),
        volumes: z.array(volumeSchema()).max(128).superRefine(uniqueBy("name", "volume")).optional(),
        initContainers: z
            .array(containerPatchSchema())
            .max(64)
            .superRefine(uniqueBy("name", "init container"))
            .optional(),
        containers: z.array(containerPatchSchema()).max(64).superRefine(uniqueBy("name", "container")).optional(),
        imagePullSecrets: z.array(nameOnly()).max(64).superRefine(uniqueBy("name", "image pull secret")).optional(),
        securityContext: k8sObject<k8s.core.v1.PodSecurityContext>("PodSecurityContext", "merge").optional(),
        nodeSelector: record(labelKey(), labelValue()).optional(),
        affinity: k8sObject<k8s.core.v1.Affinity>("Affinity").optional(),
        tolerations: z.array(k8sObject<k8s.core.v1.Toleration>("Toleration")).max(128).optional(),
        schedulingGates: z.array(nameOnly()).max(16).superRefine(uniqueBy("name", "scheduling gate")).optional(),
        terminationGracePeriodSeconds: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    }),
);
schemaMatches<Agree<Resolved<PodSpecPatch>, z.input<ReturnType<typeof podSpecPatchSchema>>>>();

const replicatedJobPatchSchema = lazy(() =>
    z.strictObject({
        name: name253(),
        template: z
            .strictObject({
                metadata: metadataSchema().optional(),
                spec: z
                    .strictObject({
                        template: z
                            .strictObject({
                                metadata: metadataSchema().optional(),
                                spec: podSpecPatchSchema().optional(),
                            })
                            .optional(),
                    })
                    .optional(),
            })
            .optional(),
    }),
);
schemaMatches<Agree<Resolved<ReplicatedJobPatch>, z.input<ReturnType<typeof replicatedJobPatchSchema>>>>();

/** @internal */
export const runtimePatchSchema = lazy(() =>
    z.strictObject({
        manager: z
            .string()
            .min(1)
            .max(253)
            .superRefine((m, ctx) => {
                const problem = domainPrefixedPathProblem(m);
                if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(m)} ${problem}` });
            }),
        trainingRuntimeSpec: z
            .strictObject({
                template: z
                    .strictObject({
                        metadata: metadataSchema().optional(),
                        spec: z
                            .strictObject({
                                replicatedJobs: z
                                    .array(replicatedJobPatchSchema())
                                    .max(100)
                                    .superRefine(uniqueBy("name", "replicated job"))
                                    .optional(),
                            })
                            .optional(),
                    })
                    .optional(),
            })
            .optional(),
    }),
);
schemaMatches<Agree<Resolved<RuntimePatch>, z.input<ReturnType<typeof runtimePatchSchema>>>>();

/** @internal */
export const runtimePatchesSchema = lazy(() => z.array(runtimePatchSchema()));

// ---------------------------------------------------------------------------------------------------
// Checks that depend on the runtime (webhook rules)

/** What the referenced runtime (or the generated JobSet) holds, for the webhook's existence checks. */
export interface RuntimeShape {
    /** Replicated job name → container and init container names. Undefined: unknown runtime, not checked. */
    jobs?: Record<string, string[]>;
    /** Description for messages: `runtime "torch-distributed"` or `the generated JobSet`. */
    description: string;
}

/** The shape of the default `torch-distributed` ClusterTrainingRuntime and of mlkube's JobSet. */
export const TORCH_RUNTIME_JOBS: Record<string, string[]> = { node: ["node"] };

export interface PatchIssue {
    path: (string | number)[];
    message: string;
}

/**
 * The rules the Trainer's validating webhook applies to `runtimePatches` (plus the CRD's maxItems and
 * list-map uniqueness across managers), for patches that passed the schema. `reserved` is the number of
 * entries mlkube adds itself.
 */
export function checkPatches(patches: RuntimePatch[], shape: RuntimeShape, reserved: number): PatchIssue[] {
    const issues: PatchIssue[] = [];
    if (patches.length + reserved > MAX_RUNTIME_PATCHES) {
        issues.push({
            path: [],
            message: `takes at most ${MAX_RUNTIME_PATCHES - reserved} patch(es)${reserved ? ` (a TrainJob holds ${MAX_RUNTIME_PATCHES} and mlkube uses ${reserved} for the pod options)` : ""}; merge patches of the same manager`,
        });
    }
    const managers = new Map<string, number>();
    patches.forEach((p, i) => {
        const prev = managers.get(p.manager);
        if (prev !== undefined)
            issues.push({
                path: [i, "manager"],
                message: `${JSON.stringify(p.manager)} is also the manager of runtimePatches[${prev}]; each manager may own one patch, so merge them`,
            });
        managers.set(p.manager, i);
        if (p.manager === MLKUBE_MANAGER)
            issues.push({
                path: [i, "manager"],
                message: `${JSON.stringify(MLKUBE_MANAGER)} is reserved for the patch mlkube writes from the pod options; use your own domain`,
            });
        const rjobs = p.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? [];
        rjobs.forEach((rj, j) => {
            const base: (string | number)[] = [i, "trainingRuntimeSpec", "template", "spec", "replicatedJobs", j];
            const known = shape.jobs;
            if (known && !Object.hasOwn(known, rj.name)) {
                issues.push({
                    path: [...base, "name"],
                    message: `replicated job ${JSON.stringify(rj.name)} does not exist in ${shape.description} (it has ${Object.keys(
                        known,
                    )
                        .map((n) => JSON.stringify(n))
                        .join(", ")}); a patch can only change existing replicated jobs`,
                });
            }
            const spec = rj.template?.spec?.template?.spec;
            for (const field of ["containers", "initContainers"] as const) {
                (spec?.[field] ?? []).forEach((c, k) => {
                    const cpath = [...base, "template", "spec", "template", "spec", field, k];
                    const names = known && Object.hasOwn(known, rj.name) ? known[rj.name] : undefined;
                    if (names && !names.includes(c.name)) {
                        issues.push({
                            path: [...cpath, "name"],
                            message: `container ${JSON.stringify(c.name)} does not exist in replicated job ${JSON.stringify(rj.name)} of ${shape.description} (it has ${names.map((n) => JSON.stringify(n)).join(", ")}); a patch can only change existing containers`,
                        });
                    }
                    if (c.env?.length && ENV_FORBIDDEN_CONTAINERS.includes(c.name)) {
                        // The TrainJob's env is the node's; an initializer's is its own option.
                        const where =
                            c.name === "node"
                                ? "the TrainJob's env"
                                : `initializer.${c.name.replace(/-initializer$/, "")}.env`;
                        issues.push({
                            path: [...cpath, "env"],
                            message: `the Trainer does not accept env for the ${JSON.stringify(c.name)} container in a patch; set it in ${where} instead`,
                        });
                    }
                });
            }
        });
    });
    return issues;
}

// ---------------------------------------------------------------------------------------------------
// Serialization, identical to the SDK's `_patch_to_dict`

/**
 * The fields of each "dataclass" in declaration order; `true` marks a nested dataclass (dropped when
 * it serializes empty), a string names the dataclass of list items. Anything else is passed through.
 */
type Fields = [string, string | true | undefined][];
const CLASSES: Record<string, Fields> = {
    RuntimePatch: [
        ["trainingRuntimeSpec", "TrainingRuntimeSpecPatch"],
        ["manager", undefined],
    ],
    TrainingRuntimeSpecPatch: [["template", "JobSetTemplatePatch"]],
    JobSetTemplatePatch: [
        ["metadata", undefined],
        ["spec", "JobSetSpecPatch"],
    ],
    JobSetSpecPatch: [["replicatedJobs", "ReplicatedJobPatch"]],
    ReplicatedJobPatch: [
        ["name", undefined],
        ["template", "JobTemplatePatch"],
    ],
    JobTemplatePatch: [
        ["metadata", undefined],
        ["spec", "JobSpecPatch"],
    ],
    JobSpecPatch: [["template", "PodTemplatePatch"]],
    PodTemplatePatch: [
        ["metadata", undefined],
        ["spec", "PodSpecPatch"],
    ],
    PodSpecPatch: [
        ["serviceAccountName", undefined],
        ["volumes", undefined],
        ["initContainers", "ContainerPatch"],
        ["containers", "ContainerPatch"],
        ["imagePullSecrets", undefined],
        ["securityContext", undefined],
        ["nodeSelector", undefined],
        ["affinity", undefined],
        ["tolerations", undefined],
        ["schedulingGates", undefined],
        ["terminationGracePeriodSeconds", undefined],
    ],
    ContainerPatch: [
        ["name", undefined],
        ["env", undefined],
        ["volumeMounts", undefined],
        ["securityContext", undefined],
    ],
};

function toDict(cls: string, obj: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, sub] of CLASSES[cls]) {
        const value = obj[key];
        if (value === undefined || value === null) continue;
        if (Array.isArray(value)) {
            const converted =
                typeof sub === "string" ? value.map((v) => toDict(sub, v as Record<string, unknown>)) : value;
            if (converted.length) out[key] = converted;
        } else if (typeof sub === "string") {
            const converted = toDict(sub, value as Record<string, unknown>);
            if (Object.keys(converted).length) out[key] = converted;
        } else {
            out[key] = value;
        }
    }
    return out;
}

/**
 * A RuntimePatch as the Kubeflow SDK serializes the same options: camelCase keys in the SDK's field
 * order (`trainingRuntimeSpec` before `manager`), no undefined values, no empty lists, no empty nested
 * patch objects, plain Kubernetes objects passed through, no `time` (the webhook stamps it).
 */
export function serializePatch(p: RuntimePatch): Record<string, unknown> {
    return toDict("RuntimePatch", p as unknown as Record<string, unknown>);
}

// ---------------------------------------------------------------------------------------------------
// The automatic GPU toleration

/**
 * `patches` with `toleration` added to every pod `tolerations` list that lacks a toleration for its key.
 * Tolerations are replaced as a whole by a patch (an atomic list), so a patch that sets its own would
 * otherwise drop the GPU toleration and leave GPU pods unschedulable on tainted GPU nodes. Used by both
 * backends: the jobset backend before merging, the kubeflow backend in what it sends to the Trainer.
 * Only replicated job `jobName` (the GPU pods) is touched.
 */
export function keepToleration(
    patches: RuntimePatch[],
    jobName: string,
    toleration: k8s.core.v1.Toleration,
): RuntimePatch[] {
    return patches.map((p) => {
        const rjobs = p.trainingRuntimeSpec?.template?.spec?.replicatedJobs;
        if (!rjobs?.some((rj) => rj.name === jobName && rj.template?.spec?.template?.spec?.tolerations)) return p;
        const replicatedJobs = rjobs.map((rj) => {
            const spec = rj.template?.spec?.template?.spec;
            const list = spec?.tolerations;
            if (
                rj.name !== jobName ||
                !spec ||
                !list ||
                list.some((t) => t && (t as { key?: unknown }).key === toleration.key)
            )
                return rj;
            return {
                ...rj,
                template: {
                    ...rj.template,
                    spec: {
                        ...rj.template!.spec,
                        template: {
                            ...rj.template!.spec!.template,
                            spec: { ...spec, tolerations: [...list, toleration] },
                        },
                    },
                },
            };
        });
        const t = p.trainingRuntimeSpec!.template!;
        return {
            ...p,
            trainingRuntimeSpec: { ...p.trainingRuntimeSpec, template: { ...t, spec: { ...t.spec, replicatedJobs } } },
        };
    });
}

// ---------------------------------------------------------------------------------------------------
// The final pod

/**
 * The pod spec patches of replicated job `jobName` in `patches`, in merge order, as sources for the
 * final pod check (src/pod/final.ts): problems are reported at `runtimePatches[i]…template.spec`.
 */
export function runtimePodSources(patches: RuntimePatch[], jobName: string): PodSource[] {
    const out: PodSource[] = [];
    patches.forEach((p, i) =>
        (p.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? []).forEach((rj, j) => {
            const spec = rj.template?.spec?.template?.spec;
            if (rj.name === jobName && spec)
                out.push(
                    patchSource(spec, [
                        "runtimePatches",
                        i,
                        "trainingRuntimeSpec",
                        "template",
                        "spec",
                        "replicatedJobs",
                        j,
                        "template",
                        "spec",
                        "template",
                        "spec",
                    ]),
                );
        }),
    );
    return out;
}
