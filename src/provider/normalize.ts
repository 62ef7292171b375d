/**
 * The provider's ONE input normaliser: turns the inputs of a `construct` call (what a YAML or Python
 * program sent, deserialized by @pulumi/pulumi/provider) into the args mlkube's component constructors
 * take, driven by the package schema:
 *
 * - Input positions keep Outputs as they come (dependencies and secretness intact); values found inside
 *   an Output that had to be opened (see below) become Outputs derived from it, so they keep its
 *   dependencies and secretness.
 * - Plain positions (`plain: true`) and containers (arrays, maps, objects, unions) must be known when the
 *   component is built: an Output there (the engine wraps any value with dependencies, and a value holding
 *   a secret, into one) is opened; its dependencies become `dependsOn` of the component, and a secret
 *   that sits exactly on a plain field is refused (it would be stored in plain text).
 * - Resource references (`$ref: "#/resources/mlkube:index:Volume"`) resolve to the live component built
 *   earlier in this provider process, or else to a reference rebuilt from the resource's outputs
 *   (`Volume.existing` / `Secret.existing` with volumeMode, checksum, keys and the dependency).
 * - The wire forms of what TypeScript writes with classes and methods become those calls:
 *   `ExistingVolume` → Volume.existing, `ExistingSecret` → Secret.existing, `SecretKeyRef` →
 *   secret.ref(key) or Secret.existing(secretName).ref(key); `FieldRef` and mount specs stay objects.
 *
 * Everything else (unknown fields, wrong types, bad values) passes through unchanged, so mlkube's own
 * validation reports it with its usual message.
 */
import * as pulumi from "@pulumi/pulumi";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { MAX_DEPTH, SECRET_ISSUE } from "../schema/input";
import { Secret, SECRET_TYPE as SECRET, SecretReference } from "../secret/secret";
import { Volume, VOLUME_TYPE as VOLUME } from "../volume";
import { own, PackageSchema, TypeSpec } from "./schema";

/** A referenced resource whose live instance is not in this process: its outputs, read from the engine. */
export interface RemoteReference {
    /** The resource (a rehydrated component: a dependency for workloads using it). */
    readonly resource: pulumi.Resource;
    /** Its type token. */
    readonly type: string;
    /** Its outputs by name (each an Output read from the engine's state). */
    output(name: string): pulumi.Output<unknown> | undefined;
}

/** How the normaliser sees resource references: live components, or a RemoteReference for the fallback. */
export type ReferenceLookup = (v: pulumi.Resource) => Volume | Secret | RemoteReference | pulumi.Resource;

/** The args for a component and what the normaliser learnt on the way. */
export interface NormalizedArgs {
    /** The args to pass to the component's constructor. */
    args: Record<string, unknown>;
    /** Dependencies of values read plain (the component depends on them). */
    dependsOn: pulumi.Resource[];
    /** Plain strings read from inside a secret: redacted from error messages. */
    redact: string[];
    /** Where a secret Output was opened: problems found at or below these paths are reported without the value. */
    secretPaths: (string | number)[][];
}

/** What the wire cannot be: a value that must be known to build the objects. */
export const MUST_BE_KNOWN_WIRE =
    "must be known when the program runs (not an output of a resource that does not exist yet): this field shapes the generated objects";

interface Inspected {
    known: boolean;
    secret: boolean;
    value: unknown;
    deps: pulumi.Resource[];
}

/** The value, secretness and dependencies of an Output (the SDK's own accessors). */
async function inspect(o: pulumi.Output<unknown>): Promise<Inspected> {
    const x = o as unknown as {
        isKnown: Promise<boolean>;
        promise(withUnknowns?: boolean): Promise<unknown>;
        allResources?: () => Promise<Set<pulumi.Resource>>;
        resources(): Set<pulumi.Resource>;
    };
    const [known, secret, value, deps] = await Promise.all([
        x.isKnown,
        pulumi.isSecret(o),
        x.promise(true),
        x.allResources ? x.allResources() : Promise.resolve(x.resources()),
    ]);
    return { known, secret, value, deps: [...deps] };
}

/** Where a value sits: inside an Output that was opened (`from`), and whether that Output was secret. */
interface Context {
    path: (string | number)[];
    from?: pulumi.Output<unknown>;
    secret: boolean;
    depth: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    const p = Object.getPrototypeOf(v);
    return p === Object.prototype || p === null;
};

/** Sets `o[k] = v` as an own property, even for `__proto__` (so mlkube's validation reports it instead of it becoming a prototype). */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * `issues` with the message of each problem at or below one of `secretPaths` (where a secret Output was
 * opened) replaced by one that does not quote the value: mlkube's messages quote what they were given.
 */
export function maskSecretIssues(
    issues: ReadonlyArray<ValidationIssue>,
    secretPaths: ReadonlyArray<ReadonlyArray<string | number>>,
): ValidationIssue[] {
    const inSecret = (path: ReadonlyArray<string | number>) =>
        secretPaths.some((sp) => sp.length <= path.length && sp.every((k, i) => path[i] === k));
    return issues.map((i) => (inSecret(i.path) ? { path: i.path, message: SECRET_ISSUE } : i));
}

/** The schema-driven converter from construct inputs to component args (one per provider). */
export class WireNormalizer {
    constructor(
        private readonly schema: PackageSchema,
        private readonly lookup: ReferenceLookup,
        /** The programs' language ("yaml", "python"), for the wording of the key-case message. */
        readonly language?: string,
    ) {}

    /**
     * Converts the construct inputs of resource `token` named `name` into component args. Throws an
     * MlkubeValidationError naming `component` and every problem found on the way.
     */
    async args(
        token: string,
        component: string,
        name: string,
        inputs: Record<string, unknown>,
    ): Promise<NormalizedArgs> {
        const props = own(this.schema.resources, token)?.inputProperties ?? {};
        const run = new Run(this, this.lookup, component, name);
        const args: Record<string, unknown> = {};
        for (const k of Object.keys(inputs ?? {})) {
            const v = inputs[k];
            if (v === undefined) continue;
            put(args, k, await run.value(v, own(props, k), { path: [k], secret: false, depth: 0 }));
        }
        if (run.issues.length)
            throw new MlkubeValidationError(component, name, maskSecretIssues(run.issues, run.secretPaths));
        return { args, dependsOn: [...run.deps], redact: [...run.redact], secretPaths: run.secretPaths };
    }

    /** The schema's object/enum type for a `#/types/<token>` ref. @internal */
    typeOf(ref: string | undefined): { token: string; spec: NonNullable<PackageSchema["types"]>[string] } | undefined {
        if (!ref?.startsWith("#/types/")) return undefined;
        const token = ref.slice("#/types/".length);
        const spec = own(this.schema.types, token);
        return spec ? { token, spec } : undefined;
    }
}

/** One conversion: collects issues, dependencies and redactions. */
class Run {
    readonly issues: ValidationIssue[] = [];
    readonly deps = new Set<pulumi.Resource>();
    readonly redact = new Set<string>();
    readonly secretPaths: (string | number)[][] = [];

    constructor(
        private readonly n: WireNormalizer,
        private readonly lookup: ReferenceLookup,
        private readonly component: string,
        private readonly name: string,
    ) {}

    /** Converts `v` found at `ctx.path`, whose schema type is `spec` (undefined: not in the schema, passed through). */
    async value(v: unknown, spec: TypeSpec | undefined, ctx: Context): Promise<unknown> {
        if (spec === undefined || ctx.depth > MAX_DEPTH) return v; // unknown field or absurd nesting: mlkube reports it
        if (pulumi.Output.isInstance(v)) {
            const o = await inspect(v);
            // A union is an Input where the branch the value is written in is (any branch while unknown).
            const branch = spec.oneOf && o.known ? this.pick(o.value, spec) : undefined;
            const input = branch
                ? branch.plain !== true
                : spec.oneOf
                  ? spec.oneOf.some((b) => b.plain !== true)
                  : spec.plain !== true;
            if (!o.known) {
                if (input) return v;
                this.issues.push({ path: ctx.path, message: MUST_BE_KNOWN_WIRE });
                return undefined;
            }
            const structured = o.value !== null && typeof o.value === "object";
            // An Input that needs no conversion keeps its Output (exact dependencies and secretness).
            if (input && (!structured || this.opaque(branch ?? spec))) return v;
            if (!structured && o.secret) {
                this.issues.push({
                    path: ctx.path,
                    message:
                        "is a secret, but this field shapes the generated objects and would be stored in plain text; pass a plain value",
                });
                return undefined;
            }
            for (const d of o.deps) this.deps.add(d);
            if (o.secret) this.secretPaths.push(ctx.path);
            return this.value(o.value, spec, { ...ctx, from: v, secret: ctx.secret || o.secret });
        }
        if (v instanceof Promise) return v; // never sent by the engine; mlkube treats it like an Output
        const input = spec.plain !== true;
        if (spec.oneOf) return this.union(v, spec, ctx);
        if (pulumi.Resource.isInstance(v)) return this.reference(v, spec, ctx);
        if (v === null || typeof v !== "object") return this.leaf(v, input, ctx);
        if (spec.$ref !== undefined) {
            const t = this.n.typeOf(spec.$ref);
            if (t === undefined) return this.opaqueValue(v, ctx); // Any, or a type of another package
            if (!isPlainObject(v)) return v;
            return this.object(v, t.token, t.spec, ctx);
        }
        if (Array.isArray(v)) {
            if (!spec.items) return v;
            const out: unknown[] = [];
            for (let i = 0; i < v.length; i++) out.push(await this.value(v[i], spec.items, this.at(ctx, i)));
            return out;
        }
        if (isPlainObject(v) && spec.additionalProperties) {
            const out: Record<string, unknown> = {};
            for (const k of Object.keys(v))
                put(out, k, await this.value(v[k], spec.additionalProperties, this.at(ctx, k)));
            return out;
        }
        return v;
    }

    private at(ctx: Context, k: string | number): Context {
        return { ...ctx, path: [...ctx.path, k], depth: ctx.depth + 1 };
    }

    /** A scalar: inside an opened Output it becomes an Output derived from it (Input positions). */
    private leaf(v: unknown, input: boolean, ctx: Context): unknown {
        if (ctx.from && input) return ctx.from.apply(() => v);
        if (ctx.secret && typeof v === "string") this.redact.add(v);
        return v;
    }

    /** A type that needs no conversion: an Output there can stay an Output. */
    private opaque(spec: TypeSpec): boolean {
        if (spec.oneOf || spec.items || spec.additionalProperties) return false;
        if (spec.$ref === undefined) return true;
        return this.n.typeOf(spec.$ref) === undefined && !spec.$ref.startsWith("#/resources/");
    }

    /** Any (Kubernetes pass-through objects): as is; string leaves inside an opened secret become secret Outputs. */
    private opaqueValue(v: unknown, ctx: Context): unknown {
        if (!ctx.secret || !ctx.from) return v;
        const from = ctx.from;
        const walk = (x: unknown, depth: number): unknown => {
            if (typeof x === "string") return from.apply(() => x);
            if (depth > MAX_DEPTH || x === null || typeof x !== "object") return x;
            if (Array.isArray(x)) return x.map((e) => walk(e, depth + 1));
            if (!isPlainObject(x)) return x;
            const out: Record<string, unknown> = {};
            for (const k of Object.keys(x)) put(out, k, walk(x[k], depth + 1));
            return out;
        };
        return walk(v, ctx.depth);
    }

    /** The `oneOf` branch `v` is written in: resources, primitives, and objects by their required keys (else a map). */
    private pick(v: unknown, spec: TypeSpec): TypeSpec | undefined {
        const branches = spec.oneOf ?? [];
        const typed = (b: TypeSpec): string | undefined => {
            if (b.type) return b.type;
            const t = this.n.typeOf(b.$ref);
            if (t) return t.spec.enum ? (t.spec.type ?? "string") : "object";
            return b.$ref?.startsWith("#/resources/") ? "resource" : b.$ref ? "any" : undefined;
        };
        if (pulumi.Resource.isInstance(v)) return branches.find((b) => typed(b) === "resource");
        if (typeof v === "string") return branches.find((b) => typed(b) === "string");
        if (typeof v === "number") return branches.find((b) => typed(b) === "number" || typed(b) === "integer");
        if (typeof v === "boolean") return branches.find((b) => typed(b) === "boolean");
        if (Array.isArray(v)) return branches.find((b) => typed(b) === "array");
        if (!isPlainObject(v)) return undefined;
        let branch: TypeSpec | undefined;
        let best = -1;
        for (const b of branches) {
            const t = this.n.typeOf(b.$ref);
            if (!t || t.spec.enum) continue;
            const req = t.spec.required ?? [];
            if (req.every((k) => Object.hasOwn(v, k)) && req.length > best) {
                best = req.length;
                branch = b;
            }
        }
        return branch ?? branches.find((b) => b.additionalProperties !== undefined);
    }

    /** A value at a `oneOf` position: converted as the branch it is written in says; unmatched values pass through. */
    private async union(v: unknown, spec: TypeSpec, ctx: Context): Promise<unknown> {
        const branch = this.pick(v, spec);
        if (branch === undefined) {
            if (v === null || typeof v !== "object")
                return this.leaf(v, spec.oneOf?.some((b) => b.plain !== true) ?? false, ctx);
            if (isPlainObject(v)) this.snakeCaseKeys(v, spec, ctx);
            return v;
        }
        return this.value(v, branch, ctx);
    }

    /**
     * An object that matches no branch because its keys are snake_case (a Python dict in a union
     * position: the SDK translates the keys of Args classes, not of dicts there) gets a message per key.
     */
    private snakeCaseKeys(v: Record<string, unknown>, spec: TypeSpec, ctx: Context): void {
        const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
        const renamed: Record<string, unknown> = {};
        for (const k of Object.keys(v)) put(renamed, camel(k), v[k]);
        if (this.pick(renamed, spec) === undefined) return;
        for (const k of Object.keys(v)) {
            if (camel(k) === k) continue;
            const why =
                this.n.language === "yaml"
                    ? "YAML keys are the schema's camelCase names, as written"
                    : "in Python, dicts inside union positions keep their keys as written: use camelCase keys or the generated Args classes";
            this.issues.push({ path: [...ctx.path, k], message: `unknown field; write "${camel(k)}" (${why})` });
        }
    }

    /** A resource reference where the schema expects `spec` (a resource, or a union holding one). */
    private async reference(v: pulumi.Resource, spec: TypeSpec, ctx: Context): Promise<unknown> {
        const want = spec.$ref?.startsWith("#/resources/") ? spec.$ref.slice("#/resources/".length) : undefined;
        if (want === undefined) return v; // a resource where none is expected: mlkube says what it expected
        const r = this.lookup(v);
        if (want === VOLUME && r instanceof Volume) return r;
        if (want === SECRET && r instanceof Secret) return r;
        if (isRemote(r) && r.type === want) return this.rebuild(r, ctx);
        const got = isRemote(r) ? r.type : r instanceof Volume ? VOLUME : r instanceof Secret ? SECRET : "another";
        this.issues.push({
            path: ctx.path,
            message: `expected a ${want.split(":").pop()} resource, got ${got.includes(":") ? `a ${got.split(":").pop()}` : "another resource"}`,
        });
        return undefined;
    }

    /** The fallback: a VolumeReference/SecretReference rebuilt from the referenced resource's outputs. */
    private async rebuild(r: RemoteReference, ctx: Context): Promise<unknown> {
        const read = async (k: string) => {
            const o = r.output(k);
            if (!o) return undefined;
            const x = await inspect(o);
            return x.known ? (x.value ?? undefined) : undefined;
        };
        const kind = r.type.split(":").pop();
        try {
            if (r.type === VOLUME) {
                const [claimName, namespace, mountPath, readOnly, volumeMode, accessMode] = await Promise.all(
                    ["claimName", "namespace", "mountPath", "readOnly", "volumeMode", "accessMode"].map(read),
                );
                if (typeof claimName !== "string") throw new Error("its claimName is not known");
                return Volume.existing(claimName, {
                    namespace,
                    mountPath,
                    readOnly,
                    volumeMode,
                    accessMode,
                    dependsOn: r.resource,
                } as never);
            }
            const [secretName, namespace, mount, mountPath, fileMode, keys, checksum] = await Promise.all(
                ["secretName", "namespace", "mount", "mountPath", "fileMode", "keys", "checksum"].map(read),
            );
            if (typeof secretName !== "string") throw new Error("its secretName is not known");
            if (mount === "gitSsh")
                throw new Error(
                    `a gitSsh Secret cannot be rebuilt from its outputs (GIT_SSH_COMMAND is not one); create it in the same program as the workloads using it`,
                );
            return Secret.existing(secretName, {
                ...(mount === "imagePull" ? { imagePull: true } : { mount: mount as "env" | "files" | undefined }),
                namespace,
                mountPath,
                fileMode,
                keys,
                checksum,
                dependsOn: r.resource,
            } as never);
        } catch (e) {
            const why =
                e instanceof MlkubeValidationError ? e.issues.map((i) => i.message).join("; ") : (e as Error).message;
            this.issues.push({
                path: ctx.path,
                message: `the ${kind} this refers to was not created by this provider process and could not be rebuilt from its outputs: ${why}`,
            });
            return undefined;
        }
    }

    /** An object of schema type `token`; the wire forms become the calls they stand for. */
    private async object(
        v: Record<string, unknown>,
        token: string,
        spec: NonNullable<PackageSchema["types"]>[string],
        ctx: Context,
    ): Promise<unknown> {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v)) {
            if (v[k] === undefined) continue;
            put(out, k, await this.value(v[k], own(spec.properties, k), this.at(ctx, k)));
        }
        const type = token.split(":").pop();
        try {
            return this.wireForm(type, out, ctx);
        } catch (e) {
            if (!(e instanceof MlkubeValidationError)) throw e;
            for (const i of e.issues)
                this.issues.push({ path: [...ctx.path, ...i.path.filter((p) => p !== "ref")], message: i.message });
            return undefined;
        }
    }

    private wireForm(type: string | undefined, o: Record<string, unknown>, ctx: Context): unknown {
        const rest = (k: string) => Object.fromEntries(Object.entries(o).filter(([x]) => x !== k));
        switch (type) {
            case "ExistingVolume":
                if (typeof o.claimName !== "string") return o; // mlkube reports the missing/invalid claimName
                return Volume.existing(o.claimName, rest("claimName"));
            case "ExistingSecret":
                if (typeof o.secretName !== "string") return o;
                return Secret.existing(o.secretName, rest("secretName"));
            case "SecretKeyRef": {
                const { secret, secretName, key, optional, ...extra } = o;
                if (Object.keys(extra).length) return o; // unknown fields: mlkube reports them
                if ((secret === undefined) === (secretName === undefined)) {
                    this.issues.push({
                        path: ctx.path,
                        message:
                            "give exactly one of secret (a Secret resource) or secretName (the name of an existing Secret)",
                    });
                    return undefined;
                }
                if (typeof key !== "string") return o;
                if (optional !== undefined && typeof optional !== "boolean") return o;
                if (secret instanceof Secret || secret instanceof SecretReference) return secret.ref(key, optional);
                if (typeof secretName === "string") return Secret.existing(secretName).ref(key, optional);
                if (secret !== undefined)
                    this.issues.push({ path: [...ctx.path, "secret"], message: "expected a Secret resource" });
                return secret === undefined ? o : undefined;
            }
            default:
                return o;
        }
    }
}

function isRemote(r: unknown): r is RemoteReference {
    return (
        typeof r === "object" &&
        r !== null &&
        typeof (r as RemoteReference).output === "function" &&
        typeof (r as RemoteReference).type === "string" &&
        "resource" in r
    );
}
