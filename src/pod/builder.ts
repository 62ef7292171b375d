/**
 * The pod builder: the one place where pod specs are assembled, for Compute (Deployment) and TrainJob
 * (JobSet, or a Kubeflow TrainJob's trainer + runtime patch). A pure function from validated
 * PodOptions and a small context to a PodTemplateSpec plus the resources the pod depends on.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { mlkubeConfig } from "../config";
import { formatPath, MlkubeValidationError, ValidationIssue } from "../errors";
import { compact, InputMap, objectLabels } from "../metadata";
import { isLabelValue, qualifiedNameProblem } from "../schema/names";
import { parseQuantity } from "../schema/quantity";
import { bindingOf, SecretBinding, SecretKeyRef } from "../secret/secret";
import { claimMountOf, VolumeLike } from "../volume";
import { finalPodIssues, patchSource, PodSource } from "./final";
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
    startupProbe?: k8s.core.v1.Probe;
    /** Port of an HTTP preStop hook that names none (Compute: its first container port). */
    defaultPort?: number;
    /**
     * Annotate the pod template with a digest of each mounted Secret's content, so a changed value rolls
     * the pods. Default true; jobs turn it off (a rotated token must not restart a training run).
     */
    rollOnSecretChange?: boolean;
    /** The workload's namespace when known, to reject mounts of claims/secrets in other namespaces. */
    namespace?: pulumi.Input<string>;
    /** The user's name for the resources option in paths and messages. Default "resources" (TrainJob: "resourcesPerNode"). */
    resourcesField?: string;
    /** How many pods may run at once and which option says so, to refuse single-attach claims on several pods. */
    podCount?: { count: number; field: string; unit: string };
    /** One pod volume per claim mount (the Kubeflow CRD keys container volumeMounts by name). Default false. */
    oneVolumePerMount?: boolean;
    /**
     * The caller merges more into the pod (runtimePatches) and checks the final pod itself with
     * `finalPodIssues` and the returned `sources`. Default false: the builder checks the pod it returns.
     */
    patchedLater?: boolean;
}

export interface BuiltPod {
    template: { metadata: k8s.meta.v1.ObjectMeta; spec: k8s.core.v1.PodSpec };
    /** Components the pod needs first (Volumes, Secrets): the workload's dependsOn. */
    dependencies: pulumi.Resource[];
    /** The GPU resource and count, if the pod asks for GPUs. */
    gpu?: { resource: string; count: number };
    /** The automatic GPU toleration (unless gpuToleration: false), which runtime patches must keep. */
    gpuToleration?: k8s.core.v1.Toleration;
    /** Claims mlkube created as ReadWriteOnce/ReadWriteOncePod (one node / one pod), with the option that mounts them. */
    singleAttachClaims: { claimName: string; accessMode: "ReadWriteOnce" | "ReadWriteOncePod"; path: (string | number)[] }[];
    /** The parts of the pod the user wrote (security contexts, profile podPatch, podPatch), in merge order, for the final pod check. */
    sources: PodSource[];
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

/** One env var from a PodOptions env value: a plain value, a Secret key or a Downward API field. */
export function envVar(name: string, v: unknown): k8s.core.v1.EnvVar {
    if (v && typeof v === "object" && "secretName" in v && "key" in v) {
        const r = v as SecretKeyRef;
        return { name, valueFrom: { secretKeyRef: compact({ name: r.secretName, key: r.key, optional: r.optional }) } };
    }
    if (v && typeof v === "object" && "fieldRef" in v) {
        return { name, valueFrom: { fieldRef: { fieldPath: (v as FieldRef).fieldRef } } };
    }
    return { name, value: v as pulumi.Input<string> };
}

function resourceRequirements(o: ValidatedPodOptions, rf: string, issues: ValidationIssue[]): { req?: k8s.core.v1.ResourceRequirements; gpu?: BuiltPod["gpu"] } {
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
                issues.push({ path: [rf, "limits", field], message: `${JSON.stringify(lim)} is less than the request ${JSON.stringify(req)}; raise the limit or lower the request` });
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
    // Extended resources cannot be overcommitted: Kubernetes requires requests = limits.
    for (const [resource, count] of Object.entries(r.extendedResources ?? {})) {
        requests[resource] = String(count);
        limits[resource] = String(count);
    }
    const req = compact({ requests: Object.keys(requests).length ? requests : undefined, limits: Object.keys(limits).length ? limits : undefined });
    return { req: Object.keys(req).length ? req : undefined, gpu };
}

/** The container's resource requirements for `o` (requests/limits by Kubernetes resource name). @internal */
export function resourcesOf(o: import("./options").ValidatedPodOptions): { requests?: Record<string, string>; limits?: Record<string, string> } | undefined {
    return resourceRequirements(o, "resources", []).req as { requests?: Record<string, string>; limits?: Record<string, string> } | undefined;
}

/** GID mlkube gives `fsGroup` when a non-root pod needs one and neither runAsGroup nor runAsUser is set. */
export const DEFAULT_FS_GROUP = 1000;

type SecurityContext = Record<string, unknown> & { capabilities?: { add?: unknown[]; drop?: unknown[] }; seccompProfile?: { type?: unknown; localhostProfile?: unknown } };

/**
 * The user's security contexts merged over the secure defaults. Conflicts (privileged, SYS_ADMIN, root
 * against the defaults) are refused on the final pod, after podPatch (src/pod/final.ts).
 */
function securityContexts(o: ValidatedPodOptions, issues: ValidationIssue[]): { pod?: SecurityContext; container?: SecurityContext } {
    const userPod = (o.securityContext ?? {}) as SecurityContext;
    const userContainer = (o.containerSecurityContext ?? {}) as SecurityContext;
    if (o.secureDefaults === false) return { pod: o.securityContext as SecurityContext | undefined, container: o.containerSecurityContext as SecurityContext | undefined };
    const pod = strategicMerge(SECURE_POD_CONTEXT, userPod) as SecurityContext;
    const container = strategicMerge(SECURE_CONTAINER_CONTEXT, userContainer) as SecurityContext;
    // A user's capabilities.drop list replaces the default one in a merge: keep ALL dropped.
    const drop = userContainer.capabilities?.drop;
    if (Array.isArray(drop) && !drop.includes("ALL")) container.capabilities = { ...container.capabilities, drop: ["ALL", ...drop] };
    for (const [where, sc] of [["securityContext", userPod], ["containerSecurityContext", userContainer]] as const) {
        const p = sc.seccompProfile;
        if (p && p.localhostProfile !== undefined && p.type === undefined) {
            issues.push({ path: [where, "seccompProfile", "type"], message: `is required with localhostProfile (merged over the default it would be "RuntimeDefault", which the API server rejects with a localhostProfile); set type: "Localhost"` });
        }
    }
    return { pod, container };
}

/** Options that refer to each memory-backed volume's size, for the "fits in memory" check. */
interface MemoryVolume {
    field: string;
    size: string;
}

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;

/** The container lifecycle for `preStop`, checked against the grace period the kubelet enforces. */
function preStopHook(o: ValidatedPodOptions, ctx: PodContext, issues: ValidationIssue[]): k8s.core.v1.Lifecycle | undefined {
    const p = o.preStop;
    if (!p) return undefined;
    const given = (o.podPatch?.terminationGracePeriodSeconds as number | undefined) ?? o.terminationGracePeriodSeconds; // podPatch merges last
    const grace = given ?? DEFAULT_GRACE_SECONDS;
    if (p.sleepSeconds !== undefined && typeof grace === "number" && p.sleepSeconds >= grace) {
        issues.push({
            path: ["preStop", "sleepSeconds"],
            message: `${p.sleepSeconds}s does not fit in the grace period of ${grace}s${given === undefined ? " (the default)" : ""}: the kubelet kills the container when the grace period ends, hook or not; set terminationGracePeriodSeconds above ${p.sleepSeconds} (e.g. ${p.sleepSeconds + DEFAULT_GRACE_SECONDS})`,
        });
    }
    if (p.command) return { preStop: { exec: { command: p.command } } };
    if (p.sleepSeconds !== undefined) return { preStop: { sleep: { seconds: p.sleepSeconds } } };
    const port = p.port ?? ctx.defaultPort;
    if (port === undefined) {
        issues.push({ path: ["preStop", "port"], message: "is required: the HTTP preStop hook needs a port and this workload has none" });
        return undefined;
    }
    return { preStop: { httpGet: { path: p.path!, port } } };
}

/** Assembles the pod template for `o` in context `ctx`; throws MlkubeValidationError listing every problem. @internal */
export function buildPod(o: ValidatedPodOptions, ctx: PodContext): BuiltPod {
    const issues: ValidationIssue[] = [];
    const built = assemble(o, ctx, issues);
    if (issues.length) throw new MlkubeValidationError(ctx.component, ctx.name, issues);
    return built;
}

/**
 * Like buildPod, but returns the problems instead of throwing, so a component can report them together
 * with its own (backend-specific) ones. With problems, `pod` is a best effort, only for further checks.
 * @internal
 */
export function tryBuildPod(o: import("./options").ValidatedPodOptions, ctx: PodContext): { pod: BuiltPod; issues: ValidationIssue[] } {
    const issues: ValidationIssue[] = [];
    const pod = assemble(o, ctx, issues);
    return { pod, issues };
}

function assemble(o: ValidatedPodOptions, ctx: PodContext, issues: ValidationIssue[]): BuiltPod {
    const cfg = mlkubeConfig();
    const rf = ctx.resourcesField ?? "resources";
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

    // Security first: the defaults of volumes (fsGroup, secret file modes) depend on the pod's user.
    const security = securityContexts(o, issues);
    const bindings: SecretBinding[] = (o.secrets ?? []).map((s) => bindingOf(s));
    const needsGroup = (o.volumes ?? []).length > 0 || (o.ephemeralVolumes ?? []).length > 0 || bindings.some((b) => b.kind === "files" || b.kind === "gitSsh");
    let podSecurity = security.pod;
    const containerSecurity = security.container;
    const runAsUser = containerSecurity?.runAsUser ?? podSecurity?.runAsUser;
    const runAsGroup = containerSecurity?.runAsGroup ?? podSecurity?.runAsGroup;
    const nonRoot = typeof runAsUser === "number" ? runAsUser !== 0 : runAsUser === undefined && (containerSecurity?.runAsNonRoot ?? podSecurity?.runAsNonRoot) === true;
    if (needsGroup && nonRoot && podSecurity?.fsGroup === undefined) {
        // Secret files are root-owned; claims are usually root-owned too. fsGroup makes the kubelet give them
        // to this group (a supplementary group of the container), so the non-root user can read them.
        const gid = typeof runAsGroup === "number" && runAsGroup !== 0 ? runAsGroup : typeof runAsUser === "number" ? runAsUser : DEFAULT_FS_GROUP;
        podSecurity = { ...podSecurity, fsGroup: gid, fsGroupChangePolicy: podSecurity?.fsGroupChangePolicy ?? "OnRootMismatch" };
    }
    // Root-owned secret files: readable by the fsGroup when non-root (ssh accepts a group-readable key it does not own), owner-only otherwise.
    const defaultFileMode = nonRoot && podSecurity?.fsGroup !== undefined ? 0o440 : 0o400;

    // Claims (Volumes, references, claim names). The same claim mounted twice uses one pod volume
    // (unless ctx.oneVolumePerMount: the Kubeflow CRD keys container volumeMounts by name).
    const claimVolumes = new Map<string, string>();
    const singleAttach: BuiltPod["singleAttachClaims"] = [];
    (o.volumes ?? []).forEach((entry, i) => {
        const spec: VolumeMountSpec = typeof entry === "object" && entry !== null && "volume" in entry ? (entry as VolumeMountSpec) : { volume: entry as VolumeLike };
        const cm = claimMountOf(spec.volume);
        if (cm.resource) dependencies.push(cm.resource);
        sameNamespace(cm.namespace, `claim ${JSON.stringify(cm.claimName)}`, ["volumes", i]);
        if ((cm.accessMode === "ReadWriteOnce" || cm.accessMode === "ReadWriteOncePod") && !singleAttach.some((c) => c.claimName === cm.claimName)) {
            singleAttach.push({ claimName: cm.claimName, accessMode: cm.accessMode, path: ["volumes", i] });
            const pods = ctx.podCount;
            if (pods && pods.count > 1) {
                const why = cm.accessMode === "ReadWriteOnce" ? "attaches to one node at a time: pods on other nodes fail with Multi-Attach errors (read-only mounts too)" : "admits exactly one pod: the others never schedule";
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
    const roll = ctx.rollOnSecretChange !== false;
    bindings.forEach((b, i) => {
        if (b.resource) dependencies.push(b.resource);
        sameNamespace(b.namespace, `Secret ${JSON.stringify(b.secretName)}`, ["secrets", i]);
        if (b.kind === "env") envFrom.push({ secretRef: { name: b.secretName } });
        else if (b.kind === "imagePull") pullSecrets.push(b.secretName);
        else {
            const vname = volumeName("secret-", b.secretName);
            addVolume({ name: vname, secret: compact({ secretName: b.secretName, defaultMode: b.fileMode ?? defaultFileMode, items: b.items }) }, ["secrets", i]);
            addMount({ name: vname, mountPath: b.mountPath, readOnly: true }, ["secrets", i]);
        }
        Object.assign(secretEnv, b.env);
        if (b.checksum && b.kind !== "imagePull" && roll) checksums[checksumKey(b.secretName)] = b.checksum;
    });
    (o.imagePullSecrets ?? []).forEach((s, i) => {
        const b = bindingOf(s);
        if (b.resource) dependencies.push(b.resource);
        if (typeof s !== "string" && b.kind !== "imagePull") {
            issues.push({ path: ["imagePullSecrets", i], message: `Secret ${JSON.stringify(b.secretName)} is not a registry credential; use a Secret with provider: "docker" or Secret.existing(name, { imagePull: true })` });
        }
        pullSecrets.push(b.secretName);
    });

    // Scratch space. Memory-backed volumes count against the container's memory limit.
    const memoryVolumes: MemoryVolume[] = [];
    (o.emptyDirs ?? []).forEach((e, i) => {
        const vname = e.name ?? volumeName("scratch-", e.mountPath);
        let sizeLimit = e.sizeLimit;
        if (e.medium === "Memory") {
            if (sizeLimit === undefined) {
                // Default: the container's memory cap (the kernel charges it there anyway); not counted in the sum below.
                const mem = memoryCap(o);
                if (mem) sizeLimit = mem.value;
                else issues.push({ path: ["emptyDirs", i, "sizeLimit"], message: `is required with medium "Memory" when ${rf}.memory is not set (a tmpfs is charged to the container's memory; without a limit it can use the node's); e.g. "1Gi"` });
            }
            else memoryVolumes.push({ field: formatPath(["emptyDirs", i, "sizeLimit"]), size: sizeLimit });
        }
        addVolume({ name: vname, emptyDir: compact({ medium: e.medium, sizeLimit }) }, ["emptyDirs", i]);
        addMount({ name: vname, mountPath: e.mountPath }, ["emptyDirs", i]);
    });
    if (o.sharedMemory) {
        memoryVolumes.push({ field: "sharedMemory", size: o.sharedMemory });
        addVolume({ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: o.sharedMemory } }, ["sharedMemory"]);
        addMount({ name: "dshm", mountPath: "/dev/shm" }, ["sharedMemory"]);
    }
    const tmpfsEnv: Record<string, string> = {};
    if (o.tmpfs) {
        let size = o.tmpfs.size;
        if (!size) {
            const mem = o.resources?.memory;
            if (mem === undefined) issues.push({ path: ["tmpfs", "size"], message: `is required when ${rf}.memory is not set (the default is half the memory request)` });
            else size = `${Math.max(1, Math.floor(parseQuantity(mem) / 2 / 2 ** 20))}Mi`;
        }
        if (size) memoryVolumes.push({ field: o.tmpfs.size ? "tmpfs.size" : `tmpfs.size (default: half of ${rf}.memory)`, size });
        const path = o.tmpfs.path ?? "/tmp";
        addVolume({ name: "tmpfs", emptyDir: compact({ medium: "Memory", sizeLimit: size }) }, ["tmpfs"]);
        addMount({ name: "tmpfs", mountPath: path }, ["tmpfs"]);
        if (path !== "/tmp") tmpfsEnv.TMPDIR = path;
    }
    const cap = memoryCap(o);
    if (cap && memoryVolumes.length) {
        const total = memoryVolumes.reduce((sum, v) => sum + parseQuantity(v.size), 0);
        if (total > parseQuantity(cap.value)) {
            const parts = memoryVolumes.map((v) => `${v.field} ${JSON.stringify(v.size)}`).join(" + ");
            issues.push({
                path: [rf, ...cap.path],
                message: `${JSON.stringify(cap.value)} cannot hold the memory-backed volumes (${parts} = ${formatBytes(total)}), which are charged to the container's memory ${cap.path[0] === "limits" ? "limit" : "request"}; raise ${rf}.${cap.path.join(".")} or shrink the volumes`,
            });
        }
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
        if (v && typeof v === "object" && "secretName" in v) {
            const r = v as SecretKeyRef;
            if (r.resource) dependencies.push(r.resource);
            // A value taken with ref() rolls the pods like a mounted Secret does.
            if (r.checksum !== undefined && roll) checksums[checksumKey(r.secretName)] = r.checksum;
        }
    }
    for (const [name, v] of Object.entries({ ...secretEnv, ...tmpfsEnv })) if (!Object.hasOwn(userEnv, name)) env.push({ name, value: v });
    for (const e of ctx.extraEnv ?? []) {
        if (Object.hasOwn(userEnv, e.name as string)) issues.push({ path: ["env", e.name as string], message: `is set by ${ctx.component} itself; remove it from env` });
        env.push(e);
    }

    const { req: resources, gpu } = resourceRequirements(o, rf, issues);

    // Scheduling.
    let nodeSelector: Record<string, string> = { ...cfg.nodeSelector };
    if (typeof o.nodeSelector === "string") {
        nodeSelector = { ...nodeSelector, ...parseNodeSelector(o.nodeSelector, (message) => issues.push({ path: ["nodeSelector"], message })) };
    } else if (o.nodeSelector) nodeSelector = { ...nodeSelector, ...o.nodeSelector };
    const tolerations: k8s.core.v1.Toleration[] = [...(cfg.tolerations ?? []), ...(o.tolerations ?? [])] as k8s.core.v1.Toleration[];
    let gpuToleration: k8s.core.v1.Toleration | undefined;
    if (gpu && o.gpuToleration !== false) {
        gpuToleration = { key: gpu.resource, operator: "Exists", effect: "NoSchedule" };
        if (!tolerations.some((t) => t.key === gpu.resource)) tolerations.push(gpuToleration);
    }

    const lifecycle = preStopHook(o, ctx, issues);

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
        startupProbe: ctx.startupProbe,
        lifecycle,
        // A failed container's last log lines become its termination message (pod status), as Metaflow sets it.
        terminationMessagePolicy: "FallbackToLogsOnError",
        securityContext: containerSecurity && Object.keys(containerSecurity).length ? (containerSecurity as k8s.core.v1.SecurityContext) : undefined,
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
        terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
        securityContext: podSecurity && Object.keys(podSecurity).length ? (podSecurity as k8s.core.v1.PodSecurityContext) : undefined,
        containers: [container],
        volumes: volumes.length ? volumes : undefined,
    });
    if (o.podPatch) spec = strategicMerge(spec, o.podPatch);
    if (gpuToleration) spec = { ...spec, tolerations: withToleration(spec.tolerations as k8s.core.v1.Toleration[] | undefined, gpuToleration) };
    const sources = podSources(o, ctx, cfg);
    if (!ctx.patchedLater) issues.push(...finalPodIssues(spec, sources));

    const annotations = { ...(o.podAnnotations as InputMap | undefined), ...checksums };
    return {
        template: {
            metadata: compact({
                labels: { ...objectLabels(ctx.component, ctx.objectName, o.podLabels as InputMap | undefined), ...ctx.selectorLabels },
                annotations: Object.keys(annotations).length ? annotations : undefined,
            }),
            spec,
        },
        dependencies: [...new Set(dependencies)],
        gpu,
        gpuToleration,
        singleAttachClaims: singleAttach,
        sources,
    };
}

/**
 * What the user wrote of the pod, in merge order: the security contexts (merged over the defaults, at
 * containerSecurityContext / securityContext), then podPatch, whose values the profile's podPatch
 * (merged under it by applyStackDefaults) may have given.
 */
function podSources(o: ValidatedPodOptions, ctx: PodContext, cfg: ReturnType<typeof mlkubeConfig>): PodSource[] {
    const args: PodSource = {
        spec: { securityContext: o.securityContext, containers: [{ name: ctx.containerName, securityContext: o.containerSecurityContext }] },
        at: (p) => (p[0] !== "containers" ? p : p[2] === "securityContext" ? ["containerSecurityContext", ...p.slice(3)] : undefined),
    };
    if (!o.podPatch) return [args];
    const profile = typeof o.profile === "string" && cfg.profiles && Object.hasOwn(cfg.profiles, o.profile) ? cfg.profiles[o.profile] : undefined;
    const fromProfile = profile && Object.hasOwn(profile, "podPatch") ? patchSource(profile.podPatch, ["mlkube:profiles", o.profile!, "podPatch"]) : undefined;
    return [args, patchSource(o.podPatch, ["podPatch"], fromProfile)];
}

/** `list` plus `t` unless a toleration for the same key is already there (the user's own wins). */
export function withToleration(list: k8s.core.v1.Toleration[] | undefined, t: k8s.core.v1.Toleration): k8s.core.v1.Toleration[] {
    const l = list ?? [];
    return l.some((x) => x && x.key === t.key) ? l : [...l, t];
}

/** What caps the memory-backed volumes: the memory limit, else the request (undefined: neither set). */
function memoryCap(o: ValidatedPodOptions): { value: string; path: string[] } | undefined {
    const r = o.resources;
    if (!r) return undefined;
    if (r.limits?.memory !== undefined && r.qos !== "Guaranteed") return { value: r.limits.memory, path: ["limits", "memory"] };
    if (r.memory !== undefined) return { value: r.memory, path: ["memory"] };
    return undefined;
}

function formatBytes(n: number): string {
    for (const [unit, f] of [["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) {
        if (n >= f) return `${Math.round((n / f) * 100) / 100}${unit}`;
    }
    return `${n} bytes`;
}
