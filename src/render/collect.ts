/**
 * Runs a Pulumi program under the SDK's mocks and collects every resource it registers, with the
 * Kubernetes objects as they would be sent to the provider. The core of the offline renderer and of
 * the unit tests' harness.
 */
import * as crypto from "node:crypto";
import { resetConfigCache } from "../config";
import { resetObjectRegistry } from "../registry";

/** Marks a value the program declared secret (a Pulumi secret). */
export class SecretValue {
    /** The plain value (only revealed with `showSecrets`). */
    readonly value: unknown;
    /** Wraps `value`. */
    constructor(value: unknown) {
        this.value = value;
    }
}

export interface CollectedResource {
    /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment` or `mlkube:index:Compute`. */
    type: string;
    /** Pulumi resource name. */
    name: string;
    /** Whether it is a custom resource (a real object) rather than a component. */
    custom: boolean;
    /** Inputs as registered; secret values wrapped in SecretValue. */
    inputs: Record<string, unknown>;
    /** The parent component's URN, if any. */
    parent?: string;
    urn: string;
    /** The options the resource was registered with that matter for review. */
    options: {
        retainOnDelete?: boolean;
        protect?: boolean;
        deleteBeforeReplace?: boolean;
        replaceOnChanges?: string[];
        ignoreChanges?: string[];
        additionalSecretOutputs?: string[];
        dependsOn?: string[];
    };
}

export interface CollectOptions {
    project?: string;
    stack?: string;
    /** Stack config, keys with their namespace (`mlkube:namespace`). */
    config?: Record<string, string>;
    /** Config keys whose values are secret. */
    secretConfigKeys?: string[];
    /** Run in preview mode (unknowns stay unknown). Default false. */
    preview?: boolean;
    /**
     * Fail when the program (with every resource registration it started) has not finished after this
     * many seconds. Default: no limit. The timer does not keep the process alive.
     */
    timeoutSeconds?: number;
    /**
     * Resolves `@pulumi/pulumi` (and its `runtime/settings`) for the program being run. Mocks are
     * process-global state of one copy of the SDK, so a program with its own node_modules needs
     * `createRequire(<program file>)`. Default: this module's own copy.
     */
    require?: NodeJS.Require;
    /**
     * What the stack's state keeps for `pulumi:index:Stash` resources, by URN: a Stash found here gets
     * this value as its `output` (as the engine returns the value it kept); one not found keeps its
     * input, which is then added (as the engine does on create). Default: a map shared by every run in
     * this process, so repeated runs behave like updates of one stack.
     */
    stashes?: Map<string, unknown>;
}

/** The default of `CollectOptions.stashes`. */
const keptStashes = new Map<string, unknown>();

export interface Collected {
    resources: CollectedResource[];
    /** Errors the program raised after construction (Outputs that failed validation, rejected promises). */
    errors: Error[];
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VAL = "1b47061264138c4ac30d75fd1eb44270";

/**
 * Replaces Pulumi's serialized secret envelopes with SecretValue markers, where they sit. `other`
 * deserializes the remaining special values (unknowns, resource references) the way the SDK does.
 */
export function unwrapSecrets(v: unknown, other: (v: unknown) => unknown = (x) => x): unknown {
    if (Array.isArray(v)) return v.map((e) => unwrapSecrets(e, other));
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[SECRET_SIG] === SECRET_VAL) return new SecretValue(unwrapSecrets(o.value, other));
        if (Object.hasOwn(o, SECRET_SIG)) return other(o);
        const out: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(o))
            Object.defineProperty(out, k, {
                value: unwrapSecrets(e, other),
                enumerable: true,
                writable: true,
                configurable: true,
            });
        return out;
    }
    if (v === UNKNOWN) return other(v);
    return v;
}

/** The SDK's serialized unknown value (preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The `metadata.name` the mocks give a Kubernetes object registered without one (what Pulumi's
 * auto-naming would assign): `<resource name>-<first 7 hex of sha256("<type>::<resource name>")>`.
 */
export function mockName(type: string, name: string): string {
    return autoName(name, `${type}::${name}`);
}

/** The name Pulumi would auto-assign: `<name>-<7 hex chars>`, here derived from the URN so it is stable. */
export function autoName(name: string, urn: string): string {
    return `${name}-${crypto.createHash("sha256").update(urn).digest("hex").slice(0, 7)}`;
}

let running = false;
let currentRequest: RegisterRequest | undefined;
let monitor: MockMonitorLike | undefined;

interface RegisterRequest {
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getParent(): string;
    getRetainondelete(): boolean;
    getProtect(): boolean;
    getDeletebeforereplace(): boolean;
    getReplaceonchangesList(): string[];
    getIgnorechangesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getDependenciesList(): string[];
}

interface MockMonitorLike {
    registerResource(req: RegisterRequest, cb: unknown): unknown;
    newUrn(parent: string | undefined, type: string, name: string): string;
}

/** Runs `program` under mocks and returns what it registered. Not reentrant. */
export async function collect(program: () => unknown, opts: CollectOptions = {}): Promise<Collected> {
    if (running) throw new Error("collect() is already running; programs are rendered one at a time");
    running = true;
    const resources: CollectedResource[] = [];
    const errors: Error[] = [];
    const seenErrors = new Set<string>();
    const urns = new Set<string>();
    const onRejection = (reason: unknown) => {
        const err = reason instanceof Error ? reason : new Error(String(reason));
        const msg = err.message.replace(/^(error serializing property "[^"]+": )+/, "");
        if (!seenErrors.has(msg)) {
            seenErrors.add(msg);
            const clean = new Error(msg);
            clean.name = err.name;
            Object.assign(clean, err, { message: msg });
            if (err.stack) clean.stack = err.stack; // where the program failed, for --verbose
            errors.push(clean);
        }
    };
    // While the program runs, its rejected Outputs are its errors: take them from any other listener
    // (a test runner would otherwise count them as its own failures).
    const others = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onRejection);
    try {
        const project = opts.project ?? "mlkube";
        const stack = opts.stack ?? "dev";
        const req = opts.require ?? require;
        const pulumi = req("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const settings = req("@pulumi/pulumi/runtime/settings") as Settings;
        const rpc = req("@pulumi/pulumi/runtime/rpc") as { deserializeProperty(v: unknown): unknown };
        pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretConfigKeys);
        resetConfigCache();
        resetObjectRegistry();
        await pulumi.runtime.setMocks(
            {
                newResource(a) {
                    const custom = a.custom ?? a.type.startsWith("kubernetes:");
                    const req = currentRequest;
                    // The SDK's deserialization lifts a nested secret to the whole top-level property
                    // (a secret env value makes all of `spec` secret): read the request as serialized,
                    // where each secret sits where the program put it.
                    const raw = req?.getObject()?.toJavaScript();
                    const inputs = (
                        raw ? unwrapSecrets(raw, (x) => rpc.deserializeProperty(x)) : unwrapSecrets(a.inputs)
                    ) as Record<string, unknown>;
                    const parent = req?.getParent() || undefined;
                    const urn =
                        monitor?.newUrn(parent, a.type, a.name) ??
                        `urn:pulumi:${stack}::${project}::${a.type}::${a.name}`;
                    // The engine refuses a second resource with the same URN (same type, name and parent): so does the renderer.
                    if (urns.has(urn))
                        onRejection(new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`));
                    urns.add(urn);
                    resources.push({
                        type: a.type,
                        name: a.name,
                        custom,
                        inputs,
                        parent,
                        urn,
                        options: req
                            ? {
                                  retainOnDelete: req.getRetainondelete() || undefined,
                                  protect: req.getProtect() || undefined,
                                  deleteBeforeReplace: req.getDeletebeforereplace() || undefined,
                                  replaceOnChanges: req.getReplaceonchangesList().length
                                      ? req.getReplaceonchangesList()
                                      : undefined,
                                  ignoreChanges: req.getIgnorechangesList().length
                                      ? req.getIgnorechangesList()
                                      : undefined,
                                  additionalSecretOutputs: req.getAdditionalsecretoutputsList().length
                                      ? req.getAdditionalsecretoutputsList()
                                      : undefined,
                                  dependsOn: req.getDependenciesList().length ? req.getDependenciesList() : undefined,
                              }
                            : {},
                    });
                    const state: Record<string, unknown> = { ...a.inputs };
                    if (a.type === "pulumi:index:Stash") {
                        const kept = opts.stashes ?? keptStashes;
                        if (!kept.has(urn)) kept.set(urn, a.inputs.input);
                        state.output = kept.get(urn);
                    }
                    if (a.type.startsWith("kubernetes:")) {
                        const md = { ...((a.inputs.metadata as Record<string, unknown>) ?? {}) };
                        if (md.name === undefined) md.name = mockName(a.type, a.name);
                        if (md.namespace === undefined && !CLUSTER_SCOPED.has(a.type)) md.namespace = "default";
                        state.metadata = md;
                    }
                    return { id: `${a.name}-id`, state };
                },
                call(a) {
                    return a.inputs;
                },
            },
            project,
            stack,
            opts.preview ?? false,
        );
        // Wrap the mock monitor to see each registration's options (the mocks API only passes inputs).
        monitor = settings.getMonitor();
        if (monitor) {
            const original = monitor.registerResource.bind(monitor);
            monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
                currentRequest = req;
                return original(req, cb);
            };
        }
        const run = (async () => {
            await program();
            // The SDK keeps a queue of outstanding RPCs; draining it means every resource was registered.
            await settings.waitForRPCs();
        })();
        await withTimeout(run, opts.timeoutSeconds);
    } catch (e) {
        onRejection(e);
    } finally {
        // Let late rejections from this run arrive before detaching the listener.
        await new Promise((r) => setImmediate(r));
        process.off("unhandledRejection", onRejection);
        for (const l of others) process.on("unhandledRejection", l);
        running = false;
    }
    return { resources, errors };
}

/** Thrown when a program does not finish within `timeoutSeconds`. */
export class TimeoutError extends Error {
    constructor(seconds: number) {
        super(
            `the program did not finish within ${seconds} s (a promise that never settles, or a resource waiting on one); raise --timeout if it is just slow`,
        );
        this.name = "TimeoutError";
    }
}

async function withTimeout<T>(p: Promise<T>, seconds: number | undefined): Promise<T> {
    if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return p;
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(seconds)), seconds * 1000);
        timer.unref();
    });
    try {
        return await Promise.race([p, t]);
    } finally {
        clearTimeout(timer);
    }
}

interface Settings {
    getMonitor(): MockMonitorLike | undefined;
    waitForRPCs(): Promise<void>;
}

/** Kubernetes resource types without a namespace. */
export const CLUSTER_SCOPED = new Set([
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:Node",
    "kubernetes:core/v1:PersistentVolume",
    "kubernetes:storage.k8s.io/v1:StorageClass",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
    "kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime",
]);
