/** The pod's volumes and the container's mounts: the collector that checks names and paths, and the claims. */
import * as crypto from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { ValidationIssue } from "../errors";
import { compact } from "../plain";
import type { BuiltPod, PodContext } from "./context";
import type { PodInput } from "./input";

type Path = (string | number)[];

/** A pod volume name (DNS label ≤63) from a prefix and an id, shortened with a hash when too long. */
export function volumeName(prefix: string, id: string): string {
    const slug = id
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "");
    const full = `${prefix}${slug}`;
    if (full.length <= 63 && slug) return full;
    const hash = crypto.createHash("sha256").update(id).digest("hex").slice(0, 8);
    return `${prefix}${slug.slice(0, 63 - prefix.length - 9).replace(/-+$/, "")}-${hash}`;
}

export function isPlain(v: unknown): v is string {
    return typeof v === "string";
}

/**
 * The pod's volumes and the container's mounts and devices, as the builder's steps add them: a pod volume name or a mount path used twice is reported at the option that
 * adds it the second time.
 */
export class PodVolumes {
    readonly volumes: k8s.core.v1.Volume[] = [];
    readonly mounts: k8s.core.v1.VolumeMount[] = [];
    readonly devices: k8s.core.v1.VolumeDevice[] = [];
    private readonly mountPaths = new Map<string, string>(); // plain mountPath -> where it came from
    private readonly volumeNames = new Set<string>();

    constructor(
        private readonly ctx: PodContext,
        private readonly issues: ValidationIssue[],
    ) {}

    addVolume(v: k8s.core.v1.Volume, path: Path): void {
        const n = v.name as string;
        if (this.volumeNames.has(n))
            this.issues.push({
                path,
                message: `pod volume name ${JSON.stringify(n)} is used twice; give this one another name`,
            });
        this.volumeNames.add(n);
        this.volumes.push(v);
    }

    addMount(m: k8s.core.v1.VolumeMount, path: Path): void {
        if (isPlain(m.mountPath)) {
            const prev = this.mountPaths.get(m.mountPath);
            if (prev)
                this.issues.push({
                    path,
                    message: `mountPath ${JSON.stringify(m.mountPath)} is already used by ${prev}; mount it elsewhere`,
                });
            this.mountPaths.set(m.mountPath, path.join("."));
        }
        this.mounts.push(m);
    }

    /** Reports an object of another namespace than the workload's (when both are known). */
    sameNamespace(ns: pulumi.Input<string> | undefined, what: string, path: Path): void {
        const ctx = this.ctx;
        if (isPlain(ns) && isPlain(ctx.namespace) && ns !== ctx.namespace) {
            this.issues.push({
                path,
                message: `${what} is in namespace ${JSON.stringify(ns)} but this ${ctx.component} runs in ${JSON.stringify(ctx.namespace)}; pods can only use objects of their own namespace`,
            });
        }
    }
}

/**
 * Claims (Volumes, references, claim names). The same claim mounted twice uses one pod volume (unless
 * ctx.oneVolumePerMount: the Kubeflow CRD keys container volumeMounts by name). Returns the claims that
 * attach to one node or one pod, refused when the workload runs several pods.
 */
export function mountClaims(
    o: PodInput,
    ctx: PodContext,
    pv: PodVolumes,
    dependencies: pulumi.Resource[],
    issues: ValidationIssue[],
): BuiltPod["singleAttachClaims"] {
    const claimVolumes = new Map<string, string>();
    const singleAttach: BuiltPod["singleAttachClaims"] = [];
    (o.volumes ?? []).forEach((spec, i) => {
        const cm = spec.claim;
        if (cm.resource) dependencies.push(cm.resource);
        pv.sameNamespace(cm.namespace, `claim ${JSON.stringify(cm.claimName)}`, ["volumes", i]);
        if (
            (cm.accessMode === "ReadWriteOnce" || cm.accessMode === "ReadWriteOncePod") &&
            !singleAttach.some((c) => c.claimName === cm.claimName)
        ) {
            singleAttach.push({ claimName: cm.claimName, accessMode: cm.accessMode, path: ["volumes", i] });
            const pods = ctx.podCount;
            if (pods && pods.count > 1) {
                const why =
                    cm.accessMode === "ReadWriteOnce"
                        ? "attaches to one node at a time: pods on other nodes fail with Multi-Attach errors (read-only mounts too)"
                        : "admits exactly one pod: the others never schedule";
                issues.push({
                    path: ["volumes", i],
                    message: `claim ${JSON.stringify(cm.claimName)} is ${cm.accessMode}, which ${why}, but ${pods.field} is ${pods.count}; create the Volume with accessMode: "ReadWriteMany" (or "ReadOnlyMany" for shared read-only data), or run one ${pods.unit}`,
                });
            }
        }
        let vname = claimVolumes.get(cm.claimName);
        if (!vname || ctx.oneVolumePerMount) {
            vname = volumeName("pvc-", vname ? `${cm.claimName}-${i}` : cm.claimName);
            if (!claimVolumes.has(cm.claimName)) claimVolumes.set(cm.claimName, vname);
            pv.addVolume({ name: vname, persistentVolumeClaim: { claimName: cm.claimName } }, ["volumes", i]);
        }
        const mountPath = spec.mountPath ?? cm.mountPath;
        const readOnly = spec.readOnly ?? cm.readOnly;
        if (cm.volumeMode === "Block") pv.devices.push({ name: vname, devicePath: mountPath });
        else pv.addMount(compact({ name: vname, mountPath, subPath: spec.subPath, readOnly }), ["volumes", i]);
    });
    return singleAttach;
}
