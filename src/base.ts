/**
 * What every mlkube component shares: its entry in the component table (`ComponentSpec`: token, args
 * schema and interface, class, outputs) and a small base class holding the constructor sequence
 * (options checked, args validated and rendered, objects claimed — before anything is registered), the
 * lazily built outputs and the last step, `registerOutputs`. The table itself is src/components.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { claimObjects } from "./registry";
import { checkResourceArgs } from "./schema/input";

/** One component in the table (src/components.ts). @internal */
export interface ComponentSpec<C extends pulumi.ComponentResource = pulumi.ComponentResource> {
    /** Its name in messages and in its token: `Volume`. */
    readonly name: string;
    /** Pulumi type token: `mlkube:index:Volume`. */
    readonly token: string;
    /** The zod schema of its args' fields (schema.json's inputs): a getter, built on first read. */
    readonly schema: z.ZodType;
    /** Where its args interface and its class are declared (schema.json's descriptions), relative to the package root. */
    readonly source: { readonly args: string; readonly argsFile: string; readonly classFile: string };
    /** Builds it: the provider's `construct`. */
    readonly create: (name: string, args: Record<string, unknown>, opts?: pulumi.ComponentResourceOptions) => C;
    /** Its outputs, as a program in another language gets them (schema.json's properties; the provider's construct result). */
    readonly outputs: readonly (keyof C & string)[];
    /**
     * The outputs another provider process reads back from the state to rebuild a reference to it
     * (Volume, Secret): registered when the provider builds it. TypeScript programs keep the state small.
     */
    readonly referenceOutputs?: readonly (keyof C & string)[];
}

/** Any component's table entry, its output names as plain strings. @internal */
export type AnyComponentSpec = Omit<ComponentSpec, "outputs" | "referenceOutputs"> & {
    readonly outputs: readonly string[];
    readonly referenceOutputs?: readonly string[];
};

/** What the constructor sequence reads of a component's table entry: its name, token and reference outputs. */
export interface ComponentHead {
    /** Its name in messages and in its token: `Volume`. */
    readonly name: string;
    /** Pulumi type token: `mlkube:index:Volume`. */
    readonly token: string;
    /** The outputs registered when the provider builds it, for other processes to read back. */
    readonly referenceOutputs?: readonly string[];
}

/** A Kubernetes object a component creates, claimed before it registers (src/registry.ts). @internal */
export interface ClaimedObject {
    kind: string;
    namespace: pulumi.Input<string> | undefined;
    name: string;
}

/**
 * The steps before a component registers: its options are checked, its args validated and rendered by
 * `render` (pure; throws MlkubeValidationError with every problem), and the objects it will create are
 * claimed. Bad input creates nothing. @internal
 */
export function prepare<R>(
    spec: ComponentHead,
    name: string,
    opts: pulumi.ComponentResourceOptions | undefined,
    render: () => R,
    objects: (r: R) => readonly ClaimedObject[],
): R {
    checkResourceArgs(spec.name, name, opts);
    const r = render();
    claimObjects(spec.name, name, objects(r));
    return r;
}

let keepingReferences = 0;

/**
 * Builds component `spec` with its `referenceOutputs` registered (kept in the state), for the provider
 * plugin: another process may rebuild a reference to it from them. @internal
 */
export function constructForReference(
    spec: AnyComponentSpec,
    name: string,
    args: Record<string, unknown>,
    opts?: pulumi.ComponentResourceOptions,
): pulumi.ComponentResource {
    keepingReferences++;
    try {
        return spec.create(name, args, opts);
    } finally {
        keepingReferences--;
    }
}

/**
 * The base class of mlkube's components (Volume, Secret, Compute, TrainJob): a `pulumi.ComponentResource`
 * registered under the component's type token, with outputs built on first read and `finish` as the last
 * step of its constructor. Not meant to be extended outside mlkube.
 */
export abstract class MlkubeComponent extends pulumi.ComponentResource {
    private lazyOutputs?: Record<string, unknown>;

    /** Registers the component (after {@link prepare}). */
    protected constructor(spec: ComponentHead, name: string, opts?: pulumi.ComponentResourceOptions) {
        super(spec.token, name, {}, opts);
    }

    /**
     * An output built on first read and kept: an Output per component costs CPU and memory at thousands of
     * workloads (issue 15), and most are never read.
     */
    protected lazy<T>(key: string, make: () => T): T {
        const store = (this.lazyOutputs ??= {});
        if (!Object.hasOwn(store, key)) store[key] = make();
        return store[key] as T;
    }

    /**
     * The last step of the constructor: registers `outputs` (what the update waits for), plus the table's
     * reference outputs when the provider builds it for other processes to read back.
     */
    protected finish(spec: ComponentHead, outputs: pulumi.Inputs = {}): void {
        if (keepingReferences > 0 && spec.referenceOutputs) {
            const self = this as unknown as Record<string, unknown>;
            outputs = { ...Object.fromEntries(spec.referenceOutputs.map((k) => [k, self[k]])), ...outputs };
        }
        this.registerOutputs(outputs);
    }
}
