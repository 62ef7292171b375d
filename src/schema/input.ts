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
import { closest, formatPath, MlkubeValidationError, ValidationIssue } from "../errors";

/** Stand-in for a value that is not known yet (an Output or a Promise) during validation. */
export class Unresolved {
    constructor(
        readonly value: pulumi.Output<unknown>,
        readonly component: string,
        readonly name: string,
        readonly path: ReadonlyArray<string | number>,
    ) {}

    /** The value as an Output that fails with a validation error when it resolves to something `schema` rejects. @internal */
    check(schema: z.ZodType): pulumi.Output<unknown> {
        return this.value.apply((v) => {
            const r = schema.safeParse(snapshot(v, this.component, this.name, this.path), { error: errorMap });
            if (!r.success) throw new MlkubeValidationError(this.component, this.name, toIssues(r.error, this.path));
            return r.data;
        });
    }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    if (v === null || typeof v !== "object") return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

/** Deep copy of plain objects/arrays in which Outputs and Promises become `Unresolved` markers. */
export function snapshot(v: unknown, component: string, name: string, path: ReadonlyArray<string | number> = []): unknown {
    if (pulumi.Output.isInstance(v) || (v instanceof Promise)) {
        return new Unresolved(pulumi.output(v as pulumi.Input<unknown>), component, name, path);
    }
    if (Array.isArray(v)) return v.map((e, i) => snapshot(e, component, name, [...path, i]));
    if (isPlainObject(v)) {
        const out: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(v)) out[k] = snapshot(e, component, name, [...path, k]);
        return out;
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
    return z.unknown().transform((v, ctx) => {
        if (v instanceof Unresolved) return v.check(schema) as pulumi.Output<z.output<T>>;
        if (v === undefined && !schema.safeParse(undefined).success) {
            ctx.issues.push({ code: "custom", message: "is required", input: undefined, path: [] });
            return z.NEVER;
        }
        const r = schema.safeParse(v, { error: errorMap });
        if (r.success) return r.data as z.output<T>;
        for (const iss of r.error.issues) {
            ctx.issues.push({ ...(iss as object), input: undefined, path: iss.path } as never);
        }
        return z.NEVER;
    }) as unknown as z.ZodType<pulumi.Input<z.output<T>>, z.input<T>>;
}

/** Turns zod's issue codes into messages that say what was wrong and how to fix it. @internal */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
    switch (iss.code) {
        case "invalid_type": {
            if (iss.input === undefined) return "is required";
            if (iss.input instanceof Unresolved) {
                return `must be known when the program runs (not a pulumi.Output/Promise): this field shapes the generated objects`;
            }
            const got = describe(iss.input);
            const want = iss.expected === "object" ? "an object" : iss.expected === "array" ? "an array" : `a ${iss.expected}`;
            return `expected ${want}, got ${got}`;
        }
        case "invalid_value": {
            const allowed = iss.values.map((v) => JSON.stringify(v));
            const guess = typeof iss.input === "string" ? closest(iss.input, iss.values.map(String)) : undefined;
            return `${JSON.stringify(iss.input)} is not one of ${allowed.join(", ")}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ""}`;
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

/** Flattens a ZodError into issues with full paths; unknown fields get a "did you mean". @internal */
export function toIssues(err: z.ZodError, prefix: ReadonlyArray<string | number> = [], knownKeys?: (path: PropertyKey[]) => string[] | undefined): ValidationIssue[] {
    const out: ValidationIssue[] = [];
    for (const iss of err.issues) {
        const path = [...prefix, ...(iss.path as (string | number)[])];
        if (iss.code === "unrecognized_keys") {
            const known = knownKeys?.(iss.path as PropertyKey[]) ?? [];
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
            const at = iss.code === "invalid_element" && key !== undefined ? [...path, String(key)] : path;
            if (inner.length) out.push(...inner.map((i) => ({ path: at, message: i.message })));
            else out.push({ path: at, message: iss.message });
        } else if (iss.code === "invalid_union") {
            // Report the branch that got furthest (most path segments), which is the one the user meant.
            const branches = (iss as unknown as { errors: z.core.$ZodIssue[][] }).errors;
            const best = branches.slice().sort((a, b) => depth(b) - depth(a))[0];
            const types = branches.flat().filter((i) => i.code === "invalid_type").map((i) => (i as { expected: string }).expected);
            if (branches.every((b) => b.length === 1 && b[0].code === "invalid_type")) {
                out.push({ path, message: `expected ${[...new Set(types)].join(" or ")}${iss.input === undefined ? "" : `, got ${describe(iss.input)}`}` });
            } else if (best && depth(best) > 0) {
                out.push(...toIssues(new z.ZodError(best), path, knownKeys && ((p) => knownKeys([...(iss.path as PropertyKey[]), ...p]))));
            } else {
                out.push({ path, message: iss.message });
            }
        } else {
            out.push({ path, message: iss.message });
        }
    }
    return out;
}

function describe(v: unknown): string {
    return v === null ? "null" : Array.isArray(v) ? "an array" : v === undefined ? "nothing" : `a ${typeof v}`;
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
            if (s instanceof z.ZodObject) s = (s.shape as Record<string, unknown>)[String(seg)];
            else if (s instanceof z.ZodArray) s = s.element;
            else if (s instanceof z.ZodRecord) s = s.valueType;
            else return undefined;
        }
        s = unwrap(s);
        return s instanceof z.ZodObject ? Object.keys(s.shape) : undefined;
    };
}

function unwrap(s: unknown): unknown {
    for (let i = 0; i < 10; i++) {
        if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap();
        else if (s instanceof z.ZodPipe) s = s.in instanceof z.ZodObject ? s.in : s.out;
        else break;
    }
    return s;
}

/**
 * Validates `args` for component `component` named `name`: plain values now (throwing
 * MlkubeValidationError with every problem), Outputs when they resolve.
 * @internal
 */
export function validate<S extends z.ZodType>(component: string, name: string, schema: S, args: unknown): z.output<S> {
    const r = schema.safeParse(snapshot(args ?? {}, component, name), { error: errorMap });
    if (!r.success) throw new MlkubeValidationError(component, name, toIssues(r.error, [], knownKeysOf(schema)));
    return r.data;
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
    const raw = snapshot(args ?? {}, component, name);
    const parsed = fields.safeParse(raw, { error: errorMap });
    const issues: ValidationIssue[] = parsed.success ? [] : toIssues(parsed.error, [], knownKeysOf(fields));
    const ruleIssues = isPlainObject(raw) ? rules(raw) : [];
    issues.push(...ruleIssues);
    if (parsed.success) {
        try {
            const r = render(parsed.data);
            if (!issues.length) return { a: parsed.data, r };
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
