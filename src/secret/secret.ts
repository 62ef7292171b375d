/**
 * Secret: a Kubernetes Secret built from exactly one source (inline values, local env vars, files, a
 * directory, a provider's credentials, or a git SSH key) plus how it reaches pods (`mount`).
 * Values are Pulumi secrets from the moment they are read.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Secret as K8sSecret } from "@pulumi/kubernetes/core/v1";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { lazy } from "../schema/lazy";
import { fail, MlkubeValidationError, ValidationIssue } from "../errors";
import { ComponentSpec, MlkubeComponent, prepare } from "../base";
import { compact, objectAnnotations, objectLabels, resolveNamespace } from "../metadata";
import { Agree, Resolved, input, pulumiResource, record, schemaMatches, validate } from "../schema/input";
import {
    absolutePath,
    annotationMap,
    dnsLabel,
    dnsSubdomain,
    envNameMessage,
    isDnsSubdomain,
    isEnvName,
    isSecretKey,
    labelKey,
    labelValue,
    secretKey,
    secretKeyMessage,
} from "../schema/names";
import { SecretBinding, SecretKeyRef } from "../pod/refs";
import { checksumKey, checksumOf } from "./checksum";
import { DirectoryContent, readDirectory } from "./directory";
import { errorCode, LocalFileError, readRegularFile, regularFileSize } from "./files";
import {
    CredentialsNotFound,
    PROVIDERS,
    ProviderCredentials,
    ProviderOptions,
    readProvider,
    SecretProvider,
} from "./providers";

/** Pulumi type token of {@link Secret} components. */
export const SECRET_TYPE = "mlkube:index:Secret";

/** Kubernetes' limit on the total size of a Secret's data. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** How a Secret's keys reach containers: each key an env var (`env`) or a file under `mountPath` (`files`). */
export type SecretMount = "env" | "files";

/** An SSH key for `git clone` in pods: give `privateKey` or `privateKeyFile`, optionally known hosts. */
export interface GitSshArgs {
    /** The private key itself (e.g. `config.requireSecret("deployKey")`). */
    privateKey?: pulumi.Input<string>;
    /** Or a path to the private key file on the deploying machine. */
    privateKeyFile?: string;
    /** known_hosts content; without it hosts are accepted on first use (StrictHostKeyChecking=accept-new). */
    knownHosts?: pulumi.Input<string>;
    /**
     * Or a path to a known_hosts file on the deploying machine.
     * @default none (accept-new)
     */
    knownHostsFile?: string;
}

/**
 * Arguments of {@link Secret}: exactly one source (`env`, `fromEnv`, `fromFile`, `fromDirectory`,
 * `provider` or `gitSsh`) and how it reaches pods.
 */
export interface SecretArgs {
    /** Inline values: `{ API_KEY: config.requireSecret("apiKey") }`. */
    env?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /** Names of environment variables on the deploying machine, read at deploy time. */
    fromEnv?: string[];
    /** Local files; each becomes a key named after the file. */
    fromFile?: string[];
    /** A local directory, read recursively; nested paths are restored when mounted as files. */
    fromDirectory?: string;
    /** Credentials of a known provider, read from the deploying machine (see README for each). */
    provider?: SecretProvider;
    /**
     * Where the provider's credentials are read from (profile, file, registry).
     * @default the provider's usual locations
     */
    providerOptions?: ProviderOptions;
    /** A git SSH private key (+ known_hosts), mounted read-only and wired through GIT_SSH_COMMAND. */
    gitSsh?: GitSshArgs;
    /**
     * How it reaches pods: `env` (each key an env var) or `files` (each key a file under mountPath).
     * @default per source
     */
    mount?: SecretMount;
    /**
     * Where files are mounted.
     * @default `/etc/mlkube/secrets/<secret name>`
     */
    mountPath?: string;
    /**
     * File mode of mounted files (octal, e.g. 0o400). The files are root-owned and readable through the
     * pod's fsGroup, which mlkube then defaults.
     * @default 0o440 when the pod runs as non-root, else 0o400
     */
    fileMode?: number;
    /**
     * Secret name.
     * @default the component name
     */
    name?: string;
    /**
     * Namespace.
     * @default `mlkube:namespace`, else the provider's
     */
    namespace?: pulumi.Input<string>;
    /**
     * Labels of the Secret, merged over `mlkube:labels`.
     * @default none besides mlkube's own
     */
    labels?: { [key: string]: pulumi.Input<string> };
    /**
     * Annotations of the Secret, merged over `mlkube:annotations`.
     * @default none
     */
    annotations?: { [key: string]: pulumi.Input<string> };
}

const SOURCES = ["env", "fromEnv", "fromFile", "fromDirectory", "provider", "gitSsh"] as const;

/** @internal */
export const secretArgsSchema = lazy(() =>
    z
        .strictObject({
            env: input(record(z.string(), input(z.string()))).optional(),
            fromEnv: z.array(z.string().min(1)).min(1).optional(),
            fromFile: z.array(z.string().min(1)).min(1).optional(),
            fromDirectory: z.string().min(1).optional(),
            provider: z.enum(PROVIDERS).optional(),
            providerOptions: z
                .strictObject({
                    profile: z.string().optional(),
                    credentialsFile: z.string().optional(),
                    registry: z.string().optional(),
                })
                .optional(),
            gitSsh: z
                .strictObject({
                    privateKey: input(z.string()).optional(),
                    privateKeyFile: z.string().optional(),
                    knownHosts: input(z.string()).optional(),
                    knownHostsFile: z.string().optional(),
                })
                .optional(),
            mount: z.enum(["env", "files"]).optional(),
            mountPath: absolutePath().optional(),
            fileMode: z.number().int().min(0).max(0o777).optional(),
            name: dnsSubdomain().optional(),
            namespace: input(dnsLabel()).optional(),
            labels: record(labelKey(), input(labelValue())).optional(),
            annotations: annotationMap(input(z.string())).optional(),
        })
        .superRefine((a, ctx) => {
            const given = SOURCES.filter((s) => a[s] !== undefined);
            if (given.length !== 1) {
                ctx.addIssue({
                    code: "custom",
                    path: given.length ? [given[1]] : [],
                    message:
                        given.length === 0
                            ? `give exactly one source: ${SOURCES.join(", ")}`
                            : `${given.join(" and ")} are mutually exclusive; a Secret has exactly one source (make one Secret per source)`,
                });
            }
            if (a.providerOptions && !a.provider)
                ctx.addIssue({ code: "custom", path: ["providerOptions"], message: "only applies with `provider`" });
            if (a.gitSsh) {
                const g = a.gitSsh;
                if ((g.privateKey === undefined) === (g.privateKeyFile === undefined)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["gitSsh"],
                        message: "give exactly one of privateKey or privateKeyFile",
                    });
                }
                if (g.knownHosts !== undefined && g.knownHostsFile !== undefined) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["gitSsh", "knownHostsFile"],
                        message: "knownHosts and knownHostsFile are mutually exclusive",
                    });
                }
                if (a.mount === "env")
                    ctx.addIssue({
                        code: "custom",
                        path: ["mount"],
                        message: `gitSsh keys are mounted as files; remove mount: "env"`,
                    });
            }
            if (a.mount === "env" && a.mountPath)
                ctx.addIssue({ code: "custom", path: ["mountPath"], message: `only applies with mount: "files"` });
        }),
);
schemaMatches<Agree<Resolved<SecretArgs>, z.input<ReturnType<typeof secretArgsSchema>>>>();

export { SecretBinding, SecretKeyRef } from "../pod/refs";

/** @internal */
type ValidatedSecretArgs = z.output<ReturnType<typeof secretArgsSchema>>;

/** What a Secret's source yields: the data (secret), its type and how it mounts. */
interface ReadSource {
    /**
     * Values base64-encoded, wrapped in pulumi.secret by renderSecret before they leave this module: plain
     * when read from the machine; when they come from Inputs, a function that builds their Output with
     * `finish` (renderSecret's checks) applied in the same step (issue 27: one Output per step of a secret
     * value is what a program with thousands of Secrets pays for in memory).
     */
    data:
        | Record<string, string>
        | ((finish: (d: Record<string, string>) => Record<string, string>) => pulumi.Output<Record<string, string>>);
    type: string;
    mount: SecretBinding["kind"];
    items?: { key: string; path: string }[];
    env: (mountPath: string) => Record<string, string>;
    /** Keys known now (for env-name validation); undefined when they come from an Output. */
    keys?: string[];
}

const b64 = (s: string | Buffer) => (typeof s === "string" ? Buffer.from(s, "utf8") : s).toString("base64");

export { directoryKey } from "./directory";

/** Sums the sizes of `files` (each must be a regular file) before anything is read. */
function totalSize(files: { file: string; path: (string | number)[] }[], problems: ValidationIssue[]): number {
    let total = 0;
    for (const { file, path: p } of files) {
        try {
            const size = regularFileSize(file);
            if (size === undefined)
                problems.push({
                    path: p,
                    message: `${JSON.stringify(file)} does not exist (relative paths start at ${process.cwd()})`,
                });
            else total += size;
        } catch (e) {
            if (!(e instanceof LocalFileError)) throw e;
            problems.push({ path: p, message: e.message });
        }
    }
    return total;
}

function tooBig(bytes: number): string {
    return `the files hold ${bytes} bytes; Kubernetes limits a Secret to ${MAX_SECRET_BYTES} bytes (1 MiB): split them into several Secrets or mount large files from a Volume`;
}

/** Reads a file checked by totalSize(); a problem found now (it changed meanwhile) becomes an issue. */
function readChecked(file: string, p: (string | number)[], problems: ValidationIssue[]): Buffer | undefined {
    try {
        const buf = readRegularFile(file, MAX_SECRET_BYTES);
        if (buf === undefined) problems.push({ path: p, message: `${JSON.stringify(file)} does not exist` });
        return buf;
    } catch (e) {
        if (!(e instanceof LocalFileError)) throw e;
        problems.push({ path: p, message: e.message });
        return undefined;
    }
}

function readSource(name: string, a: ValidatedSecretArgs, env: NodeJS.ProcessEnv): ReadSource {
    const problems: ValidationIssue[] = [];
    const bail = () => {
        if (problems.length) throw new MlkubeValidationError("Secret", name, problems);
    };
    const none = () => ({});
    if (a.env !== undefined) {
        const keys = pulumi.Output.isInstance(a.env) ? undefined : Object.keys(a.env);
        for (const k of keys ?? [])
            if (!isSecretKey(k)) problems.push({ path: ["env", k], message: secretKeyMessage(k) });
        bail();
        // All values plain (the common case): encode now, like fromEnv/fromFile, so the data is plain
        // (its checksum is an Output only when the key is: the per-stack key kept in the state).
        if (keys && Object.values(a.env as object).every((v) => typeof v === "string")) {
            const values: Record<string, string> = {};
            for (const k of keys) values[k] = b64((a.env as Record<string, string>)[k]);
            return { data: values, type: "Opaque", mount: "env", env: none, keys };
        }
        const encode = (m: Record<string, string>) => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(m)) {
                if (!isSecretKey(k)) fail("Secret", name, ["env", k], secretKeyMessage(k));
                out[k] = b64(v);
            }
            return out;
        };
        const given = a.env;
        // One value an Output (`{ API_KEY: config.requireSecret("apiKey") }`, the usual case): one apply on it.
        const pending = keys?.filter((k) => pulumi.Output.isInstance((given as Record<string, unknown>)[k]));
        const data =
            pending?.length === 1
                ? (finish: (d: Record<string, string>) => Record<string, string>) =>
                      (given as Record<string, pulumi.Output<string>>)[pending[0]].apply((v) =>
                          finish(encode({ ...(given as Record<string, string>), [pending[0]]: v })),
                      )
                : (finish: (d: Record<string, string>) => Record<string, string>) =>
                      pulumi.output(given as pulumi.Input<Record<string, string>>).apply((m) => finish(encode(m)));
        return { data, type: "Opaque", mount: "env", env: none, keys };
    }
    if (a.fromEnv) {
        const values: Record<string, string> = {};
        a.fromEnv.forEach((v, i) => {
            if (!isEnvName(v)) problems.push({ path: ["fromEnv", i], message: envNameMessage(v) });
            else if (!Object.hasOwn(env, v) || typeof env[v] !== "string")
                problems.push({
                    path: ["fromEnv", i],
                    message: `environment variable ${v} is not set on this machine; export it before running pulumi`,
                });
            else values[v] = b64(env[v]);
        });
        bail();
        return { data: values, type: "Opaque", mount: "env", env: none, keys: Object.keys(values) };
    }
    if (a.fromFile) {
        const values: Record<string, string> = {};
        const total = totalSize(
            a.fromFile.map((file, i) => ({ file, path: ["fromFile", i] })),
            problems,
        );
        bail();
        if (total > MAX_SECRET_BYTES) fail("Secret", name, ["fromFile"], tooBig(total));
        a.fromFile.forEach((f, i) => {
            const key = path.basename(f);
            if (!isSecretKey(key))
                problems.push({ path: ["fromFile", i], message: `file name ${secretKeyMessage(key)}` });
            else if (Object.hasOwn(values, key))
                problems.push({
                    path: ["fromFile", i],
                    message: `two files are named ${JSON.stringify(key)}; keys come from file names, so make one Secret per file or rename`,
                });
            else {
                const buf = readChecked(f, ["fromFile", i], problems);
                if (buf) values[key] = b64(buf);
            }
        });
        bail();
        return { data: values, type: "Opaque", mount: "files", env: none, keys: Object.keys(values) };
    }
    if (a.fromDirectory !== undefined) {
        const dir = a.fromDirectory;
        let isDir = false;
        try {
            isDir = fs.statSync(dir).isDirectory();
        } catch (e) {
            const code = errorCode(e);
            if (code !== "ENOENT" && code !== "ENOTDIR")
                fail("Secret", name, ["fromDirectory"], `${JSON.stringify(dir)} cannot be read (${code})`);
        }
        if (!isDir)
            fail(
                "Secret",
                name,
                ["fromDirectory"],
                `${JSON.stringify(dir)} is not a directory (relative paths start at ${process.cwd()})`,
            );
        let content: DirectoryContent;
        try {
            content = readDirectory(dir, MAX_SECRET_BYTES);
        } catch (e) {
            if (e instanceof LocalFileError) fail("Secret", name, ["fromDirectory"], e.message);
            throw e;
        }
        if (content.skipped.length) {
            void pulumi.log.warn(
                `Secret "${name}": fromDirectory ${JSON.stringify(dir)}: skipped what is not a regular file: ${content.skipped.join(", ")}`,
            );
        }
        for (const message of content.problems) problems.push({ path: ["fromDirectory"], message });
        if (content.files.length === 0 && problems.length === 0)
            problems.push({ path: ["fromDirectory"], message: `${JSON.stringify(dir)} holds no files` });
        bail();
        const values: Record<string, string> = {};
        for (const f of content.files) values[f.key] = b64(f.data);
        const items = content.files.map((f) => ({ key: f.key, path: f.path }));
        return { data: values, type: "Opaque", mount: "files", items, env: none, keys: Object.keys(values) };
    }
    if (a.provider) {
        let creds: ProviderCredentials;
        try {
            creds = readProvider(a.provider, a.providerOptions, env);
        } catch (e) {
            if (e instanceof CredentialsNotFound) fail("Secret", name, ["provider"], e.message);
            throw e;
        }
        const mount = a.mount ?? creds.defaultMount;
        if (!creds.mounts.includes(mount)) {
            fail(
                "Secret",
                name,
                ["mount"],
                `provider "${a.provider}" reaches pods as ${creds.mounts.join(" or ")}, not ${mount}; remove mount`,
            );
        }
        const values = Object.fromEntries(Object.entries(creds.values).map(([k, v]) => [k, b64(v)]));
        return { data: values, type: creds.type ?? "Opaque", mount, env: creds.env ?? none, keys: Object.keys(values) };
    }
    const g = a.gitSsh!;
    const readFile = (f: string, field: string) => {
        const problems: ValidationIssue[] = [];
        const buf = readChecked(f, ["gitSsh", field], problems);
        if (!buf) throw new MlkubeValidationError("Secret", name, problems);
        return pulumi.secret(buf.toString("utf8"));
    };
    const key =
        g.privateKeyFile !== undefined
            ? readFile(g.privateKeyFile, "privateKeyFile")
            : pulumi.secret(pulumi.output(g.privateKey as pulumi.Input<string>));
    const hosts =
        g.knownHostsFile !== undefined
            ? readFile(g.knownHostsFile, "knownHostsFile")
            : g.knownHosts !== undefined
              ? pulumi.output(g.knownHosts)
              : undefined;
    const data = (finish: (d: Record<string, string>) => Record<string, string>) =>
        pulumi.all([key, hosts]).apply(([k, h]) => {
            const out: Record<string, string> = { "ssh-privatekey": b64(k.endsWith("\n") ? k : `${k}\n`) };
            if (h !== undefined) out.known_hosts = b64(h);
            return finish(out);
        });
    const strict = hosts !== undefined;
    return {
        data,
        type: "kubernetes.io/ssh-auth",
        mount: "gitSsh",
        // git runs GIT_SSH_COMMAND through the shell: the paths are quoted so a mountPath with a space or ';' stays one
        // argument (and ssh, which splits UserKnownHostsFile on spaces, gets that path in double quotes).
        env: (mp) => ({
            GIT_SSH_COMMAND: `ssh -i ${shellQuote(`${mp}/ssh-privatekey`)} -o IdentitiesOnly=yes ${
                strict
                    ? `-o ${shellQuote(`UserKnownHostsFile=${/\s/.test(mp) ? `"${mp}/known_hosts"` : `${mp}/known_hosts`}`)} -o StrictHostKeyChecking=yes`
                    : "-o StrictHostKeyChecking=accept-new"
            }`,
        }),
        keys: strict ? ["ssh-privatekey", "known_hosts"] : ["ssh-privatekey"],
    };
}

/** Quotes `s` for a POSIX shell: as is when it holds only safe characters, else in single quotes. */
export function shellQuote(s: string): string {
    return /^[A-Za-z0-9_/.,:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Checks the total size without revealing anything about the values but their size. */
function checkSize(name: string, data: Record<string, string>): void {
    let bytes = 0;
    for (const [k, v] of Object.entries(data)) bytes += k.length + Buffer.byteLength(v, "base64");
    if (bytes > MAX_SECRET_BYTES) {
        fail(
            "Secret",
            name,
            [],
            `data is ${bytes} bytes; Kubernetes limits a Secret to ${MAX_SECRET_BYTES} bytes (1 MiB): split it into several Secrets or mount large files from a Volume`,
        );
    }
}

export { contentChecksum } from "./checksum";

export interface RenderedSecret {
    object: k8s.core.v1.Secret;
    binding: SecretBinding;
    /** The keys, when known now (plain sources); undefined when they come from an Output. */
    keys?: string[];
}

/** The Kubernetes Secret and its pod binding, from validated args. Reads local sources. @internal */
export function renderSecret(
    name: string,
    a: ValidatedSecretArgs,
    env: NodeJS.ProcessEnv = process.env,
): RenderedSecret {
    const secretName = a.name ?? name;
    const src = readSource(name, a, env);
    const mount: SecretBinding["kind"] =
        src.mount === "env" || src.mount === "files" ? (a.mount ?? src.mount) : src.mount;
    if (mount === "env") {
        const bad = (src.keys ?? []).filter((k) => !isEnvName(k));
        if (bad.length) {
            fail(
                "Secret",
                name,
                ["mount"],
                `keys ${bad.map((k) => JSON.stringify(k)).join(", ")} are not environment variable names, so they cannot be mounted as env; use mount: "files"`,
            );
        }
    }
    const checkKeys = (d: Record<string, string>) => {
        checkSize(name, d);
        if (mount === "env")
            for (const k of Object.keys(d))
                if (!isEnvName(k))
                    fail(
                        "Secret",
                        name,
                        ["mount"],
                        `key ${JSON.stringify(k)} is not an environment variable name; use mount: "files"`,
                    );
        return d;
    };
    // Plain data (files, env vars, providers) is checked now and wrapped once; data from Outputs when it resolves.
    let data: pulumi.Output<Record<string, string>>;
    let checksum: pulumi.Input<string>;
    // The key is read now: a bad mlkube:checksumKey fails the constructor, not the update.
    const key = checksumKey();
    if (typeof src.data === "function") {
        data = pulumi.secret(src.data(checkKeys));
        checksum = checksumOf(data, key);
    } else {
        checkKeys(src.data);
        checksum = checksumOf(src.data, key);
        data = pulumi.secret(src.data);
    }
    const mountPath = a.mountPath ?? `/etc/mlkube/secrets/${secretName}`;
    const namespace = resolveNamespace(a.namespace);
    return {
        object: {
            apiVersion: "v1",
            kind: "Secret",
            metadata: compact({
                name: secretName,
                namespace,
                labels: objectLabels("Secret", secretName, a.labels),
                annotations: objectAnnotations(a.annotations),
            }),
            type: src.type,
            data,
        },
        binding: {
            secretName,
            namespace,
            kind: mount,
            mountPath,
            fileMode: a.fileMode,
            items: src.items,
            env: src.env(mountPath),
            checksum,
        },
        keys: src.keys,
    };
}

/** The component name, when it doubles as the Secret's name (a DNS subdomain). */
const componentNameSchema = lazy(() => z.object({ name: dnsSubdomain() }));

/**
 * A Kubernetes Secret from inline values, local env vars, files, a directory, a provider's credentials or a
 * git SSH key, which workloads use through `secrets: [secret]` (env vars, files, image pull or
 * `GIT_SSH_COMMAND`) or `secret.ref(key)` (see docs/concepts/secret.md). Values are Pulumi secrets from the
 * moment they are read; changing one rolls the pods of Compute workloads that use it.
 *
 * ```ts
 * const hf = new mlkube.Secret("hf-token", { env: { HF_TOKEN: config.requireSecret("hfToken") } });
 * ```
 */
export class Secret extends MlkubeComponent {
    /** A Secret created elsewhere, mounted as env vars (default) or files. */
    static existing(secretName: string, opts: SecretReferenceOptions = {}): SecretReference {
        return new SecretReference(secretName, opts);
    }

    /** Name of the Kubernetes Secret (`args.name`, else the component name). */
    get secretName(): pulumi.Output<string> {
        return this.lazy("secretName", () => this.secret.metadata.name);
    }
    /** Namespace of the Secret. */
    get namespace(): pulumi.Output<string> {
        return this.lazy("namespace", () => this.secret.metadata.namespace);
    }
    /** The Secret child resource (its data is a Pulumi secret). */
    readonly secret: K8sSecret;
    private readonly bindingInfo: SecretBinding;
    /** The keys this Secret holds, when known at construction (undefined when they come from an Output). */
    private readonly knownKeys?: string[];
    /** The key names when they come from an Output (inline `env` given as an Output). */
    private readonly keysFromData?: pulumi.Output<string[]>;

    /** The file mode of mounted files when set (args `fileMode`); undefined: the pod builder's default. */
    get fileMode(): pulumi.Output<number | undefined> {
        return pulumi.output(this.bindingInfo.fileMode);
    }
    /** Whether workloads use it as an image pull secret (the `docker` provider). */
    get imagePull(): pulumi.Output<boolean> {
        return pulumi.output(this.bindingInfo.kind === "imagePull");
    }
    /** The key names this Secret holds, sorted (names only, never values). */
    get keys(): pulumi.Output<string[]> {
        return this.knownKeys ? pulumi.output([...this.knownKeys].sort()) : this.keysFromData!;
    }
    /**
     * A digest of the Secret's content, the value of the `checksum.mlkube.dev/<secret>` pod annotation
     * that rolls workloads' pods when the content changes: an HMAC-SHA256 of keys and values under the
     * stack's checksum key (`mlkube:checksumKey`, see docs/concepts/secret.md), so it is not secret and
     * cannot be used to confirm a guessed value. Equal content gives an equal checksum across runs.
     */
    get checksum(): pulumi.Output<string> {
        return pulumi.output(this.bindingInfo.checksum as pulumi.Input<string>);
    }

    /** How it reaches pods: env, files, imagePull or gitSsh (an Output built on first read). */
    get mount(): pulumi.Output<string> {
        return this.lazy("mount", () => pulumi.output(this.bindingInfo.kind));
    }
    /** Where it is mounted with `mount: "files"` (an Output built on first read). */
    get mountPath(): pulumi.Output<string> {
        return this.lazy("mountPath", () => pulumi.output(this.bindingInfo.mountPath));
    }

    /**
     * Reads the source and creates the Secret. `name` is the Pulumi resource name and the default Secret
     * name. Throws MlkubeValidationError before registering anything when `args` are invalid or a source
     * cannot be read (never with the value in the message).
     */
    constructor(name: string, args: SecretArgs, opts?: pulumi.ComponentResourceOptions) {
        const { object, binding, keys } = prepare(
            secretSpec,
            name,
            opts,
            () => {
                const a = validate("Secret", name, secretArgsSchema(), args);
                if (a.name === undefined && !isDnsSubdomain(name))
                    validate("Secret", name, componentNameSchema(), { name }); // the schema words the error
                return renderSecret(name, a);
            },
            (r) => [{ kind: "Secret", namespace: r.binding.namespace, name: r.binding.secretName }],
        );
        super(secretSpec, name, opts);
        this.secret = new K8sSecret(name, object, { parent: this, additionalSecretOutputs: ["data", "stringData"] });
        this.bindingInfo = { ...binding, resource: this.secret };
        this.knownKeys = keys;
        if (!keys)
            this.keysFromData = pulumi.unsecret(
                pulumi.output(object.data as pulumi.Input<Record<string, string>>).apply((d) => Object.keys(d).sort()),
            );
        // No component outputs in the state: secretName/namespace are the Secret's own outputs (issue 15).
        this.finish(secretSpec);
    }

    /** The keys this Secret holds when known at construction (names only, never values). @internal */
    get keyNames(): readonly string[] | undefined {
        return this.knownKeys;
    }

    /** One key of this Secret, for a workload's `env`: `env: { HF_TOKEN: hf.ref("HF_TOKEN") }`. */
    ref(key: string, optional?: boolean): SecretKeyRef {
        checkRefKey(this.bindingInfo.secretName, this.knownKeys, key, optional);
        return {
            secretName: this.bindingInfo.secretName,
            key,
            optional,
            resource: this.secret,
            checksum: this.bindingInfo.checksum,
        };
    }

    /** How this Secret reaches pods (used by the pod builder). */
    binding(): SecretBinding {
        return this.bindingInfo;
    }
}

/**
 * Options of {@link Secret.existing}: how workloads use a Secret created elsewhere. `namespace`, `keys`,
 * `checksum` and `dependsOn` describe the Secret exactly when a reference is rebuilt from a
 * {@link Secret}'s outputs (e.g. by mlkube's multi-language provider): checks and pod rollouts then work
 * as they do with the Secret itself.
 */
export interface SecretReferenceOptions {
    /**
     * How it reaches containers: `env` (each key an env var) or `files` (each key a file under `mountPath`).
     * @default "env"
     */
    mount?: SecretMount;
    /**
     * Where files are mounted.
     * @default `/etc/mlkube/secrets/<secretName>`
     */
    mountPath?: string;
    /**
     * File mode of mounted files (octal).
     * @default 0o440 for non-root pods, else 0o400
     */
    fileMode?: number;
    /**
     * Use it as an image pull secret (`imagePullSecrets`), not in containers.
     * @default false
     */
    imagePull?: boolean;
    /**
     * Namespace of the Secret; pods can only use Secrets of their own namespace (checked when both are known).
     * @default unknown (the workload's)
     */
    namespace?: string;
    /**
     * The key names it holds, when known: `ref(key)` then refuses a key it does not hold.
     * @default unknown (not checked)
     */
    keys?: string[];
    /**
     * A digest of its content ({@link Secret.checksum}): workloads using it get it as their
     * `checksum.mlkube.dev/<secret>` pod annotation, so their pods roll when it changes.
     * @default none (no rollout)
     */
    checksum?: pulumi.Input<string>;
    /**
     * A resource the workloads using this Secret depend on (created first, deleted last), typically the
     * Secret the reference was rebuilt from.
     * @default none (the Secret exists already)
     */
    dependsOn?: pulumi.Resource;
}

/** `ref(key)` of Secret `secretName`: a valid key, and one it holds when its keys are known (unless optional). */
function checkRefKey(
    secretName: string,
    keys: readonly string[] | undefined,
    key: string,
    optional: boolean | undefined,
): void {
    if (!isSecretKey(key)) fail("Secret", secretName, ["ref"], secretKeyMessage(key));
    if (keys && !keys.includes(key) && !optional) {
        // Key names only: never a value.
        fail(
            "Secret",
            secretName,
            ["ref"],
            `this Secret has no key ${JSON.stringify(key)} (it has ${keys.map((k) => JSON.stringify(k)).join(", ")}); a pod referencing it would fail with CreateContainerConfigError`,
        );
    }
}

const SECRET_OUTPUTS = [
    "secretName",
    "namespace",
    "mount",
    "mountPath",
    "fileMode",
    "imagePull",
    "keys",
    "checksum",
] as const;

/** Secret in the component table (src/components.ts): outputs are names, how it mounts, key names and checksum — never values. @internal */
export const secretSpec: ComponentSpec<Secret> = {
    name: "Secret",
    token: SECRET_TYPE,
    get schema() {
        return secretArgsSchema();
    },
    source: { args: "SecretArgs", argsFile: "src/secret/secret.ts", classFile: "src/secret/secret.ts" },
    create: (name, args, opts) => new Secret(name, args, opts),
    outputs: SECRET_OUTPUTS,
    // A reference from another process rebuilds the binding from all of them.
    referenceOutputs: SECRET_OUTPUTS,
};

/** A Secret created elsewhere: mounts like a Secret, creates nothing. */
export class SecretReference {
    private readonly b: SecretBinding;
    private readonly knownKeys?: string[];
    /**
     * Refers to Secret `secretName`; prefer {@link Secret.existing}. `mount` default `env`, `mountPath` default
     * `/etc/mlkube/secrets/<name>`, `fileMode` default `0o400`, `imagePull` (use as an image pull secret) default false.
     */
    constructor(secretName: string, opts: SecretReferenceOptions = {}) {
        const o = validate("Secret.existing", secretName, referenceSchema(), { secretName, ...opts });
        this.b = compact({
            secretName: o.secretName,
            namespace: o.namespace,
            kind: o.imagePull ? "imagePull" : (o.mount ?? "env"),
            mountPath: o.mountPath ?? `/etc/mlkube/secrets/${o.secretName}`,
            fileMode: o.fileMode,
            env: {},
            checksum: o.checksum,
            resource: o.dependsOn,
        });
        this.knownKeys = o.keys;
    }
    /** The key names it holds when given (`keys`); undefined: unknown. @internal */
    get keyNames(): readonly string[] | undefined {
        return this.knownKeys;
    }
    /** One key of this Secret, for a workload's `env`. `optional` default false. */
    ref(key: string, optional?: boolean): SecretKeyRef {
        checkRefKey(this.b.secretName, this.knownKeys, key, optional);
        return compact({
            secretName: this.b.secretName,
            key,
            optional,
            resource: this.b.resource,
            checksum: this.b.checksum,
        });
    }
    /** How this Secret reaches pods (used by the pod builder). */
    binding(): SecretBinding {
        return this.b;
    }
}

/** What `Secret.existing` accepts (the schema's `ExistingSecret`). @internal */
export const existingSchema = lazy(() =>
    z
        .strictObject({
            secretName: dnsSubdomain(),
            mount: z.enum(["env", "files"]).optional(),
            mountPath: absolutePath().optional(),
            fileMode: z.number().int().min(0).max(0o777).optional(),
            imagePull: z.boolean().optional(),
        })
        .refine((o) => !(o.imagePull && o.mount), {
            message: "imagePull and mount are mutually exclusive",
            path: ["mount"],
        }),
);

/** `existingSchema` plus what a reference rebuilt from a Secret's outputs carries (not part of the wire form). */
const referenceSchema = lazy(() =>
    existingSchema().safeExtend({
        namespace: dnsLabel().optional(),
        keys: z.array(secretKey()).optional(),
        checksum: input(z.string()).optional(),
        dependsOn: pulumiResource().optional(),
    }),
);
schemaMatches<
    Agree<Resolved<SecretReferenceOptions & { secretName: string }>, z.input<ReturnType<typeof referenceSchema>>>
>();

/** What workloads accept where a secret is expected. */
export type SecretLike = Secret | SecretReference | string;

export function bindingOf(s: SecretLike): SecretBinding {
    return typeof s === "string" ? new SecretReference(s).binding() : s.binding();
}
