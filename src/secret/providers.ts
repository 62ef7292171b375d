/**
 * Credentials of well-known providers, read from the deploying machine with each provider's usual
 * environment variables and files. Every value is wrapped in `pulumi.secret` the moment it is read.
 *
 * | provider    | read from (first found wins)                                                     | keys / in the pod                        |
 * |-------------|-----------------------------------------------------------------------------------|------------------------------------------|
 * | aws         | AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN, AWS_REGION), else  | env AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, |
 * |             | ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE) profile `profile`/AWS_PROFILE/default, region from ~/.aws/config | AWS_SESSION_TOKEN?, AWS_DEFAULT_REGION? |
 * | gcp         | credentialsFile, GOOGLE_APPLICATION_CREDENTIALS, ~/.config/gcloud/application_default_credentials.json | file credentials.json; env GOOGLE_APPLICATION_CREDENTIALS points at it |
 * | azure       | AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET (+ AZURE_SUBSCRIPTION_ID)   | env, same names                          |
 * | huggingface | HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, $HF_HOME/token, ~/.cache/huggingface/token | env HF_TOKEN                   |
 * | wandb       | WANDB_API_KEY, ~/.netrc (machine api.wandb.ai)                                    | env WANDB_API_KEY                        |
 * | openai      | OPENAI_API_KEY                                                                    | env OPENAI_API_KEY                       |
 * | anthropic   | ANTHROPIC_API_KEY                                                                 | env ANTHROPIC_API_KEY                    |
 * | github      | GITHUB_TOKEN, GH_TOKEN                                                            | env GITHUB_TOKEN                         |
 * | docker      | credentialsFile, $DOCKER_CONFIG/config.json, ~/.docker/config.json (optionally only `registry`) | image pull secret (.dockerconfigjson) |
 */
import { LocalFileError, readRegularFile } from "./files";
import * as os from "node:os";
import * as path from "node:path";

/** Credential providers a {@link Secret} can read from the deploying machine (`provider: "huggingface"`). */
export const PROVIDERS = [
    "aws",
    "gcp",
    "azure",
    "huggingface",
    "wandb",
    "openai",
    "anthropic",
    "github",
    "docker",
] as const;
/** One of {@link PROVIDERS}. */
export type SecretProvider = (typeof PROVIDERS)[number];

/** Where a provider's credentials are read from; every field is optional and provider-specific. */
export interface ProviderOptions {
    /** aws: the profile in ~/.aws/credentials (default AWS_PROFILE, else "default"). */
    profile?: string;
    /** gcp, docker, aws: read this file instead of the default location. */
    credentialsFile?: string;
    /** docker: keep only this registry's entry (e.g. "ghcr.io"). */
    registry?: string;
}

export interface ProviderCredentials {
    /** Plain key -> value, still in memory only; the caller wraps the record in pulumi.secret at once. */
    values: Record<string, string>;
    /** How it reaches pods unless the user says otherwise. */
    defaultMount: "env" | "files" | "imagePull";
    /** Mount modes this provider supports. */
    mounts: ReadonlyArray<"env" | "files" | "imagePull">;
    /** Kubernetes Secret type. */
    type?: string;
    /** Extra env vars for the container, given the mount path of the files. */
    env?: (mountPath: string) => Record<string, string>;
}

/** Why a provider's credentials were not found: the message names every place that was looked at. */
export class CredentialsNotFound extends Error {}

function home(env: NodeJS.ProcessEnv): string {
    return env.HOME || os.homedir();
}

/** Credential and config files are small; anything bigger is not one. */
const MAX_CREDENTIALS_FILE = 16 * 1024 * 1024;

/**
 * The text of a credentials/config file, undefined when it does not exist. A path that exists but is
 * not a regular file of sane size (a directory, a FIFO, /dev/zero) is reported, never read.
 */
function readIfExists(file: string): string | undefined {
    try {
        return readRegularFile(file, MAX_CREDENTIALS_FILE)?.toString("utf8");
    } catch (e) {
        if (e instanceof LocalFileError) throw new CredentialsNotFound(e.message);
        throw e;
    }
}

/** Minimal INI reader for ~/.aws/credentials and ~/.aws/config: `[section]` and `key = value`. */
export function parseIni(text: string): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    let section: Record<string, string> | undefined;
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith("#") || line.startsWith(";")) continue;
        const sec = /^\[(.+)\]$/.exec(line);
        if (sec) {
            section = out[sec[1].trim()] ??= {};
            continue;
        }
        const eq = line.indexOf("=");
        if (section && eq > 0) section[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    return out;
}

/** The password of `machine` in a .netrc file. */
export function netrcPassword(text: string, machine: string): string | undefined {
    const tokens = text.split(/\s+/).filter(Boolean);
    for (let i = 0; i < tokens.length; i++) {
        if (tokens[i] === "machine" && tokens[i + 1] === machine) {
            for (let j = i + 2; j < tokens.length && tokens[j] !== "machine"; j++) {
                if (tokens[j] === "password") return tokens[j + 1];
            }
        }
    }
    return undefined;
}

function firstEnv(env: NodeJS.ProcessEnv, names: string[]): string | undefined {
    for (const n of names) if (env[n]) return env[n];
    return undefined;
}

function apiKey(env: NodeJS.ProcessEnv, key: string, names: string[], label: string): ProviderCredentials {
    const v = firstEnv(env, names);
    if (!v) throw new CredentialsNotFound(`no ${label} found; set ${names.join(" or ")}`);
    return { values: { [key]: v }, defaultMount: "env", mounts: ["env", "files"] };
}

export function readProvider(
    provider: SecretProvider,
    opts: ProviderOptions = {},
    env: NodeJS.ProcessEnv = process.env,
): ProviderCredentials {
    const h = home(env);
    switch (provider) {
        case "aws": {
            if (!opts.profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
                const values: Record<string, string> = {
                    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
                    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
                };
                if (env.AWS_SESSION_TOKEN) values.AWS_SESSION_TOKEN = env.AWS_SESSION_TOKEN;
                const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
                if (region) values.AWS_DEFAULT_REGION = region;
                return { values, defaultMount: "env", mounts: ["env", "files"] };
            }
            const credFile =
                opts.credentialsFile || env.AWS_SHARED_CREDENTIALS_FILE || path.join(h, ".aws", "credentials");
            const profile = opts.profile || env.AWS_PROFILE || "default";
            const text = readIfExists(credFile);
            const sec = text ? parseIni(text)[profile] : undefined;
            if (!sec?.aws_access_key_id || !sec.aws_secret_access_key) {
                throw new CredentialsNotFound(
                    `no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile [${profile}] with aws_access_key_id and aws_secret_access_key to ${credFile}`,
                );
            }
            const values: Record<string, string> = {
                AWS_ACCESS_KEY_ID: sec.aws_access_key_id,
                AWS_SECRET_ACCESS_KEY: sec.aws_secret_access_key,
            };
            if (sec.aws_session_token) values.AWS_SESSION_TOKEN = sec.aws_session_token;
            const cfgText = readIfExists(env.AWS_CONFIG_FILE || path.join(h, ".aws", "config"));
            const cfg = cfgText
                ? parseIni(cfgText)[profile === "default" ? "default" : `profile ${profile}`]
                : undefined;
            const region = cfg?.region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
            if (region) values.AWS_DEFAULT_REGION = region;
            return { values, defaultMount: "env", mounts: ["env", "files"] };
        }
        case "gcp": {
            const candidates = [
                opts.credentialsFile,
                env.GOOGLE_APPLICATION_CREDENTIALS,
                path.join(h, ".config", "gcloud", "application_default_credentials.json"),
            ].filter((x): x is string => !!x);
            for (const file of candidates) {
                const text = readIfExists(file);
                if (text !== undefined) {
                    return {
                        values: { "credentials.json": text },
                        defaultMount: "files",
                        mounts: ["files"],
                        env: (mountPath) => ({ GOOGLE_APPLICATION_CREDENTIALS: `${mountPath}/credentials.json` }),
                    };
                }
            }
            throw new CredentialsNotFound(
                `no GCP credentials found; set GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON file or run "gcloud auth application-default login" (looked in ${candidates.join(", ")})`,
            );
        }
        case "azure": {
            const required = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"];
            const missing = required.filter((n) => !env[n]);
            if (missing.length)
                throw new CredentialsNotFound(`no Azure service principal found; set ${missing.join(", ")}`);
            const values: Record<string, string> = {};
            for (const n of [...required, "AZURE_SUBSCRIPTION_ID"]) if (env[n]) values[n] = env[n];
            return { values, defaultMount: "env", mounts: ["env", "files"] };
        }
        case "huggingface": {
            const fromEnv = firstEnv(env, ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]);
            if (fromEnv) return { values: { HF_TOKEN: fromEnv }, defaultMount: "env", mounts: ["env", "files"] };
            const files = [
                env.HF_TOKEN_PATH,
                env.HF_HOME && path.join(env.HF_HOME, "token"),
                path.join(h, ".cache", "huggingface", "token"),
            ].filter((x): x is string => !!x);
            for (const f of files) {
                const t = readIfExists(f)?.trim();
                if (t) return { values: { HF_TOKEN: t }, defaultMount: "env", mounts: ["env", "files"] };
            }
            throw new CredentialsNotFound(
                `no Hugging Face token found; set HF_TOKEN or run "huggingface-cli login" (looked in $HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, ${files.join(", ")})`,
            );
        }
        case "wandb": {
            if (env.WANDB_API_KEY)
                return { values: { WANDB_API_KEY: env.WANDB_API_KEY }, defaultMount: "env", mounts: ["env", "files"] };
            const netrc = path.join(h, ".netrc");
            const text = readIfExists(netrc);
            const pw = text ? netrcPassword(text, "api.wandb.ai") : undefined;
            if (pw) return { values: { WANDB_API_KEY: pw }, defaultMount: "env", mounts: ["env", "files"] };
            throw new CredentialsNotFound(
                `no Weights & Biases key found; set WANDB_API_KEY or run "wandb login" (looked in $WANDB_API_KEY, ${netrc})`,
            );
        }
        case "openai":
            return apiKey(env, "OPENAI_API_KEY", ["OPENAI_API_KEY"], "OpenAI API key");
        case "anthropic":
            return apiKey(env, "ANTHROPIC_API_KEY", ["ANTHROPIC_API_KEY"], "Anthropic API key");
        case "github":
            return apiKey(env, "GITHUB_TOKEN", ["GITHUB_TOKEN", "GH_TOKEN"], "GitHub token");
        case "docker": {
            const file = opts.credentialsFile || path.join(env.DOCKER_CONFIG || path.join(h, ".docker"), "config.json");
            const text = readIfExists(file);
            if (text === undefined)
                throw new CredentialsNotFound(
                    `no Docker registry config found at ${file}; run "docker login" or set DOCKER_CONFIG`,
                );
            let parsed: { auths?: Record<string, unknown> };
            try {
                parsed = JSON.parse(text);
            } catch {
                throw new CredentialsNotFound(`${file} is not valid JSON`);
            }
            let auths = parsed.auths ?? {};
            if (opts.registry) {
                auths = Object.fromEntries(
                    Object.entries(auths).filter(
                        ([k]) => k === opts.registry || k.replace(/^https?:\/\//, "").split("/")[0] === opts.registry,
                    ),
                );
            }
            const usable = Object.entries(auths).filter(([, v]) => v && typeof v === "object" && "auth" in v);
            if (usable.length === 0) {
                throw new CredentialsNotFound(
                    `${file} has no inline credentials${opts.registry ? ` for ${opts.registry}` : ""} (a credential helper "credsStore" keeps them elsewhere); log in with a config that stores "auths", or build the Secret from env`,
                );
            }
            return {
                values: { ".dockerconfigjson": JSON.stringify({ auths: Object.fromEntries(usable) }) },
                defaultMount: "imagePull",
                mounts: ["imagePull"],
                type: "kubernetes.io/dockerconfigjson",
            };
        }
    }
}
