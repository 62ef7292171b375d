/**
 * Offline rendering: the Kubernetes objects a Pulumi program would create, without a cluster, a
 * backend or the Pulumi CLI. The program runs under the Pulumi SDK's mocks (see collect.ts) with its
 * stack's config; every Kubernetes object it registers, from mlkube components or plain
 * `@pulumi/kubernetes` resources, comes back in an order `kubectl apply -f` accepts in one pass.
 *
 *     import { render, toYaml } from "mlkube/render";
 *     const { objects, errors } = await render("examples/quickstart", { stack: "dev" });
 *     process.stdout.write(toYaml(objects));
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { collect, CollectedResource, mockName, SecretValue } from "./collect";
import {
    forgetProgramModules,
    loadProject,
    loadStackConfig,
    programRequire,
    registerTypeScript,
    runMain,
    typeCheck,
} from "./program";
import { setRendering } from "../secret/checksum";

/** @internal */
export { collect, CollectedResource, SecretValue, mockName } from "./collect";
export { ProgramError } from "./program";
/** @internal */
export { secretPlaceholder, loadProject, loadStackConfig, Project, StackConfig } from "./program";

/** A Kubernetes object as it would be sent to the API server. */
export interface K8sObject {
    /** `apiVersion`, e.g. `apps/v1`. */
    apiVersion: string;
    /** `kind`, e.g. `Deployment`. */
    kind: string;
    /** Object metadata; `name` is always set (auto-named objects get Pulumi's deterministic name). */
    metadata: {
        /** `metadata.name`. */
        name: string;
        /** `metadata.namespace`; undefined for cluster-scoped objects and objects in the provider's default namespace. */
        namespace?: string;
        /** `metadata.labels`. */
        labels?: Record<string, string>;
        /** `metadata.annotations`. */
        annotations?: Record<string, string>;
        [k: string]: unknown;
    };
    [field: string]: unknown;
}

/** Options of {@link render}. */
export interface RenderOptions {
    /** Stack whose `Pulumi.<stack>.yaml` supplies config. Default: the only stack file, else `dev`. */
    stack?: string;
    /** Render secret values instead of placeholders. Default false. */
    showSecrets?: boolean;
    /** Config overriding the stack file's (`key` or `namespace:key` → value; objects are JSON-encoded). */
    config?: Record<string, unknown>;
    /** Type-check the program first, as `pulumi up` does by default. Default false (transpile only). */
    typeCheck?: boolean;
    /** Fail when the program has not finished after this many seconds. Default 60 (`Infinity`: no limit). */
    timeoutSeconds?: number;
}

/** Default of `RenderOptions.timeoutSeconds` and of `mlkube render --timeout`. */
export const DEFAULT_TIMEOUT_SECONDS = 60;

/** Result of {@link render}. */
export interface Rendered {
    /** The Kubernetes objects, in apply order, secrets redacted unless `showSecrets`. */
    objects: K8sObject[];
    /** Where each object came from, parallel to `objects`. */
    sources: ObjectSource[];
    /** Everything the program registered (components too), as collected; secrets wrapped in SecretValue. @internal */
    resources: CollectedResource[];
    /** Errors the program raised (validation errors of components, thrown exceptions). Non-empty means failure. */
    errors: Error[];
    /** Things the renderer could not render (e.g. Helm releases, which the provider expands at deploy time). */
    warnings: string[];
    /** The project name from Pulumi.yaml. */
    project: string;
    /** The stack whose config was used. */
    stack: string;
}

/** The Pulumi resource an object was rendered from. */
export interface ObjectSource {
    /** Pulumi type token of the resource, e.g. `kubernetes:apps/v1:Deployment`. */
    type: string;
    /** Pulumi resource name. */
    name: string;
    /** `<type>::<name>` of the parent component, if any. */
    parent?: string;
    /** Whether `metadata.name` was assigned by auto-naming. */
    autoNamed: boolean;
}

/** The string secret values render as. */
export const REDACTED = "<redacted>";

/** Kubernetes resource types that are not objects (the provider expands or applies them at deploy time). */
const NOT_RENDERABLE =
    /^kubernetes:(helm\.sh\/v[34]:(Release|Chart)|yaml\/v2:ConfigGroup|yaml\/v2:ConfigFile|kustomize\/v2:Directory|.*Patch$)/;

let rendering = false;

/** Renders the Pulumi program in `programDir`. Throws only for problems with the project files; the program's own errors are in `errors`. */
export async function render(programDir: string, options: RenderOptions = {}): Promise<Rendered> {
    const project = loadProject(programDir);
    const stack = loadStackConfig(project, options.stack, options.config);
    if (rendering) throw new Error("render() is already running; programs are rendered one at a time");
    rendering = true;
    const unregister = project.typescript ? registerTypeScript(project) : () => undefined;
    const cwd = process.cwd();
    try {
        if (options.typeCheck && project.typescript) typeCheck(project);
        forgetProgramModules(project);
        // Pulumi runs programs from their directory (relative paths in programs resolve from it).
        process.chdir(project.dir);
        // No state and no decrypted config offline: Secret checksums render as a placeholder.
        setRendering(true);
        const collected = await collect(() => runMain(project), {
            project: project.name,
            stack: stack.stack,
            config: stack.config,
            secretConfigKeys: stack.secretKeys,
            require: programRequire(project),
            timeoutSeconds: options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        });
        const { objects, sources, warnings } = toObjects(collected.resources, options.showSecrets ?? false);
        return {
            objects,
            sources,
            resources: collected.resources,
            errors: collected.errors,
            warnings,
            project: project.name,
            stack: stack.stack,
        };
    } finally {
        setRendering(false);
        process.chdir(cwd);
        unregister();
        forgetProgramModules(project);
        rendering = false;
    }
}

/** The Kubernetes objects among collected resources, in apply order. @internal */
export function toObjects(
    resources: CollectedResource[],
    showSecrets = false,
): { objects: K8sObject[]; sources: ObjectSource[]; warnings: string[] } {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const warnings: string[] = [];
    const entries: Array<{ object: K8sObject; source: ObjectSource }> = [];
    for (const r of resources) {
        if (!r.type.startsWith("kubernetes:") || !r.custom) continue;
        if (NOT_RENDERABLE.test(r.type) || r.type.endsWith("List")) {
            warnings.push(`${r.type} "${r.name}" is not rendered: the provider expands or applies it at deploy time`);
            continue;
        }
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        const { object, autoNamed } = toObject(r, showSecrets);
        entries.push({
            object,
            source: {
                type: r.type,
                name: r.name,
                parent: parent ? `${parent.type}::${parent.name}` : undefined,
                autoNamed,
            },
        });
    }
    entries.sort((a, b) => compareObjects(a.object, b.object));
    return { objects: entries.map((e) => e.object), sources: entries.map((e) => e.source), warnings };
}

/** `kubernetes:apps/v1:Deployment` → `apps/v1`, `Deployment`; `core/v1` is `v1`. */
function typeToGvk(type: string): { apiVersion: string; kind: string } {
    const [, groupVersion, kind] = type.split(":");
    return { apiVersion: groupVersion.startsWith("core/") ? groupVersion.slice(5) : groupVersion, kind };
}

function toObject(r: CollectedResource, showSecrets: boolean): { object: K8sObject; autoNamed: boolean } {
    const inputs = plain(r.inputs) as Record<string, unknown>;
    const gvk = typeToGvk(r.type);
    const {
        apiVersion = gvk.apiVersion,
        kind = gvk.kind,
        metadata: rawMd,
        ...rest
    } = inputs as { apiVersion?: string; kind?: string; metadata?: Record<string, unknown> };
    const md = { ...(rawMd ?? {}) };
    const autoNamed = md.name === undefined && md.generateName === undefined;
    if (autoNamed) md.name = mockName(r.type, r.name);
    const { name, namespace, labels, annotations, ...mdRest } = md;
    const metadata = compact({ name, namespace, labels, annotations, ...mdRest }) as K8sObject["metadata"];
    let object = { apiVersion, kind, metadata, ...rest } as K8sObject;
    if (!showSecrets) object = redact(object) as K8sObject;
    else object = reveal(object) as K8sObject;
    return { object, autoNamed };
}

/**
 * Drops undefined/null fields (Pulumi does not send them) and moves SecretValue markers down to the
 * leaves: a secret object (e.g. a whole `metadata` given as a secret) becomes an object of secret
 * leaves, so its structure stays readable (names, nesting) and only values are redacted.
 */
function plain(v: unknown, secret = false): unknown {
    if (v instanceof SecretValue) return plain(v.value, true);
    if (Array.isArray(v)) return v.map((e) => plain(e, secret));
    if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(v)) if (e !== undefined && e !== null) out[k] = plain(e, secret);
        return out;
    }
    return secret ? new SecretValue(v) : v;
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function reveal(v: unknown): unknown {
    if (v instanceof SecretValue) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, reveal(e)]));
    return v;
}

const REDACTED_B64 = Buffer.from(REDACTED).toString("base64");

/**
 * Replaces secret values with placeholders while keeping the object valid: Pulumi secrets anywhere
 * and every value of a Secret's `data`/`stringData` (keys kept). Base64 fields get base64("<redacted>").
 */
function redact(obj: K8sObject): unknown {
    const hide = (v: unknown, b64: boolean): unknown => {
        if (v instanceof SecretValue) return hide(v.value, b64);
        if (Array.isArray(v)) return v.map((e) => hide(e, b64));
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, hide(e, b64)]));
        if (typeof v === "string") return b64 ? REDACTED_B64 : REDACTED;
        if (typeof v === "number") return 0;
        if (typeof v === "boolean") return false;
        return v;
    };
    const walk = (v: unknown, p: string[]): unknown => {
        if (v instanceof SecretValue) return hide(v.value, isBase64Field(obj, p));
        if (Array.isArray(v)) return v.map((e, i) => walk(e, [...p, String(i)]));
        if (v && typeof v === "object")
            return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, [...p, k])]));
        return v;
    };
    const out = walk(obj, []) as K8sObject;
    if (obj.kind === "Secret" && obj.apiVersion === "v1") {
        for (const field of ["data", "stringData"] as const) {
            const m = out[field];
            if (m && typeof m === "object") out[field] = hide(m, field === "data");
        }
    }
    return out;
}

function isBase64Field(obj: K8sObject, p: string[]): boolean {
    return (obj.kind === "Secret" && p[0] === "data") || (obj.kind === "ConfigMap" && p[0] === "binaryData");
}

// ---------------------------------------------------------------------------------------------
// Apply order

/**
 * Kinds in the order `kubectl apply -f` needs them in one pass: namespaces and CRDs, cluster
 * policy, identities, config and secrets, storage, services, then workloads (runtimes before the
 * TrainJobs that reference them), then objects that point at workloads. Unknown kinds go last.
 */
export const APPLY_ORDER = [
    "Namespace",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "RuntimeClass",
    "ResourceQuota",
    "LimitRange",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Service",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ClusterTrainingRuntime",
    "TrainingRuntime",
    "JobSet",
    "TrainJob",
    "HorizontalPodAutoscaler",
    "IngressClass",
    "Ingress",
];

function rank(kind: string): number {
    const i = APPLY_ORDER.indexOf(kind);
    return i < 0 ? APPLY_ORDER.length : i;
}

function compareObjects(a: K8sObject, b: K8sObject): number {
    return (
        rank(a.kind) - rank(b.kind) ||
        a.kind.localeCompare(b.kind) ||
        a.apiVersion.localeCompare(b.apiVersion) ||
        (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
        String(a.metadata.name).localeCompare(String(b.metadata.name))
    );
}

// ---------------------------------------------------------------------------------------------
// Output

/**
 * YAML output options. `compat: "yaml-1.1"`: strings that a YAML 1.1 reader (kubectl, Go's yaml
 * packages) would read as something else (`yes`, `on`, `n`, `1_000`, `2024-01-31`, `1:20`) are quoted.
 */
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false, compat: "yaml-1.1" } as const;

/** Text for a one-line comment: line breaks (YAML 1.1's too) and other control characters escaped. */
function commentText(s: string): string {
    return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// eslint-disable-next-line no-control-regex -- escaping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** One YAML document (no `---`), with an optional `# Source:` comment line. */
export function objectYaml(object: K8sObject, source?: ObjectSource): string {
    const head = source
        ? `# Source: ${commentText(`${source.parent ? `${source.parent} / ` : ""}${source.type}::${source.name}${source.autoNamed ? " (auto-named)" : ""}`)}\n`
        : "";
    return head + YAML.stringify(object, YAML_OPTIONS);
}

/** Multi-document YAML of the objects, in the order given. */
export function toYaml(objects: K8sObject[], sources?: ObjectSource[]): string {
    return objects.map((o, i) => `---\n${objectYaml(o, sources?.[i])}`).join("");
}

/** The file `writeDir` writes an object to: `NN-<kind>-<namespace>-<name>.yaml` (no namespace part if none). */
export function fileName(object: K8sObject, index: number, count: number): string {
    const nn = String(index + 1).padStart(Math.max(2, String(count).length), "0");
    const parts = [nn, object.kind.toLowerCase(), object.metadata.namespace, object.metadata.name].filter(
        (p): p is string => !!p,
    );
    return `${parts.join("-").replace(/[^A-Za-z0-9._-]/g, "_")}.yaml`;
}

/** Names of the files `writeDir` writes (and replaces). */
export const RENDERED_FILE = /^\d{2,}-[A-Za-z0-9._-]+\.yaml$/;

/**
 * Writes one file per object into `dir` (created if needed), names prefixed by apply order.
 * Files a previous render wrote there (`NN-*.yaml`) are removed first, so the directory holds
 * exactly this render; other files are left alone. Returns the paths written.
 */
export function writeDir(objects: K8sObject[], dir: string, sources?: ObjectSource[]): string[] {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) if (RENDERED_FILE.test(f)) fs.rmSync(path.join(dir, f));
    return objects.map((o, i) => {
        const file = path.join(dir, fileName(o, i, objects.length));
        fs.writeFileSync(file, objectYaml(o, sources?.[i]));
        return file;
    });
}
