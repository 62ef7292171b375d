/**
 * Validation of args that may hold `pulumi.Input`s.
 *
 * `validate()` takes a snapshot of the args in which every Output or Promise is replaced by an
 * `Unresolved` marker that remembers where it was found. The zod schema checks the snapshot
 * synchronously, so plain values fail in the constructor, with a stack trace at the user's line.
 * Fields declared with `input(schema)` accept a marker: it comes out of the parse as an Output that
 * checks the value against `schema` when it resolves, and fails the update with the same message.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { closest, formatPath, MlkubeValidationError, quote, ValidationIssue } from "../errors";
import { lazy } from "./lazy";
import { describeHelper, helperMeta } from "./meta";

/** Args nested deeper than this are refused (Kubernetes objects in args nest about 20 levels at most). */
export const MAX_DEPTH = 100;

/** The message of an issue about a secret value: what was wrong stays, the value never appears. */
export const SECRET_ISSUE = "is not valid (the value is a secret, so it is not shown; check what you passed here)";

/** The SDK's Output class (exported as the value `Output`, whose type declares only the static side). */
const OutputClass = pulumi.Output as unknown as abstract new (...a: never[]) => object;

/** Stand-in for a value that is not known yet (an Output or a Promise) during validation. */
export class Unresolved {
    private normalized?: pulumi.Output<unknown>;
    constructor(
        /** The Output or Promise found in the args. */
        private readonly raw: pulumi.Input<unknown>,
        readonly component: string,
        readonly name: string,
        readonly path: ReadonlyArray<string | number>,
    ) {}

    /** The value as an Output (`pulumi.output` of what was found), made on first read. */
    get value(): pulumi.Output<unknown> {
        return (this.normalized ??= pulumi.output(this.raw));
    }

    /**
     * The value as an Output that fails with a validation error when it resolves to something `schema`
     * rejects. When the Output is secret, the messages say what was wrong without quoting the value.
     * @internal
     */
    check(schema: z.ZodType): pulumi.Output<unknown> {
        // One apply (issue 27: pulumi.all([pulumi.output(value), isSecret]).apply cost seven Outputs per value).
        // An Output of this SDK is applied on directly: the apply keeps its resources and secretness and,
        // like the apply on pulumi.output(value) before, runs only on a known value. A resolved object is
        // flattened by pulumi.output() first, as pulumi.output(value) did (returned from the apply, the
        // flattened Output's resources and secretness are lifted into the result). Anything else (a
        // Promise, an Output of another SDK copy) goes through pulumi.output().
        const base = this.raw instanceof OutputClass ? (this.raw as pulumi.Output<unknown>) : this.value;
        return base.apply((v) => {
            if (v === null || typeof v !== "object" || pulumi.Resource.isInstance(v))
                return this.validateResolved(schema, v, secretness(base));
            const flat = pulumi.output(v);
            const secret = Promise.all([secretness(base), secretness(flat)]).then(([a, b]) => a || b);
            return flat.apply((f) => this.validateResolved(schema, f, secret));
        });
    }

    /** The checked value, or (a Promise of) the validation error; `secret`: whether messages must hide the value. */
    private validateResolved(schema: z.ZodType, v: unknown, secret: Promise<boolean>): unknown {
        const issues: ValidationIssue[] = [];
        const before = markersSeen;
        const snap = snapshot(v, this.component, this.name, this.path, issues);
        if (!issues.length) {
            const r = schema.safeParse(snap, { error: errorMap });
            if (r.success) return markersSeen === before ? r.data : unmarkAll(r.data);
            issues.push(...toIssues(r.error, this.path, knownKeysOf(schema), snap));
        }
        return secret.then((isSecret) => {
            const shown = isSecret ? issues.map((i) => ({ path: i.path, message: SECRET_ISSUE })) : issues;
            throw new MlkubeValidationError(this.component, this.name, shown);
        });
    }
}

/** Whether an Output is secret (false when it cannot say, as before for Outputs without `isSecret`). */
function secretness(o: pulumi.Output<unknown>): Promise<boolean> {
    const s = (o as unknown as { isSecret?: Promise<boolean> }).isSecret;
    return Promise.resolve(s).then((v) => v === true);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    if (v === null || typeof v !== "object") return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

/**
 * How many `Unresolved` markers snapshots have made (or met) so far: a parse of a snapshot that made
 * none holds none, so unmarkAll() can be skipped for it (issue 15: args are mostly plain).
 */
let markersSeen = 0;

/**
 * Deep copy of plain objects/arrays in which Outputs and Promises become `Unresolved` markers.
 * Hostile shapes become issues instead of crashes: cycles, nesting deeper than MAX_DEPTH, own
 * `__proto__` keys (what JSON.parse produces; never copied, so they cannot become the copy's
 * prototype) and getters that throw. Without `issues`, the first problems are thrown as an
 * MlkubeValidationError.
 */
export function snapshot(
    v: unknown,
    component: string,
    name: string,
    path: ReadonlyArray<string | number> = [],
    issues?: ValidationIssue[],
): unknown {
    const found: ValidationIssue[] = issues ?? [];
    const ancestors = new Set<object>();
    // One path stack for the whole walk, pushed and popped per element and copied only into a marker or
    // an issue: every component constructor snapshots its args, almost all plain values (issue 15).
    const p: (string | number)[] = [...path];
    const at = (k: string | number) => [...p, k];
    const walk = (x: unknown): unknown => {
        if (typeof x !== "object" && typeof x !== "function") return x; // Outputs and Promises are objects
        if (x instanceof Unresolved) markersSeen++;
        if (pulumi.Output.isInstance(x) || x instanceof Promise) {
            markersSeen++;
            return new Unresolved(x as pulumi.Input<unknown>, component, name, p.slice());
        }
        const array = Array.isArray(x);
        if (!array && !isPlainObject(x)) return x;
        if (p.length - path.length >= MAX_DEPTH) {
            found.push({
                path: p.slice(),
                message: `is nested more than ${MAX_DEPTH} levels deep; no Kubernetes object is`,
            });
            return undefined;
        }
        if (ancestors.has(x as object)) {
            found.push({ path: p.slice(), message: "refers to itself (a cyclic value); pass a tree of plain values" });
            return undefined;
        }
        ancestors.add(x as object);
        const depth = p.length;
        try {
            if (array) {
                const a = x as unknown[];
                const out = new Array<unknown>(a.length);
                for (let i = 0; i < a.length; i++) {
                    p.push(i);
                    out[i] = walk(a[i]);
                    p.pop();
                }
                return out;
            }
            const out: Record<string, unknown> = {};
            for (const k of Object.keys(x)) {
                if (k === "__proto__") {
                    found.push({
                        path: at(k),
                        message: `"__proto__" is not allowed as a key (it is no Kubernetes field or name)`,
                    });
                    continue;
                }
                let e: unknown;
                try {
                    e = x[k];
                } catch {
                    found.push({ path: at(k), message: "could not be read (its getter threw); pass plain values" });
                    continue;
                }
                p.push(k);
                out[k] = walk(e);
                p.pop();
            }
            return out;
        } finally {
            p.length = depth; // a throw below (e.g. from Output.isInstance on a hostile proxy) leaves the stack as found
            ancestors.delete(x as object);
        }
    };
    const out = walk(v);
    if (!issues && found.length) throw new MlkubeValidationError(component, name, found);
    return out;
}

/**
 * Replaces, in place, the `Unresolved` markers left in a parse result (inside Kubernetes objects passed
 * through as is: securityContext, affinity, podPatch, …) by the Outputs they stand for. Only plain
 * objects and arrays are entered: both are fresh copies made by snapshot() or zod.
 */
export function unmarkAll<T>(v: T): T {
    if (v instanceof Unresolved) return v.value as T;
    if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) v[i] = unmarkAll(v[i]);
    } else if (isPlainObject(v)) {
        const o = v as Record<string, unknown>;
        for (const k of Object.keys(o)) o[k] = unmarkAll(o[k]);
    }
    return v;
}

/**
 * A field that may be a `pulumi.Input`: plain values are checked now, Outputs when they resolve.
 * Typed so that `z.input` is the plain value type (which the interface/schema agreement check uses)
 * and `z.output` is `pulumi.Input<…>` (what the renderers receive).
 * @internal
 */
export function input<T extends z.ZodType>(schema: T): z.ZodType<pulumi.Input<z.output<T>>, z.input<T>> {
    const pipe = z.unknown().transform((v, ctx) => {
        if (v instanceof Unresolved) return v.check(schema) as pulumi.Output<z.output<T>>;
        if (v === undefined && !schema.safeParse(undefined).success) {
            ctx.issues.push({ code: "custom", message: "is required", input: undefined, path: [] });
            return z.NEVER;
        }
        const r = schema.safeParse(v, { error: errorMap });
        if (r.success) return r.data;
        for (const iss of r.error.issues) {
            ctx.issues.push({ ...(iss as object), input: undefined, path: iss.path } as never);
        }
        return z.NEVER;
    });
    return describeHelper(pipe, { kind: "input", schema }) as unknown as z.ZodType<
        pulumi.Input<z.output<T>>,
        z.input<T>
    >;
}

/**
 * A map with keys checked by `key` and values by `value`, like `z.record`, except that a key named
 * `constructor` is an ordinary key (z.record refuses such objects as "not a plain object").
 * Problems are reported at the key's path.
 * @internal
 */
export function record<K extends z.ZodType<string, string>, V extends z.ZodType>(
    key: K,
    value: V,
): z.ZodType<Record<z.output<K>, z.output<V>>, Record<z.input<K>, z.input<V>>> {
    const pipe = z.unknown().transform((v, ctx) => {
        if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Unresolved) {
            const message =
                v instanceof Unresolved
                    ? MUST_BE_KNOWN
                    : v === undefined
                      ? "is required"
                      : `expected an object, got ${describe(v)}`;
            ctx.issues.push({ code: "custom", message, input: undefined, path: [] });
            return z.NEVER;
        }
        const out: Record<string, unknown> = {};
        let failed = false;
        for (const k of Object.keys(v)) {
            const kr = key.safeParse(k, { error: errorMap });
            if (!kr.success) {
                failed = true;
                for (const iss of kr.error.issues)
                    ctx.issues.push({ code: "custom", message: iss.message, input: undefined, path: [k] });
                continue;
            }
            const vr = value.safeParse((v as Record<string, unknown>)[k], { error: errorMap });
            if (!vr.success) {
                failed = true;
                for (const iss of vr.error.issues)
                    ctx.issues.push({ ...(iss as object), input: undefined, path: [k, ...iss.path] } as never);
                continue;
            }
            out[kr.data] = vr.data;
        }
        return failed ? z.NEVER : out;
    });
    return describeHelper(pipe, { kind: "record", key, value }) as unknown as z.ZodType<
        Record<z.output<K>, z.output<V>>,
        Record<z.input<K>, z.input<V>>
    >;
}

/** A Pulumi resource, as `dependsOn` options take it. @internal */
export const pulumiResource = lazy(() =>
    z.custom<pulumi.Resource>((v) => pulumi.Resource.isInstance(v), {
        message: "expected a Pulumi resource (e.g. the Volume or Secret the reference stands for)",
    }),
);

const MUST_BE_KNOWN_START = "must be known when the program runs";

/** How to pass a value that is only known as an Output: what every "must be known" message ends with. */
const KNOWN_FIX = "pass a plain value, or create the component inside the Output's .apply()";

/**
 * The message for an Output/Promise where a value must be known when the program runs: what, `why`
 * (default: the field shapes the generated objects) and the fix. @internal
 */
export function mustBeKnown(why = "this field shapes the generated objects"): string {
    return `${MUST_BE_KNOWN_START} (not a pulumi.Output/Promise): ${why}; ${KNOWN_FIX}`;
}

/** The message for an Output/Promise where a value must be known when the program runs. @internal */
export const MUST_BE_KNOWN = mustBeKnown();

/** Turns zod's issue codes into messages that say what was wrong and how to fix it. @internal */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
    switch (iss.code) {
        case "invalid_type": {
            if (iss.input === undefined) return "is required";
            if (iss.input instanceof Unresolved) return MUST_BE_KNOWN;
            const got = describe(iss.input);
            const finite = iss.expected === "number" && typeof iss.input === "number";
            const want =
                iss.expected === "object"
                    ? "an object"
                    : iss.expected === "array"
                      ? "an array"
                      : finite
                        ? "a finite number"
                        : `a ${iss.expected}`;
            return `expected ${want}, got ${got}`;
        }
        case "invalid_value": {
            if (iss.input === undefined) return "is required";
            if (iss.input instanceof Unresolved) return MUST_BE_KNOWN;
            const allowed = iss.values.map((v) => quote(v));
            const guess = typeof iss.input === "string" ? closest(iss.input, iss.values.map(String)) : undefined;
            return `${quote(iss.input)} is not one of ${allowed.join(", ")}${guess ? `; did you mean ${quote(guess)}?` : ""}`;
        }
        case "too_small":
            if (iss.origin === "string" && iss.minimum === 1) return "must not be empty";
            if (iss.origin === "array") return `needs at least ${iss.minimum} item(s)`;
            return `must be ${iss.inclusive ? "at least" : "greater than"} ${iss.minimum}`;
        case "too_big":
            if (iss.origin === "array") return `takes at most ${iss.maximum} item(s)`;
            if (iss.origin === "string") return `must be at most ${iss.maximum} characters`;
            return `must be ${iss.inclusive ? "at most" : "less than"} ${iss.maximum}`;
        default:
            return undefined;
    }
};

/**
 * Flattens a ZodError into issues with full paths; unknown fields get a "did you mean". `raw` is the
 * value that was parsed (at `prefix`): union failures are reported for the branch it was meant for.
 * @internal
 */
export function toIssues(
    err: z.ZodError,
    prefix: ReadonlyArray<string | number> = [],
    knownKeys?: (path: PropertyKey[]) => string[] | undefined,
    raw?: unknown,
): ValidationIssue[] {
    const out: ValidationIssue[] = [];
    const known = new Set<string>();
    for (const iss of err.issues) {
        const path = [...prefix, ...(iss.path as (string | number)[])];
        // An Output/Promise where the schema wanted a value (an object is read for its fields, say): the
        // one message that applies, at the marker's own position, whatever zod made of the marker.
        const marker = markerDepth(raw, iss.path);
        if (marker !== undefined) {
            const at = [...prefix, ...(iss.path as (string | number)[]).slice(0, marker)];
            const key = formatPath(at);
            // A message of the rule that says why (src/schema/k8s.ts) is kept; the args themselves are an object.
            const message = iss.message.startsWith(MUST_BE_KNOWN_START)
                ? iss.message
                : at.length
                  ? MUST_BE_KNOWN
                  : `expected an object, got a pulumi.Output/Promise: the args ${MUST_BE_KNOWN_START}; pass a plain object, or create the component inside the Output's .apply()`;
            if (!known.has(key)) out.push({ path: at, message });
            known.add(key);
            continue;
        }
        if (iss.code === "unrecognized_keys") {
            const known = knownKeys?.(iss.path) ?? [];
            for (const key of iss.keys) {
                const guess = closest(key, known);
                out.push({
                    path: [...path, key],
                    message: guess
                        ? `unknown field; did you mean "${guess}"?`
                        : `unknown field${known.length ? ` (known fields: ${known.join(", ")})` : ""}`,
                });
            }
        } else if (iss.code === "invalid_key" || iss.code === "invalid_element") {
            // Record keys / map entries: report the inner problem (e.g. why a label key is invalid).
            const inner = (iss as unknown as { issues: z.core.$ZodIssue[] }).issues ?? [];
            const key = (iss as unknown as { key?: unknown }).key;
            // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a map key zod reports (a string or number)
            const at = iss.code === "invalid_element" && key !== undefined ? [...path, String(key)] : path;
            if (inner.length) out.push(...inner.map((i) => ({ path: at, message: i.message })));
            else out.push({ path: at, message: iss.message });
        } else if (iss.code === "invalid_union") {
            out.push(
                ...unionIssues(iss, path, valueAt(raw, iss.path), knownKeys && ((p) => knownKeys([...iss.path, ...p]))),
            );
        } else {
            out.push({ path, message: iss.message });
        }
    }
    // A required field the user misspelled is reported once, as the misspelling ("did you mean" it).
    const meant = new Set(
        out.flatMap((i) => {
            const m = /^unknown field; did you mean "(.*)"\?$/.exec(i.message);
            return m ? [formatPath([...i.path.slice(0, -1), m[1]])] : [];
        }),
    );
    return meant.size ? out.filter((i) => i.message !== "is required" || !meant.has(formatPath(i.path))) : out;
}

/** How many segments of `path` lead to an Unresolved marker in `raw`, or undefined when none is on the way. */
function markerDepth(raw: unknown, path: ReadonlyArray<PropertyKey>): number | undefined {
    let v = raw;
    for (let i = 0; ; i++) {
        if (v instanceof Unresolved) return i;
        if (i === path.length || v === null || typeof v !== "object" || !Object.hasOwn(v, path[i])) return undefined;
        v = (v as Record<PropertyKey, unknown>)[path[i]];
    }
}

/** The value at `path` inside `raw` (a snapshot: plain objects and arrays), if there is one. */
function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
    let v = raw;
    for (const k of path) {
        if (v === null || typeof v !== "object" || v instanceof Unresolved || !Object.hasOwn(v, k)) return undefined;
        v = (v as Record<PropertyKey, unknown>)[k];
    }
    return v;
}

/** An issue saying the value is of the wrong kind for a branch (not a problem inside a value of the right kind). */
function wrongKind(i: z.core.$ZodIssue): boolean {
    return (
        i.path.length === 0 && (i.code === "invalid_type" || (i.code === "custom" && /not instance of/.test(i.message)))
    );
}

/** What a branch that refused the value for its kind expects ("a string", "a Volume"). */
function expectedOf(i: z.core.$ZodIssue): string {
    if (i.code === "invalid_type") {
        const e = (i as { expected: string }).expected;
        return e === "object" ? "an object" : e === "array" ? "an array" : `a ${e}`;
    }
    const m = /not instance of (\w+)/.exec(i.message);
    return m ? `a ${m[1]}` : "another value";
}

/**
 * The issues of a value that no branch of a union accepts, for the branch the value was meant for:
 * the one that takes its kind of value (an object with a `volume` key is a mount spec, not a claim
 * name), among several the one with the fewest unknown fields, then the one that got furthest. A value
 * no branch takes the kind of gets "expected …, got …"; an Output/Promise gets "must be known".
 */
function unionIssues(
    iss: z.core.$ZodIssue,
    path: (string | number)[],
    value: unknown,
    knownKeys?: (path: PropertyKey[]) => string[] | undefined,
): ValidationIssue[] {
    if (value instanceof Unresolved) return [{ path, message: MUST_BE_KNOWN }];
    // Nested unions (a union of unions) are one choice.
    const branches: z.core.$ZodIssue[][] = [];
    const flatten = (list: z.core.$ZodIssue[][]) => {
        for (const b of list) {
            if (b.length === 1 && b[0].code === "invalid_union" && b[0].path.length === 0)
                flatten((b[0] as unknown as { errors: z.core.$ZodIssue[][] }).errors);
            else branches.push(b);
        }
    };
    flatten((iss as unknown as { errors: z.core.$ZodIssue[][] }).errors);
    const fitting = branches.filter((b) => !b.some(wrongKind));
    if (!fitting.length) {
        const kinds = [...new Set(branches.flatMap((b) => b.filter(wrongKind).map(expectedOf)))];
        const list =
            kinds.length > 1
                ? `${kinds.slice(0, -1).join(", ")} or ${kinds[kinds.length - 1]}`
                : (kinds[0] ?? "another value");
        return [
            {
                path,
                message: `expected ${list}${value === undefined && iss.path.length === 0 ? "" : `, got ${describe(value)}`}`,
            },
        ];
    }
    const unknown = (b: z.core.$ZodIssue[]) =>
        b
            .filter((i) => i.code === "unrecognized_keys" && i.path.length === 0)
            .reduce((n, i) => n + (i as { keys: string[] }).keys.length, 0);
    const best = fitting
        .slice()
        .sort((a, b) => unknown(a) - unknown(b) || depth(b) - depth(a) || a.length - b.length)[0];
    return toIssues(new z.ZodError(best), path, knownKeys, value);
}

/** What kind of value `v` is, for "expected …, got …" (never the value itself, which may be huge or secret). */
export function describe(v: unknown): string {
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (v instanceof Unresolved) return "a pulumi.Output/Promise";
    return v === null
        ? "null"
        : Array.isArray(v)
          ? "an array"
          : v === undefined
            ? "nothing"
            : typeof v === "object"
              ? "an object"
              : `a ${typeof v}`;
}

function depth(issues: z.core.$ZodIssue[]): number {
    return Math.max(0, ...issues.map((i) => i.path.length));
}

/** The keys a (possibly wrapped) object schema knows at `path`, for "did you mean" suggestions. @internal */
export function knownKeysOf(schema: z.ZodType): (path: PropertyKey[]) => string[] | undefined {
    return (path) => {
        let s: unknown = schema;
        for (const seg of path) {
            s = unwrap(s);
            if (s instanceof z.ZodUnion) {
                // Into the object branch that has the field.
                const o = (s.options as unknown[])
                    .map(unwrap)
                    .find((b) => b instanceof z.ZodObject && Object.hasOwn(b.shape, String(seg)));
                if (!o) return undefined;
                s = o;
            }
            if (s instanceof z.ZodObject) s = (s.shape as Record<string, unknown>)[String(seg)];
            else if (s instanceof z.ZodArray) s = s.element;
            else if (s instanceof z.ZodRecord) s = s.valueType;
            else return undefined;
        }
        s = unwrap(s);
        if (s instanceof z.ZodUnion) {
            // The keys of the union's object branches (a mount spec among claim names, say).
            const keys = (s.options as unknown[])
                .map(unwrap)
                .flatMap((o) => (o instanceof z.ZodObject ? Object.keys(o.shape) : []));
            return keys.length ? [...new Set(keys)] : undefined;
        }
        return s instanceof z.ZodObject ? Object.keys(s.shape) : undefined;
    };
}

function unwrap(s: unknown): unknown {
    for (let i = 0; i < 10; i++) {
        const meta = s instanceof z.ZodType ? helperMeta(s) : undefined;
        if (meta?.kind === "input") s = meta.schema;
        else if (meta?.kind === "record")
            return z.record(z.string(), meta.value); // walked into by value, as a map
        else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap();
        else if (s instanceof z.ZodPipe) s = s.in instanceof z.ZodObject ? s.in : s.out;
        else break;
    }
    return s;
}

/** Per args schema: the fields it can leave out, and its copies per key set seen (see parseArgs; a program has a handful). */
const presentKeyShapes = new WeakMap<
    z.ZodObject,
    { droppable: ReadonlySet<string>; byKeys: Map<string, z.ZodObject> }
>();
const MAX_KEY_SHAPES = 64;

/**
 * `schema.safeParse(raw)`, with the same result, at about half zod's cost for component args (issue 15).
 * zod visits every field of an object schema, given or not, and component args give a few of ~50
 * optional fields. For an object schema and a plain object, the parse first runs a copy of the schema
 * (same checks, same strictness) without the optional fields `raw` leaves out: an optional field that
 * is not there yields nothing either way. Only a success is taken from it; a failure is parsed again
 * with the whole schema, so every message (and "did you mean") is the one the whole schema gives.
 * test/input-snapshot.test.ts checks the equivalence on random args.
 */
function parseArgs<S extends z.ZodType>(schema: S, raw: unknown): z.ZodSafeParseResult<z.output<S>> {
    if (schema instanceof z.ZodObject && isPlainObject(raw)) {
        const fast = presentKeySchema(schema, raw)?.safeParse(raw, { error: errorMap });
        if (fast?.success) return fast as z.ZodSafeParseResult<z.output<S>>;
    }
    return schema.safeParse(raw, { error: errorMap });
}

/**
 * `schema` without the fields `raw` does not have and that zod reads as nothing when absent (optional,
 * with no default or transform that makes a value of `undefined`: decided by parsing `undefined`, once
 * per schema); undefined for a field the schema does not know, or once too many key sets were seen.
 * @internal
 */
export function presentKeySchema(schema: z.ZodObject, raw: Record<string, unknown>): z.ZodObject | undefined {
    const shape = schema.shape as Record<string, z.ZodType>;
    let entry = presentKeyShapes.get(schema);
    if (!entry) {
        const droppable = new Set<string>();
        for (const [k, field] of Object.entries(shape)) {
            if (!(field instanceof z.ZodOptional)) continue;
            const r = field.safeParse(undefined);
            if (r.success && r.data === undefined) droppable.add(k);
        }
        entry = { droppable, byKeys: new Map() };
        presentKeyShapes.set(schema, entry);
    }
    const keys = Object.keys(raw);
    // A field the schema does not know fails (strict) or is dropped (strip) the same way in the whole
    // schema; it is not cached, so hostile keys (huge, countless) cannot grow the cache.
    for (const k of keys) if (!Object.hasOwn(shape, k)) return undefined;
    const id = JSON.stringify(keys.sort()); // unambiguous for any key, unlike a join
    let sub = entry.byKeys.get(id);
    if (!sub) {
        if (entry.byKeys.size >= MAX_KEY_SHAPES) return undefined;
        const kept: Record<string, z.ZodType> = {};
        // `in`, as zod's own object parse reads a field (raw is a snapshot: a fresh object of Object.prototype).
        for (const k of Object.keys(shape)) if (!entry.droppable.has(k) || k in raw) kept[k] = shape[k];
        sub = schema.clone({ ...schema._zod.def, shape: kept });
        entry.byKeys.set(id, sub);
    }
    return sub;
}

/**
 * Validates `args` for component `component` named `name`: plain values now (throwing
 * MlkubeValidationError with every problem), Outputs when they resolve.
 * @internal
 */
export function validate<S extends z.ZodType>(component: string, name: string, schema: S, args: unknown): z.output<S> {
    const before = markersSeen;
    const raw = snapshot(args ?? {}, component, name);
    const r = parseArgs(schema, raw);
    if (!r.success) throw new MlkubeValidationError(component, name, toIssues(r.error, [], knownKeysOf(schema), raw));
    return markersSeen === before ? r.data : unmarkAll(r.data);
}

/**
 * What the Pulumi SDK would otherwise reject with its own error (or crash on) for a component's
 * constructor arguments: the resource name must be a non-empty string, the options an object.
 */
export function checkResourceArgs(component: string, name: unknown, opts: unknown): void {
    const issues: ValidationIssue[] = [];
    if (typeof name !== "string" || name === "") {
        issues.push({
            path: [],
            message: `the resource name must be a non-empty string, got ${name === "" ? "an empty string" : describe(name)}`,
        });
    }
    if (opts !== undefined && (opts === null || typeof opts !== "object" || Array.isArray(opts))) {
        issues.push({
            path: ["opts"],
            message: `resource options must be an object (or left out), got ${describe(opts)}`,
        });
    }
    if (issues.length) throw new MlkubeValidationError(component, typeof name === "string" ? name : "", issues);
}

/**
 * Validates and renders in one go, reporting every problem at once: malformed fields (`fields`), the rules
 * between fields (`rules`, written over the raw args so they run even when a field is malformed) and,
 * when the fields are well-formed, what `render` finds (the pod builder, a backend). A problem at a path
 * the rules already reported is reported once.
 * @internal
 */
export function validateAndRender<S extends z.ZodType, R>(
    component: string,
    name: string,
    fields: S,
    rules: (raw: Record<string, unknown>) => ValidationIssue[],
    args: unknown,
    render: (a: z.output<S>) => R,
): { a: z.output<S>; r: R } {
    const before = markersSeen;
    const raw = snapshot(args ?? {}, component, name);
    const parsed = parseArgs(fields, raw);
    const issues: ValidationIssue[] = parsed.success ? [] : toIssues(parsed.error, [], knownKeysOf(fields), raw);
    const ruleIssues = isPlainObject(raw) ? rules(raw) : [];
    issues.push(...ruleIssues);
    if (parsed.success) {
        // Outputs inside pass-through objects (securityContext, affinity, …) become Outputs again.
        const a = markersSeen === before ? parsed.data : unmarkAll(parsed.data);
        try {
            const r = render(a);
            if (!issues.length) return { a, r };
        } catch (e) {
            if (!(e instanceof MlkubeValidationError)) throw e;
            const seen = new Set(ruleIssues.map((i) => formatPath(i.path)));
            issues.push(...e.issues.filter((i) => !seen.has(formatPath(i.path))));
        }
    }
    throw new MlkubeValidationError(component, name, issues);
}

/** A plain object in raw (snapshot) args, else undefined: rules read raw args defensively. */
export function rawObject(v: unknown): Record<string, unknown> | undefined {
    return isPlainObject(v) ? v : undefined;
}

/** `T` with every Input unwrapped, stopping at resources: what the zod schema's input type must equal. */
export type Resolved<T> = T extends pulumi.Resource | { binding(): unknown } | { mount(): unknown }
    ? T
    : T extends pulumi.OutputInstance<infer U>
      ? Resolved<U>
      : T extends Promise<infer U>
        ? Resolved<U>
        : T extends ReadonlyArray<infer E>
          ? Resolved<E>[]
          : T extends (...a: never[]) => unknown
            ? T
            : T extends object
              ? { [K in keyof T]: Resolved<T[K]> }
              : T;

/** `true` when A and B are mutually assignable. */
export type Agree<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compile-time check that a hand-written args interface and its zod schema describe the same shape. */
export function schemaMatches<T extends true>(_proof?: T): void {}
