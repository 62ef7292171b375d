/**
 * The watcher: while `pulumi up` waits for a workload, read its live objects every few seconds and report
 * what changed: a new finding (once per cause), a new progress state (TrainJob). Reads only workloads,
 * pods, claims, events, Kueue Workloads and failing containers' logs — never Secrets. Its timers are
 * unref'd and `stop()` ends it: it never keeps the program alive.
 */
import { get } from "./client";
import { ClusterAccess } from "./kubeconfig";
import { classify, Finding, formatFinding } from "./classify";
import { duration, formatProgress, progress, progressState } from "./progress";
import { arr, LOG_BYTES, LOG_LINES, Obj, Snapshot, WorkloadContext } from "./snapshot";

/** What is watched. */
export interface WatchTarget {
    ctx: WorkloadContext;
    kind: "JobSet" | "TrainJob" | "Job" | "Deployment";
    namespace: string;
    objectName: string;
    /** Pod labels (Deployment: its selector's matchLabels). Default: the JobSet/Job name label. */
    podLabels?: Record<string, string>;
    /** Report progress lines (TrainJob); else findings only (Compute). */
    progress: boolean;
}

/** Where lines go (Pulumi's log in `pulumi up`; an array in tests). */
export interface Reporter {
    /** A status that replaces the previous one (Pulumi's ephemeral info). */
    status(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
}

const PATHS: Record<WatchTarget["kind"], string> = {
    JobSet: "/apis/jobset.x-k8s.io/v1alpha2",
    TrainJob: "/apis/trainer.kubeflow.org/v1alpha1",
    Job: "/apis/batch/v1",
    Deployment: "/apis/apps/v1",
};
const PLURAL: Record<WatchTarget["kind"], string> = {
    JobSet: "jobsets",
    TrainJob: "trainjobs",
    Job: "jobs",
    Deployment: "deployments",
};

/** At most this many finding lines per watch (each cause is reported once; a crash loop once per restart). */
export const MAX_FINDING_LINES = 20;

/**
 * The program's request budget: watchers share about this many snapshots per second, whatever their number
 * (a platform program's first `up` may await hundreds of Deployments at once; each snapshot is 2–4 requests).
 */
export const SNAPSHOTS_PER_SECOND = 4;
/** Watchers running in this process (they share the budget). */
let active = 0;

/**
 * Poll every 2 s for the first 2 minutes, then every 5 s: a cause shows within seconds, load stays small;
 * slower when many watchers run, so that together they stay within SNAPSHOTS_PER_SECOND.
 */
export function interval(elapsedMs: number, watchers = active): number {
    return Math.max(elapsedMs < 120_000 ? 2_000 : 5_000, Math.ceil((watchers * 1000) / SNAPSHOTS_PER_SECOND));
}

const enc = encodeURIComponent;

export class Watcher {
    private timer?: NodeJS.Timeout;
    private stopped = false;
    private readonly started = Date.now();
    private readonly reported = new Set<string>();
    private readonly logs: Record<string, string> = {};
    private lastState?: string;
    private findingLines = 0;
    private denied = false;
    /** Counted among the process's active watchers (between start and stop). */
    private counted = false;
    /** How many snapshots were read (tests). */
    ticks = 0;

    constructor(
        private readonly access: ClusterAccess,
        private readonly target: WatchTarget,
        private readonly out: Reporter,
        private readonly firstDelayMs = 1_500,
        private readonly requestTimeoutMs = 10_000,
    ) {}

    start(): this {
        if (!this.counted && !this.stopped) active++;
        this.counted = !this.stopped;
        this.schedule(this.firstDelayMs);
        return this;
    }

    /** Stops watching; with the workload's final `status`, reports how it ended and how long it took. */
    stop(finalStatus?: unknown): void {
        if (this.stopped) return;
        this.stopped = true;
        if (this.counted) active--;
        this.counted = false;
        if (this.timer) clearTimeout(this.timer);
        if (!this.target.progress || finalStatus === undefined || this.ticks === 0) return;
        const conds = arr((finalStatus as Obj)?.conditions).filter(
            (c: Obj) => c?.status === "True" && ["Complete", "Completed", "Failed"].includes(c.type),
        );
        if (conds.length) {
            const c = conds[0];
            this.out.info(
                `${this.target.ctx.component} "${this.target.ctx.name}": finished ${c.type}${c.reason ? ` (${c.reason})` : ""} after ${duration(Date.now() - this.started)}`,
            );
        }
    }

    private schedule(ms: number): void {
        if (this.stopped) return;
        this.timer = setTimeout(() => void this.tick(), ms);
        this.timer.unref();
    }

    private async tick(): Promise<void> {
        try {
            const s = await this.snapshot();
            if (s && !this.stopped) this.report(s);
        } catch {
            // A reading that failed is retried on the next tick; the watcher never fails the update.
        }
        if (!this.denied) this.schedule(interval(Date.now() - this.started));
    }

    private base(): string {
        const t = this.target;
        return `${PATHS[t.kind]}/namespaces/${enc(t.namespace)}/${PLURAL[t.kind]}`;
    }

    /** Reads the workload's objects; undefined when nothing could be read. */
    async snapshot(): Promise<Snapshot | undefined> {
        const t = this.target;
        const ns = enc(t.namespace);
        const w = await get<Obj>(this.access, `${this.base()}/${enc(t.objectName)}`, {
            timeoutMs: this.requestTimeoutMs,
        });
        if (w.status === 401 || w.status === 403) {
            this.denied = true;
            this.out.info(
                `${t.ctx.component} "${t.ctx.name}": cannot read ${t.kind} ${t.objectName} (HTTP ${w.status}): progress and diagnosis are off for it`,
            );
            return undefined;
        }
        const workload = w.status === 200 ? w.body : undefined;
        const labels =
            t.podLabels ??
            (t.kind === "Job"
                ? { "batch.kubernetes.io/job-name": t.objectName }
                : { "jobset.sigs.k8s.io/jobset-name": t.objectName });
        const selector = Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(",");
        const [pods, jobset] = await Promise.all([
            get<{ items?: Obj[] }>(
                this.access,
                `/api/v1/namespaces/${ns}/pods?labelSelector=${enc(selector)}&limit=1000`,
                { timeoutMs: this.requestTimeoutMs },
            ),
            t.kind === "TrainJob"
                ? get<Obj>(this.access, `${PATHS.JobSet}/namespaces/${ns}/jobsets/${enc(t.objectName)}`)
                : Promise.resolve(undefined),
        ]);
        if (pods.status !== 200) return undefined;
        const items = arr(pods.body?.items);
        this.ticks++;
        const s: Snapshot = {
            now: Date.now(),
            workload,
            jobset: jobset?.status === 200 ? jobset.body : undefined,
            pods: items,
            events: [],
            claims: [],
            logs: this.logs,
        };
        const claimNames = new Set<string>();
        for (const p of items)
            for (const v of arr(p.spec?.volumes))
                if (v.persistentVolumeClaim?.claimName) claimNames.add(v.persistentVolumeClaim.claimName);
        if (claimNames.size) {
            const claims = await get<{ items?: Obj[] }>(this.access, `/api/v1/namespaces/${ns}/persistentvolumeclaims`);
            s.claims = arr(claims.body?.items).filter((c) => claimNames.has(c.metadata?.name));
            // Events only when a claim is stuck: they say why (the pods' own state says the rest).
            for (const c of s.claims.filter((x) => x.status?.phase === "Pending")) {
                const ev = await get<{ items?: Obj[] }>(
                    this.access,
                    `/api/v1/namespaces/${ns}/events?fieldSelector=${enc(`involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${c.metadata?.name}`)}&limit=50`,
                );
                s.events.push(...arr(ev.body?.items));
            }
        }
        if (workload?.metadata?.labels?.["kueue.x-k8s.io/queue-name"]) {
            const kw = await get<{ items?: Obj[] }>(
                this.access,
                `/apis/kueue.x-k8s.io/v1beta1/namespaces/${ns}/workloads`,
            );
            s.kueueWorkloads = kw.status === 200 ? arr(kw.body?.items) : undefined;
        }
        await this.fetchLogs(s);
        return s;
    }

    /** The log of the first failing container (once per failure: pod, container, restart count). */
    private async fetchLogs(s: Snapshot): Promise<void> {
        const crash = classify(s, this.target.ctx).find((f) => f.kind === "Crash");
        if (!crash || this.reported.has(crash.key)) return;
        const [, pod, container] = /^Crash\/([^/]+)\/([^/]+)\//.exec(crash.key) ?? [];
        if (!pod) return;
        const p = s.pods.find((x) => x.metadata?.name === pod);
        const cs = [...arr(p?.status?.initContainerStatuses), ...arr(p?.status?.containerStatuses)].find(
            (c: Obj) => c.name === container,
        );
        const previous = !cs?.state?.terminated;
        const r = await get<string>(
            this.access,
            `/api/v1/namespaces/${enc(this.target.namespace)}/pods/${enc(pod)}/log?container=${enc(container)}&tailLines=${LOG_LINES}&limitBytes=${LOG_BYTES}${previous ? "&previous=true" : ""}`,
            { json: false, timeoutMs: 5_000 },
        );
        if (r.status === 200 && typeof r.body === "string") s.logs![`${pod}/${container}`] = r.body;
    }

    /** Reports what is new in `s`. */
    report(s: Snapshot): void {
        const t = this.target;
        for (const f of classify(s, t.ctx)) this.finding(f);
        if (!t.progress) return;
        const p = progress(s, t.ctx);
        const state = progressState(p, t.ctx);
        if (state === this.lastState) return;
        this.lastState = state;
        // Ephemeral: the display shows it on the component's row while it waits; it is not kept in the summary.
        this.out.status(formatProgress(p, t.ctx, s.now, this.started));
    }

    private finding(f: Finding): void {
        if (this.reported.has(f.key)) return;
        this.reported.add(f.key);
        if (this.findingLines++ < MAX_FINDING_LINES) this.out.warn(formatFinding(f, this.target.ctx));
    }
}
