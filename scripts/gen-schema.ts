/**
 * Generates schema.json, the Pulumi package schema of mlkube (what the provider plugin serves and the
 * Python SDK is generated from), from the zod schemas that validate the components' args, with the
 * descriptions taken from the TSDoc of the hand-written interfaces (read with the TypeScript compiler).
 *
 *     node --import tsx scripts/gen-schema.ts           # write schema.json   (npm run gen:schema)
 *     node --import tsx scripts/gen-schema.ts --check   # exit 1 when it is stale (npm run check:schema)
 *
 * The zod schema decides the shape (required fields, enums, unions, what is an Input); the interface
 * beside it, walked in parallel, gives names (object types are named after their interface, enums after
 * their type alias) and descriptions. The mapping rules are in docs/schema.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { z } from "zod";
import type { AnyComponentSpec } from "../src/base";
import { COMPONENTS } from "../src/components";
import { secretKeyRefSchema } from "../src/workload/options";
import { Unresolved } from "../src/schema/input";
import { helperMeta } from "../src/schema/meta";
import { dnsSubdomain, secretKey } from "../src/schema/names";
import { existingSchema as existingSecretSchema, Secret, SecretReference } from "../src/secret/secret";
import { existingSchema as existingVolumeSchema, Volume, VolumeReference } from "../src/volume";

const ROOT = path.resolve(__dirname, "..");
export const SCHEMA_FILE = path.join(ROOT, "schema.json");

/**
 * Where `pulumi` downloads the plugin for users who did not install it with `--file`: GitHub releases
 * of the mlkube repository, asset `pulumi-resource-mlkube-v<version>-<os>-<arch>.tar.gz` (the name
 * scripts/plugin.sh gives the tarball). See docs/schema.md.
 */
export const PLUGIN_DOWNLOAD_URL = "github://api.github.com/mlkube/mlkube";

/**
 * The Go SDK's module path, which is also its import path: sdk/go/mlkube of the same repository (its go.mod
 * is there; a release tags it `sdk/go/mlkube/v<version>`). See docs/go.md.
 */
export const GO_MODULE = "github.com/mlkube/mlkube/sdk/go/mlkube";

const PKG = "mlkube";
const ANY = "pulumi.json#/Any";

/** A Pulumi schema type (TypeSpec) or property (PropertySpec). */
export interface TypeSpec {
    type?: "string" | "number" | "integer" | "boolean" | "array" | "object";
    $ref?: string;
    items?: TypeSpec;
    additionalProperties?: TypeSpec;
    oneOf?: TypeSpec[];
    plain?: boolean;
    description?: string;
    secret?: boolean;
    /** A literal default (docs/schema.md "Defaults"): only where the SDKs sending it changes nothing. */
    default?: string | number | boolean;
}

interface ObjectTypeSpec {
    type: "object";
    description?: string;
    properties: Record<string, TypeSpec>;
    required?: string[];
}

interface EnumTypeSpec {
    type: "string";
    description?: string;
    enum: { value: string }[];
}

/** Descriptions of the wire forms, which no interface describes field by field. */
const WIRE_DOCS = {
    ExistingVolume:
        "A PersistentVolumeClaim created elsewhere (TypeScript: `Volume.existing(claimName, {...})`): mounts like a Volume, creates nothing.",
    ExistingSecret:
        "A Kubernetes Secret created elsewhere (TypeScript: `Secret.existing(secretName, {...})`): reaches pods like a Secret, creates nothing.",
    ExistingSecretFields: {
        secretName: "Name of the existing Kubernetes Secret (a DNS subdomain).",
        mount: "How it reaches pods: `env` (each key an env var; default) or `files` (each key a file under `mountPath`).",
        mountPath: "Where files are mounted with `mount: files`. Default `/etc/mlkube/secrets/<secretName>`.",
        fileMode:
            "File mode of mounted files (octal, e.g. 0o400 = 256). Default: 0o440 when the pod runs as non-root, else 0o400.",
        imagePull: "Use it as an image pull secret (in `imagePullSecrets`) instead of mounting it. Default false.",
    } as Record<string, string>,
    SecretKeyRef:
        "One key of a Secret, as an env value (TypeScript: `secret.ref(key, optional)` or `Secret.existing(name).ref(key)`): give `secret` (a Secret resource) or `secretName` (a Secret created elsewhere), and `key`.",
    SecretKeyRefFields: {
        secret: "The Secret resource the key belongs to (the workload depends on it and rolls when its content changes). Give this or `secretName`.",
        secretName: "Name of a Kubernetes Secret created elsewhere. Give this or `secret`.",
        key: "Key within the Secret.",
        optional: "Start the pod even if the key is missing. Default: false.",
    } as Record<string, string>,
};

/**
 * Inputs that hold secret values (`<Interface>.<prop>`): the SDKs mark them secret before they leave the
 * program (the components treat them as secrets anyway; this also keeps them secret on the way there).
 */
const SECRET_INPUTS = new Set(["SecretArgs.env", "GitSshArgs.privateKey"]);

/**
 * Literal `@default`s that schema.json does not carry as `default`, with the reason. Pulumi's Python and Go
 * SDKs *send* a schema default when the user omits the field (pkg/codegen/python and go: `if x is None:
 * x = <default>`), so a `default` is only emitted where sending it is exactly equivalent to omitting it
 * (test/defaults-schema.test.ts renders both). The description still names every default.
 */
export const DEFAULTS_NOT_SENT: Record<string, string> = {
    "PodOptions.gpuToleration": "a profile field: a written value replaces the profile's (mlkube:profiles)",
    "PodOptions.secureDefaults": "a profile field: a written value replaces the profile's (mlkube:profiles)",
    "Resources.gpuVendor": "a profile's resources merge per key: a written value replaces the profile's",
    "Resources.qos": "a profile's resources merge per key: a written value replaces the profile's",
    "ComputeArgs.replicas": "refused with autoscaling (the autoscaler owns the replica count)",
    "ComputeArgs.serviceType": "refused without ports (no ports, no Service)",
    "PortSpec.protocol": "the Service and container ports carry protocol only when it is given",
    "VolumeArgs.volumeMode": "the claim carries volumeMode only when it is given",
    "VolumeReference.readOnly": "a written false becomes readOnly: false in every volume mount",
    "SecretReferenceOptions.mount": "refused together with imagePull: true",
    "SecretReferenceOptions.imagePull": "a wire form (Secret.existing options) the equivalence test does not reach",
    "TrainJobArgs.maxRestarts": 'refused with backends "job" and "kubeflow"',
    "TrainJobArgs.suspend": "refused for a queued job (Kueue decides it)",
    "TrainJobArgs.timeout": "refused without waitForCompletion: true",
    "TrainJobArgs.masterPort": "the rendezvous-port message names the default only when masterPort is left out",
    "TrainJobPort.protocol": "the container ports carry protocol only when it is given",
    "TrainJobArgs.backoffLimit": 'refused with backends "jobset" and "kubeflow"',
    "TrainJobArgs.numNodes": "kubeflow's spec.trainer carries numNodes only when it is given",
};

/** The wire form of an env value's Secret key (the TypeScript `SecretKeyRef` carries a resource and a checksum instead). */
const secretKeyRefWire = z.strictObject({
    secret: z.instanceof(Secret).optional(),
    secretName: dnsSubdomain().optional(),
    key: secretKey(),
    optional: z.boolean().optional(),
});

// ---------------------------------------------------------------------------------------------------
// TypeScript side: names and TSDoc

class Sources {
    readonly program: ts.Program;
    readonly checker: ts.TypeChecker;

    constructor() {
        const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), (f) => ts.sys.readFile(f));
        const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
        this.program = ts.createProgram(
            COMPONENTS.flatMap((c) => [c.source.argsFile, c.source.classFile]).map((f) => path.join(ROOT, f)),
            { ...parsed.options, noEmit: true },
        );
        this.checker = this.program.getTypeChecker();
    }

    /** The top-level interface, class or type alias `name` of `file`. */
    declaration(file: string, name: string): ts.InterfaceDeclaration | ts.ClassDeclaration | ts.TypeAliasDeclaration {
        const sf = this.program.getSourceFile(path.join(ROOT, file));
        if (!sf) throw new Error(`gen-schema: ${file} is not part of the program`);
        for (const st of sf.statements) {
            if (
                (ts.isInterfaceDeclaration(st) || ts.isClassDeclaration(st) || ts.isTypeAliasDeclaration(st)) &&
                st.name?.text === name
            )
                return st;
        }
        throw new Error(`gen-schema: ${file} declares no ${name}`);
    }

    /** The TSDoc of a declaration or symbol, as plain text for a schema description (block tags left out). */
    doc(of: ts.Symbol | ts.Declaration | undefined): string | undefined {
        if (!of) return undefined;
        const sym = "flags" in of && "escapedName" in of ? of : this.symbolOf(of);
        if (!sym) return undefined;
        const text = ts.displayPartsToString(sym.getDocumentationComment(this.checker));
        return cleanDoc(text);
    }

    /** The `@default` tag of a property symbol (docs/schema.md "Defaults"). */
    defaultOf(sym: ts.Symbol | undefined): DefaultTag | undefined {
        const tag = sym?.getJsDocTags(this.checker).find((t) => t.name === "default");
        return tag ? parseDefaultTag(ts.displayPartsToString(tag.text)) : undefined;
    }

    private symbolOf(d: ts.Declaration): ts.Symbol | undefined {
        const name = (d as ts.NamedDeclaration).name;
        return name ? this.checker.getSymbolAtLocation(name) : undefined;
    }

    /** The declaration a type reference names, through imports. */
    referenced(node: ts.TypeReferenceNode): ts.Declaration | undefined {
        let sym = this.checker.getSymbolAtLocation(
            ts.isQualifiedName(node.typeName) ? node.typeName.right : node.typeName,
        );
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = this.checker.getAliasedSymbol(sym);
        return sym?.declarations?.[0];
    }

    /** Strips `pulumi.Input<…>`, parentheses and `| undefined` from a type node. */
    unwrap(node: ts.TypeNode | undefined): ts.TypeNode | undefined {
        for (let i = 0; node && i < 20; i++) {
            if (ts.isParenthesizedTypeNode(node)) node = node.type;
            else if (ts.isTypeReferenceNode(node) && refName(node) === "Input" && node.typeArguments?.length === 1)
                node = node.typeArguments[0];
            else if (ts.isUnionTypeNode(node)) {
                const rest = node.types.filter((t) => !(t.kind === ts.SyntaxKind.UndefinedKeyword));
                if (rest.length === 1) node = rest[0];
                else return node;
            } else return node;
        }
        return node;
    }

    /** A type node with aliases of unions, arrays and maps followed (not aliases of literal unions: those name enums). */
    follow(node: ts.TypeNode | undefined): ts.TypeNode | undefined {
        for (let i = 0; i < 20; i++) {
            node = this.unwrap(node);
            if (!node || !ts.isTypeReferenceNode(node)) return node;
            const d = this.referenced(node);
            if (!d || !ts.isTypeAliasDeclaration(d) || isLiteralUnion(d.type) || !isInSource(d)) return node;
            node = d.type;
        }
        return node;
    }

    /** The members of a union type node, nested unions and aliases of unions flattened. */
    unionMembers(node: ts.TypeNode | undefined): ts.TypeNode[] {
        const n = this.follow(node);
        if (!n) return [];
        if (!ts.isUnionTypeNode(n)) return [n];
        return n.types.flatMap((t) => {
            const f = this.follow(t);
            return f && ts.isUnionTypeNode(f) ? this.unionMembers(f) : f ? [f] : [];
        });
    }

    /** The element type node of an array type node. */
    element(node: ts.TypeNode | undefined): ts.TypeNode | undefined {
        const n = this.follow(node);
        if (!n) return undefined;
        if (ts.isArrayTypeNode(n)) return n.elementType;
        if (ts.isTypeOperatorNode(n) && ts.isArrayTypeNode(n.type)) return n.type.elementType;
        if (
            ts.isTypeReferenceNode(n) &&
            ["Array", "ReadonlyArray"].includes(refName(n)) &&
            n.typeArguments?.length === 1
        )
            return n.typeArguments[0];
        return undefined;
    }

    /** The value type node of a map type node (`{ [k: string]: V }`, `Record<K, V>`). */
    mapValue(node: ts.TypeNode | undefined): ts.TypeNode | undefined {
        const n = this.follow(node);
        if (!n) return undefined;
        if (ts.isTypeLiteralNode(n)) {
            const idx = n.members.find(ts.isIndexSignatureDeclaration);
            return idx?.type;
        }
        if (ts.isTypeReferenceNode(n) && refName(n) === "Record" && n.typeArguments?.length === 2)
            return n.typeArguments[1];
        return undefined;
    }

    /** The interface, class or type-literal an object type node denotes, with its name (undefined: anonymous). */
    objectOf(node: ts.TypeNode | undefined): { decl: ts.Node; name?: string } | undefined {
        const n = this.follow(node);
        if (!n) return undefined;
        if (ts.isTypeLiteralNode(n)) return { decl: n };
        if (ts.isTypeReferenceNode(n)) {
            const d = this.referenced(n);
            if (d && (ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d))) return { decl: d, name: d.name?.text };
            if (d && ts.isTypeAliasDeclaration(d) && ts.isTypeLiteralNode(d.type))
                return { decl: d.type, name: d.name.text };
        }
        return undefined;
    }

    /** Property `key` of an object (interface, class, type literal), inherited ones included. */
    property(obj: ts.Node, key: string): { sym: ts.Symbol; type?: ts.TypeNode; owner?: string } | undefined {
        const t = ts.isTypeLiteralNode(obj)
            ? this.checker.getTypeFromTypeNode(obj)
            : this.checker.getTypeAtLocation((obj as ts.InterfaceDeclaration).name ?? obj);
        const sym = this.checker.getPropertyOfType(t, key);
        if (!sym) return undefined;
        const decl = sym.declarations?.[0];
        const type = decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined;
        const parent = decl?.parent;
        const owner =
            parent && (ts.isInterfaceDeclaration(parent) || ts.isClassDeclaration(parent))
                ? parent.name?.text
                : undefined;
        return { sym, type, owner };
    }

    /** The options type (an interface or a type literal) of `Secret.existing(secretName, opts)`. */
    existingSecretOptions(): ts.Node {
        const cls = this.declaration("src/secret/secret.ts", "Secret") as ts.ClassDeclaration;
        const m = cls.members.find(
            (x): x is ts.MethodDeclaration => ts.isMethodDeclaration(x) && x.name.getText() === "existing",
        );
        const obj = this.objectOf(m?.parameters[1]?.type);
        if (!obj) throw new Error("gen-schema: Secret.existing has no options object type");
        return obj.decl;
    }

    /** The name of the type alias a (possibly Input-wrapped) type node refers to, if any. */
    aliasName(node: ts.TypeNode | undefined): string | undefined {
        const n = this.unwrap(node);
        if (!n || !ts.isTypeReferenceNode(n)) return undefined;
        const d = this.referenced(n);
        return d && ts.isTypeAliasDeclaration(d) && isInSource(d) ? d.name.text : undefined;
    }
}

function refName(node: ts.TypeReferenceNode): string {
    return ts.isQualifiedName(node.typeName) ? node.typeName.right.text : node.typeName.text;
}

function isInSource(d: ts.Node): boolean {
    return !d.getSourceFile().fileName.includes("node_modules");
}

function isLiteralUnion(node: ts.TypeNode): boolean {
    if (ts.isLiteralTypeNode(node)) return true;
    if (ts.isUnionTypeNode(node)) return node.types.every((t) => ts.isLiteralTypeNode(t));
    // `(typeof PROVIDERS)[number]`: a union of the array's literals.
    return ts.isIndexedAccessTypeNode(node);
}

/** TSDoc text -> description: links become their text, TypeScript-only code examples are dropped. */
function cleanDoc(text: string): string | undefined {
    const out = text
        .replace(/```[\s\S]*?```/g, "")
        // TypeScript implementation notes of Outputs built lazily.
        .replace(/\s*\(an Output built on first read\)/g, "")
        .replace(/\s*Built on first read \([^)]*\)\./g, "")
        // Source line breaks inside a paragraph (not before a list item).
        .replace(/([^\n])\n(?![\n\s]*[-*] )(?=[^\n])/g, "$1 ")
        .replace(/\{@link\s+([^}\s|]+)(?:[\s|]+([^}]*))?\}/g, (_m, target: string, label?: string) =>
            label?.trim() ? label.trim() : target,
        )
        .replace(/\n{3,}/g, "\n\n")
        .trim();
    return out || undefined;
}

/** A `@default` tag: its text, and its value when the text is a literal. */
export interface DefaultTag {
    text: string;
    /** Set when the text is a JSON literal (`1`, `true`, `"TCP"`); prose defaults have none. */
    value?: string | number | boolean;
}

/** A `@default` tag's text -> the tag: a JSON number, boolean or string is a literal, anything else prose. */
export function parseDefaultTag(raw: string): DefaultTag {
    const text = raw.replace(/\s+/g, " ").trim();
    if (!text) throw new Error("gen-schema: an empty @default tag (write the value, or prose)");
    try {
        const v: unknown = JSON.parse(text);
        if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return { text, value: v };
    } catch {
        /* prose */
    }
    return { text };
}

/** The sentence a default adds to a description: ``Default: `TCP`.``, `Default: 1.`, `Default: the component name.` */
export function defaultSentence(tag: DefaultTag): string {
    if (typeof tag.value === "string") return `Default: \`${tag.value}\`.`;
    if (tag.value !== undefined) return `Default: ${tag.value}.`;
    const prose = cleanDoc(tag.text) ?? tag.text;
    return `Default: ${prose}${/[.!?]$/.test(prose) ? "" : "."}`;
}

/** A description with its default sentence (a paragraph of its own after a list). */
function withDefault(description: string | undefined, tag: DefaultTag | undefined): string | undefined {
    if (!tag) return description;
    const sentence = defaultSentence(tag);
    if (!description) return sentence;
    const lastLine = description.split("\n").pop() ?? "";
    return /^\s*[-*] /.test(lastLine) ? `${description}\n\n${sentence}` : `${description} ${sentence}`;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// ---------------------------------------------------------------------------------------------------
// zod side

type Def = { type: string; [k: string]: unknown };
const defOf = (s: z.ZodType): Def => s._zod.def as unknown as Def;

/** Strips optional/default wrappers and mlkube's `input()`; says what it stripped. */
function unwrapZod(schema: z.ZodType): { s: z.ZodType; optional: boolean; input: boolean } {
    let s = schema;
    let optional = false;
    let input = false;
    for (let i = 0; i < 50; i++) {
        const meta = helperMeta(s);
        if (meta?.kind === "input") {
            input = true;
            s = meta.schema;
            continue;
        }
        if (meta) return { s, optional, input };
        const d = defOf(s);
        if (
            d.type === "optional" ||
            d.type === "default" ||
            d.type === "prefault" ||
            d.type === "nonoptional" ||
            d.type === "readonly"
        ) {
            if (d.type !== "nonoptional" && d.type !== "readonly") optional = true;
            s = d.innerType as z.ZodType;
            continue;
        }
        if (d.type === "pipe") {
            // `.transform()` (pipe into a transform): the input side; `.pipe(k8sObject(...))`: the Kubernetes object.
            const out = d.out as z.ZodType;
            if (helperMeta(out)?.kind === "k8s") s = out;
            else s = d.in as z.ZodType;
            continue;
        }
        return { s, optional, input };
    }
    throw new Error("gen-schema: schema nested too deep");
}

/** A union with a member that takes the marker of an Output (what validate() makes of one): an Input. */
function acceptsOutputs(s: z.ZodType): boolean {
    const d = defOf(s);
    return (
        d.type === "union" &&
        (d.options as z.ZodType[]).some((o) => isUnresolvedMarker(unwrapZod(o).s) || acceptsOutputs(unwrapZod(o).s))
    );
}

const isUnresolvedMarker = (s: z.ZodType) => {
    const d = defOf(s);
    return d.type === "custom" && (s._zod.bag as { Class?: unknown }).Class === Unresolved;
};

// ---------------------------------------------------------------------------------------------------
// The generator

interface Where {
    /** Name prefix for anonymous objects and enums without an alias: the owning type's name. */
    owner: string;
    /** The property's name. */
    prop: string;
    /** The property's description: also the description of an enum or anonymous object made for it. */
    doc?: string;
}

class Generator {
    readonly types: Record<string, ObjectTypeSpec | EnumTypeSpec> = {};
    private readonly src = new Sources();
    /** Objects being generated (for recursive types) and the zod schema each name was made from. */
    private readonly made = new Map<string, string>();

    token(name: string): string {
        return `${PKG}:index:${name}`;
    }

    ref(name: string): TypeSpec {
        return { $ref: `#/types/${this.token(name)}` };
    }

    /** Type of a property: `plain` unless the zod schema marks it `input(...)`. */
    typeSpec(schema: z.ZodType, tsNode: ts.TypeNode | undefined, where: Where): { spec: TypeSpec; optional: boolean } {
        const { s, optional, input } = unwrapZod(schema);
        const spec = this.bare(s, tsNode, where);
        const plain = !(input || acceptsOutputs(s) || spec.$ref === ANY);
        return { spec: plain ? { ...spec, plain } : spec, optional };
    }

    private bare(s: z.ZodType, tsNode: ts.TypeNode | undefined, where: Where): TypeSpec {
        if (s === (secretKeyRefSchema() as z.ZodType))
            return this.wireObject(
                "SecretKeyRef",
                secretKeyRefWire,
                undefined,
                WIRE_DOCS.SecretKeyRef,
                WIRE_DOCS.SecretKeyRefFields,
            );
        const meta = helperMeta(s);
        if (meta?.kind === "k8s") return { $ref: ANY };
        if (meta?.kind === "record")
            return {
                type: "object",
                additionalProperties: this.typeSpec(meta.value, this.src.mapValue(tsNode), where).spec,
            };
        if (meta) throw new Error(`gen-schema: ${where.owner}.${where.prop}: unexpected ${meta.kind}`);
        const d = defOf(s);
        switch (d.type) {
            case "string":
                return { type: "string" };
            case "number": {
                const format = (s._zod.bag as { format?: string }).format;
                // `.int()`, or `.refine(Number.isInteger, …)` (for a message of its own, as `gpu` has).
                const refinedInt = ((d.checks as z.ZodType[] | undefined) ?? []).some(
                    (c) => (c._zod.def as unknown as { fn?: unknown }).fn === Number.isInteger,
                );
                return { type: (format && /int/.test(format)) || refinedInt ? "integer" : "number" };
            }
            case "boolean":
                return { type: "boolean" };
            case "any":
            case "unknown":
                return { $ref: ANY };
            case "literal": {
                const values = d.values as unknown[];
                if (values.every((v) => typeof v === "boolean")) return { type: "boolean" };
                if (values.every((v) => typeof v === "string")) return this.enumRef(values, tsNode, where);
                throw new Error(
                    `gen-schema: ${where.owner}.${where.prop}: unsupported literal ${JSON.stringify(values)}`,
                );
            }
            case "enum":
                return this.enumRef(Object.values(d.entries as Record<string, string>), tsNode, where);
            case "array":
                return {
                    type: "array",
                    items: this.typeSpec(d.element as z.ZodType, this.src.element(tsNode), where).spec,
                };
            case "record":
                return {
                    type: "object",
                    additionalProperties: this.typeSpec(d.valueType as z.ZodType, this.src.mapValue(tsNode), where)
                        .spec,
                };
            case "object":
                return this.objectRef(s, tsNode, where);
            case "union":
                return this.union(d.options as z.ZodType[], tsNode, where);
            case "custom": {
                const cls = (s._zod.bag as { Class?: unknown }).Class;
                if (cls === Volume) return { $ref: `#/resources/${this.token("Volume")}` };
                if (cls === Secret) return { $ref: `#/resources/${this.token("Secret")}` };
                if (cls === VolumeReference) {
                    return this.wireObject(
                        "ExistingVolume",
                        existingVolumeSchema(),
                        this.src.declaration("src/volume.ts", "VolumeReference"),
                        WIRE_DOCS.ExistingVolume,
                    );
                }
                if (cls === SecretReference) {
                    // Typed by the options of `Secret.existing(secretName, opts)` (plus secretName), described by hand.
                    return this.wireObject(
                        "ExistingSecret",
                        existingSecretSchema(),
                        this.src.existingSecretOptions(),
                        WIRE_DOCS.ExistingSecret,
                        WIRE_DOCS.ExistingSecretFields,
                    );
                }
                break;
            }
        }
        throw new Error(`gen-schema: ${where.owner}.${where.prop}: no schema mapping for zod type "${d.type}"`);
    }

    /** A union: `oneOf` of its members (nested unions flattened); a member that accepts Outputs makes it an Input. */
    private union(options: z.ZodType[], tsNode: ts.TypeNode | undefined, where: Where): TypeSpec {
        const members: z.ZodType[] = [];
        let input = false;
        const flatten = (o: z.ZodType) => {
            const u = unwrapZod(o);
            if (isUnresolvedMarker(u.s)) input = true;
            else if (defOf(u.s).type === "union" && !u.input) (defOf(u.s).options as z.ZodType[]).forEach(flatten);
            else members.push(o);
        };
        options.forEach(flatten);
        const tsMembers = this.src.unionMembers(tsNode);
        const specs: TypeSpec[] = [];
        for (const m of members) {
            const spec = this.typeSpec(m, this.matchMember(m, tsMembers), where).spec;
            if (!specs.some((x) => JSON.stringify(x) === JSON.stringify(spec))) specs.push(spec);
        }
        // A member that accepts an Output (a marker) makes the union an Input: see acceptsOutputs().
        if (input && specs.length === 1) {
            const { plain: _plain, ...rest } = specs[0];
            return rest;
        }
        return specs.length === 1 ? specs[0] : { oneOf: specs };
    }

    /** The TypeScript union member that a zod union member stands for (objects: the most shared keys). */
    private matchMember(m: z.ZodType, tsMembers: ts.TypeNode[]): ts.TypeNode | undefined {
        const u = unwrapZod(m).s;
        const d = defOf(u);
        if (d.type === "object") {
            const keys = Object.keys(d.shape as object);
            let best: ts.TypeNode | undefined;
            let bestScore = 0;
            for (const t of tsMembers) {
                const obj = this.src.objectOf(t);
                if (!obj || (obj.name && ["Volume", "Secret", "VolumeReference", "SecretReference"].includes(obj.name)))
                    continue;
                const score = keys.filter((k) => this.src.property(obj.decl, k)).length;
                if (score > bestScore) [best, bestScore] = [t, score];
            }
            return best;
        }
        if (d.type === "enum" || d.type === "literal")
            return tsMembers.find((t) => this.src.aliasName(t) !== undefined || ts.isLiteralTypeNode(t));
        if (d.type === "array") return tsMembers.find((t) => this.src.element(t) !== undefined);
        if (d.type === "record" || helperMeta(u)?.kind === "record")
            return tsMembers.find((t) => this.src.mapValue(t) !== undefined);
        return undefined;
    }

    /** A named enum: after its type alias when there is one, else `<Owner><Prop>`. */
    private enumRef(values: string[], tsNode: ts.TypeNode | undefined, where: Where): TypeSpec {
        const alias = this.src.aliasName(tsNode);
        const name = alias ?? `${where.owner}${pascal(where.prop)}`;
        let description = where.doc;
        if (alias) {
            const n = this.src.unwrap(tsNode) as ts.TypeReferenceNode;
            description = this.src.doc(this.src.referenced(n)) ?? description;
        }
        this.define(name, {
            type: "string",
            ...(description ? { description } : {}),
            enum: values.map((value) => ({ value })),
        });
        return this.ref(name);
    }

    /** Defines a type; a type met again (Resources, ProbeSpec, an enum used by inputs and outputs) must have the same shape. */
    private define(name: string, spec: ObjectTypeSpec | EnumTypeSpec): void {
        const prev = this.types[this.token(name)];
        if (prev) {
            const shape = (t: ObjectTypeSpec | EnumTypeSpec) => JSON.stringify({ ...t, description: undefined });
            if (shape(prev) !== shape(spec)) {
                throw new Error(
                    `gen-schema: type ${name} is generated twice with different shapes:\n${JSON.stringify(prev)}\n${JSON.stringify(spec)}`,
                );
            }
            return; // the first description stays
        }
        this.types[this.token(name)] = spec;
    }

    /** An object: a `mlkube:index:<Interface>` type (anonymous objects: `<Owner><Prop>`). */
    private objectRef(s: z.ZodType, tsNode: ts.TypeNode | undefined, where: Where): TypeSpec {
        const obj = this.src.objectOf(tsNode);
        // `GitSshArgs` -> `GitSsh`: Python adds `Args` to input types (no `GitSshArgsArgs`).
        const name = obj?.name?.replace(/(.)Args$/, "$1") ?? `${where.owner}${pascal(where.prop)}`;
        const description = obj?.name
            ? this.src.doc(
                  ts.isTypeLiteralNode(obj.decl)
                      ? (obj.decl.parent as ts.TypeAliasDeclaration)
                      : (obj.decl as ts.Declaration),
              )
            : where.doc;
        return this.namedObject(name, s, obj?.decl, description);
    }

    private wireObject(
        name: string,
        s: z.ZodType,
        decl: ts.Node | undefined,
        description: string,
        docs: Record<string, string> = {},
    ): TypeSpec {
        return this.namedObject(name, s, decl, description, docs);
    }

    private namedObject(
        name: string,
        s: z.ZodType,
        decl: ts.Node | undefined,
        description: string | undefined,
        docs: Record<string, string> = {},
    ): TypeSpec {
        const key = `${name}`;
        if (this.made.get(key) === "pending") return this.ref(name);
        this.made.set(key, "pending");
        const { properties, required } = this.properties(s, decl, name, docs);
        this.define(name, {
            type: "object",
            ...(description ? { description } : {}),
            properties,
            ...(required.length ? { required } : {}),
        });
        this.made.set(key, "done");
        return this.ref(name);
    }

    /** The properties of a zod object, described by the TypeScript object `decl` (interface, class, literal). */
    properties(
        s: z.ZodType,
        decl: ts.Node | undefined,
        owner: string,
        docs: Record<string, string> = {},
    ): { properties: Record<string, TypeSpec>; required: string[] } {
        const d = defOf(unwrapZod(s).s);
        if (d.type !== "object") throw new Error(`gen-schema: ${owner} is not an object schema`);
        const properties: Record<string, TypeSpec> = {};
        const required: string[] = [];
        for (const [key, fieldSchema] of Object.entries(d.shape as Record<string, z.ZodType>)) {
            const p = decl ? this.src.property(decl, key) : undefined;
            // Enums and anonymous objects are named after the interface that declares the field (PodOptions for
            // Compute's and TrainJob's pod fields), without its `Args` suffix.
            const declaringOwner = p?.owner ? p.owner.replace(/Args$/, "") : owner;
            const description = this.src.doc(p?.sym) ?? docs[key];
            const { spec, optional } = this.typeSpec(fieldSchema, p?.type, {
                owner: declaringOwner,
                prop: key,
                doc: description,
            });
            const secret = SECRET_INPUTS.has(`${p?.owner ?? owner}.${key}`);
            if (secret && spec.plain)
                throw new Error(`gen-schema: ${owner}.${key} is secret, so it must be an input()`);
            const tag = this.src.defaultOf(p?.sym);
            const dflt = this.schemaDefault(`${p?.owner ?? owner}.${key}`, tag, spec, optional);
            const full = withDefault(description, tag);
            properties[key] = {
                ...(full ? { description: full } : {}),
                ...spec,
                ...(secret ? { secret } : {}),
                ...(dflt !== undefined ? { default: dflt } : {}),
            };
            if (!optional) required.push(key);
        }
        return { properties, required: required.sort() };
    }

    /**
     * The schema `default` of a property: its `@default` literal when the property is optional and of a
     * primitive type (or an enum of strings) that the literal is a value of, unless DEFAULTS_NOT_SENT lists it.
     */
    private schemaDefault(
        where: string,
        tag: DefaultTag | undefined,
        spec: TypeSpec,
        optional: boolean,
    ): string | number | boolean | undefined {
        if (tag?.value === undefined || !optional || Object.hasOwn(DEFAULTS_NOT_SENT, where)) return undefined;
        const v = tag.value;
        if (spec.$ref?.startsWith("#/types/")) {
            const t = this.types[spec.$ref.slice("#/types/".length)];
            return t && "enum" in t && t.enum.some((e) => e.value === v) ? v : undefined;
        }
        if (spec.type === "string") return typeof v === "string" ? v : undefined;
        if (spec.type === "boolean") return typeof v === "boolean" ? v : undefined;
        if (spec.type === "integer") return Number.isInteger(v) ? v : undefined;
        if (spec.type === "number") return typeof v === "number" ? v : undefined;
        return undefined;
    }

    /** The outputs of a component class: its public `pulumi.Output<T>` members (child resources are left out). */
    /** The outputs the table lists, typed and described by the class's members; the class declares no other public Output. */
    outputs(c: AnyComponentSpec): { properties: Record<string, TypeSpec>; required: string[] } {
        const name = c.name;
        const cls = this.src.declaration(c.source.classFile, name) as ts.ClassDeclaration;
        const properties: Record<string, TypeSpec> = {};
        const required: string[] = [];
        for (const m of cls.members) {
            if (
                !(ts.isPropertyDeclaration(m) || ts.isGetAccessorDeclaration(m)) ||
                !m.type ||
                !m.name ||
                !ts.isIdentifier(m.name)
            )
                continue;
            const mods = ts.getCombinedModifierFlags(m);
            if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)) continue;
            if (ts.getJSDocTags(m).some((t) => t.tagName.text === "internal")) continue;
            const t = m.type;
            if (!ts.isTypeReferenceNode(t) || refName(t) !== "Output" || t.typeArguments?.length !== 1) continue;
            const key = m.name.text;
            const description = this.src.doc(this.src.checker.getSymbolAtLocation(m.name));
            const { spec, optional } = this.outputType(t.typeArguments[0], {
                owner: name,
                prop: key,
                doc: description,
            });
            if (!c.outputs.includes(key))
                throw new Error(
                    `gen-schema: ${name}.${key} is a public Output the component table does not list (src/components.ts: its outputs); list it, or make it @internal`,
                );
            properties[key] = { ...(description ? { description } : {}), ...spec };
            if (!optional) required.push(key);
        }
        const missing = c.outputs.filter((k) => !Object.hasOwn(properties, k));
        if (missing.length)
            throw new Error(
                `gen-schema: the component table lists ${name} outputs its class does not declare as public Outputs: ${missing.join(", ")}`,
            );
        return { properties, required: required.sort() };
    }

    private outputType(node: ts.TypeNode, where: Where): { spec: TypeSpec; optional: boolean } {
        let optional = false;
        let n: ts.TypeNode = node;
        if (ts.isUnionTypeNode(n)) {
            const rest = n.types.filter((t) => t.kind !== ts.SyntaxKind.UndefinedKeyword);
            optional = rest.length !== n.types.length;
            if (rest.every((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal))) {
                const values = rest.map((t) => ((t as ts.LiteralTypeNode).literal as ts.StringLiteral).text);
                return { spec: this.enumRef(values, undefined, where), optional };
            }
            if (rest.length !== 1)
                throw new Error(`gen-schema: output ${where.owner}.${where.prop}: unsupported union`);
            n = rest[0];
        }
        switch (n.kind) {
            case ts.SyntaxKind.StringKeyword:
                return { spec: { type: "string" }, optional };
            case ts.SyntaxKind.NumberKeyword:
                return { spec: { type: "number" }, optional };
            case ts.SyntaxKind.BooleanKeyword:
                return { spec: { type: "boolean" }, optional };
        }
        const el = this.src.element(n);
        if (el) return { spec: { type: "array", items: this.outputType(el, where).spec }, optional };
        const alias = this.src.aliasName(n);
        if (alias) {
            const d = this.src.referenced(n as ts.TypeReferenceNode) as ts.TypeAliasDeclaration;
            const values = this.src
                .unionMembers(d.type)
                .map((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : undefined));
            if (values.every((v) => v !== undefined)) return { spec: this.enumRef(values, n, where), optional };
        }
        throw new Error(`gen-schema: output ${where.owner}.${where.prop}: unsupported type ${n.getText()}`);
    }

    resource(c: AnyComponentSpec): Record<string, unknown> {
        const args = this.src.declaration(c.source.argsFile, c.source.args);
        const cls = this.src.declaration(c.source.classFile, c.name);
        const inputs = this.properties(c.schema, args, c.name);
        const outputs = this.outputs(c);
        return {
            isComponent: true,
            description: this.src.doc(cls),
            inputProperties: inputs.properties,
            requiredInputs: inputs.required,
            properties: outputs.properties,
            required: outputs.required,
        };
    }
}

/** Recursively sorts object keys (arrays keep their order: enum values, oneOf members). */
function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v).sort())
            if ((v as Record<string, unknown>)[k] !== undefined) out[k] = sortKeys((v as Record<string, unknown>)[k]);
        return out;
    }
    return v;
}

/** The package schema, as a JSON-ready object (deterministic: sorted keys). */
export function generateSchema(): Record<string, unknown> {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        version: string;
        description: string;
        license: string;
    };
    const g = new Generator();
    const resources: Record<string, unknown> = {};
    for (const c of COMPONENTS) {
        if (c.token !== g.token(c.name))
            throw new Error(`gen-schema: ${c.name}'s token ${c.token} is not ${g.token(c.name)}`);
        resources[c.token] = g.resource(c);
    }
    // The wire forms exist even where no field uses them yet (the provider's contract).
    const schema = {
        name: PKG,
        displayName: "mlkube",
        version: pkg.version,
        description: pkg.description,
        license: pkg.license,
        keywords: ["pulumi", "kubernetes", "machine-learning", "kind/component", "category/cloud"],
        pluginDownloadURL: PLUGIN_DOWNLOAD_URL,
        meta: { moduleFormat: "(.*)" },
        language: {
            // The Go SDK (sdk/go/mlkube, docs/go.md): one module whose path is its import path, in the
            // project's repository (`go get github.com/mlkube/mlkube/sdk/go/mlkube@v<version>`).
            go: {
                importBasePath: GO_MODULE,
                respectSchemaVersion: true,
            },
            python: {
                packageName: "pulumi_mlkube",
                respectSchemaVersion: true,
                pyproject: { enabled: true },
                requires: { pulumi: ">=3.259.0,<4.0.0" },
                readme: "mlkube: Pulumi components for ML workloads on Kubernetes (Volume, Secret, Compute, TrainJob), for Python programs.\nGenerated from mlkube's schema.json; the components run in the `mlkube` provider plugin.",
            },
        },
        resources,
        types: g.types,
    };
    return sortKeys(schema) as Record<string, unknown>;
}

/** schema.json's text for `schema`. */
export function schemaText(schema: Record<string, unknown>): string {
    return `${JSON.stringify(schema, null, 2)}\n`;
}

function main(): void {
    const check = process.argv.includes("--check");
    const text = schemaText(generateSchema());
    if (check) {
        const current = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, "utf8") : "";
        if (current !== text) {
            console.error(
                `schema.json is stale: it differs from what scripts/gen-schema.ts generates from the zod schemas and their TSDoc.\n` +
                    `Run \`npm run gen:schema\` (then \`scripts/gen-sdk.sh\` for sdk/python) and commit the result.`,
            );
            process.exit(1);
        }
        console.log("schema.json is up to date");
        return;
    }
    fs.writeFileSync(SCHEMA_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}

if (require.main === module) main();
