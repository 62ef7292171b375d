/**
 * Validation of embedded Kubernetes objects (tolerations, affinity, securityContexts, podPatch, the pod
 * parts of runtimePatches, `mlkube:tolerations`) against the OpenAPI schema of the Kubernetes version
 * mlkube targets, in mlkube's error format:
 *
 *     Compute "api": tolerations[0].operater: unknown field; did you mean "operator"?
 *
 * The definitions are generated from the upstream spec by scripts/gen-k8s-schema.ts into
 * k8s-openapi.generated.ts (compact: types, required fields, enums, list-map keys) and loaded on first
 * use, so `import "mlkube"` does not pay for them. Validation walks the user's value along the schema:
 * its cost is proportional to what the user supplied. Outputs inside the object (markers left by
 * `validate()`) come out as Outputs that check their value when it resolves.
 */
import { z } from "zod";
import { closest, ValidationIssue } from "../errors";
import { mustBeKnown, Resolved, Unresolved } from "./input";
import { describeHelper } from "./meta";
import { isQuantity, parseQuantity, quantityMessage } from "./quantity";
import { leafRule, objectRuleIssues } from "./object-rules";

/**
 * One property's type: a primitive name, `#Definition`, `{ e: [...] }` (string enum), `{ a: T, k?: keys }`
 * (list, with list-map keys), `{ m: T }` (map with string keys).
 */
export type K8sType = string | { e: string[] } | { a: K8sType; k?: string[]; set?: boolean } | { m: K8sType };
export type K8sDefinitions = Record<string, { p: Record<string, K8sType>; r?: string[] }>;

let definitions: K8sDefinitions | undefined;

/** The generated definitions, loaded on first use. */
export function k8sDefinitions(): K8sDefinitions {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (definitions ??= (require("./k8s-openapi.generated") as { DEFINITIONS: K8sDefinitions }).DEFINITIONS);
}

/**
 * `object`: a whole object (required fields checked). `merge`: merged over defaults (the security
 * contexts): required fields may come from the defaults, so they are checked after the merge.
 * `patch`: a strategic-merge patch (podPatch): like `merge`, plus list items need their merge key and
 * `null` deletes a field.
 */
export type K8sMode = "object" | "merge" | "patch";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MAX_ECHO = 60;

/** A value for a message, truncated: never more than ~60 characters of user input. */
function echo(v: unknown): string {
    let s: string;
    try {
        s =
            typeof v === "string"
                ? JSON.stringify(v)
                : typeof v === "number" || typeof v === "boolean"
                  ? String(v)
                  : describe(v);
    } catch {
        s = describe(v);
    }
    return s.length > MAX_ECHO ? `${s.slice(0, MAX_ECHO - 4)}…${s.endsWith('"') ? '"' : ""}` : s;
}

function describe(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "an array";
    if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
    return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
    if (k === "__proto__")
        Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    else o[k] = v;
}

/** Replaces Unresolved markers by the Outputs they stand for, in a value the schema does not describe. */
function unmarkDeep(v: unknown, depth = 0): unknown {
    if (v instanceof Unresolved) return v.value;
    if (depth > 100) return v;
    if (Array.isArray(v)) return v.map((e) => unmarkDeep(e, depth + 1));
    if (isPlainObject(v)) {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v)) setOwn(out, k, unmarkDeep(v[k], depth + 1));
        return out;
    }
    return v;
}

const typeName = (t: K8sType): string =>
    typeof t === "string"
        ? t.startsWith("#")
            ? "an object"
            : t === "int32" || t === "int64"
              ? "an integer"
              : t === "int-or-string"
                ? "an integer or a string"
                : t === "quantity"
                  ? "a quantity"
                  : t === "byte"
                    ? "a string"
                    : `a ${t}`
        : "e" in t
          ? "a string"
          : "a" in t
            ? "a list"
            : "a map";

/**
 * Scalar fields (and lists of scalars) mlkube reads in the objects it builds the pod from, by definition:
 * an Output there would be compared or branched on as an object, giving another pod than its value
 * would. Keep in step with what src/pod/builder.ts and the TrainJob backends read.
 */
const READ_FIELDS: Record<string, Record<string, string>> = {
    SecurityContext: {
        privileged: "mlkube checks it against the secure defaults",
        allowPrivilegeEscalation: "mlkube checks it against the secure defaults",
        runAsUser: "mlkube reads the pod's user to check runAsNonRoot and to pick fsGroup",
        runAsGroup: "mlkube reads it to pick fsGroup",
        runAsNonRoot: "mlkube reads it to check the user and to pick fsGroup",
    },
    PodSecurityContext: {
        runAsUser: "mlkube reads the pod's user to check runAsNonRoot and to pick fsGroup",
        runAsGroup: "mlkube reads it to pick fsGroup",
        runAsNonRoot: "mlkube reads it to check the user and to pick fsGroup",
    },
    Capabilities: {
        add: "mlkube checks the added capabilities against the secure defaults",
        drop: "mlkube keeps ALL in the dropped capabilities",
    },
    Toleration: { key: "mlkube compares it with the GPU toleration's key" },
};

/** Where a value sits inside an embedded object: its definition and field, and the merge keys of the list it is an item of. */
interface Position {
    def?: string;
    field?: string;
    /** The list-map keys of the list whose item is being walked (for its fields). */
    itemKeys?: string[];
    /** The keys of the list the value is an item of (set on the item itself). */
    listKeys?: string[];
}

/**
 * THE rule for Outputs/Promises inside embedded Kubernetes objects: why the value at `t` (at `at`) must
 * be known when the program runs, or undefined when it may stay an Input (a leaf passed through).
 * mlkube merges objects field by field (security contexts over the secure defaults, podPatch into the
 * pod spec, runtimePatches into the JobSet), merges lists by their keys and reads some fields; all of
 * that needs the value, at every depth. Leaves it only passes to Kubernetes may be Outputs.
 */
function mustBeKnownWhy(t: K8sType, at: Position | undefined): string | undefined {
    if (typeof t === "string" && t.startsWith("#")) {
        return at?.listKeys
            ? `mlkube merges the items of ${at.field ?? "this list"} by ${at.listKeys.join(" and ")}, so each item must be known (values inside it may be Outputs)`
            : "mlkube merges and reads Kubernetes objects field by field (security defaults, podPatch, runtimePatches), so only values inside an object may be Outputs";
    }
    if (typeof t === "object" && "m" in t)
        return "mlkube merges maps key by key, so only the values of a map may be Outputs";
    if (typeof t === "object" && "a" in t && typeof t.a === "object")
        return "mlkube merges and reads the items of this list, so only values inside them may be Outputs";
    if (typeof t === "object" && "a" in t && typeof t.a === "string" && t.a.startsWith("#")) {
        return t.k
            ? `mlkube merges this list by ${t.k.join(" and ")}, so only values inside its items may be Outputs`
            : "mlkube merges and reads the items of this list, so only values inside them may be Outputs";
    }
    if (at?.def && at.field) {
        if (at.itemKeys?.includes(at.field)) return `mlkube merges the list by ${at.field}, so it must be known`;
        const read = READ_FIELDS[at.def]?.[at.field];
        if (read) return read;
    }
    return undefined;
}

const zodCache = new Map<string, z.ZodType>();

/** A zod schema checking a value of K8s type `t` (used for Outputs resolving inside an object). */
function zodFor(t: K8sType, mode: K8sMode): z.ZodType {
    const key = `${mode}:${JSON.stringify(t)}`;
    let s = zodCache.get(key);
    if (!s) {
        s = z.unknown().transform((v, ctx) => {
            // What must be known (a whole object, the lists mlkube merges, their keys, the fields it
            // reads) is decided by mustBeKnownWhy() as walk() goes; other Outputs inside stay Inputs.
            const issues: ValidationIssue[] = [];
            const out = walk(v, t, [], issues, mode);
            for (const i of issues)
                ctx.issues.push({ code: "custom", message: i.message, input: undefined, path: [...i.path] } as never);
            return out;
        });
        describeHelper(s, { kind: "k8s", def: typeof t === "string" ? t.replace(/^#/, "") : JSON.stringify(t) });
        zodCache.set(key, s);
    }
    return s;
}

/** Checks `v` against `t`, pushing problems to `issues`; returns `v` with Outputs restored. */
function walk(
    v: unknown,
    t: K8sType,
    path: (string | number)[],
    issues: ValidationIssue[],
    mode: K8sMode,
    at?: Position,
): unknown {
    if (v instanceof Unresolved) {
        const why = mustBeKnownWhy(t, at);
        if (why === undefined) {
            // A field with a server rule of its own (a selector key, a label value, an ID range) is checked
            // against it too when it resolves (src/schema/object-rules.ts).
            const rule = leafRule(at?.def, at?.field, path);
            return v.check(
                rule
                    ? zodFor(t, mode).superRefine((x, ctx) => {
                          const problem = rule(x);
                          if (problem) ctx.addIssue({ code: "custom", message: problem });
                      })
                    : zodFor(t, mode),
            );
        }
        issues.push({ path, message: mustBeKnown(why) });
        return v.value;
    }
    const bad = () => {
        issues.push({ path, message: `expected ${typeName(t)}, got ${describe(v)}` });
        return v;
    };
    if (typeof t === "string") {
        switch (t) {
            case "any":
                return unmarkDeep(v);
            case "string":
            case "byte":
                return typeof v === "string" ? v : bad();
            case "boolean":
                return typeof v === "boolean" ? v : bad();
            case "number":
                if (typeof v !== "number") return bad();
                if (!Number.isFinite(v)) issues.push({ path, message: `expected a finite number, got ${describe(v)}` });
                return v;
            case "int32":
            case "int64": {
                if (typeof v !== "number") return bad();
                if (!Number.isInteger(v)) issues.push({ path, message: `expected an integer, got ${describe(v)}` });
                else if (t === "int32" && (v < INT32_MIN || v > INT32_MAX))
                    issues.push({
                        path,
                        message: `${v} is out of range: must be at most ${INT32_MAX} (a 32-bit integer)`,
                    });
                else if (t === "int64" && !Number.isSafeInteger(v))
                    issues.push({ path, message: `${v} is out of range: must be at most ${Number.MAX_SAFE_INTEGER}` });
                return v;
            }
            case "int-or-string":
                if (typeof v === "string") {
                    if (v === "") issues.push({ path, message: "must not be empty" });
                    return v;
                }
                if (typeof v !== "number") return bad();
                if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX)
                    issues.push({ path, message: `expected a 32-bit integer or a string, got ${describe(v)}` });
                return v;
            case "quantity":
                if (typeof v === "number") {
                    if (!Number.isFinite(v)) issues.push({ path, message: `expected a quantity, got ${describe(v)}` });
                    return v;
                }
                if (typeof v !== "string") return bad();
                if (!isQuantity(v) || !Number.isFinite(parseQuantity(v)))
                    issues.push({
                        path,
                        message: quantityMessage(v.length > MAX_ECHO ? `${v.slice(0, MAX_ECHO)}…` : v),
                    });
                return v;
            default:
                return walkObject(v, t.slice(1), path, issues, mode, at?.listKeys);
        }
    }
    if ("e" in t) {
        if (typeof v !== "string") return bad();
        if (!t.e.includes(v)) {
            const guess = v.length <= 64 ? closest(v, t.e) : undefined;
            issues.push({
                path,
                message: `${echo(v)} is not one of ${t.e.map((x) => JSON.stringify(x)).join(", ")}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ""}`,
            });
        }
        return v;
    }
    if ("a" in t) {
        if (!Array.isArray(v)) return bad();
        const out = v.map((e, i) => {
            if (mode === "patch" && t.k && isPlainObject(e) && (e[t.k[0]] === undefined || e[t.k[0]] === null)) {
                issues.push({
                    path: [...path, i, t.k[0]],
                    message: `is required (${String(path[path.length - 1])} are merged by ${t.k[0]})`,
                });
            }
            return walk(e, t.a, [...path, i], issues, mode, { def: at?.def, field: at?.field, listKeys: t.k });
        });
        if (t.k) {
            const seen = new Map<string, number>();
            v.forEach((e, i) => {
                if (!isPlainObject(e)) return;
                const parts = t.k!.map((k) => e[k]);
                // Keys that are not plain strings or numbers are reported by the walk above (a BigInt cannot be JSON).
                if (
                    parts.some(
                        (p) =>
                            p !== undefined && typeof p !== "string" && typeof p !== "number" && typeof p !== "boolean",
                    )
                )
                    return;
                const key = JSON.stringify(parts);
                const prev = seen.get(key);
                if (prev !== undefined) {
                    issues.push({
                        path: [...path, i],
                        message: `duplicates item [${prev}] (same ${t.k!.map((k, j) => `${k} ${parts[j] === undefined ? "unset" : echo(parts[j])}`).join(", ")}); Kubernetes keys this list by ${t.k!.join(" and ")}`,
                    });
                } else seen.set(key, i);
            });
        }
        return out;
    }
    if (!isPlainObject(v)) return bad();
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, walk(v[k], t.m, [...path, k], issues, mode, {}));
    return out;
}

/**
 * The field a misspelled `key` most likely meant: a close edit distance, else the one sharing the
 * longest prefix (at least 4 characters and 60% of the key: "readOnlyRootFS" -> "readOnlyRootFilesystem").
 */
function suggest(key: string, known: string[]): string | undefined {
    if (key.length > 64) return undefined;
    const near = closest(key, known);
    if (near) return near;
    const k = key.toLowerCase();
    let best: string | undefined;
    let bestLen = Math.max(4, Math.ceil(k.length * 0.6)) - 1;
    for (const c of known) {
        const l = c.toLowerCase();
        let i = 0;
        while (i < k.length && i < l.length && k[i] === l[i]) i++;
        if (i > bestLen) {
            best = c;
            bestLen = i;
        } else if (i === bestLen && best !== undefined) best = undefined;
    }
    return best;
}

function walkObject(
    v: unknown,
    def: string,
    path: (string | number)[],
    issues: ValidationIssue[],
    mode: K8sMode,
    itemKeys?: string[],
): unknown {
    const d = k8sDefinitions()[def];
    if (!isPlainObject(v)) {
        issues.push({ path, message: `expected an object (Kubernetes ${def}), got ${describe(v)}` });
        return v;
    }
    const out: Record<string, unknown> = {};
    const guessed = new Set<string>();
    const known = issues.length;
    for (const k of Object.keys(v)) {
        if (!Object.hasOwn(d.p, k)) {
            const known = Object.keys(d.p);
            const guess = suggest(k, known);
            if (guess) guessed.add(guess);
            issues.push({
                path: [...path, k],
                message: guess
                    ? `unknown field; did you mean "${guess}"?`
                    : `unknown field (Kubernetes ${def} has ${known.length <= 12 ? known.join(", ") : `${known.slice(0, 12).join(", ")}, …`})`,
            });
            continue;
        }
        if (v[k] === undefined) continue;
        if (v[k] === null && mode === "patch") {
            out[k] = null; // strategic merge: delete the field
            continue;
        }
        const t = d.p[k];
        // An optional enum left empty is "unset": the API server defaults it (operator "" is Equal).
        if (v[k] === "" && typeof t === "object" && "e" in t && !d.r?.includes(k)) {
            out[k] = "";
            continue;
        }
        setOwn(out, k, walk(v[k], d.p[k], [...path, k], issues, mode, { def, field: k, itemKeys }));
    }
    if (mode === "object") {
        // A required field the user misspelled is reported once, as the misspelling.
        for (const r of d.r ?? [])
            if ((!Object.hasOwn(v, r) || v[r] === undefined) && !guessed.has(r))
                issues.push({ path: [...path, r], message: "is required" });
    }
    // The API server's rules across the object's fields (an empty toleration is not "tolerate all", selector
    // operators and their values, weights, ID ranges), once each field is valid: src/schema/object-rules.ts.
    if (issues.length === known) issues.push(...objectRuleIssues(def, v, path));
    return out;
}

/** Problems of `value` as a Kubernetes `def` (e.g. "Toleration"); paths relative to the value. */
export function k8sIssues(value: unknown, def: string, mode: K8sMode = "object"): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    walk(value, `#${def}`, [], issues, mode);
    return issues;
}

/**
 * A zod schema for a Kubernetes object of definition `def`, typed as @pulumi/kubernetes' input type `T`.
 * Plain values are checked now; Outputs inside come out as Outputs checked when they resolve.
 * @internal
 */
export function k8sObject<T>(def: string, mode: K8sMode = "object"): z.ZodType<T, Resolved<T>> {
    return zodFor(`#${def}`, mode) as unknown as z.ZodType<T, Resolved<T>>;
}
