/**
 * Names and keys Kubernetes validates: DNS-1123 labels/subdomains, label keys and values, env var
 * names, Secret keys. Each error says what the rule is and proposes a value that passes it.
 */
import { z } from "zod";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Lowercases and replaces what DNS-1123 forbids, trimming to `max` characters. */
export function toDnsLabel(s: string, max = 63): string {
    const out = s
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+/, "")
        .slice(0, max)
        .replace(/-+$/, "");
    return out || "x";
}

export function isDnsLabel(s: string, max = 63): boolean {
    return s.length <= max && DNS_LABEL.test(s);
}

export function dnsLabelMessage(value: string, max = 63): string {
    return `${JSON.stringify(value)} is not a valid Kubernetes name (lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${max} characters); use ${JSON.stringify(toDnsLabel(value, max))}`;
}

const dnsLabels = new Map<number, z.ZodString>();

/**
 * A DNS-1123 label: object names of Services, Deployments, claims, namespaces (≤63). One schema per
 * `max`, built once: zod schemas are immutable, and building one costs ~100 µs (components call this
 * per instance).
 */
export const dnsLabel = (max = 63): z.ZodString => {
    let s = dnsLabels.get(max);
    if (!s) {
        s = z.string().refine((v) => isDnsLabel(v, max), { error: (iss) => dnsLabelMessage(String(iss.input), max) });
        dnsLabels.set(max, s);
    }
    return s;
};

export function isDnsSubdomain(s: string): boolean {
    return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/** A DNS-1123 subdomain: names of Secrets, PriorityClasses, StorageClasses (≤253, dots allowed). */
export const dnsSubdomain = z.string().refine(isDnsSubdomain, {
    error: (iss) =>
        `${JSON.stringify(iss.input)} is not a valid DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters); use ${JSON.stringify(
            String(iss.input).toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "") || "x",
        )}`,
});

/** Why `key` is not a valid label/annotation key, or undefined when it is. */
export function qualifiedNameProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "has more than one '/'";
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && !isDnsSubdomain(prefix)) return `prefix ${JSON.stringify(prefix)} is not a DNS subdomain (e.g. "example.com")`;
    if (name.length === 0 || name.length > 63) return "name part must be 1-63 characters";
    if (!QUALIFIED_NAME.test(name)) return "name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
    return undefined;
}

export const labelKey = z.string().superRefine((key, ctx) => {
    const problem = qualifiedNameProblem(key);
    if (problem) ctx.addIssue({ code: "custom", message: `label/annotation key ${JSON.stringify(key)} is invalid: ${problem}` });
});

export function isLabelValue(v: string): boolean {
    return v === "" || (v.length <= 63 && QUALIFIED_NAME.test(v));
}

export const labelValue = z.string().refine(isLabelValue, {
    error: (iss) =>
        `label value ${JSON.stringify(iss.input)} is invalid (at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric); use ${JSON.stringify(
            String(iss.input).replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "").slice(0, 63),
        )}`,
});

export function isEnvName(s: string): boolean {
    return ENV_NAME.test(s);
}

export function envNameMessage(name: string): string {
    const fixed = name.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1");
    return `${JSON.stringify(name)} is not a valid environment variable name (letters, digits and '_', not starting with a digit); use ${JSON.stringify(fixed)}`;
}

export const envName = z.string().refine(isEnvName, { error: (iss) => envNameMessage(String(iss.input)) });

export function isSecretKey(s: string): boolean {
    return s.length > 0 && s.length <= 253 && SECRET_KEY.test(s);
}

export function secretKeyMessage(key: string): string {
    return `${JSON.stringify(key)} is not a valid Secret key (letters, digits, '-', '_' and '.', at most 253 characters); use ${JSON.stringify(
        key.replace(/[^-._a-zA-Z0-9]+/g, "_") || "key",
    )}`;
}

export const secretKey = z.string().refine(isSecretKey, { error: (iss) => secretKeyMessage(String(iss.input)) });

export const absolutePath = z.string().refine((p) => p.startsWith("/"), {
    error: (iss) => `${JSON.stringify(iss.input)} is not an absolute path; use ${JSON.stringify("/" + String(iss.input).replace(/^\.?\/*/, ""))}`,
});
