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
import { Compute, COMPUTE_TYPE } from "../compute";
import { releaseObjects } from "../registry";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { Secret, SECRET_TYPE } from "../secret/secret";
import { TrainJob, TRAINJOB_TYPE } from "../trainjob/component";
import { Volume, VOLUME_TYPE } from "../volume";
import { maskSecretIssues, RemoteReference, WireNormalizer } from "./normalize";
import { PACKAGE_ROOT, PackageSchema, readSchemaText } from "./schema";

/** The outputs a Volume built by the provider returns (and keeps in the state, for references). */
function volumeState(v: Volume): pulumi.Inputs {
    return { claimName: v.claimName, namespace: v.namespace, mountPath: v.mountPath, readOnly: v.readOnly, volumeMode: v.volumeMode, accessMode: v.accessMode };
}

/** The outputs a Secret built by the provider returns: names, how it mounts, key names and checksum — never values. */
function secretState(s: Secret): pulumi.Inputs {
    return { secretName: s.secretName, namespace: s.namespace, mount: s.mount, mountPath: s.mountPath, fileMode: s.fileMode, imagePull: s.imagePull, keys: s.keys, checksum: s.checksum };
}

/**
 * A Volume whose outputs are also kept in the state: a reference to it from another provider process
 * (the fallback) reads them back. TypeScript programs keep the state small (issue 15) and need none.
 */
class ProviderVolume extends Volume {
    protected override registerOutputs(): void {
        super.registerOutputs(volumeState(this));
    }
}

/** A Secret whose outputs (names, key names, checksum; never values) are also kept in the state. */
class ProviderSecret extends Secret {
    protected override registerOutputs(): void {
        super.registerOutputs(secretState(this));
    }
}

interface Kind {
    /** The component's name in messages. */
    component: string;
    build(name: string, args: Record<string, unknown>, opts: pulumi.ComponentResourceOptions): pulumi.ComponentResource;
    state(r: pulumi.ComponentResource): pulumi.Inputs;
}

const KINDS: Record<string, Kind> = {
    [VOLUME_TYPE]: { component: "Volume", build: (n, a, o) => new ProviderVolume(n, a as never, o), state: (r) => volumeState(r as Volume) },
    [SECRET_TYPE]: { component: "Secret", build: (n, a, o) => new ProviderSecret(n, a as never, o), state: (r) => secretState(r as Secret) },
    [COMPUTE_TYPE]: {
        component: "Compute",
        build: (n, a, o) => new Compute(n, a as never, o),
        state: (r) => {
            const c = r as Compute;
            return { deploymentName: c.deploymentName, namespace: c.namespace, serviceName: c.serviceName, endpoint: c.endpoint };
        },
    },
    [TRAINJOB_TYPE]: {
        component: "TrainJob",
        build: (n, a, o) => new TrainJob(n, a as never, o),
        // `state` waits for the job when waitForCompletion is set (and fails the construct when it failed).
        state: (r) => {
            const t = r as TrainJob;
            return { jobName: t.jobName, namespace: t.namespace, masterAddress: t.masterAddress, backend: t.backend, state: t.state };
        },
    },
};

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

const REFERENCE_OUTPUTS: Record<string, string[]> = {
    [VOLUME_TYPE]: ["claimName", "namespace", "mountPath", "readOnly", "volumeMode", "accessMode"],
    [SECRET_TYPE]: ["secretName", "namespace", "mount", "mountPath", "fileMode", "imagePull", "keys", "checksum"],
};

/** The package version (package.json), which is also the plugin's. */
export function packageVersion(): string {
    return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
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
            const runtime = (YAML.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { runtime?: unknown } | null)?.runtime;
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
        if (i.message.includes("dicts inside union positions") || i.message.includes("keys are the schema's camelCase")) continue; // says it already
        for (const seg of i.path) {
            if (typeof seg !== "string") continue;
            if (language === "yaml") {
                // A YAML program wrote the path itself; only a snake_case key needs a word.
                if (/^[a-z0-9]+_[a-z0-9_]+$/.test(seg)) return `(YAML keys are the schema's camelCase names: write ${seg.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())}, not ${seg})`;
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
export function wireError(e: unknown, redact: ReadonlyArray<string> = [], secretPaths: ReadonlyArray<ReadonlyArray<string | number>> = [], language?: string): Error {
    const hide = (s: string) => redact.filter((r) => r.length >= 3).reduce((m, r) => m.split(r).join("[secret]"), s);
    // A problem inside an opened secret (a value of the wrong shape, say) is reported without the value.
    if (e instanceof MlkubeValidationError && secretPaths.length) e = new MlkubeValidationError(e.component, e.resourceName, maskSecretIssues(e.issues, secretPaths));
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
        return new RemoteComponent(type, name, urn, REFERENCE_OUTPUTS[type] ?? []);
    }

    /** Registers {@link resolveReference} with the SDK for the `mlkube:index` module. */
    registerReferences(): void {
        // No version: every mlkube:index reference this process sees is one of its components.
        pulumi.runtime.registerResourceModule("mlkube", "index", {
            construct: (name, type, urn) => this.resolveReference(name, type, urn),
        });
    }

    /** Builds component `type` named `name` from the wire inputs; returns its URN and outputs. */
    async construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
        if (!Object.hasOwn(KINDS, type)) throw new Error(`unknown resource type ${type}; mlkube has ${Object.keys(KINDS).join(", ")}`);
        const kind = KINDS[type];
        let redact: string[] = [];
        let secretPaths: (string | number)[][] = [];
        let component: pulumi.ComponentResource;
        try {
            const n = await this.normalizer.args(type, kind.component, name, inputs as Record<string, unknown>);
            redact = n.redact;
            secretPaths = n.secretPaths;
            const given = options.dependsOn === undefined ? [] : Array.isArray(options.dependsOn) ? options.dependsOn : [options.dependsOn];
            const dependsOn = [...(given as pulumi.Input<pulumi.Resource>[]), ...n.dependsOn];
            // A plugin process may serve several deployments: this component's objects from an earlier
            // one are its own, not a conflict (two different components still conflict).
            releaseObjects(kind.component, name);
            component = kind.build(name, n.args, { ...options, dependsOn });
        } catch (e) {
            throw wireError(e, redact, secretPaths, this.language);
        }
        await new Promise<void>((resolve) =>
            component.urn.apply((u) => {
                this.live.set(u, component);
                resolve();
            }),
        );
        return { urn: component.urn, state: kind.state(component) };
    }
}

/** Runs the provider as a plugin process: `args` are the engine's command-line arguments. */
export async function serve(args: string[], opts?: MlkubeProviderOptions): Promise<void> {
    const p = new MlkubeProvider(opts);
    p.registerReferences();
    await provider.main(p, args);
}
