/**
 * Strategic merge of Kubernetes objects, as the API server and the Kubeflow Trainer controller do it:
 * objects merge key by key, lists of named things merge by their merge key (containers, volumes and env
 * by `name`, volumeMounts by `mountPath`, ports by `containerPort`), other lists are replaced, and a
 * patch value of `null` deletes the key. Used for `podPatch` and for JobSet `runtimePatches`.
 */

/** Merge keys of the lists that Kubernetes merges instead of replacing (from the API's patchMergeKey tags). */
export const MERGE_KEYS: Record<string, string> = {
    containers: "name",
    initContainers: "name",
    ephemeralContainers: "name",
    volumes: "name",
    env: "name",
    imagePullSecrets: "name",
    replicatedJobs: "name",
    schedulingGates: "name",
    resourceClaims: "name",
    volumeMounts: "mountPath",
    volumeDevices: "devicePath",
    ports: "containerPort",
    hostAliases: "ip",
};

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function mergeList(base: unknown[], patch: unknown[], key: string): unknown[] {
    const out = base.slice();
    for (const p of patch) {
        if (!isObject(p) || p[key] === undefined) {
            out.push(withoutNulls(p));
            continue;
        }
        const i = out.findIndex((b) => isObject(b) && b[key] === p[key]);
        if (i >= 0) out[i] = strategicMerge(out[i], p);
        else out.push(withoutNulls(p));
    }
    return out;
}

/**
 * A patch value taken as it is (a replaced list, a field the base does not have): `null` inside it deletes
 * nothing, so it means "not set" and is left out, as the API server reads it.
 */
function withoutNulls(v: unknown): unknown {
    if (Array.isArray(v))
        return v.some((e) => e === null || typeof e === "object") ? v.filter((e) => e !== null).map(withoutNulls) : v;
    if (!isObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) if (e !== null) out[k] = withoutNulls(e);
    return out;
}

/** Returns `base` with `patch` merged in; neither argument is modified. */
export function strategicMerge<T>(base: T, patch: unknown, field?: string): T {
    if (patch === undefined) return base;
    if (Array.isArray(patch)) {
        const key = field && Object.hasOwn(MERGE_KEYS, field) ? MERGE_KEYS[field] : undefined;
        return (key && Array.isArray(base) ? mergeList(base, patch, key) : withoutNulls(patch)) as T;
    }
    if (!isObject(patch) || !isObject(base)) return withoutNulls(patch) as T;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = strategicMerge(out[k], v, k);
    }
    return out as T;
}
