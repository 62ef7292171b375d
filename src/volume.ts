/**
 * Volume: a PersistentVolumeClaim, or a reference to a claim created elsewhere, that Compute and
 * TrainJob pods mount. Claims keep their data by default: `pulumi destroy` leaves them in the cluster
 * (retainOnDelete) unless `reclaim: "Delete"`.
 */
import * as pulumi from "@pulumi/pulumi";
import { PersistentVolumeClaim } from "@pulumi/kubernetes/core/v1";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { lazy } from "./schema/lazy";
import { compact, keepFieldManager, objectAnnotations, objectLabels, resolveNamespace } from "./metadata";
import { mlkubeConfig } from "./config";
import { ComponentSpec, MlkubeComponent, prepare } from "./base";
import { asPulumiError, MlkubeValidationError, ValidationIssue } from "./errors";
import { Agree, Resolved, input, pulumiResource, record, schemaMatches, validate } from "./schema/input";
import { absolutePath, annotationMap, dnsLabel, dnsSubdomain, isDnsLabel, labelKey, labelValue } from "./schema/names";
import { byteQuantity } from "./schema/quantity";
import { AccessMode, ClaimMount } from "./pod/refs";

export { AccessMode, ClaimMount } from "./pod/refs";

export const VOLUME_TYPE = "mlkube:index:Volume";

const ACCESS_MODES = ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"] as const;

/**
 * Arguments of {@link Volume}: one PersistentVolumeClaim. Changing `storageClass`, `accessMode` or
 * `volumeMode` replaces the claim (immutable in Kubernetes); growing `size` updates it in place.
 */
export interface VolumeArgs {
    /** Requested size, a Kubernetes quantity ("100Gi"). Growing it updates the claim in place. */
    size: pulumi.Input<string>;
    /**
     * Access mode; use `ReadWriteMany` for volumes shared by several nodes.
     * @default "ReadWriteOnce"
     */
    accessMode?: pulumi.Input<AccessMode>;
    /**
     * StorageClass.
     * @default `mlkube:storageClass`, else the cluster's default class
     */
    storageClass?: pulumi.Input<string>;
    /**
     * `Filesystem` or `Block` (mounted as a device at `mountPath`).
     * @default "Filesystem"
     */
    volumeMode?: "Filesystem" | "Block";
    /**
     * Claim name.
     * @default the component name
     */
    name?: string;
    /**
     * Namespace.
     * @default `mlkube:namespace`, else the provider's
     */
    namespace?: pulumi.Input<string>;
    /**
     * Labels of the claim, merged over `mlkube:labels`.
     * @default none besides mlkube's own
     */
    labels?: { [key: string]: pulumi.Input<string> };
    /**
     * Annotations of the claim, merged over `mlkube:annotations`.
     * @default none
     */
    annotations?: { [key: string]: pulumi.Input<string> };
    /**
     * Where workloads mount it unless they say otherwise.
     * @default `/mnt/<claim name>`
     */
    mountPath?: pulumi.Input<string>;
    /**
     * What `pulumi destroy` (or a replacement) does with the claim and its data. `Retain`: the claim stays
     * in the cluster and leaves Pulumi's state. `Delete`: the claim is deleted.
     * @default "Retain"
     */
    reclaim?: "Retain" | "Delete";
}

const labelMap = lazy(() => record(labelKey(), input(labelValue())));
const annotations = lazy(() => annotationMap(input(z.string())));

/** @internal */
export const volumeArgsSchema = lazy(() =>
    z.strictObject({
        size: input(byteQuantity("Gi")),
        accessMode: input(z.enum(ACCESS_MODES)).optional(),
        storageClass: input(dnsSubdomain()).optional(),
        volumeMode: z.enum(["Filesystem", "Block"]).optional(),
        name: dnsLabel().optional(),
        namespace: input(dnsLabel()).optional(),
        labels: labelMap().optional(),
        annotations: annotations().optional(),
        mountPath: input(absolutePath()).optional(),
        reclaim: z.enum(["Retain", "Delete"]).optional(),
    }),
);
schemaMatches<Agree<Resolved<VolumeArgs>, z.input<ReturnType<typeof volumeArgsSchema>>>>();

/**
 * Options of {@link Volume.existing}: where and how workloads mount a claim created elsewhere. The last
 * three describe the claim exactly when a reference is rebuilt from a {@link Volume}'s outputs (e.g. by
 * mlkube's multi-language provider), so workloads mount it as they would mount the Volume itself.
 */
export interface VolumeReferenceOptions {
    /**
     * Namespace of the claim; a pod can only mount claims of its own namespace.
     * @default the workload's namespace
     */
    namespace?: string;
    /**
     * Where workloads mount it.
     * @default `/mnt/<claimName>`
     */
    mountPath?: string;
    /**
     * Mount read-only.
     * @default false
     */
    readOnly?: boolean;
    /**
     * `Filesystem` (mounted as a directory) or `Block` (attached as a device at `mountPath`).
     * @default "Filesystem"
     */
    volumeMode?: "Filesystem" | "Block";
    /**
     * The claim's access mode, when known: lets workloads check it (e.g. `ReadWriteOnce` with several pods).
     * @default unknown (not checked)
     */
    accessMode?: AccessMode;
    /**
     * A resource the workloads mounting this claim depend on (created first, deleted last), typically the
     * Volume the reference was rebuilt from.
     * @default none (the claim exists already)
     */
    dependsOn?: pulumi.Resource;
}

/** A claim created elsewhere (`Volume.existing`): creates nothing, mounts like a Volume. */
export class VolumeReference {
    /** Name of the existing PersistentVolumeClaim. */
    readonly claimName: string;
    /**
     * Its namespace.
     * @default the workload's namespace
     */
    readonly namespace?: string;
    /**
     * Where workloads mount it.
     * @default `/mnt/<claimName>`
     */
    readonly mountPath: string;
    /**
     * Mounted read-only.
     * @default false
     */
    readonly readOnly?: boolean;
    /**
     * `Filesystem` or `Block`.
     * @default "Filesystem"
     */
    readonly volumeMode: "Filesystem" | "Block";
    /** The claim's access mode, when given; undefined: unknown (not checked). */
    readonly accessMode?: AccessMode;
    /** What workloads mounting it depend on, when given. */
    readonly dependsOn?: pulumi.Resource;

    /**
     * Refers to claim `claimName` (a DNS-1123 label); prefer {@link Volume.existing}. Throws MlkubeValidationError on invalid input.
     */
    constructor(claimName: string, opts: VolumeReferenceOptions = {}) {
        const parsed = validate("Volume.existing", claimName, referenceSchema(), { claimName, ...opts });
        this.claimName = parsed.claimName;
        this.namespace = parsed.namespace;
        this.mountPath = parsed.mountPath ?? `/mnt/${parsed.claimName}`;
        this.readOnly = parsed.readOnly;
        this.volumeMode = parsed.volumeMode ?? "Filesystem";
        this.accessMode = parsed.accessMode;
        this.dependsOn = parsed.dependsOn;
    }

    /** What a workload needs to mount this claim. */
    mount(): ClaimMount {
        const m: ClaimMount = {
            claimName: this.claimName,
            namespace: this.namespace,
            mountPath: this.mountPath,
            volumeMode: this.volumeMode,
            readOnly: this.readOnly,
        };
        if (this.accessMode !== undefined) m.accessMode = this.accessMode;
        if (this.dependsOn !== undefined) m.resource = this.dependsOn;
        return m;
    }
}

/** What `Volume.existing` accepts (the schema's `ExistingVolume`). @internal */
export const existingSchema = lazy(() =>
    z.strictObject({
        claimName: dnsLabel(),
        namespace: dnsLabel().optional(),
        mountPath: absolutePath().optional(),
        readOnly: z.boolean().optional(),
    }),
);

/** `existingSchema` plus what a reference rebuilt from a Volume's outputs carries (not part of the wire form). */
const referenceSchema = lazy(() =>
    existingSchema().extend({
        volumeMode: z.enum(["Filesystem", "Block"]).optional(),
        accessMode: z.enum(ACCESS_MODES).optional(),
        dependsOn: pulumiResource().optional(),
    }),
);
schemaMatches<
    Agree<Resolved<VolumeReferenceOptions & { claimName: string }>, z.input<ReturnType<typeof referenceSchema>>>
>();

/** @internal */
export type ValidatedVolumeArgs = z.output<ReturnType<typeof volumeArgsSchema>>;

/** The claim a Volume creates: a pure function of validated args (used by the component and tests). @internal */
export function renderClaim(name: string, a: ValidatedVolumeArgs): k8s.core.v1.PersistentVolumeClaim {
    const claimName = a.name ?? name;
    return {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: compact({
            name: claimName,
            namespace: resolveNamespace(a.namespace),
            labels: objectLabels("Volume", claimName, a.labels),
            annotations: objectAnnotations(a.annotations),
        }),
        spec: compact({
            accessModes: [a.accessMode ?? "ReadWriteOnce"],
            storageClassName: a.storageClass ?? mlkubeConfig().storageClass,
            volumeMode: a.volumeMode,
            resources: { requests: { storage: a.size } },
        }),
    };
}

/**
 * Fields of a claim Kubernetes never changes once it exists: mlkube keeps the claim's values
 * (`ignoreChanges`) and reports a difference with {@link immutableClaimIssues} instead of replacing the
 * claim (a retained claim cannot be replaced under its own name; the attempt dropped it from the stack).
 */
export const IMMUTABLE_CLAIM_FIELDS = ["spec.storageClassName", "spec.accessModes", "spec.volumeMode"];

/**
 * What the program declares for an existing claim's immutable fields and the claim does not have: one
 * issue per field, saying how to keep the data. `declared` holds plain values only (undefined: not
 * declared or not known yet, nothing to compare). Pure. @internal
 */
export function immutableClaimIssues(
    claimName: string,
    declared: { storageClass?: string; accessMode?: string; volumeMode?: string },
    live: { storageClassName?: string; accessModes?: string[]; volumeMode?: string } | undefined,
): ValidationIssue[] {
    if (!live) return [];
    const fields: Array<[keyof typeof declared, string | undefined, string | undefined]> = [
        ["storageClass", declared.storageClass, live.storageClassName],
        ["accessMode", declared.accessMode, live.accessModes?.[0]],
        ["volumeMode", declared.volumeMode, live.volumeMode],
    ];
    return fields
        .filter(([, want, have]) => want !== undefined && have !== undefined && want !== have)
        .map(([field, want, have]) => ({
            path: [field],
            message:
                `claim "${claimName}" exists with ${field} ${JSON.stringify(have)}, and Kubernetes cannot change a claim's ${field}; nothing was changed. ` +
                `To keep the claim and its data, set ${field} back to ${JSON.stringify(have)}. To move the data to a ${JSON.stringify(want)} claim: ` +
                `add a Volume with another name and ${field} ${JSON.stringify(want)}, copy the data, then remove this Volume ` +
                `(its claim is retained; delete it with kubectl once the copy is checked); see docs/concepts/volume.md`,
        }));
}

/** The component name, when it doubles as the Kubernetes name. */
const componentNameSchema = lazy(() => z.object({ name: dnsLabel() }));

/**
 * A PersistentVolumeClaim for datasets, model weights or checkpoints, mounted by {@link Compute} and
 * {@link TrainJob} through `volumes: [volume]`. Kept on `pulumi destroy` unless `reclaim: "Delete"`
 * (see docs/concepts/volume.md).
 *
 * ```ts
 * const cache = new mlkube.Volume("model-cache", { size: "200Gi", accessMode: "ReadWriteMany" });
 * ```
 */
export class Volume extends MlkubeComponent {
    /** A reference to an existing claim: `Volume.existing("datasets", { mountPath: "/data" })`. */
    static existing(claimName: string, opts?: VolumeReferenceOptions): VolumeReference {
        return new VolumeReference(claimName, opts);
    }

    /** Name of the claim (`args.name`, else the component name). */
    get claimName(): pulumi.Output<string> {
        return this.lazy("claimName", () => this.claim.metadata.name);
    }
    /** Namespace of the claim. */
    get namespace(): pulumi.Output<string> {
        return this.lazy("namespace", () => this.claim.metadata.namespace);
    }
    /** The PersistentVolumeClaim child resource. */
    readonly claim: PersistentVolumeClaim;
    private readonly mountInfo: ClaimMount;
    private readonly accessModeInput: pulumi.Input<AccessMode>;

    /** Where workloads mount it unless they say otherwise (an Output built on first read). */
    get mountPath(): pulumi.Output<string> {
        return this.lazy("mountPath", () => pulumi.output(this.mountInfo.mountPath));
    }
    /** Whether workloads mount it read-only by default: always false for a Volume (a mount spec may say otherwise). */
    get readOnly(): pulumi.Output<boolean> {
        return pulumi.output(this.mountInfo.readOnly ?? false);
    }
    /** `Filesystem` or `Block`, as created (args `volumeMode`, default `Filesystem`). */
    get volumeMode(): pulumi.Output<"Filesystem" | "Block"> {
        return pulumi.output(this.mountInfo.volumeMode);
    }
    /** The claim's access mode (args `accessMode`, default `ReadWriteOnce`). */
    get accessMode(): pulumi.Output<AccessMode> {
        return pulumi.output(this.accessModeInput);
    }

    /**
     * Creates the claim. `name` is the Pulumi resource name and the default claim name (a DNS-1123 label).
     * Throws MlkubeValidationError before registering anything when `args` are invalid.
     */
    constructor(name: string, args: VolumeArgs, opts?: pulumi.ComponentResourceOptions) {
        const { a, spec, claimName } = prepare(
            volumeSpec,
            name,
            opts,
            () => {
                const a = validate("Volume", name, volumeArgsSchema(), args);
                if (a.name === undefined && !isDnsLabel(name))
                    validate("Volume", name, componentNameSchema(), { name }); // the schema words the error
                return { a, spec: renderClaim(name, a), claimName: a.name ?? name };
            },
            (r) => [{ kind: "PersistentVolumeClaim", namespace: resolveNamespace(r.a.namespace), name: r.claimName }],
        );
        super(volumeSpec, name, opts);
        this.claim = new PersistentVolumeClaim(name, spec, {
            parent: this,
            retainOnDelete: (a.reclaim ?? "Retain") === "Retain",
            ignoreChanges: keepFieldManager(IMMUTABLE_CLAIM_FIELDS),
        });
        // The claim's outputs are what it is (after a preview's dry run, or recorded when unchanged): a
        // declared immutable field that differs fails the preview and the update with mlkube's message.
        // Only plain declared values are compared (an Output-valued field is the claim's own business); one
        // apply on the claim's spec, not pulumi.all, which deep-walks its inputs (issue 27: promises per Volume).
        const plain = (v: unknown) => (typeof v === "string" ? v : undefined);
        const want = {
            storageClass: plain(a.storageClass ?? mlkubeConfig().storageClass),
            accessMode: plain(a.accessMode),
            volumeMode: plain(a.volumeMode),
        };
        // The Output's promise, not an apply: an apply per Volume cost ~40 promises per workload (issue 27).
        const immutableCheck = (this.claim.spec as unknown as { promise(): Promise<unknown> })
            .promise()
            .then((live) => {
                const issues = immutableClaimIssues(claimName, want, live as never);
                if (issues.length) throw asPulumiError(new MlkubeValidationError("Volume", name, issues), this.claim);
                return undefined;
            });
        const mountPath = a.mountPath ?? `/mnt/${claimName}`;
        const accessMode =
            a.accessMode === undefined ? "ReadWriteOnce" : typeof a.accessMode === "string" ? a.accessMode : undefined;
        this.mountInfo = {
            claimName,
            namespace: resolveNamespace(a.namespace),
            mountPath,
            volumeMode: a.volumeMode ?? "Filesystem",
            accessMode,
            resource: this.claim,
        };
        this.accessModeInput = a.accessMode ?? "ReadWriteOnce";
        if (
            accessMode === "ReadWriteMany" &&
            a.storageClass === undefined &&
            mlkubeConfig().storageClass === undefined
        ) {
            // Most default StorageClasses (cloud block disks) cannot do RWX: the claim would stay Pending.
            void pulumi.log.warn(
                `Volume "${name}": accessMode "ReadWriteMany" without a storageClass (and no mlkube:storageClass) uses the cluster's default class, which usually cannot provide ReadWriteMany (cloud block disks are ReadWriteOnce), so the claim may stay Pending; set storageClass to an RWX-capable class (NFS, CephFS, EFS, Filestore, Azure Files)`,
                this,
            );
        }
        // No component outputs in the state: claimName/namespace are the claim's own outputs (issue 15); the
        // check resolves to nothing and is registered so that the update waits for it and reports its failure.
        this.finish(volumeSpec, { immutableCheck });
    }

    /** What a workload needs to mount this claim (used by the pod builder). */
    mount(): ClaimMount {
        return this.mountInfo;
    }
}

const VOLUME_OUTPUTS = ["claimName", "namespace", "mountPath", "readOnly", "volumeMode", "accessMode"] as const;

/** Volume in the component table (src/components.ts). @internal */
export const volumeSpec: ComponentSpec<Volume> = {
    name: "Volume",
    token: VOLUME_TYPE,
    get schema() {
        return volumeArgsSchema();
    },
    source: { args: "VolumeArgs", argsFile: "src/volume.ts", classFile: "src/volume.ts" },
    create: (name, args, opts) => new Volume(name, args as never, opts),
    outputs: VOLUME_OUTPUTS,
    // A reference from another process rebuilds the mount from all of them.
    referenceOutputs: VOLUME_OUTPUTS,
};

/** What workloads accept where a volume is expected. */
export type VolumeLike = Volume | VolumeReference | string;

/** Normalises a Volume, a reference or a plain claim name into a ClaimMount. */
export function claimMountOf(v: VolumeLike): ClaimMount {
    if (typeof v === "string") return new VolumeReference(v).mount();
    return v.mount();
}
