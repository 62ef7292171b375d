/** Test helpers: run components under mocks and look at what they emitted. */
import assert from "node:assert/strict";
import { collect, CollectedResource, SecretValue } from "../src/render/collect";
import { ownershipAnnotations } from "../src/metadata";

/** The ownership marker of every object `emit` registers (project mlkube, stack dev; test/ownership.test.ts). */
export const OWNER = ownershipAnnotations("mlkube", "dev");

export interface Emitted {
    resources: CollectedResource[];
    errors: Error[];
    /** The inputs of the Kubernetes object of `kind` named `name` (Pulumi resource name). */
    get(kind: string, name: string): any;
    /** Every Kubernetes object (inputs), in registration order. */
    objects(): any[];
    resource(kind: string, name: string): CollectedResource;
}

export async function emit(
    program: () => unknown,
    config: Record<string, string> = {},
    opts: { preview?: boolean } = {},
): Promise<Emitted> {
    const r = await collect(program, { config, preview: opts.preview });
    const k8s = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
    const resource = (kind: string, name: string) => {
        const found = k8s.find((x) => x.type.endsWith(`:${kind}`) && x.name === name);
        assert.ok(found, `no ${kind} named ${name}; have ${k8s.map((x) => `${x.type}/${x.name}`).join(", ")}`);
        return found;
    };
    return {
        resources: r.resources,
        errors: r.errors,
        resource,
        get: (kind, name) => resource(kind, name).inputs,
        objects: () => k8s.map((x) => x.inputs),
    };
}

/** Asserts that `program` fails validation with exactly `message` (synchronously or when Outputs resolve). */
export async function assertFails(
    program: () => unknown,
    message: string | RegExp,
    config: Record<string, string> = {},
): Promise<void> {
    const r = await collect(program, { config });
    assert.ok(r.errors.length > 0, `expected an error matching ${message}, but the program succeeded`);
    const msgs = r.errors.map((e) => e.message);
    if (typeof message === "string")
        assert.ok(msgs.includes(message), `expected error\n  ${message}\ngot\n  ${msgs.join("\n  ")}`);
    else
        assert.ok(
            msgs.some((m) => message.test(m)),
            `expected an error matching ${message}, got\n  ${msgs.join("\n  ")}`,
        );
}

/** Asserts that a synchronous call throws exactly `message`. */
export function assertThrows(fn: () => unknown, message: string): void {
    assert.throws(fn, (e: Error) => {
        assert.equal(e.message, message);
        return true;
    });
}

/** Deeply replaces SecretValue markers with their values (for asserting on secret content). */
export function reveal(v: unknown): any {
    if (v instanceof SecretValue) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, reveal(e)]));
    return v;
}

export const b64decode = (s: string) => Buffer.from(s, "base64").toString("utf8");
