/**
 * Stack-wide workload defaults, applied in this one place to a component's raw args before they are
 * validated and handed to the pod builder:
 *
 * 1. `profile: "<name>"` merges the named preset from `mlkube:profiles` under the args (explicit args win,
 *    field by field as `PROFILE_MERGE` says);
 * 2. `mlkube:volumes` and `mlkube:secrets` are added unless `defaultMounts: false` (the workload's own
 *    mount of the same claim/path or Secret wins);
 * 3. `mlkube:resources` fills each request (cpu, memory, ephemeralStorage) the workload leaves unset.
 *
 * Merging before validation means the merged args get every cross-field check (QoS, autoscaling on
 * cpu, GPU vendor, kubeflow limits) as if the user had written them.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { lazy } from "../schema/lazy";
import { MlkubeConfig, mlkubeConfig } from "../config";
import { closest, MlkubeValidationError, ValidationIssue } from "../errors";
import { errorMap, knownKeysOf, toIssues } from "../schema/input";
import { bindingOf, SecretLike, SecretReference } from "../secret/secret";
import { claimMountOf, VolumeLike } from "../volume";
import { strategicMerge } from "../pod/merge";
import { parseNodeSelector } from "../pod/scheduling";
import { PodOptions, podOptionsShape, resourcesObject, VolumeMountSpec } from "./options";

/** The label that records which profile a workload uses (on the top object and the pods). */
export const PROFILE_LABEL = "mlkube.dev/profile";

/**
 * How a profile field combines with the same arg:
 * - `replace`: the arg replaces the profile's value (scalars, and objects merged as a whole: affinity,
 *   topologySpreadConstraints, preStop);
 * - `map`: keys merge, the arg's value wins per key;
 * - `append`: the profile's list, then the arg's (a claim, mount path or Secret the arg names already is
 *   not added again from the profile);
 * - `deep`: strategic merge, the arg wins (security contexts, podPatch);
 * - `resources`: a `map` whose `limits` and `extendedResources` are maps too; a profile's `gpuVendor`
 *   only applies to workloads that ask for GPUs.
 */
export const PROFILE_MERGE = {
    nodeSelector: "map",
    tolerations: "append",
    gpuToleration: "replace",
    affinity: "replace",
    topologySpreadConstraints: "replace",
    priorityClassName: "replace",
    runtimeClassName: "replace",
    serviceAccountName: "replace",
    imagePullPolicy: "replace",
    imagePullSecrets: "append",
    labels: "map",
    annotations: "map",
    podLabels: "map",
    podAnnotations: "map",
    env: "map",
    resources: "resources",
    volumes: "append",
    secrets: "append",
    sharedMemory: "replace",
    secureDefaults: "replace",
    securityContext: "deep",
    containerSecurityContext: "deep",
    terminationGracePeriodSeconds: "replace",
    preStop: "replace",
    podPatch: "deep",
} as const satisfies Partial<Record<keyof PodOptions, "replace" | "map" | "append" | "deep" | "resources">>;

/** The pod options a profile may set. */
export type ProfileField = keyof typeof PROFILE_MERGE;

/** A profile: the pod options a platform team presets (PodOptions' own schema, `resources` without cross-field rules). @internal */
export const profileSchema = lazy(() =>
    z.strictObject(
        Object.fromEntries(
            (Object.keys(PROFILE_MERGE) as ProfileField[]).map((k) => [
                k,
                k === "resources" ? resourcesObject().optional() : podOptionsShape()[k],
            ]),
        ) as { [K in ProfileField]: ReturnType<typeof podOptionsShape>[K] },
    ),
);

type Args = Record<string, unknown>;

const validated = new WeakMap<MlkubeConfig, Record<string, Args>>();

/** `mlkube:profiles`, each checked against the profile schema once per configuration; errors name `mlkube:profiles.<name>.<field>`. */
export function stackProfiles(cfg: MlkubeConfig = mlkubeConfig()): Record<string, Args> {
    const hit = validated.get(cfg);
    if (hit) return hit;
    const out: Record<string, Args> = Object.create(null);
    const issues: ValidationIssue[] = [];
    for (const [name, body] of Object.entries(cfg.profiles ?? {})) {
        const r = profileSchema().safeParse(body, { error: errorMap });
        if (r.success)
            out[name] = body; // the raw body: validate() checks it again with the args
        else issues.push(...toIssues(r.error, ["mlkube:profiles", name], knownKeysOf(profileSchema()), body));
    }
    if (issues.length) throw new MlkubeValidationError("Stack config", pulumi.getStack(), issues);
    validated.set(cfg, out);
    return out;
}

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isPlainObject(v: unknown): v is Args {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

/** A node selector as an object ("k=v,…" strings parsed), or undefined when it cannot be read (the builder reports why). */
function selectorMap(v: unknown): Args | undefined {
    if (isPlainObject(v)) return v;
    if (typeof v !== "string") return undefined;
    let bad = false;
    const m = parseNodeSelector(v, () => (bad = true));
    return bad ? undefined : m;
}

function mergeMap(field: string, p: unknown, a: unknown): unknown {
    if (a === undefined) return p;
    const pm = field === "nodeSelector" ? selectorMap(p) : isPlainObject(p) ? p : undefined;
    const am = field === "nodeSelector" ? selectorMap(a) : isPlainObject(a) ? a : undefined;
    return pm && am ? { ...pm, ...am } : a;
}

/** Plain claim name and mount path of a volumes entry, where they can be known without resolving Outputs. */
function claimOf(entry: unknown): { claim?: string; path?: string } {
    try {
        const spec =
            isPlainObject(entry) && "volume" in entry
                ? (entry as unknown as VolumeMountSpec)
                : { volume: entry as VolumeLike };
        const cm = claimMountOf(spec.volume);
        const path = spec.mountPath ?? cm.mountPath;
        return {
            claim: typeof cm.claimName === "string" ? cm.claimName : undefined,
            path: typeof path === "string" ? path : undefined,
        };
    } catch {
        return {}; // invalid entries are reported by validation
    }
}

function secretNameOf(entry: unknown): string | undefined {
    try {
        const n = bindingOf(entry as SecretLike).secretName;
        return typeof n === "string" ? n : undefined;
    } catch {
        return undefined;
    }
}

/** `base` plus the entries of `extra` that do not name a claim or mount path (volumes) or a Secret (secrets) `base` already has. */
function appendMounts(field: "volumes" | "secrets", base: unknown[], extra: unknown[]): unknown[] {
    if (field === "volumes") {
        const have = base.map(claimOf);
        return [
            ...base,
            ...extra.filter((e) => {
                const c = claimOf(e);
                return !have.some(
                    (h) =>
                        (c.claim !== undefined && h.claim === c.claim) || (c.path !== undefined && h.path === c.path),
                );
            }),
        ];
    }
    const names = new Set(base.map(secretNameOf).filter((n) => n !== undefined));
    return [
        ...base,
        ...extra.filter((e) => {
            const n = secretNameOf(e);
            return n === undefined || !names.has(n);
        }),
    ];
}

function mergeList(field: string, p: unknown, a: unknown): unknown {
    if (!Array.isArray(p)) return a;
    if (!Array.isArray(a)) return a === undefined ? p : a;
    if (field === "volumes" || field === "secrets")
        return [...p.filter((e) => appendMounts(field, a, [e]).length > a.length), ...a];
    const seen = new Set(a.map(identity).filter((k) => k !== undefined));
    return [
        ...p.filter((e) => {
            const k = identity(e);
            return k === undefined || !seen.has(k);
        }),
        ...a,
    ];
}

/** A value's JSON, as its identity for de-duplication; undefined for values JSON cannot hold (cycles): never equal. */
function identity(v: unknown): string | undefined {
    try {
        return JSON.stringify(v);
    } catch {
        return undefined;
    }
}

function mergeResources(p: unknown, a: unknown): unknown {
    if (!isPlainObject(p)) return a;
    if (a === undefined) a = {};
    if (!isPlainObject(a)) return a;
    const out: Args = { ...p, ...a };
    for (const k of ["limits", "extendedResources"]) {
        const m = mergeMap(k, p[k], a[k]);
        if (m !== undefined) out[k] = m;
    }
    // A profile's GPU vendor says which GPUs its nodes have; it does not ask for GPUs.
    if (!own(a, "gpuVendor") && !out.gpu) delete out.gpuVendor;
    return out;
}

/** `args` with `profile` merged under them (the arg wins as PROFILE_MERGE says). @internal (exported for tests) */
export function mergeProfile(profile: Args, args: Args, resourcesKey: string): Args {
    const out: Args = { ...args };
    for (const field of Object.keys(profile) as ProfileField[]) {
        const rule = PROFILE_MERGE[field];
        const key = field === "resources" ? resourcesKey : field;
        const p = profile[field];
        const a = own(args, key) ? args[key] : undefined;
        let merged: unknown;
        if (rule === "replace") merged = a === undefined ? p : a;
        else if (rule === "map") merged = mergeMap(field, p, a);
        else if (rule === "append") merged = mergeList(field, p, a);
        else if (rule === "deep") merged = a === undefined ? p : strategicMerge(p, a);
        else merged = mergeResources(p, a);
        if (merged !== undefined) out[key] = merged;
    }
    return out;
}

/** Entries added from `mlkube:volumes` / `mlkube:secrets`, so later errors can say where they came from. */
const fromStack = new WeakSet<object>();

/** Whether a volumes/secrets entry was added from the stack config (`mlkube:volumes` / `mlkube:secrets`). */
export function isStackDefault(entry: unknown): boolean {
    return typeof entry === "object" && entry !== null && fromStack.has(entry);
}

/** The stack's default claims and Secrets as workload entries. */
function stackMounts(cfg: MlkubeConfig): { volumes: unknown[]; secrets: unknown[] } {
    const volumes = (cfg.volumes ?? []).map((v) =>
        typeof v === "string"
            ? { volume: v }
            : ({
                  volume: v.claimName,
                  mountPath: v.mountPath,
                  subPath: v.subPath,
                  readOnly: v.readOnly,
              } satisfies VolumeMountSpec),
    );
    const secrets = (cfg.secrets ?? []).map((s) =>
        typeof s === "string"
            ? new SecretReference(s)
            : new SecretReference(s.name, { mount: s.mount, mountPath: s.mountPath, fileMode: s.fileMode }),
    );
    for (const e of [...volumes, ...secrets]) fromStack.add(e);
    return { volumes, secrets };
}

const RESOURCE_DEFAULTS = ["cpu", "memory", "ephemeralStorage"] as const;

/**
 * The args of component `component` named `name` with the stack's profile, default mounts and default
 * requests applied. `resourcesKey` is where the workload keeps its resources (`resources` for Compute,
 * `resourcesPerNode` for TrainJob). Args that are not a plain object are returned as they are (validation
 * reports them).
 */
export function applyStackDefaults<T>(
    component: string,
    name: string,
    args: T,
    resourcesKey: "resources" | "resourcesPerNode",
): T {
    if (!isPlainObject(args)) return args;
    try {
        return withStackDefaults(component, name, args, resourcesKey);
    } catch (e) {
        // The args are read here before validation: a hostile value (a getter that throws, a proxy) is left
        // for validate(), which reports it at its field ("could not be read (its getter threw)").
        if (e instanceof MlkubeValidationError) throw e;
        return args;
    }
}

function withStackDefaults<T>(
    component: string,
    name: string,
    args: T & Args,
    resourcesKey: "resources" | "resourcesPerNode",
): T {
    const cfg = mlkubeConfig();
    let out: Args = args;

    if (own(args, "profile") && typeof args.profile === "string") {
        const profiles = stackProfiles(cfg);
        const wanted = args.profile;
        if (!own(profiles, wanted)) {
            const known = Object.keys(profiles);
            const guess = closest(wanted, known);
            throw new MlkubeValidationError(component, name, [
                {
                    path: ["profile"],
                    message: known.length
                        ? `${JSON.stringify(wanted)} is not a profile of this stack${guess ? `; did you mean ${JSON.stringify(guess)}?` : ""} (mlkube:profiles has ${known.map((k) => JSON.stringify(k)).join(", ")})`
                        : `${JSON.stringify(wanted)} is not a profile of this stack: mlkube:profiles is not set; define it in the stack config or remove profile`,
                },
            ]);
        }
        out = mergeProfile(profiles[wanted], out, resourcesKey);
        // The object and its pods say which profile they come from.
        for (const field of ["labels", "podLabels"]) {
            const labels = isPlainObject(out[field]) ? out[field] : out[field] === undefined ? {} : undefined;
            if (labels && !own(labels, PROFILE_LABEL)) out[field] = { ...labels, [PROFILE_LABEL]: wanted };
        }
    }

    if (out.defaultMounts !== false) {
        const d = stackMounts(cfg);
        for (const field of ["volumes", "secrets"] as const) {
            if (!d[field].length) continue;
            const mine = out[field] === undefined ? [] : out[field];
            if (Array.isArray(mine)) out = { ...out, [field]: appendMounts(field, mine, d[field]) };
        }
    }

    if (cfg.resources) {
        const mine = out[resourcesKey] === undefined ? {} : out[resourcesKey];
        if (isPlainObject(mine)) {
            const limits = isPlainObject(mine.limits) ? mine.limits : {};
            const filled: Args = { ...mine };
            for (const k of RESOURCE_DEFAULTS) {
                const d = cfg.resources[k];
                // A limit alone makes Kubernetes use it as the request; leave it so.
                if (d !== undefined && mine[k] === undefined && limits[k] === undefined) filled[k] = d;
            }
            if (Object.keys(filled).length) out = { ...out, [resourcesKey]: filled };
        }
    }
    return (out === args ? args : out) as T;
}
