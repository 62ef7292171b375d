/**
 * The pod builder: the one place where pod specs are assembled, for Compute (Deployment) and TrainJob
 * (JobSet, or a Kubeflow TrainJob's trainer + runtime patch). A pure function from validated
 * PodOptions and a small context to a PodTemplateSpec plus the resources the pod depends on.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { mlkubeConfig } from "../config";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { compact, InputMap, objectLabels } from "../metadata";
import { isLabelValue, qualifiedNameProblem } from "../schema/names";
import { parseQuantity } from "../schema/quantity";
import { bindingOf, SecretBinding, SecretKeyRef } from "../secret/secret";
import { claimMountOf, VolumeLike } from "../volume";
import { strategicMerge } from "./merge";
import { FieldRef, gpuResourceName, ValidatedPodOptions, VolumeMountSpec } from "./options";

export interface PodContext {
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
    /**
     * Annotate the pod template with a digest of each mounted Secret's content, so a changed value rolls
     * the pods. Default true; jobs turn it off (a rotated token must not restart a training run).
     */
    rollOnSecretChange?: boolean;
    /** The workload's namespace when known, to reject mounts of claims/secrets in other namespaces. */
    namespace?: pulumi.Input<string>;
}

export interface BuiltPod {
    template: { metadata: k8s.meta.v1.ObjectMeta; spec: k8s.core.v1.PodSpec };
    /** Components the pod needs first (Volumes, Secrets): the workload's dependsOn. */
    dependencies: pulumi.Resource[];
    /** The GPU resource and count, if the pod asks for GPUs. */
    gpu?: { resource: string; count: number };
}

/** Pod-level secure defaults that make a pod pass Pod Security Standards "restricted". */
export const SECURE_POD_CONTEXT = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
/** Container-level secure defaults for PSS "restricted". */
export const SECURE_CONTAINER_CONTEXT = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/** A pod volume name (DNS label ≤63) from a prefix and an id, shortened with a hash when too long. */
export function volumeName(prefix: string, id: string): string {
    const slug = id.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
    const full = `${prefix}${slug}`;
    if (full.length <= 63 && slug) return full;
    const hash = crypto.createHash("sha256").update(id).digest("hex").slice(0, 8);
    return `${prefix}${slug.slice(0, 63 - prefix.length - 9).replace(/-+$/, "")}-${hash}`;
}

function checksumKey(secretName: string): string {
    const key = `checksum.mlkube.dev/${secretName}`;
    return secretName.length <= 63 ? key : `checksum.mlkube.dev/${volumeName("", secretName)}`;
}

/** Parses Metaflow's "k=v,k2=v2" node selector string. */
export function parseNodeSelector(s: string, issue: (message: string) => void): Record<string, string> {
    const out: Record<string, string> = {};
    for (const part of s.split(",").map((p) => p.trim()).filter(Boolean)) {
        const eq = part.indexOf("=");
        if (eq <= 0) {
            issue(`${JSON.stringify(part)} is not key=value; write "key=value,key2=value2" or an object`);
            continue;
        }
        const k = part.slice(0, eq).trim();
        const v = part.slice(eq + 1).trim();
        const problem = qualifiedNameProblem(k);
        if (problem) issue(`key ${JSON.stringify(k)} is invalid: ${problem}`);
        else if (!isLabelValue(v)) issue(`value ${JSON.stringify(v)} of ${k} is not a valid label value`);
        else out[k] = v;
    }
    return out;
}

function isPlain(v: unknown): v is string {
    return typeof v === "string";
}

function envVar(name: string, v: unknown): k8s.core.v1.EnvVar {
    if (v && typeof v === "object" && "secretName" in v && "key" in v) {
        const r = v as SecretKeyRef;
        return { name, valueFrom: { secretKeyRef: compact({ name: r.secretName, key: r.key, optional: r.optional }) } };
    }
    if (v && typeof v === "object" && "fieldRef" in v) {
        return { name, valueFrom: { fieldRef: { fieldPath: (v as FieldRef).fieldRef } } };
    }
    return { name, value: v as pulumi.Input<string> };
}

function resourceRequirements(o: ValidatedPodOptions, issues: ValidationIssue[]): { req?: k8s.core.v1.ResourceRequirements; gpu?: BuiltPod["gpu"] } {
    const r = o.resources;
    if (!r) return {};
    const requests: Record<string, string> = {};
    const limits: Record<string, string> = {};
    const names = { cpu: "cpu", memory: "memory", ephemeralStorage: "ephemeral-storage" } as const;
    for (const [field, k8sName] of Object.entries(names) as [keyof typeof names, string][]) {
        const req = r[field] as string | undefined;
        const lim = r.limits?.[field] as string | undefined;
        if (req !== undefined) requests[k8sName] = req;
        if (r.qos === "Guaranteed" && req !== undefined) limits[k8sName] = req;
        else if (lim !== undefined) {
            limits[k8sName] = lim;
            if (req !== undefined && parseQuantity(lim) < parseQuantity(req)) {
                issues.push({ path: ["resources", "limits", field], message: `${JSON.stringify(lim)} is less than the request ${JSON.stringify(req)}; raise the limit or lower the request` });
            }
        }
    }
    let gpu: BuiltPod["gpu"];
    if (r.gpu) {
        const resource = gpuResourceName(r.gpuVendor);
        requests[resource] = String(r.gpu);
        limits[resource] = String(r.gpu);
        gpu = { resource, count: r.gpu };
    }
    const req = compact({ requests: Object.keys(requests).length ? requests : undefined, limits: Object.keys(limits).length ? limits : undefined });
    return { req: Object.keys(req).length ? req : undefined, gpu };
}

/** Assembles the pod template for `o` in context `ctx`; throws MlkubeValidationError listing every problem. */
export function buildPod(o: ValidatedPodOptions, ctx: PodContext): BuiltPod {
    const issues: ValidationIssue[] = [];
    const cfg = mlkubeConfig();
    const dependencies: pulumi.Resource[] = [];
    const volumes: k8s.core.v1.Volume[] = [];
    const mounts: k8s.core.v1.VolumeMount[] = [];
    const devices: k8s.core.v1.VolumeDevice[] = [];
    const mountPaths = new Map<string, string>(); // plain mountPath -> where it came from
    const volumeNames = new Set<string>();

    const addVolume = (v: k8s.core.v1.Volume, path: (string | number)[]) => {
        const n = v.name as string;
        if (volumeNames.has(n)) issues.push({ path, message: `pod volume name ${JSON.stringify(n)} is used twice; give this one another name` });
        volumeNames.add(n);
        volumes.push(v);
    };
    const addMount = (m: k8s.core.v1.VolumeMount, path: (string | number)[]) => {
        if (isPlain(m.mountPath)) {
            const prev = mountPaths.get(m.mountPath);
            if (prev) issues.push({ path, message: `mountPath ${JSON.stringify(m.mountPath)} is already used by ${prev}; mount it elsewhere` });
            mountPaths.set(m.mountPath, path.join("."));
        }
        mounts.push(m);
    };
    const sameNamespace = (ns: pulumi.Input<string> | undefined, what: string, path: (string | number)[]) => {
        if (isPlain(ns) && isPlain(ctx.namespace) && ns !== ctx.namespace) {
            issues.push({ path, message: `${what} is in namespace ${JSON.stringify(ns)} but this ${ctx.component} runs in ${JSON.stringify(ctx.namespace)}; pods can only use objects of their own namespace` });
        }
    };

    // Claims (Volumes, references, claim names). The same claim mounted twice uses one pod volume.
    const claimVolumes = new Map<string, string>();
    (o.volumes ?? []).forEach((entry, i) => {
        const spec: VolumeMountSpec = typeof entry === "object" && entry !== null && "volume" in entry ? (entry as VolumeMountSpec) : { volume: entry as VolumeLike };
        const cm = claimMountOf(spec.volume);
        if (cm.resource) dependencies.push(cm.resource);
        sameNamespace(cm.namespace, `claim ${JSON.stringify(cm.claimName)}`, ["volumes", i]);
        let vname = claimVolumes.get(cm.claimName);
        if (!vname) {
            vname = volumeName("pvc-", cm.claimName);
            claimVolumes.set(cm.claimName, vname);
            addVolume({ name: vname, persistentVolumeClaim: { claimName: cm.claimName } }, ["volumes", i]);
        }
        const mountPath = spec.mountPath ?? cm.mountPath;
        const readOnly = spec.readOnly ?? cm.readOnly;
        if (cm.volumeMode === "Block") devices.push({ name: vname, devicePath: mountPath });
        else addMount(compact({ name: vname, mountPath, subPath: spec.subPath, readOnly }), ["volumes", i]);
    });

    // Secrets: env, files, git-ssh, image pull.
    const envFrom: k8s.core.v1.EnvFromSource[] = [];
    const secretEnv: Record<string, string> = {};
    const pullSecrets: string[] = [...(cfg.imagePullSecrets ?? [])];
    const checksums: InputMap = {};
    const bindings: SecretBinding[] = [];
    (o.secrets ?? []).forEach((s, i) => {
        const b = bindingOf(s);
        bindings.push(b);
        if (b.resource) dependencies.push(b.resource);
        sameNamespace(b.namespace, `Secret ${JSON.stringify(b.secretName)}`, ["secrets", i]);
        if (b.kind === "env") envFrom.push({ secretRef: { name: b.secretName } });
        else if (b.kind === "imagePull") pullSecrets.push(b.secretName);
        else {
            const vname = volumeName("secret-", b.secretName);
            addVolume({ name: vname, secret: compact({ secretName: b.secretName, defaultMode: b.fileMode, items: b.items }) }, ["secrets", i]);
            addMount({ name: vname, mountPath: b.mountPath, readOnly: true }, ["secrets", i]);
        }
        Object.assign(secretEnv, b.env);
        if (b.checksum && b.kind !== "imagePull" && ctx.rollOnSecretChange !== false) checksums[checksumKey(b.secretName)] = b.checksum;
    });
    (o.imagePullSecrets ?? []).forEach((s, i) => {
        const b = bindingOf(s);
        if (b.resource) dependencies.push(b.resource);
        if (typeof s !== "string" && b.kind !== "imagePull") {
            issues.push({ path: ["imagePullSecrets", i], message: `Secret ${JSON.stringify(b.secretName)} is not a registry credential; use a Secret with provider: "docker" or Secret.existing(name, { imagePull: true })` });
        }
        pullSecrets.push(b.secretName);
    });

    // Scratch space.
    (o.emptyDirs ?? []).forEach((e, i) => {
        const vname = e.name ?? volumeName("scratch-", e.mountPath);
        addVolume({ name: vname, emptyDir: compact({ medium: e.medium, sizeLimit: e.sizeLimit }) }, ["emptyDirs", i]);
        addMount({ name: vname, mountPath: e.mountPath }, ["emptyDirs", i]);
    });
    if (o.sharedMemory) {
        addVolume({ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: o.sharedMemory } }, ["sharedMemory"]);
        addMount({ name: "dshm", mountPath: "/dev/shm" }, ["sharedMemory"]);
    }
    const tmpfsEnv: Record<string, string> = {};
    if (o.tmpfs) {
        let size = o.tmpfs.size;
        if (!size) {
            const mem = o.resources?.memory;
            if (mem === undefined) issues.push({ path: ["tmpfs", "size"], message: "is required when resources.memory is not set (the default is half the memory request)" });
            else size = `${Math.max(1, Math.floor(parseQuantity(mem) / 2 / 2 ** 20))}Mi`;
        }
        const path = o.tmpfs.path ?? "/tmp";
        addVolume({ name: "tmpfs", emptyDir: compact({ medium: "Memory", sizeLimit: size }) }, ["tmpfs"]);
        addMount({ name: "tmpfs", mountPath: path }, ["tmpfs"]);
        if (path !== "/tmp") tmpfsEnv.TMPDIR = path;
    }
    (o.ephemeralVolumes ?? []).forEach((e, i) => {
        const vname = e.name ?? volumeName("ephemeral-", e.mountPath);
        addVolume(
            {
                name: vname,
                ephemeral: {
                    volumeClaimTemplate: {
                        spec: compact({
                            accessModes: [e.accessMode ?? "ReadWriteOnce"],
                            storageClassName: e.storageClass ?? cfg.storageClass,
                            resources: { requests: { storage: e.size } },
                        }),
                    },
                },
            },
            ["ephemeralVolumes", i],
        );
        addMount({ name: vname, mountPath: e.mountPath }, ["ephemeralVolumes", i]);
    });

    // Env: the user's in order, then what secrets and tmpfs need (unless the user set it), then the context's.
    const env: k8s.core.v1.EnvVar[] = [];
    const userEnv = o.env ?? {};
    for (const [name, v] of Object.entries(userEnv)) {
        env.push(envVar(name, v));
        if (v && typeof v === "object" && "resource" in v && (v as SecretKeyRef).resource) dependencies.push((v as SecretKeyRef).resource!);
    }
    for (const [name, v] of Object.entries({ ...secretEnv, ...tmpfsEnv })) if (!(name in userEnv)) env.push({ name, value: v });
    for (const e of ctx.extraEnv ?? []) {
        if ((e.name as string) in userEnv) issues.push({ path: ["env", e.name as string], message: `is set by ${ctx.component} itself; remove it from env` });
        env.push(e);
    }

    const { req: resources, gpu } = resourceRequirements(o, issues);

    // Scheduling.
    let nodeSelector: Record<string, string> = { ...cfg.nodeSelector };
    if (typeof o.nodeSelector === "string") {
        nodeSelector = { ...nodeSelector, ...parseNodeSelector(o.nodeSelector, (message) => issues.push({ path: ["nodeSelector"], message })) };
    } else if (o.nodeSelector) nodeSelector = { ...nodeSelector, ...o.nodeSelector };
    const tolerations: k8s.core.v1.Toleration[] = [...(cfg.tolerations ?? []), ...(o.tolerations ?? [])] as k8s.core.v1.Toleration[];
    if (gpu && o.gpuToleration !== false && !tolerations.some((t) => t.key === gpu.resource)) {
        tolerations.push({ key: gpu.resource, operator: "Exists", effect: "NoSchedule" });
    }

    if (issues.length) throw new MlkubeValidationError(ctx.component, ctx.name, issues);

    const secure = o.secureDefaults !== false;
    const podSecurity = secure ? strategicMerge(SECURE_POD_CONTEXT, o.securityContext) : o.securityContext;
    const containerSecurity = secure ? strategicMerge(SECURE_CONTAINER_CONTEXT, o.containerSecurityContext) : o.containerSecurityContext;

    const container: k8s.core.v1.Container = compact({
        name: ctx.containerName,
        image: o.image,
        command: o.command,
        args: o.args,
        workingDir: o.workingDir,
        imagePullPolicy: o.imagePullPolicy,
        ports: ctx.ports?.length ? ctx.ports : undefined,
        env: env.length ? env : undefined,
        envFrom: envFrom.length ? envFrom : undefined,
        resources,
        volumeMounts: mounts.length ? mounts : undefined,
        volumeDevices: devices.length ? devices : undefined,
        readinessProbe: ctx.readinessProbe,
        livenessProbe: ctx.livenessProbe,
        securityContext: containerSecurity && Object.keys(containerSecurity).length ? containerSecurity : undefined,
    });

    const uniquePull = [...new Set(pullSecrets)];
    let spec: k8s.core.v1.PodSpec = compact({
        restartPolicy: ctx.restartPolicy,
        serviceAccountName: o.serviceAccountName ?? cfg.serviceAccountName,
        imagePullSecrets: uniquePull.length ? uniquePull.map((name) => ({ name })) : undefined,
        nodeSelector: Object.keys(nodeSelector).length ? nodeSelector : undefined,
        tolerations: tolerations.length ? tolerations : undefined,
        affinity: o.affinity,
        priorityClassName: o.priorityClassName,
        runtimeClassName: o.runtimeClassName,
        topologySpreadConstraints: o.topologySpreadConstraints,
        securityContext: podSecurity && Object.keys(podSecurity).length ? podSecurity : undefined,
        containers: [container],
        volumes: volumes.length ? volumes : undefined,
    });
    if (o.podPatch) spec = strategicMerge(spec, o.podPatch);

    const annotations = { ...(o.annotations as InputMap | undefined), ...checksums };
    return {
        template: {
            metadata: compact({
                labels: { ...objectLabels(ctx.component, ctx.objectName, o.labels as InputMap | undefined), ...ctx.selectorLabels },
                annotations: Object.keys(annotations).length ? annotations : undefined,
            }),
            spec,
        },
        dependencies: [...new Set(dependencies)],
        gpu,
    };
}
