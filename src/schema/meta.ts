/**
 * What the schema generator (scripts/gen-schema.ts) needs to know about mlkube's own zod helpers,
 * whose inner schemas otherwise hide inside transform closures: `input(x)` (a Pulumi Input of `x`),
 * `record(k, v)` (a map) and `k8sObject(def)` (a Kubernetes object passed through).
 *
 * The entry is kept on the helper's transform step, which zod shares between a schema and the clones
 * that `.optional()`, `.refine()` or `.superRefine()` make of it, so it is found through them all.
 * @internal
 */
import { z } from "zod";

/** @internal */
export type SchemaMeta =
    | { kind: "input"; schema: z.ZodType }
    | { kind: "record"; key: z.ZodType; value: z.ZodType }
    | { kind: "k8s"; def: string };

/** Entries by transform step (a WeakMap: zod's typed registries cannot hold schemas as metadata). */
const entries = new WeakMap<object, SchemaMeta>();

/** Registers `meta` for a helper's pipe (`z.unknown().transform(...)`) and returns the pipe. @internal */
export function describeHelper<T extends z.ZodType>(pipe: T, meta: SchemaMeta): T {
    entries.set((pipe._zod.def as unknown as { out: object }).out, meta);
    return pipe;
}

/** The entry of a helper's schema (or of a clone of it), if any. @internal */
export function helperMeta(schema: z.ZodType): SchemaMeta | undefined {
    const def = schema._zod.def as unknown as { type: string; out?: z.ZodType };
    return def.type === "pipe" && def.out ? entries.get(def.out) : undefined;
}
