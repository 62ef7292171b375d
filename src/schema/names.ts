/**
 * Names and keys Kubernetes validates: DNS-1123 labels/subdomains, label keys and values, env var
 * names, Secret keys. Each error says what the rule is and proposes a value that passes it.
 */
import { z } from "zod";
import { closest, quote } from "../errors";
import { record } from "./input";
import { lazy } from "./lazy";

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
    return `${quote(value)} is not a valid Kubernetes name (lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${max} characters); use ${quote(toDnsLabel(value, max))}`;
}

const dnsLabels = new Map<number, z.ZodString>();

/**
 * A DNS-1123 label: object names of Services, Deployments, claims, namespaces (≤63). One schema per
 * `max`, built once: zod schemas are immutable, and building one costs ~100 µs (components call this
 * per instance).
 * @internal
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

/** A DNS-1123 subdomain: names of Secrets, PriorityClasses, StorageClasses (≤253, dots allowed). @internal */
export const dnsSubdomain = lazy(() =>
    z.string().refine(isDnsSubdomain, {
        error: (iss) =>
            `${quote(iss.input)} is not a valid DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters); use ${quote(
                String(iss.input)
                    .toLowerCase()
                    .replace(/[^a-z0-9.-]+/g, "-")
                    .replace(/^[-.]+|[-.]+$/g, "") || "x",
            )}`,
    }),
);

/** Why `key` is not a valid label/annotation key, or undefined when it is. */
export function qualifiedNameProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "has more than one '/'";
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && !isDnsSubdomain(prefix))
        return `prefix ${quote(prefix)} is not a DNS subdomain (e.g. "example.com")`;
    if (name.length === 0 || name.length > 63) return "name part must be 1-63 characters";
    if (!QUALIFIED_NAME.test(name))
        return "name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
    return undefined;
}

/** @internal */
export const labelKey = lazy(() =>
    z.string().superRefine((key, ctx) => {
        const problem = qualifiedNameProblem(key);
        if (problem)
            ctx.addIssue({ code: "custom", message: `label/annotation key ${quote(key)} is invalid: ${problem}` });
    }),
);

export function isLabelValue(v: string): boolean {
    return v === "" || (v.length <= 63 && QUALIFIED_NAME.test(v));
}

/** @internal */
export const labelValue = lazy(() =>
    z.string().refine(isLabelValue, {
        error: (iss) =>
            `label value ${quote(iss.input)} is invalid (at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric); use ${quote(
                String(iss.input)
                    .replace(/[^A-Za-z0-9_.-]+/g, "-")
                    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "")
                    .slice(0, 63),
            )}`,
    }),
);

export function isEnvName(s: string): boolean {
    return ENV_NAME.test(s);
}

export function envNameMessage(name: string): string {
    const fixed = name.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1");
    return `${quote(name)} is not a valid environment variable name (letters, digits and '_', not starting with a digit); use ${quote(fixed)}`;
}

/** @internal */
export const envName = lazy(() => z.string().refine(isEnvName, { error: (iss) => envNameMessage(String(iss.input)) }));

/** `.`, `..` and names starting with `..` are reserved: the kubelet's atomic writer uses `..data` and `..<timestamp>`. */
function isReservedKey(s: string): boolean {
    return s === "." || s.startsWith("..");
}

export function isSecretKey(s: string): boolean {
    return s.length > 0 && s.length <= 253 && SECRET_KEY.test(s) && !isReservedKey(s);
}

export function secretKeyMessage(key: string): string {
    if (isReservedKey(key)) {
        return `${quote(key)} is not a valid Secret key ('.', '..' and names starting with '..' are reserved by the kubelet); use ${quote(key.replace(/^\.+/, "") || "key")}`;
    }
    return `${quote(key)} is not a valid Secret key (letters, digits, '-', '_' and '.', at most 253 characters); use ${quote(
        key.replace(/[^-._a-zA-Z0-9]+/g, "_") || "key",
    )}`;
}

/** @internal */
export const secretKey = lazy(() =>
    z.string().refine(isSecretKey, { error: (iss) => secretKeyMessage(String(iss.input)) }),
);

/** @internal */
export const absolutePath = lazy(() =>
    z.string().refine((p) => p.startsWith("/"), {
        error: (iss) =>
            `${quote(iss.input)} is not an absolute path; use ${quote("/" + String(iss.input).replace(/^\.?\/*/, ""))}`,
    }),
);

/** Largest value of a Kubernetes int32 field (replicas, ports, probe timings, completions, …). */
export const INT32_MAX = 2 ** 31 - 1;

/** A non-negative int32 (`min` 0 unless given). @internal */
export const int32 = (min = 0) => z.number().int().min(min).max(INT32_MAX);

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1035 label: Service names (a letter first, so the name is a valid DNS host label and env var prefix). */
export function isDns1035Label(s: string): boolean {
    return s.length <= 63 && DNS1035_LABEL.test(s);
}

export function dns1035Message(value: string): string {
    const fixed = toDnsLabel(/^[a-z]/.test(value) ? value : `svc-${value}`, 63);
    return `${quote(value)} is not a valid Service name (a DNS-1035 label: lowercase letters, digits and '-', starting with a letter, at most 63 characters); set name: ${quote(fixed)}`;
}

/** Kubernetes' IsValidPortName (an IANA service name): ≤15 of [a-z0-9-], a letter, no "--", no '-' at either end. */
export function isPortName(s: string): boolean {
    return (
        s.length >= 1 &&
        s.length <= 15 &&
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) &&
        /[a-z]/.test(s) &&
        !s.includes("--")
    );
}

export function portNameMessage(name: string): string {
    let fixed = name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-{2,}/g, "-")
        .replace(/^-+/, "");
    if (!/[a-z]/.test(fixed)) fixed = `p${fixed}`;
    fixed = fixed.slice(0, 15).replace(/-+$/, "") || "port";
    return `${quote(name)} is not a valid port name (an IANA service name: at most 15 lowercase letters, digits and '-', with a letter, no "--", not starting or ending with '-'); use ${quote(fixed)}`;
}

/** @internal */
export const portName = lazy(() =>
    z.string().refine(isPortName, { error: (iss) => portNameMessage(String(iss.input)) }),
);

/** A volume subPath: relative, no `..` element (the kubelet refuses to leave the volume). */
export function isSubPath(p: string): boolean {
    return !p.startsWith("/") && !p.split("/").includes("..");
}

/** @internal */
export const subPath = lazy(() =>
    z.string().refine(isSubPath, {
        error: (iss) => `${quote(iss.input)} must be a relative path inside the volume (no leading '/', no '..')`,
    }),
);

/** The Downward API fields an env var may reference (validEnvDownwardAPIFieldPathExpressions, Kubernetes 1.34). */
export const DOWNWARD_ENV_FIELDS = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/** Whether `p` is a Downward API field for env: one of the fields above, or one label/annotation. */
export function isDownwardEnvField(p: string): boolean {
    if (DOWNWARD_ENV_FIELDS.includes(p)) return true;
    const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(p);
    return !!m && qualifiedNameProblem(m[2]) === undefined;
}

export function downwardEnvFieldMessage(p: string): string {
    const shown = [
        ...DOWNWARD_ENV_FIELDS.slice(0, 3),
        "metadata.labels['<key>']",
        "metadata.annotations['<key>']",
        ...DOWNWARD_ENV_FIELDS.slice(3),
    ];
    const guess = p.length <= 64 ? closest(p, DOWNWARD_ENV_FIELDS) : undefined;
    return `${quote(p.length > 80 ? `${p.slice(0, 80)}…` : p)} is not a Downward API field for env (${shown.join(", ")})${guess ? `; did you mean ${quote(guess)}?` : ""}`;
}

/** Kubernetes' limit on the total size of an object's annotations (keys + values). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** The total size of the plain annotations in `m` when it exceeds the limit, else undefined. */
export function annotationsTooLarge(m: Record<string, unknown>): number | undefined {
    let bytes = 0;
    for (const [k, v] of Object.entries(m))
        bytes += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
    return bytes > MAX_ANNOTATIONS_BYTES ? bytes : undefined;
}

export function annotationsSizeMessage(bytes: number): string {
    return `total size is ${bytes} bytes; Kubernetes limits an object's annotations to ${MAX_ANNOTATIONS_BYTES} bytes (256 KiB)`;
}

/**
 * Annotations mlkube sets on every object it emits, which a program may not set itself: the ownership marker
 * and the field manager (src/metadata.ts). Silently overriding the user's value would hide that two stacks are
 * kept apart by them; taking the user's value would let a program claim another stack's objects.
 */
export const RESERVED_ANNOTATIONS: Readonly<Record<string, string>> = {
    "mlkube.dev/stack":
        'is mlkube\'s ownership marker, set to "<project>/<stack>" on every object it emits; remove it (to move objects from one stack to another, see docs/operations.md, "Two stacks, one namespace")',
    "pulumi.com/patchFieldManager":
        'is set by mlkube to the stack\'s own field manager ("mlkube/<project>/<stack>") on every object it emits; remove it (see docs/operations.md, "Two stacks, one namespace")',
};

/** Annotations whose plain values fit Kubernetes' 256 KiB total, without mlkube's reserved keys. @internal */
export function annotationMap<V extends z.ZodType>(value: V) {
    return record(labelKey(), value).superRefine((m, ctx) => {
        for (const key of Object.keys(m)) {
            if (Object.hasOwn(RESERVED_ANNOTATIONS, key))
                ctx.addIssue({ code: "custom", path: [key], message: RESERVED_ANNOTATIONS[key] });
        }
        const bytes = annotationsTooLarge(m);
        if (bytes !== undefined) ctx.addIssue({ code: "custom", message: annotationsSizeMessage(bytes) });
    });
}
