/**
 * mlkube's multi-language component provider (`mlkube/provider`): a Pulumi resource provider whose
 * `construct` builds mlkube's own Volume, Secret, Compute and TrainJob for programs in other languages
 * (Pulumi YAML, Python). The plugin `pulumi-resource-mlkube` runs {@link serve} (dist/provider/main.js);
 * see docs/provider.md.
 *
 * ```ts
 * import { serve } from "mlkube/provider";
 * serve(process.argv.slice(2));
 * ```
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import * as YAML from "yaml";
import { constructForReference } from "../base";
import { COMPONENTS, componentOf } from "../components";
import { releaseObjects } from "../registry";
import { MlkubeValidationError, ValidationIssue } from "../errors";
export type { ValidationIssue } from "../errors";
import { maskSecretIssues, RemoteReference, WireNormalizer } from "./normalize";
import { PACKAGE_ROOT, PackageSchema, readSchemaText } from "./schema";

/**
 * A component built elsewhere (another provider process, an earlier deployment): rehydrated from its URN,
 * its outputs read from the engine's state. The normaliser rebuilds a VolumeReference/SecretReference from them.
 */
class RemoteComponent extends pulumi.ComponentResource implements RemoteReference {
    readonly type: string;
    readonly resource: pulumi.Resource = this;
    private readonly outs: Record<string, pulumi.Output<unknown>>;

    constructor(type: string, name: string, urn: string, outputs: string[]) {
        const props: Record<string, undefined> = {};
        for (const k of outputs) props[k] = undefined;
        // remote: the SDK keeps a dependency on it as its URN (a local component without children would be dropped).
        super(type, name, props, { urn }, true);
        this.type = type;
        this.outs = this as unknown as Record<string, pulumi.Output<unknown>>;
    }

    output(name: string): pulumi.Output<unknown> | undefined {
        const o = Object.hasOwn(this.outs, name) ? this.outs[name] : undefined;
        return pulumi.Output.isInstance(o) ? o : undefined;
    }
}

/** The package version (package.json), which is also the plugin's. */
export function packageVersion(): string {
    return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string })
        .version;
}

/** What a message says for TypeScript users, reworded for YAML and Python programs. */
export function forOtherLanguages(message: string): string {
    return message
        .replace(/\(not a pulumi\.Output\/Promise\)/g, "(not an output of a resource that does not exist yet)")
        .replace(/a pulumi\.Output\/Promise/g, "an output of another resource")
        .replace(/(pass a plain (?:value|object)), or create the component inside the Output's \.apply\(\)/g, "$1");
}

/**
 * The language of the program in `dir` (the `runtime` of its Pulumi.yaml: "yaml", "python", …), or
 * undefined. The engine starts plugins in the program's directory, so the provider reads its own cwd.
 */
export function programLanguage(dir = process.cwd()): string | undefined {
    for (const file of ["Pulumi.yaml", "Pulumi.yml"]) {
        try {
            const runtime = (YAML.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { runtime?: unknown } | null)
                ?.runtime;
            const name = typeof runtime === "string" ? runtime : (runtime as { name?: unknown } | undefined)?.name;
            return typeof name === "string" ? name : undefined;
        } catch {
            /* no such file, or not YAML: try the next, else unknown */
        }
    }
    return undefined;
}

/**
 * The hint appended to validation errors whose paths have camelCase names, worded for the program's
 * `language`: Python programs write snake_case (translated except inside union positions); YAML
 * programs write the schema's camelCase keys as they are; other or unknown languages get both.
 */
export function snakeCaseHint(issues: ReadonlyArray<ValidationIssue>, language?: string): string | undefined {
    for (const i of issues) {
        if (i.message.includes("dicts inside union positions") || i.message.includes("keys are the schema's camelCase"))
            continue; // says it already
        for (const seg of i.path) {
            if (typeof seg !== "string") continue;
            if (language === "yaml") {
                // A YAML program wrote the path itself; only a snake_case key needs a word.
                if (/^[a-z0-9]+_[a-z0-9_]+$/.test(seg))
                    return `(YAML keys are the schema's camelCase names: write ${seg.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())}, not ${seg})`;
                continue;
            }
            if (/^[a-z]+[A-Z]/.test(seg)) {
                const snake = seg.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
                return `(field paths are the schema's camelCase names: Python's ${snake} is ${seg}; inside dicts write the camelCase key, or use the generated Args classes)`;
            }
            if (/^[a-z0-9]+_[a-z0-9_]+$/.test(seg)) {
                const camel = seg.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
                return `(field names are camelCase: write ${camel}, not ${seg}; in Python, dicts inside union positions are not translated — use the generated Args classes or camelCase keys)`;
            }
        }
    }
    return undefined;
}

/**
 * Rewrites an error for the wire: mlkube's plain message (never an InputPropertiesError, whose
 * duplicate lines add nothing), reworded for non-TypeScript programs, with `redact` strings (plain values
 * read from inside a secret) replaced. Other errors keep their message, redacted too.
 */
export function wireError(
    e: unknown,
    redact: ReadonlyArray<string> = [],
    secretPaths: ReadonlyArray<ReadonlyArray<string | number>> = [],
    language?: string,
): Error {
    const hide = (s: string) => redact.filter((r) => r.length >= 3).reduce((m, r) => m.split(r).join("[secret]"), s);
    // A problem inside an opened secret (a value of the wrong shape, say) is reported without the value.
    if (e instanceof MlkubeValidationError && secretPaths.length)
        e = new MlkubeValidationError(e.component, e.resourceName, maskSecretIssues(e.issues, secretPaths));
    if (e instanceof MlkubeValidationError) {
        const hint = snakeCaseHint(e.issues, language);
        const err = new Error(hide(forOtherLanguages(e.message)) + (hint ? `\n  ${hint}` : ""));
        err.name = "MlkubeValidationError";
        err.stack = `${err.name}: ${err.message}`; // the provider's stack says nothing useful to the program's author
        return err;
    }
    if (e instanceof Error) {
        const err = new Error(hide(e.message));
        err.name = e.name;
        return err;
    }
    return new Error(hide(String(e)));
}

/** Options of {@link MlkubeProvider}. */
export interface MlkubeProviderOptions {
    /** The package schema (schema.json text). Default: the schema.json shipped with mlkube. */
    schema?: string;
    /** Provider version reported to the engine. Default: mlkube's package.json version. */
    version?: string;
    /** The language of the programs served ("yaml", "python"), for the wording of hints. Default: the runtime in the Pulumi.yaml of the working directory. */
    language?: string;
}

/** The provider: `GetSchema` returns schema.json; `construct` builds the four components. */
export class MlkubeProvider implements provider.Provider {
    /** The version reported to the engine. */
    readonly version: string;
    /** schema.json. */
    readonly schema: string;
    private readonly normalizer: WireNormalizer;
    /** The language of the programs served, if known (see {@link programLanguage}). */
    readonly language: string | undefined;
    /** Components built in this process, by URN: references to them resolve to the live instance. */
    private readonly live = new Map<string, pulumi.ComponentResource>();

    /** A provider serving `opts.schema` (default: mlkube's schema.json). Throws when the schema is not JSON. */
    constructor(opts: MlkubeProviderOptions = {}) {
        this.version = opts.version ?? packageVersion();
        this.schema = opts.schema ?? readSchemaText();
        const parsed = JSON.parse(this.schema) as PackageSchema;
        this.language = Object.hasOwn(opts, "language") ? opts.language : programLanguage();
        this.normalizer = new WireNormalizer(parsed, (r) => r, this.language);
    }

    /**
     * What a resource reference deserializes to (the SDK calls this for `mlkube:index:*` references):
     * the live component built earlier in this process, else a component rehydrated from its URN.
     */
    resolveReference(name: string, type: string, urn: string): pulumi.Resource {
        const live = this.live.get(urn);
        if (live) return live;
        return new RemoteComponent(type, name, urn, [...(componentOf(type)?.referenceOutputs ?? [])]);
    }

    /** Registers {@link resolveReference} with the SDK for the `mlkube:index` module. */
    registerReferences(): void {
        // No version: every mlkube:index reference this process sees is one of its components.
        pulumi.runtime.registerResourceModule("mlkube", "index", {
            construct: (name, type, urn) => this.resolveReference(name, type, urn),
        });
    }

    /** Builds component `type` named `name` from the wire inputs; returns its URN and outputs. */
    async construct(
        name: string,
        type: string,
        inputs: pulumi.Inputs,
        options: pulumi.ComponentResourceOptions,
    ): Promise<provider.ConstructResult> {
        const spec = componentOf(type);
        if (!spec)
            throw new Error(`unknown resource type ${type}; mlkube has ${COMPONENTS.map((c) => c.token).join(", ")}`);
        let redact: string[] = [];
        let secretPaths: (string | number)[][] = [];
        let component: pulumi.ComponentResource;
        try {
            const n = await this.normalizer.args(type, spec.name, name, inputs);
            redact = n.redact;
            secretPaths = n.secretPaths;
            const given =
                options.dependsOn === undefined
                    ? []
                    : Array.isArray(options.dependsOn)
                      ? options.dependsOn
                      : [options.dependsOn];
            const dependsOn = [...(given as pulumi.Input<pulumi.Resource>[]), ...n.dependsOn];
            // A plugin process may serve several deployments: this component's objects from an earlier
            // one are its own, not a conflict (two different components still conflict).
            releaseObjects(spec.name, name);
            component = constructForReference(spec, name, n.args, { ...options, dependsOn });
        } catch (e) {
            throw wireError(e, redact, secretPaths, this.language);
        }
        await new Promise<void>((resolve) =>
            component.urn.apply((u) => {
                this.live.set(u, component);
                resolve();
            }),
        );
        // Every output of the table (TrainJob's `state` waits for the job with waitForCompletion, and fails the construct when it failed).
        const self = component as unknown as Record<string, pulumi.Input<unknown>>;
        return { urn: component.urn, state: Object.fromEntries(spec.outputs.map((k) => [k, self[k]])) };
    }
}

/** Runs the provider as a plugin process: `args` are the engine's command-line arguments. */
export async function serve(args: string[], opts?: MlkubeProviderOptions): Promise<void> {
    const p = new MlkubeProvider(opts);
    p.registerReferences();
    await provider.main(p, args);
}
