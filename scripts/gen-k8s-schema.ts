/**
 * Generates src/schema/k8s-openapi.generated.ts: the Kubernetes OpenAPI definitions mlkube validates
 * embedded objects against (PodSpec and everything it references: Toleration, Affinity,
 * PodSecurityContext, SecurityContext, TopologySpreadConstraint, Volume, EnvVar, VolumeMount, ...),
 * reduced to what validation needs: property types, required fields, enums, list-map keys.
 *
 *     node --import tsx scripts/gen-k8s-schema.ts           # write the file
 *     node --import tsx scripts/gen-k8s-schema.ts --check   # exit 1 when the committed file is stale
 *
 * Sources, pinned to the cluster's version (Kubernetes v1.34.4), found with `go mod download -json`:
 * - k8s.io/kubernetes@v1.34.4 api/openapi-spec/swagger.json: types, required, list-map keys.
 * - k8s.io/api@v0.34.4 core/v1/types.go: enums. The OpenAPI spec carries them only in prose, so they are
 *   read from the Go types marked `+enum` (the constants of the field's type), then from descriptions
 *   ("Valid values are A, B and C"), then from the hand list below.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const KUBERNETES_VERSION = "v1.34.4";
const API_MODULE_VERSION = "v0.34.4";
const ROOTS = ["io.k8s.api.core.v1.PodSpec"];
const OUT = path.resolve(__dirname, "..", "src", "schema", "k8s-openapi.generated.ts");

/**
 * Enums neither marked `+enum` in types.go nor spelled out in a description, listed by hand from the
 * Go constants of k8s.io/api@v0.34.4 core/v1/types.go (type named in each comment).
 */
const HAND_ENUMS: Record<string, string[]> = {
    // ContainerRestartPolicy: ContainerRestartPolicyAlways (sidecar init containers only)
    "Container.restartPolicy": ["Always"],
    // ResourceResizeRestartPolicy: NotRequired, RestartContainer
    "ContainerResizePolicy.restartPolicy": ["NotRequired", "RestartContainer"],
    // ResourceName of resize policies: cpu, memory
    "ContainerResizePolicy.resourceName": ["cpu", "memory"],
    // OSName: linux, windows
    "PodOS.name": ["linux", "windows"],
    // ContainerRestartRuleAction: Restart
    "ContainerRestartRule.action": ["Restart"],
    // ContainerRestartRuleOnExitCodesOperator: In, NotIn
    "ContainerRestartRuleOnExitCodes.operator": ["In", "NotIn"],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the OpenAPI document is untyped JSON
type Obj = Record<string, any>;

function moduleDir(mod: string): string {
    const json = execFileSync("go", ["mod", "download", "-json", mod], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
    const dir = (JSON.parse(json) as { Dir?: string; Error?: string }).Dir;
    if (!dir) throw new Error(`go mod download ${mod}: no Dir in ${json}`);
    return dir;
}

/** `Struct.jsonField` -> allowed values, from the Go types marked `+enum`. */
function goEnums(typesGo: string): Record<string, string[]> {
    const lines = typesGo.split("\n");
    const enumTypes = new Set<string>();
    lines.forEach((l, i) => {
        const m = /^type (\w+) string/.exec(lines[i + 1] ?? "");
        if (l.trim() === "// +enum" && m) enumTypes.add(m[1]);
    });
    const values: Record<string, string[]> = {};
    for (const l of lines) {
        const m = /^\s*\w+\s+(\w+)\s*=\s*"([^"]*)"/.exec(l);
        if (m && enumTypes.has(m[1])) (values[m[1]] ??= []).push(m[2]);
    }
    const out: Record<string, string[]> = {};
    let struct: string | undefined;
    for (const l of lines) {
        const s = /^type (\w+) struct \{/.exec(l);
        if (s) struct = s[1];
        else if (l === "}") struct = undefined;
        else if (struct) {
            const f = /^\s*\w+\s+(?:\[\]|\*)*(\w+)\s+`json:"([^,"]+)/.exec(l);
            if (f && values[f[1]]) out[`${struct}.${f[2]}`] = values[f[1]];
        }
    }
    return out;
}

/** "Valid values are A, B and C" / "Valid operators are ..." / "allowed values are ..." in a description. */
function descriptionEnum(desc: string | undefined): string[] | undefined {
    if (!desc) return undefined;
    const m = /(?:Valid (?:values|operators) are|allowed values are)\s*:?\s*([^.]+)\./.exec(desc);
    if (!m) return undefined;
    const words = m[1]
        .split(/,|\band\b|\bor\b/)
        .map((w) => w.trim().replace(/^"|"$/g, ""))
        .filter(Boolean);
    return words.length >= 2 && words.every((w) => /^[A-Za-z][A-Za-z0-9]*$/.test(w)) ? words : undefined;
}

const short = (ref: string) => ref.split("/").pop()!.split(".").pop()!;

/** The compact type of one property: see src/schema/k8s.ts for the encoding. */
function compactType(p: Obj, enumValues: string[] | undefined): unknown {
    if (p.$ref) {
        const name = short(p.$ref);
        if (name === "Quantity") return "quantity";
        if (name === "IntOrString") return "int-or-string";
        if (name === "Time" || name === "MicroTime") return "string";
        if (name === "FieldsV1" || name === "RawExtension") return "any";
        return `#${name}`;
    }
    if (p.type === "array") {
        const t: Obj = { a: compactType(p.items, enumValues) };
        if (p["x-kubernetes-list-type"] === "map" && p["x-kubernetes-list-map-keys"])
            t.k = p["x-kubernetes-list-map-keys"];
        if (p["x-kubernetes-list-type"] === "set") t.set = true;
        return t;
    }
    if (p.type === "object")
        return p.additionalProperties ? { m: compactType(p.additionalProperties, undefined) } : "any";
    if (p.type === "string") {
        if (enumValues) return { e: enumValues };
        return p.format === "byte" ? "byte" : "string";
    }
    if (p.type === "integer") return p.format === "int32" ? "int32" : "int64";
    if (p.type === "number") return "number";
    if (p.type === "boolean") return "boolean";
    throw new Error(`unhandled property ${JSON.stringify(p)}`);
}

export function generate(): string {
    const spec = JSON.parse(
        fs.readFileSync(
            path.join(moduleDir(`k8s.io/kubernetes@${KUBERNETES_VERSION}`), "api", "openapi-spec", "swagger.json"),
            "utf8",
        ),
    ) as Obj;
    const enums = goEnums(
        fs.readFileSync(path.join(moduleDir(`k8s.io/api@${API_MODULE_VERSION}`), "core", "v1", "types.go"), "utf8"),
    );
    const defs = spec.definitions as Obj;
    const seen = new Set<string>();
    const todo = [...ROOTS];
    const out: Obj = {};
    while (todo.length) {
        const full = todo.pop()!;
        if (seen.has(full)) continue;
        seen.add(full);
        const d = defs[full];
        const name = short(full);
        if (["Quantity", "IntOrString", "Time", "MicroTime", "FieldsV1", "RawExtension"].includes(name)) continue;
        if (out[name]) throw new Error(`two definitions named ${name}`);
        const props: Obj = {};
        for (const [field, p] of Object.entries((d.properties ?? {}) as Obj)) {
            const key = `${name}.${field}`;
            const values = enums[key] ?? HAND_ENUMS[key] ?? descriptionEnum(p.description ?? p.items?.description);
            props[field] = compactType(p, values);
            const ref = p.$ref ?? p.items?.$ref ?? p.additionalProperties?.$ref;
            if (ref) todo.push(ref.split("/").pop());
        }
        out[name] = d.required?.length ? { p: props, r: [...d.required].sort() } : { p: props };
    }
    const sorted = Object.fromEntries(
        Object.keys(out)
            .sort()
            .map((k) => [k, out[k]]),
    );
    return [
        "// GENERATED by scripts/gen-k8s-schema.ts from k8s.io/kubernetes@" +
            KUBERNETES_VERSION +
            " api/openapi-spec/swagger.json",
        "// and k8s.io/api@" +
            API_MODULE_VERSION +
            " core/v1/types.go (enums). Do not edit: run `node --import tsx scripts/gen-k8s-schema.ts`.",
        "/* eslint-disable */",
        'import type { K8sDefinitions } from "./k8s";',
        "",
        `export const KUBERNETES_VERSION = ${JSON.stringify(KUBERNETES_VERSION)};`,
        "",
        "export const DEFINITIONS: K8sDefinitions = {",
        ...Object.entries(sorted).map(([k, v]) => `    ${k}: ${JSON.stringify(v)},`),
        "};",
        "",
    ].join("\n");
}

if (require.main === module) {
    const text = generate();
    if (process.argv.includes("--check")) {
        const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, "utf8") : "";
        if (current !== text) {
            console.error(
                `${path.relative(process.cwd(), OUT)} is stale: run \`node --import tsx scripts/gen-k8s-schema.ts\` and commit the result`,
            );
            process.exit(1);
        }
        console.log(`${path.relative(process.cwd(), OUT)} is up to date (Kubernetes ${KUBERNETES_VERSION})`);
    } else {
        fs.writeFileSync(OUT, text);
        console.log(`wrote ${path.relative(process.cwd(), OUT)} (${text.length} bytes)`);
    }
}
