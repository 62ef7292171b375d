/**
 * THE shared schema conformance check for rendered Kubernetes objects. Unit tests, end-to-end
 * suites and the examples' golden tests all use it, so "conforms" means the same thing everywhere.
 *
 *     import { assertValidK8s, assertValidCrd, assertConforms, validateObject } from "./conformance";
 *
 * - Core kinds (`v1`, `apps/v1`, `batch/v1`, `autoscaling/v2`, ...): the installed `kubernetes-models`
 *   package's `validate()` (the upstream OpenAPI schemas compiled with ajv), plus metadata checks the
 *   API server does that the OpenAPI schema does not (names are DNS-1123, label syntax).
 * - API-server rules the schemas do not express (apiServerErrors): port names are IANA service names
 *   and unique, containerPort/protocol pairs unique, probes name declared ports, nodePort in the default
 *   range, Secret keys and item paths ('.', '..', '..x' reserved), subPath relative without '..', env
 *   fieldRefs are Downward API fields, annotations ≤ 256 KiB. Applied to core kinds and JobSet pod templates.
 * - CRD kinds (JobSet, TrainJob, TrainingRuntime, ClusterTrainingRuntime): ajv against the
 *   `openAPIV3Schema` of the CRD's served version, read from the upstream CRD YAMLs, treated as a
 *   structural schema the way the API server does with strict field validation (`kubectl apply`'s
 *   default): unknown fields are errors unless `x-kubernetes-preserve-unknown-fields`;
 *   `x-kubernetes-int-or-string` accepts integers or strings; `x-kubernetes-list-type: map|set`
 *   checks key uniqueness; `int32`/`int64`/`date-time`/`byte` formats are checked. CEL rules
 *   (`x-kubernetes-validations`) are NOT evaluated.
 *
 * CRDs are located (never copied into this repo) via, in order: env `MLKUBE_CRDS_DIR`;
 * `../shared/crds` next to the repo; the Go module cache (`go mod download -json
 * sigs.k8s.io/jobset@v0.12.0` and `github.com/kubeflow/trainer/v2@v2.3.0`).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import * as YAML from "yaml";

type Obj = Record<string, unknown>;

/** The CRD files this module knows about, relative to a CRDs directory. */
const CRD_FILES = [
    "jobset.x-k8s.io_jobsets.yaml",
    "trainer.kubeflow.org_trainjobs.yaml",
    "trainer.kubeflow.org_trainingruntimes.yaml",
    "trainer.kubeflow.org_clustertrainingruntimes.yaml",
];

const GO_MODULES: Array<{ module: string; files: Record<string, string> }> = [
    { module: "sigs.k8s.io/jobset@v0.12.0", files: { "jobset.x-k8s.io_jobsets.yaml": "config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml" } },
    {
        module: "github.com/kubeflow/trainer/v2@v2.3.0",
        files: Object.fromEntries(
            ["trainjobs", "trainingruntimes", "clustertrainingruntimes"].map((k) => [`trainer.kubeflow.org_${k}.yaml`, `manifests/base/crds/trainer.kubeflow.org_${k}.yaml`]),
        ),
    },
];

/** Absolute paths of the CRD YAMLs, by file name. Throws with instructions when none can be found. */
export function locateCrds(): Record<string, string> {
    const tried: string[] = [];
    const dirs = [process.env.MLKUBE_CRDS_DIR, path.resolve(__dirname, "..", "..", "shared", "crds")].filter((d): d is string => !!d);
    for (const dir of dirs) {
        tried.push(dir);
        if (CRD_FILES.every((f) => fs.existsSync(path.join(dir, f)))) return Object.fromEntries(CRD_FILES.map((f) => [f, path.join(dir, f)]));
    }
    const out: Record<string, string> = {};
    for (const { module, files } of GO_MODULES) {
        tried.push(`go mod download ${module}`);
        let dir: string | undefined;
        try {
            const json = execFileSync("go", ["mod", "download", "-json", module], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: __dirname });
            dir = (JSON.parse(json) as { Dir?: string }).Dir;
        } catch {
            dir = undefined;
        }
        if (!dir) break;
        for (const [name, rel] of Object.entries(files)) out[name] = path.join(dir, rel);
    }
    if (CRD_FILES.every((f) => out[f] && fs.existsSync(out[f]))) return out;
    throw new Error(`conformance: cannot find the JobSet/Trainer CRDs; set MLKUBE_CRDS_DIR. Tried: ${tried.join("; ")}`);
}

// ---------------------------------------------------------------------------------------------
// CRD schemas

interface CrdVersion {
    group: string;
    kind: string;
    version: string;
    scope: "Namespaced" | "Cluster";
    /** Compiled on first use (the schemas are large). */
    validate: () => ValidateFunction;
}

let crdIndex: Map<string, CrdVersion> | undefined;

function makeAjv(): Ajv {
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, discriminator: false });
    const int = (min: number, max: number) => ({ type: "number" as const, validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
    ajv.addFormat("int32", int(-(2 ** 31), 2 ** 31 - 1));
    ajv.addFormat("int64", int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    ajv.addFormat("double", { type: "number", validate: () => true });
    ajv.addFormat("float", { type: "number", validate: () => true });
    ajv.addFormat("byte", { type: "string", validate: (s: string) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s) });
    ajv.addFormat("date-time", { type: "string", validate: (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s) });
    ajv.addFormat("int-or-string", { type: "string", validate: () => true });
    for (const kw of ["x-kubernetes-map-type", "x-kubernetes-validations", "x-kubernetes-embedded-resource", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-list-map-keys"]) {
        ajv.addKeyword({ keyword: kw });
    }
    ajv.addKeyword({
        keyword: "x-kubernetes-int-or-string",
        validate: (on: boolean, data: unknown) => !on || typeof data === "string" || (typeof data === "number" && Number.isInteger(data)),
        errors: false,
    });
    ajv.addKeyword({
        keyword: "x-kubernetes-list-type",
        type: "array",
        schemaType: "string",
        compile(listType: string, parent: Obj) {
            const keys = (parent["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
            const check = (data: unknown[]): boolean => {
                if (listType === "atomic") return true;
                const seen = new Set<string>();
                for (const item of data) {
                    const key = listType === "map" ? JSON.stringify(keys.map((k) => (item as Obj)?.[k])) : JSON.stringify(item);
                    if (seen.has(key)) {
                        (check as unknown as { errors: unknown[] }).errors = [
                            { keyword: "x-kubernetes-list-type", message: listType === "map" ? `duplicate entry for key ${keys.join(",")}=${key}` : `duplicate item ${key}`, params: {} },
                        ];
                        return false;
                    }
                    seen.add(key);
                }
                return true;
            };
            return check;
        },
    });
    return ajv;
}

/**
 * Makes a CRD schema structural the way the API server reads it: objects with `properties` reject
 * unknown fields (unless preserve-unknown-fields), and `metadata` is checked separately as ObjectMeta.
 */
function structural(schema: unknown, atRoot = true): unknown {
    if (Array.isArray(schema)) return schema.map((s) => structural(s, false));
    if (!schema || typeof schema !== "object") return schema;
    const s: Obj = {};
    for (const [k, v] of Object.entries(schema as Obj)) {
        if (k === "properties") {
            s[k] = Object.fromEntries(Object.entries(v as Obj).map(([p, ps]) => [p, structural(ps, false)]));
        } else if (k === "description") {
            continue; // smaller compiled validators
        } else {
            s[k] = structural(v, false);
        }
    }
    if (s.properties && s.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"]) s.additionalProperties = false;
    if (atRoot) {
        const props = s.properties as Obj;
        props.apiVersion = { type: "string" };
        props.kind = { type: "string" };
        props.metadata = { type: "object" };
        delete props.status; // a rendered object never carries status
        s.required = Array.from(new Set([...((s.required as string[]) ?? []), "apiVersion", "kind", "metadata"]));
    }
    return s;
}

function loadCrdIndex(): Map<string, CrdVersion> {
    if (crdIndex) return crdIndex;
    const ajv = makeAjv();
    const index = new Map<string, CrdVersion>();
    for (const file of Object.values(locateCrds())) {
        for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
            const crd = doc.toJS() as Obj | null;
            if (!crd || crd.kind !== "CustomResourceDefinition") continue;
            const spec = crd.spec as { group: string; scope: "Namespaced" | "Cluster"; names: { kind: string }; versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema: unknown } }> };
            for (const v of spec.versions) {
                if (!v.served || !v.schema) continue;
                const key = `${spec.group}/${v.name}/${spec.names.kind}`;
                let compiled: ValidateFunction | undefined;
                const schema = v.schema.openAPIV3Schema;
                index.set(key, {
                    group: spec.group,
                    version: v.name,
                    kind: spec.names.kind,
                    scope: spec.scope,
                    validate: () => (compiled ??= ajv.compile(structural(schema) as object)),
                });
            }
        }
    }
    crdIndex = index;
    return index;
}

/** Whether `apiVersion`/`kind` is one of the CRD kinds this module validates. */
export function isCrdKind(apiVersion: string, kind: string): boolean {
    if (!apiVersion.includes(".") || !apiVersion.includes("/")) return false;
    return loadCrdIndex().has(`${apiVersion}/${kind}`);
}

// ---------------------------------------------------------------------------------------------
// Metadata checks shared by both paths

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kinds whose names must be DNS-1123 labels (not subdomains) or DNS-1035 labels. */
const LABEL_NAMED = new Set(["Namespace", "Pod", "Deployment", "StatefulSet", "Job", "CronJob", "JobSet", "TrainJob"]);
const DNS1035_NAMED = new Set(["Service"]);

function qualifiedNameErrors(what: string, key: string): string[] {
    const slash = key.lastIndexOf("/");
    const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
    const errs: string[] = [];
    if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) errs.push(`${what} key ${JSON.stringify(key)}: prefix must be a DNS-1123 subdomain`);
    if (name.length > 63 || !LABEL_NAME.test(name)) errs.push(`${what} key ${JSON.stringify(key)}: name part must be ≤63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric`);
    return errs;
}

function metadataErrors(obj: Obj): string[] {
    const errs: string[] = [];
    const kind = String(obj.kind);
    const md = obj.metadata as Obj | undefined;
    if (!md || typeof md !== "object") return ["metadata: required"];
    const name = md.name;
    if (typeof name !== "string" || name === "") {
        if (typeof md.generateName !== "string") errs.push("metadata.name: required");
    } else if (DNS1035_NAMED.has(kind)) {
        if (name.length > 63 || !DNS1035_LABEL.test(name)) errs.push(`metadata.name: ${JSON.stringify(name)} must be a DNS-1035 label (≤63 lowercase alphanumerics or '-', starting with a letter)`);
    } else if (LABEL_NAMED.has(kind)) {
        if (name.length > 63 || !DNS1123_LABEL.test(name)) errs.push(`metadata.name: ${JSON.stringify(name)} must be a DNS-1123 label (≤63 lowercase alphanumerics or '-')`);
    } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
        errs.push(`metadata.name: ${JSON.stringify(name)} must be a DNS-1123 subdomain`);
    }
    if (md.namespace !== undefined && (typeof md.namespace !== "string" || !DNS1123_LABEL.test(md.namespace) || md.namespace.length > 63)) {
        errs.push(`metadata.namespace: ${JSON.stringify(md.namespace)} must be a DNS-1123 label`);
    }
    for (const [field, isLabels] of [["labels", true], ["annotations", false]] as const) {
        const m = md[field];
        if (m === undefined) continue;
        if (!m || typeof m !== "object" || Array.isArray(m)) {
            errs.push(`metadata.${field}: must be a map of strings`);
            continue;
        }
        for (const [k, v] of Object.entries(m as Obj)) {
            errs.push(...qualifiedNameErrors(`metadata.${field}`, k));
            if (typeof v !== "string") errs.push(`metadata.${field}[${JSON.stringify(k)}]: must be a string`);
            else if (isLabels && (v.length > 63 || !LABEL_VALUE.test(v))) errs.push(`metadata.labels[${JSON.stringify(k)}]: value ${JSON.stringify(v)} is not a valid label value`);
        }
    }
    return errs;
}

/** ObjectMeta against the upstream schema (borrowing ConfigMap's compiled validator for it). */
function objectMetaSchemaErrors(md: unknown): string[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ConfigMap } = require("kubernetes-models/v1/ConfigMap") as { ConfigMap: new (d: unknown) => { validate(): void } };
    try {
        new ConfigMap({ metadata: md }).validate();
        return [];
    } catch (e) {
        return modelErrors(e);
    }
}

function modelErrors(e: unknown): string[] {
    const errors = (e as { errors?: Array<{ instancePath?: string; message?: string; params?: Obj }> }).errors;
    if (Array.isArray(errors) && errors.length) {
        return errors.map((x) => `${(x.instancePath ?? "").replace(/^\//, "").replace(/\//g, ".") || "(root)"}: ${x.message}${x.params && "additionalProperty" in x.params ? ` (${String(x.params.additionalProperty)})` : ""}`);
    }
    return [e instanceof Error ? e.message : String(e)];
}

// ---------------------------------------------------------------------------------------------
// API-server rules the OpenAPI schema does not express (pkg/apis/core/validation, Kubernetes 1.34)

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const DOWNWARD_ENV = new Set(["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"]);
const MAX_ANNOTATIONS = 256 * 1024;

function portNameErrors(where: string, name: unknown): string[] {
    if (typeof name !== "string") return [];
    const ok = name.length <= 15 && IANA_SVC_NAME.test(name) && /[a-z]/.test(name) && !name.includes("--");
    return ok ? [] : [`${where}: ${JSON.stringify(name)} is not an IANA service name (≤15 of [a-z0-9-], a letter, no "--")`];
}

function secretKeyErrors(where: string, key: unknown): string[] {
    if (typeof key !== "string") return [];
    const ok = key.length > 0 && key.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(key) && key !== "." && !key.startsWith("..");
    return ok ? [] : [`${where}: ${JSON.stringify(key)} is not a valid Secret key`];
}

function relativePathErrors(where: string, p: unknown, what: string): string[] {
    if (typeof p !== "string") return [];
    return p.startsWith("/") || p.split("/").includes("..") || (what === "item path" && p.startsWith("..")) ? [`${where}: ${what} ${JSON.stringify(p)} must be relative without '..'`] : [];
}

function annotationErrors(where: string, md: unknown): string[] {
    const a = (md as Obj | undefined)?.annotations;
    if (!a || typeof a !== "object") return [];
    let bytes = 0;
    for (const [k, v] of Object.entries(a as Obj)) bytes += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
    return bytes > MAX_ANNOTATIONS ? [`${where}.annotations: ${bytes} bytes exceed the 256 KiB limit`] : [];
}

function podSpecErrors(where: string, spec: unknown): string[] {
    if (!spec || typeof spec !== "object") return [];
    const errs: string[] = [];
    const ps = spec as Obj;
    const names = new Set<string>();
    for (const field of ["initContainers", "containers"]) {
        const list = ps[field];
        if (!Array.isArray(list)) continue;
        list.forEach((c: Obj, i) => {
            const at = `${where}.${field}[${i}]`;
            const ports = Array.isArray(c?.ports) ? (c.ports as Obj[]) : [];
            const portNames = new Set<string>();
            const seen = new Set<string>();
            ports.forEach((p, j) => {
                errs.push(...portNameErrors(`${at}.ports[${j}].name`, p?.name));
                if (typeof p?.name === "string") {
                    if (names.has(p.name)) errs.push(`${at}.ports[${j}].name: duplicate port name ${JSON.stringify(p.name)} in the pod`);
                    names.add(p.name);
                    portNames.add(p.name);
                }
                const key = `${String(p?.containerPort)}/${String(p?.protocol ?? "TCP")}`;
                if (seen.has(key)) errs.push(`${at}.ports[${j}]: duplicate containerPort/protocol ${key}`);
                seen.add(key);
            });
            for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
                const pr = c?.[probe] as Obj | undefined;
                for (const kind of ["httpGet", "tcpSocket"]) {
                    const port = (pr?.[kind] as Obj | undefined)?.port;
                    if (typeof port === "string" && !portNames.has(port)) errs.push(`${at}.${probe}.${kind}.port: ${JSON.stringify(port)} names no container port`);
                }
            }
            ((c?.volumeMounts as Obj[] | undefined) ?? []).forEach((m, j) => errs.push(...relativePathErrors(`${at}.volumeMounts[${j}].subPath`, m?.subPath, "subPath")));
            ((c?.env as Obj[] | undefined) ?? []).forEach((e, j) => {
                const vf = e?.valueFrom as Obj | undefined;
                const fp = (vf?.fieldRef as Obj | undefined)?.fieldPath;
                if (typeof fp === "string" && !DOWNWARD_ENV.has(fp) && !/^metadata\.(labels|annotations)\['[^']+'\]$/.test(fp)) {
                    errs.push(`${at}.env[${j}].valueFrom.fieldRef.fieldPath: ${JSON.stringify(fp)} is not a Downward API field for env`);
                }
                errs.push(...secretKeyErrors(`${at}.env[${j}].valueFrom.secretKeyRef.key`, (vf?.secretKeyRef as Obj | undefined)?.key));
            });
        });
    }
    ((ps.volumes as Obj[] | undefined) ?? []).forEach((v, i) => {
        ((v?.secret as Obj | undefined)?.items as Obj[] | undefined ?? []).forEach((it, j) => {
            errs.push(...secretKeyErrors(`${where}.volumes[${i}].secret.items[${j}].key`, it?.key));
            errs.push(...relativePathErrors(`${where}.volumes[${i}].secret.items[${j}].path`, it?.path, "item path"));
        });
    });
    return errs;
}

/** The rules above for one object: its pod templates, Service ports, Secret keys, annotation size. */
export function apiServerErrors(obj: Obj): string[] {
    const errs = annotationErrors("metadata", obj.metadata);
    const spec = obj.spec as Obj | undefined;
    const templates: Array<[string, unknown]> = [];
    if (spec?.template) templates.push(["spec.template", spec.template]);
    if (Array.isArray(spec?.replicatedJobs)) {
        (spec.replicatedJobs as Obj[]).forEach((rj, i) => templates.push([`spec.replicatedJobs[${i}].template.spec.template`, ((rj?.template as Obj | undefined)?.spec as Obj | undefined)?.template]));
    }
    for (const [where, t] of templates) {
        errs.push(...annotationErrors(`${where}.metadata`, (t as Obj | undefined)?.metadata));
        errs.push(...podSpecErrors(`${where}.spec`, (t as Obj | undefined)?.spec));
    }
    if (obj.kind === "Service" && Array.isArray(spec?.ports)) {
        const names = new Set<string>();
        (spec.ports as Obj[]).forEach((p, i) => {
            errs.push(...portNameErrors(`spec.ports[${i}].name`, p?.name));
            if (typeof p?.name === "string") {
                if (names.has(p.name)) errs.push(`spec.ports[${i}].name: duplicate port name ${JSON.stringify(p.name)}`);
                names.add(p.name);
            }
            if (typeof p?.nodePort === "number" && (p.nodePort < 30000 || p.nodePort > 32767)) errs.push(`spec.ports[${i}].nodePort: ${p.nodePort} is outside the default node-port range 30000-32767`);
        });
    }
    if (obj.kind === "Secret") {
        for (const field of ["data", "stringData"]) {
            const m = obj[field];
            if (m && typeof m === "object" && !Array.isArray(m)) for (const k of Object.keys(m)) errs.push(...secretKeyErrors(`${field}`, k));
        }
    }
    return errs;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Validation errors for a core Kubernetes object (empty when valid). */
export function k8sErrors(obj: Obj): string[] {
    const apiVersion = obj.apiVersion;
    const kind = obj.kind;
    if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion and kind are required strings"];
    const dir = apiVersion; // "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1
    let Model: (new (d: unknown) => { validate(): void }) | undefined;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        Model = (require(`kubernetes-models/${dir}/${kind}`) as Record<string, new (d: unknown) => { validate(): void }>)[kind];
    } catch {
        Model = undefined;
    }
    if (!Model) return [`${apiVersion} ${kind}: not a core Kubernetes kind known to kubernetes-models`];
    const errs = [...metadataErrors(obj), ...apiServerErrors(obj)];
    try {
        new Model(obj).validate();
    } catch (e) {
        errs.push(...modelErrors(e));
    }
    return errs;
}

/** Validation errors for a JobSet/Trainer custom resource (empty when valid). */
export function crdErrors(obj: Obj): string[] {
    const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
    const crd = loadCrdIndex().get(key);
    if (!crd) return [`${String(obj.apiVersion)} ${String(obj.kind)}: no served CRD version found (known: ${[...loadCrdIndex().keys()].join(", ")})`];
    const errs = [...metadataErrors(obj), ...apiServerErrors(obj)];
    errs.push(...objectMetaSchemaErrors(obj.metadata));
    const md = obj.metadata as Obj | undefined;
    if (crd.scope === "Cluster" && md?.namespace !== undefined) errs.push(`metadata.namespace: ${crd.kind} is cluster-scoped`);
    const validate = crd.validate();
    if (!validate(obj)) {
        for (const e of validate.errors ?? []) {
            const where = e.instancePath.replace(/^\//, "").replace(/\//g, ".") || "(root)";
            const extra = e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : "";
            errs.push(`${where}: ${e.message ?? e.keyword}${extra}`);
        }
    }
    return errs;
}

/** Dispatches by apiVersion/kind: CRD kinds via their CRD schema, everything else via kubernetes-models. */
export function validateObject(obj: unknown): string[] {
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) return ["not an object"];
    const o = obj as Obj;
    if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") return ["apiVersion and kind are required strings"];
    return isCrdKind(o.apiVersion, o.kind) ? crdErrors(o) : k8sErrors(o);
}

function describe(obj: Obj): string {
    const md = (obj.metadata ?? {}) as Obj;
    return `${String(obj.apiVersion)} ${String(obj.kind)} ${md.namespace ? `${String(md.namespace)}/` : ""}${String(md.name ?? "<unnamed>")}`;
}

function fail(obj: Obj, errs: string[]): void {
    if (errs.length) assert.fail(`${describe(obj)} does not conform:\n  - ${errs.join("\n  - ")}`);
}

/** Asserts a core Kubernetes object conforms to the upstream schema. */
export function assertValidK8s(obj: unknown): void {
    fail(obj as Obj, k8sErrors(obj as Obj));
}

/** Asserts a JobSet/Trainer custom resource conforms to its CRD's openAPIV3Schema. */
export function assertValidCrd(obj: unknown): void {
    fail(obj as Obj, crdErrors(obj as Obj));
}

/** Asserts any object conforms (dispatching like validateObject). */
export function assertConforms(obj: unknown): void {
    fail(obj as Obj, validateObject(obj));
}
