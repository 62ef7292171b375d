/**
 * The error model. Every bad input becomes one `MlkubeValidationError` whose message names the
 * component type and name, then one line per problem: the field path, what was wrong and how to fix it:
 *
 *     Compute "api": resources.memory: "16GB" is not a Kubernetes quantity; use "16Gi"
 *
 * Messages never include secret values: schemas for secret material validate shape only.
 */

/** One problem with one field. `path` is rendered like `volumes[0].mountPath`. */
export interface ValidationIssue {
    /** Path of the offending field from the args root, e.g. `["volumes", 0, "mountPath"]`; empty for the whole object. */
    path: ReadonlyArray<string | number>;
    /** What is wrong and how to fix it; never contains a secret value. */
    message: string;
}

/** Longest echo of a user's value in a message; longer values are cut with their length noted. */
export const MAX_ECHO = 100;

/** `s` cut to `max` characters, noting how long it was. */
export function clip(s: string, max = MAX_ECHO): string {
    return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} characters)`;
}

/**
 * A value as messages quote it: JSON for strings and plain data, truncated; never throws (BigInt,
 * cycles, symbols, objects whose toString throws).
 */
export function quote(v: unknown, max = MAX_ECHO): string {
    if (typeof v === "string")
        return v.length <= max ? JSON.stringify(v) : `${JSON.stringify(v.slice(0, max))}…(${v.length} characters)`;
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
    try {
        const s = JSON.stringify(v);
        if (typeof s === "string") return clip(s, max);
    } catch {
        /* cyclic or BigInt inside */
    }
    return safeString(v, max);
}

/** `String(v)`, truncated, or a stand-in when it cannot be converted. */
export function safeString(v: unknown, max = MAX_ECHO): string {
    try {
        return clip(String(v), max);
    } catch {
        return `<${typeof v}>`;
    }
}

/** Renders a field path the way a user writes it in TypeScript: `a.b[0]["odd-key"]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
    let out = "";
    for (const seg of path) {
        if (typeof seg === "number") {
            out += `[${seg}]`;
        } else {
            const s = clip(safeString(seg, Infinity), 60);
            if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) || (out === "" && /^[a-z]+:[A-Za-z0-9_]+$/.test(s))) {
                out += out === "" ? s : `.${s}`;
            } else {
                out += `[${JSON.stringify(s)}]`;
            }
        }
    }
    return out;
}

/**
 * Makes an expected failure print like a message, not a crash, under `pulumi preview/up`: the Node.js
 * language host prints `RunError`s (and `ResourceError`s with `hideStack`) without "unhandled exception"
 * and stack trace. The SDK recognises them by marker properties, which also works when the program and
 * mlkube resolve different copies of `@pulumi/pulumi`. With a `resource`, the message is shown under it.
 * The message is also kept as is: the SDK prefixes errors raised while serializing a resource's inputs or
 * outputs with `error serializing property "…": `, which would bury mlkube's text.
 *
 * The stack is only the first line (`Name: message`), without frames: none is ever shown for these errors,
 * and the SDK's uncaught-error handler formats every error with `util.inspect(err, { colors: true })`,
 * which on Node.js 20.20 loops on a frame such as `…/node_modules/@pulumi/output.ts:1:1` — what a
 * source-mapped `apply` leaves in an error's stack (nodejs/node#64011) — on one core, growing a string by
 * gigabytes until V8's maximum string length (tens of seconds, if memory lasts). A waited TrainJob that
 * failed stopped `pulumi up`'s output meanwhile (docs/pulumi-engine.md). `resource` is not enumerable:
 * the formatted error is the message, not a dump of the resource (and its inputs).
 */
export function asPulumiError<E extends Error>(err: E, resource?: unknown): E {
    const marks = err as unknown as Record<string, unknown>;
    if (resource === undefined) {
        marks.__pulumiRunError = true;
    } else {
        marks.__pulumResourceError = true; // (sic: the SDK's spelling)
        Object.defineProperty(err, "resource", {
            value: resource,
            enumerable: false,
            writable: true,
            configurable: true,
        });
        marks.hideStack = true;
    }
    const message = err.message;
    Object.defineProperty(err, "message", {
        get: () => message,
        set: () => undefined,
        enumerable: false,
        configurable: true,
    });
    // After the message: inspect finds the frames after the message's text, so a message that looks like
    // frames is never parsed as frames.
    Object.defineProperty(err, "stack", {
        value: `${safeString(err.name)}: ${message}`,
        enumerable: false,
        writable: true,
        configurable: true,
    });
    return err;
}

/**
 * Thrown (or failing the update, for values that arrive as Outputs) when a component's arguments are
 * invalid. The message names the component, then every problem with its field path and the fix.
 */
export class MlkubeValidationError extends Error {
    /** Component type: `"Volume"`, `"Secret"`, `"Compute"`, `"TrainJob"`, or `"Stack config"`. */
    readonly component: string;
    /** The component's Pulumi resource name. */
    readonly resourceName: string;
    /** Every problem found (all are reported together). */
    readonly issues: ReadonlyArray<ValidationIssue>;

    /** Builds the message from `issues` (one line, or a list when there are several). */
    constructor(component: string, resourceName: string, issues: ReadonlyArray<ValidationIssue>) {
        const head = `${safeString(component)} ${quote(safeString(resourceName, Infinity))}`;
        // Each line is bounded: messages quote values (already truncated) but never without limit.
        const lines = issues.map((i) =>
            clip(
                i.path.length
                    ? `${formatPath(i.path)}: ${safeString(i.message, Infinity)}`
                    : safeString(i.message, Infinity),
                2000,
            ),
        );
        super(
            lines.length === 1
                ? `${head}: ${lines[0]}`
                : `${head}: ${lines.length} problems\n  - ${lines.join("\n  - ")}`,
        );
        this.name = "MlkubeValidationError";
        this.component = component;
        this.resourceName = resourceName;
        this.issues = issues;
        asPulumiError(this);
    }
}

/** Throws a single-issue validation error. */
export function fail(component: string, name: string, path: ReadonlyArray<string | number>, message: string): never {
    throw new MlkubeValidationError(component, name, [{ path, message }]);
}

/** Levenshtein distance, for "did you mean" suggestions on unknown fields and enum values. */
export function editDistance(a: string, b: string): number {
    const m = a.length;
    const n = b.length;
    let prev = Array.from({ length: n + 1 }, (_, j) => j);
    for (let i = 1; i <= m; i++) {
        const cur = [i];
        for (let j = 1; j <= n; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[n];
}

/** Words longer than this get no "did you mean" (no field or enum value is that long; keeps it O(1)). */
const MAX_GUESS_LENGTH = 64;

/** The closest candidate to `word`, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
    if (typeof word !== "string" || word.length > MAX_GUESS_LENGTH) return undefined;
    const limit = Math.max(2, Math.floor(word.length / 3));
    let best: string | undefined;
    let bestScore = Infinity;
    for (const c of candidates) {
        if (typeof c !== "string" || c.length > MAX_GUESS_LENGTH || Math.abs(c.length - word.length) > limit) continue;
        const d = editDistance(word.toLowerCase(), c.toLowerCase());
        if (d < bestScore) {
            best = c;
            bestScore = d;
        }
    }
    return bestScore <= limit ? best : undefined;
}
