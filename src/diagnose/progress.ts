/**
 * Where a workload is: nodes (pods) pending / running / succeeded / failed, restarts used of the budget,
 * queued or admitted, the terminal condition. Pure: from a {@link Snapshot} to a {@link Progress} and its line.
 */
import { queueState } from "./classify";
import { arr, Obj, Snapshot, WorkloadContext } from "./snapshot";

export interface Progress {
    /** Nodes (pods) expected: numNodes / replicas, else the pods seen. */
    nodes: number;
    pending: number;
    running: number;
    succeeded: number;
    failed: number;
    /** Whole-job restarts (JobSet) or pod retries (Job) used, and the budget (maxRestarts / backoffLimit). */
    restarts?: { used: number; max: number; field: string };
    /** Kueue: the queue and whether the job was admitted. */
    queue?: { name: string; admitted: boolean };
    /** The terminal condition (`Complete`/`Completed`/`Failed`) and its reason, once there is one. */
    final?: { type: string; reason?: string; message?: string };
    /** Suspended (not by a queue). */
    suspended: boolean;
}

const TERMINAL_TYPES = new Set(["Complete", "Completed", "Failed"]);

function conditions(o: Obj | undefined): Obj[] {
    return arr(o?.status?.conditions).filter((c: Obj) => c && c.status === "True");
}

/** The progress of a snapshot. */
export function progress(s: Snapshot, ctx: WorkloadContext): Progress {
    const pods = s.pods.filter((p) => !p.metadata?.deletionTimestamp);
    const count = (phase: string) => pods.filter((p) => p.status?.phase === phase).length;
    const p: Progress = {
        nodes: Math.max(ctx.expected ?? 0, pods.length),
        pending: count("Pending"),
        running: count("Running"),
        succeeded: count("Succeeded"),
        failed: count("Failed"),
        suspended: s.workload?.spec?.suspend === true,
    };
    const w = s.workload;
    const js = w?.kind === "JobSet" ? w : s.jobset;
    if (js) {
        p.restarts = {
            used: Number(js.status?.restarts ?? 0),
            max: Number(js.spec?.failurePolicy?.maxRestarts ?? 0),
            field: "maxRestarts",
        };
    } else if (w?.kind === "Job") {
        p.restarts = {
            used: Number(w.status?.failed ?? 0),
            max: Number(w.spec?.backoffLimit ?? 6),
            field: "backoffLimit",
        };
    }
    const q = queueState(s);
    if (q) {
        p.queue = { name: q.queue, admitted: q.admitted };
        if (!q.admitted) p.suspended = false;
    }
    const fin = conditions(w).find((c) => TERMINAL_TYPES.has(c.type));
    if (fin) p.final = { type: fin.type, reason: fin.reason, message: fin.message };
    return p;
}

/** `1m05s`, `42s`, `2h03m`. */
export function duration(ms: number): string {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
    return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/**
 * The progress line without the elapsed time (what is compared to decide that something changed):
 * `2 nodes: 1 pending, 1 running, 0 succeeded, 0 failed; restarts 0/1 (maxRestarts); admitted (queue team-a)`.
 */
export function progressState(p: Progress, ctx: WorkloadContext): string {
    const unit = ctx.component === "TrainJob" ? "node" : "replica";
    const parts = [
        `${p.nodes} ${unit}${p.nodes === 1 ? "" : "s"}: ${p.pending} pending, ${p.running} running, ${p.succeeded} succeeded, ${p.failed} failed`,
    ];
    if (p.restarts && ctx.component === "TrainJob")
        parts.push(`restarts ${p.restarts.used}/${p.restarts.max} (${p.restarts.field})`);
    if (p.queue) parts.push(`${p.queue.admitted ? "admitted" : "queued"} (queue ${p.queue.name})`);
    else if (p.suspended) parts.push("suspended");
    if (p.final) parts.push(`${p.final.type}${p.final.reason ? ` (${p.final.reason})` : ""}`);
    return parts.join("; ");
}

/** The progress line as printed, with the elapsed time since `since` (ms). */
export function formatProgress(p: Progress, ctx: WorkloadContext, now: number, since: number): string {
    return `${ctx.component} "${ctx.name}": ${progressState(p, ctx)}; ${duration(now - since)}`;
}
