/**
 * Why a workload does not run: from its live pods, events, claims and Kueue state (a {@link Snapshot}) to
 * findings that name the pod, the cause, the mlkube field behind it and the fix. Pure: no I/O, no clock.
 * Never reads a Secret: only names of Secrets (and keys) the kubelet's own messages carry are shown.
 */
import { arr, boundLog, clip, Obj, Snapshot, WorkloadContext } from "./snapshot";

/** The kinds of cause the diagnosis recognises. */
export type FindingKind = "Unschedulable" | "ImagePull" | "ContainerConfig" | "Crash" | "ClaimPending" | "Queued";

/** One cause, for one pod (or claim, or the workload). */
export interface Finding {
    kind: FindingKind;
    /** What it is about: `pod train-node-0-0`, `claim data`, `JobSet train`. */
    subject: string;
    /** What is wrong, in one line. */
    message: string;
    /** What to change. */
    fix: string;
    /** Further lines shown under the finding (a container's last log lines). */
    detail?: string;
    /** Identifies the finding across snapshots: reported once per key. */
    key: string;
}

const RESOURCE_FIELD = { TrainJob: "resourcesPerNode", Compute: "resources" } as const;

/** Findings of a snapshot, most telling first: scheduling, claims, images, configuration, crashes, queue. */
export function classify(s: Snapshot, ctx: WorkloadContext): Finding[] {
    const out: Finding[] = [];
    const live = s.pods.filter((p) => !p.metadata?.deletionTimestamp);
    out.push(...queued(s));
    out.push(...unschedulable(live, ctx));
    out.push(...claimsPending(s, live));
    for (const p of live) out.push(...waiting(p, ctx));
    const crash = firstFailure(live, s.logs ?? {}, ctx);
    if (crash) out.push(crash);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/** `0/9 nodes are available: 2 Insufficient nvidia.com/gpu, 7 node(s) had untolerated taint(s). …` → the per-node reasons. */
export function schedulerReasons(message: string): { count: number; reason: string }[] {
    const m = /nodes are available: (.*?)(?:\. |\.$|$)/.exec(message);
    if (!m) return [];
    return m[1]
        .split(/, (?=\d+ )/)
        .map((part) => /^(\d+) (.*)$/.exec(part.trim()))
        .filter((x): x is RegExpExecArray => x !== null)
        .map((x) => ({ count: Number(x[1]), reason: x[2] }));
}

function containers(p: Obj): Obj[] {
    return [...arr(p.spec?.initContainers), ...arr(p.spec?.containers)];
}

/** The largest amount of `resource` one container of the pod asks for (limits, else requests). */
function requested(p: Obj, resource: string): string | undefined {
    for (const c of containers(p)) {
        const v = c.resources?.limits?.[resource] ?? c.resources?.requests?.[resource];
        if (v !== undefined) return String(v);
    }
    return undefined;
}

/** Which mlkube field a scheduler reason comes from, and what to do about it. */
function schedulingCause(reason: string, p: Obj, ctx: WorkloadContext): { what: string; fix: string } | undefined {
    const rf = RESOURCE_FIELD[ctx.component];
    const per = ctx.component === "TrainJob" ? " per node" : " per replica";
    const insufficient = /^Insufficient (\S+)$/.exec(reason);
    if (insufficient) {
        const res = insufficient[1];
        const field =
            res === "cpu" || res === "memory" || res === "ephemeral-storage"
                ? `${rf}.${res === "ephemeral-storage" ? "ephemeralStorage" : res}`
                : /gpu|\//.test(res)
                  ? `${rf}.gpu`
                  : `${rf}.${res}`;
        const amount = requested(p, res);
        return {
            what: `not enough ${res}: ${field} asks for ${amount ?? "some"}${per}`,
            fix: `lower ${field} to what one node has free, or add nodes with more ${res}`,
        };
    }
    if (/untolerated taint/.test(reason)) {
        const taint = /taint\s*\{([^}]*)\}/.exec(reason)?.[1];
        const tolerated = arr(p.spec?.tolerations)
            .map((t: Obj) => t.key ?? "*")
            .filter((k: string) => !k.startsWith("node.kubernetes.io/"));
        return {
            what: `nodes have a taint the pod does not tolerate${taint ? ` (${taint})` : ""}; the pod tolerates ${tolerated.length ? tolerated.join(", ") : "no custom taint"}`,
            fix: "add the node's taint to tolerations (or to a profile in mlkube:profiles); GPU pods get the GPU toleration unless gpuToleration: false",
        };
    }
    if (/didn't match Pod's node affinity\/selector/.test(reason)) {
        const sel = p.spec?.nodeSelector ?? {};
        const shown = Object.entries(sel)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(", ");
        return {
            what: `no node matches ${shown ? `nodeSelector ${shown}` : "the pod's node affinity"}`,
            fix: `correct nodeSelector${shown ? "" : "/affinity"} (from the component, its profile or mlkube:nodeSelector) to labels your nodes carry (kubectl get nodes --show-labels)`,
        };
    }
    if (/didn't match pod (anti-)?affinity rules/.test(reason))
        return { what: reason, fix: "relax affinity (pod (anti-)affinity), or add nodes" };
    if (/didn't match pod topology spread constraints/.test(reason))
        return { what: reason, fix: "relax topologySpreadConstraints, or add nodes in the missing topology domains" };
    if (/volume node affinity conflict/.test(reason))
        return {
            what: reason,
            fix: "the pod's volumes live on other nodes: use a volume reachable from the nodes that can run the pod",
        };
    if (/Too many pods/.test(reason))
        return { what: "nodes are full (pod count limit)", fix: "add nodes, or lower the number of pods" };
    return undefined;
}

function unschedulable(pods: Obj[], ctx: WorkloadContext): Finding[] {
    const groups = new Map<string, { pods: Obj[]; message: string }>();
    for (const p of pods) {
        const c = arr(p.status?.conditions).find(
            (x: Obj) => x.type === "PodScheduled" && x.status === "False" && x.reason === "Unschedulable",
        );
        if (!c || /unbound immediate PersistentVolumeClaims/.test(c.message ?? "")) continue;
        const reasons = schedulerReasons(c.message ?? "")
            .map((r) => r.reason)
            .sort()
            .join("|");
        const g = groups.get(reasons) ?? { pods: [] as Obj[], message: String(c.message ?? "") };
        g.pods.push(p);
        groups.set(reasons, g);
    }
    const out: Finding[] = [];
    for (const [reasons, g] of groups) {
        const p = g.pods[0];
        const causes = schedulerReasons(g.message)
            .map((r) => ({ r, c: schedulingCause(r.reason, p, ctx) }))
            .filter((x) => x.c !== undefined)
            .sort((a, b) => b.r.count - a.r.count);
        const name = p.metadata?.name;
        const others = g.pods.length > 1 ? ` (and ${g.pods.length - 1} more pod${g.pods.length > 2 ? "s" : ""})` : "";
        const why = causes.length
            ? causes.map((x) => `${x.r.count} node(s): ${x.c!.what}`).join("; ")
            : clip(g.message);
        out.push({
            kind: "Unschedulable",
            subject: `pod ${name}${others}`,
            message: `cannot be scheduled: ${why}`,
            fix: causes.length ? unique(causes.map((x) => x.c!.fix)).join("; ") : "see the scheduler's message above",
            key: `Unschedulable/${reasons}`,
        });
    }
    return out;
}

function unique<T>(xs: T[]): T[] {
    return [...new Set(xs)];
}

// ---------------------------------------------------------------------------------------------
// Claims

function claimPendingCause(claim: Obj, events: Obj[]): { message: string; fix: string } | undefined {
    const name = claim.metadata?.name;
    const cls = claim.spec?.storageClassName;
    const modes = (Array.isArray(claim.spec?.accessModes) ? claim.spec.accessModes : []).join(", ");
    const size = claim.spec?.resources?.requests?.storage;
    const warning = events
        .filter(
            (e) =>
                e.involvedObject?.kind === "PersistentVolumeClaim" &&
                e.involvedObject?.name === name &&
                (!claim.metadata?.uid || !e.involvedObject?.uid || e.involvedObject.uid === claim.metadata.uid),
        )
        .filter((e) => e.type === "Warning" || e.reason === "FailedBinding")
        .sort((a, b) =>
            String(b.lastTimestamp ?? b.eventTime ?? "").localeCompare(String(a.lastTimestamp ?? a.eventTime ?? "")),
        )[0];
    const text = String(warning?.message ?? "");
    const missing = /storageclass\.storage\.k8s\.io "([^"]+)" not found/.exec(text);
    if (missing) {
        return {
            message: `is Pending: storage class "${missing[1]}" does not exist`,
            fix: `set the Volume's storageClass to a class of the cluster (kubectl get storageclass), or leave it out for the default class`,
        };
    }
    if (/no-provisioner|no persistent volumes available/.test(text)) {
        return {
            message: `is Pending: storage class "${cls ?? "(none)"}" creates no volumes (kubernetes.io/no-provisioner) and no PersistentVolume offers ${size ?? "the size"} with access mode ${modes}`,
            fix: `create a PersistentVolume of that class with ${modes}, or use a class with a provisioner, or an accessMode the class's volumes provide`,
        };
    }
    if (!cls && !warning) return undefined;
    if (warning)
        return {
            message: `is Pending: ${clip(text)}`,
            fix: `check the Volume's storageClass "${cls ?? "(default)"}" and accessMode ${modes}`,
        };
    return undefined;
}

function claimsPending(s: Snapshot, pods: Obj[]): Finding[] {
    const used = new Set<string>();
    for (const p of pods)
        for (const v of arr(p.spec?.volumes))
            if (v.persistentVolumeClaim?.claimName) used.add(v.persistentVolumeClaim.claimName);
    const out: Finding[] = [];
    for (const c of s.claims) {
        if (c.status?.phase !== "Pending") continue;
        if (pods.length && !used.has(c.metadata?.name)) continue;
        const cause = claimPendingCause(c, s.events);
        const age = s.now - Date.parse(c.metadata?.creationTimestamp ?? "");
        if (!cause) {
            // No class and no event for a while: the cluster has no default class.
            if (!c.spec?.storageClassName && age > 15_000) {
                out.push({
                    kind: "ClaimPending",
                    subject: `claim ${c.metadata?.name}`,
                    message: "is Pending: it names no storage class and the cluster has no default one",
                    fix: "set the Volume's storageClass",
                    key: `ClaimPending/${c.metadata?.name}/nodefault`,
                });
            }
            continue;
        }
        out.push({
            kind: "ClaimPending",
            subject: `claim ${c.metadata?.name}`,
            message: cause.message,
            fix: cause.fix,
            key: `ClaimPending/${c.metadata?.name}/${cause.message}`,
        });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Containers that do not start

const PULL = new Set(["ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"]);
const CONFIG = new Set(["CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

function statuses(p: Obj): Obj[] {
    return [...arr(p.status?.initContainerStatuses), ...arr(p.status?.containerStatuses)];
}

function configCause(message: string): { message: string; fix: string } {
    let m: RegExpExecArray | null;
    if ((m = /secret "([^"]+)" not found/.exec(message))) {
        return {
            message: `Secret "${m[1]}" does not exist in the pod's namespace`,
            fix: `create it (an mlkube.Secret in the same namespace) before the workload, or correct the name in env/envFrom/secrets`,
        };
    }
    if ((m = /couldn't find key (\S+) in Secret (\S+)/.exec(message))) {
        return {
            message: `Secret "${m[2].split("/").pop()}" has no key "${m[1]}"`,
            fix: `add key "${m[1]}" to the Secret, or correct the key the env var reads`,
        };
    }
    if ((m = /configmap "([^"]+)" not found/.exec(message)))
        return {
            message: `ConfigMap "${m[1]}" does not exist in the pod's namespace`,
            fix: "create it, or correct the name",
        };
    if ((m = /couldn't find key (\S+) in ConfigMap (\S+)/.exec(message)))
        return {
            message: `ConfigMap "${m[2].split("/").pop()}" has no key "${m[1]}"`,
            fix: `add key "${m[1]}", or correct the key`,
        };
    if (/runAsNonRoot and image will run as root/.test(message)) {
        return {
            message: "the image runs as root (user 0) and the pod requires runAsNonRoot",
            fix: "set securityContext.runAsUser to a non-root uid (e.g. 1000), or build the image with a non-root USER",
        };
    }
    if (/runAsUser breaks non-root policy/.test(message))
        return {
            message: "securityContext.runAsUser is 0 (root) while runAsNonRoot is required",
            fix: "set securityContext.runAsUser to a non-root uid (e.g. 1000)",
        };
    if (/image has non-numeric user/.test(message))
        return {
            message: "the image's USER is a name, so the kubelet cannot check runAsNonRoot",
            fix: "set securityContext.runAsUser to the image user's numeric uid",
        };
    return { message: clip(message), fix: "correct the container's configuration" };
}

function waiting(p: Obj, ctx: WorkloadContext): Finding[] {
    const out: Finding[] = [];
    const name = p.metadata?.name;
    for (const cs of statuses(p)) {
        const w = cs.state?.waiting;
        if (!w) continue;
        if (PULL.has(w.reason)) {
            const spec = containers(p).find((c) => c.name === cs.name);
            const image = spec?.image ?? cs.image;
            const secrets = arr(p.spec?.imagePullSecrets)
                .map((s: Obj) => s.name)
                .filter(Boolean);
            const never = w.reason === "ErrImageNeverPull";
            out.push({
                kind: "ImagePull",
                subject: `pod ${name}`,
                message: `container ${cs.name} cannot get image "${image}" (${w.reason}${w.message ? `: ${clip(w.message, 240)}` : ""}); image-pull Secret: ${secrets.length ? secrets.join(", ") : "none"}`,
                fix: never
                    ? "imagePullPolicy is Never and the image is not on the node: use IfNotPresent, or put the image on the nodes"
                    : secrets.length
                      ? "check the image name and tag, that the registry is reachable from the nodes, and that the image-pull Secret holds valid credentials for it"
                      : "check the image name and tag and that the registry is reachable; for a private registry add an image-pull Secret (imagePullSecrets)",
                key: `ImagePull/${name}/${cs.name}/${never}`,
            });
        } else if (CONFIG.has(w.reason)) {
            const c = configCause(String(w.message ?? ""));
            out.push({
                kind: "ContainerConfig",
                subject: `pod ${name}`,
                message: `container ${cs.name} cannot start (${w.reason}): ${c.message}`,
                fix: c.fix,
                key: `ContainerConfig/${name}/${cs.name}/${c.message}`,
            });
        }
    }
    void ctx;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Crashes and failed ranks

/** The completion index (rank) of a JobSet/Indexed Job pod. */
export function rankOf(p: Obj): number | undefined {
    const v =
        p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"] ??
        p.metadata?.labels?.["batch.kubernetes.io/job-completion-index"];
    return v === undefined ? undefined : Number(v);
}

function failureOf(cs: Obj): { t: Obj; when: string } | undefined {
    const now = cs.state?.terminated;
    if (now && now.exitCode !== 0) return { t: now, when: now.finishedAt ?? "" };
    const last = cs.lastState?.terminated;
    if (last && (cs.state?.waiting?.reason === "CrashLoopBackOff" || last.exitCode !== 0))
        return { t: last, when: last.finishedAt ?? "" };
    return undefined;
}

/** The first failing rank (or crashing replica): the earliest container failure, lowest rank on a tie. */
function firstFailure(pods: Obj[], logs: Record<string, string>, ctx: WorkloadContext): Finding | undefined {
    const all: { p: Obj; cs: Obj; t: Obj; when: string }[] = [];
    for (const p of pods)
        for (const cs of statuses(p)) {
            const f = failureOf(cs);
            if (f) all.push({ p, cs, ...f });
        }
    if (!all.length) return undefined;
    all.sort((a, b) => a.when.localeCompare(b.when) || (rankOf(a.p) ?? 0) - (rankOf(b.p) ?? 0));
    const { p, cs, t } = all[0];
    const rank = rankOf(p);
    const name = p.metadata?.name;
    const loop = cs.state?.waiting?.reason === "CrashLoopBackOff";
    const restarts = cs.restartCount ? `, ${cs.restartCount} restart${cs.restartCount > 1 ? "s" : ""}` : "";
    const oom = t.reason === "OOMKilled";
    const rf = RESOURCE_FIELD[ctx.component];
    const log = logs[`${name}/${cs.name}`];
    const termination = t.message ? boundLog(String(t.message)) : "";
    const detailParts: string[] = [];
    if (termination) detailParts.push(`termination message:\n${indent(termination)}`);
    if (log && log.trim() && log.trim() !== termination.trim())
        detailParts.push(`last log lines:\n${indent(boundLog(log))}`);
    return {
        kind: "Crash",
        subject: `${rank !== undefined && ctx.component === "TrainJob" ? `rank ${rank}, ` : ""}pod ${name}`,
        message: `container ${cs.name} exited with code ${t.exitCode}${t.reason ? ` (${t.reason})` : ""}${t.signal ? `, signal ${t.signal}` : ""}${restarts}${loop ? ", CrashLoopBackOff" : ""}${all.length > 1 ? `; ${all.length - 1} other container failure(s) after it` : ""}`,
        fix: oom
            ? `the container ran out of memory: raise ${rf}.memory`
            : t.exitCode === 0
              ? "the program exited successfully, but a Compute's process must keep running (serve)"
              : `the program failed: read its termination message/log below, fix it and run \`pulumi up\` again`,
        detail: detailParts.join("\n") || undefined,
        key: `Crash/${name}/${cs.name}/${t.exitCode}/${cs.restartCount ?? 0}`,
    };
}

function indent(s: string): string {
    return s
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Kueue

/** Kueue's LocalQueue label on a job object. */
const QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

/** Whether a queued workload waits for Kueue, with the queue name and Kueue's admission message. */
export function queueState(
    s: Snapshot,
): { queue: string; admitted: boolean; message?: string; kueueSeen: boolean } | undefined {
    const w = s.workload;
    const queue = w?.metadata?.labels?.[QUEUE_LABEL];
    if (!queue) return undefined;
    const uid = w.metadata?.uid;
    const kw = arr(s.kueueWorkloads).find((k) => arr(k.metadata?.ownerReferences).some((o: Obj) => o.uid === uid));
    const conds: Obj[] = arr(kw?.status?.conditions);
    const admitted = w.spec?.suspend !== true || conds.some((c) => c.type === "Admitted" && c.status === "True");
    const pending =
        conds.find((c) => (c.type === "QuotaReserved" || c.type === "Admitted") && c.status === "False" && c.message) ??
        conds.find((c) => c.type === "Evicted" && c.status === "True");
    return { queue, admitted, message: pending?.message, kueueSeen: kw !== undefined };
}

function queued(s: Snapshot): Finding[] {
    const q = queueState(s);
    if (!q || q.admitted) return [];
    const age = s.now - Date.parse(s.workload?.metadata?.creationTimestamp ?? "");
    const kind = s.workload?.kind ?? "job";
    if (q.message) {
        return [
            {
                kind: "Queued",
                subject: `${kind} ${s.workload?.metadata?.name}`,
                message: `is suspended, queued in LocalQueue "${q.queue}": ${clip(q.message)}`,
                fix: "wait for quota, or change queue/priorityClass (or the ClusterQueue's quota)",
                key: `Queued/${q.queue}/${q.message}`,
            },
        ];
    }
    if (!q.kueueSeen && s.kueueWorkloads === undefined && age > 20_000) {
        return [
            {
                kind: "Queued",
                subject: `${kind} ${s.workload?.metadata?.name}`,
                message: `is suspended, queued in LocalQueue "${q.queue}", and no Kueue Workload exists for it`,
                fix: "install Kueue with this job integration (or set queue: false to run it without Kueue)",
                key: `Queued/${q.queue}/nokueue`,
            },
        ];
    }
    return [
        {
            kind: "Queued",
            subject: `${kind} ${s.workload?.metadata?.name}`,
            message: `is suspended, queued in LocalQueue "${q.queue}", waiting for admission`,
            fix: "it starts when Kueue admits it",
            key: `Queued/${q.queue}`,
        },
    ];
}

/** One finding as printed: `<component> "<name>": <subject> <message>. Fix: <fix>` plus its detail lines. */
export function formatFinding(f: Finding, ctx: WorkloadContext): string {
    return `${ctx.component} "${ctx.name}": ${f.subject} ${f.message}. Fix: ${f.fix}${f.detail ? `\n${f.detail}` : ""}`;
}
