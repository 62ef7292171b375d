/**
 * What the diagnosis reads: the live objects of one workload as the API server returns them (plain JSON),
 * gathered by the watcher (./watch.ts) or loaded from recordings (test/fixtures/diagnose). Pure data.
 */

/** A Kubernetes object as JSON (only the fields the diagnosis reads are typed loosely). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/** Which mlkube component the workload belongs to: it decides the field names the fixes point at. */
export interface WorkloadContext {
    /** `TrainJob` or `Compute`. */
    component: "TrainJob" | "Compute";
    /** The component's Pulumi resource name. */
    name: string;
    /** Nodes (TrainJob) or replicas (Compute) the program asked for, when known. */
    expected?: number;
}

/** The live state of one workload at one moment. */
export interface Snapshot {
    /** Milliseconds since the epoch at which the objects were read. */
    now: number;
    /** The JobSet, TrainJob, Job or Deployment (undefined before it exists). */
    workload?: Obj;
    /** The JobSet a Kubeflow TrainJob runs as (its restarts), when the workload is a TrainJob. */
    jobset?: Obj;
    /** The workload's pods. */
    pods: Obj[];
    /** Events of the namespace (those about the workload, its pods and claims are read). */
    events: Obj[];
    /** Claims the pods mount. */
    claims: Obj[];
    /** Kueue Workload objects of the namespace (kueue.x-k8s.io), when Kueue is installed. */
    kueueWorkloads?: Obj[];
    /** Container logs already fetched, by `<pod>/<container>`: as the container wrote them, already bounded. */
    logs?: Record<string, string>;
}

/** Shown log lines of a failing container: at most this many lines… */
export const LOG_LINES = 20;
/** …and this many bytes (the API server's `limitBytes`, and again here). */
export const LOG_BYTES = 4096;

/** The last `lines` lines of `text`, at most `bytes` bytes (cut at a line start), as the container wrote them. */
export function boundLog(text: string, lines: number = LOG_LINES, bytes: number = LOG_BYTES): string {
    let t = text.replace(/\n+$/, "");
    const all = t.split("\n");
    t = all.slice(-lines).join("\n");
    let b = Buffer.from(t, "utf8");
    if (b.length > bytes) {
        b = b.subarray(b.length - bytes);
        const nl = b.indexOf(10);
        t = (nl >= 0 ? b.subarray(nl + 1) : b).toString("utf8").replace(/^\uFFFD+/, "");
    }
    return t;
}

/** A message from the cluster, shortened to `max` characters for one line of output. */
export function clip(s: unknown, max = 300): string {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a message from the API server, shown as it came
    const t = String(s ?? "")
        .replace(/\s+/g, " ")
        .trim();
    return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** `x` when it is a list, else an empty one (objects from the cluster are read defensively). */
export function arr(x: unknown): Obj[] {
    return Array.isArray(x) ? x.filter((e) => e !== null && typeof e === "object") : [];
}
