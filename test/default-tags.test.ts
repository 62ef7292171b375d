/**
 * Defaults as data (docs/schema.md "Defaults"): every default of the public args interfaces, and of the
 * types they use, is a `@default` tag — no "Default …" prose left in a field's description — and
 * schema.json's `default`s are exactly the literal tags that scripts/gen-schema.ts may send.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { DEFAULTS_NOT_SENT, parseDefaultTag } from "../scripts/gen-schema";

const ROOT = path.resolve(__dirname, "..");

/** The files that declare the components' args and the types they use. */
const ARGS_FILES = [
    "src/pod/types.ts",
    "src/pod/refs.ts",
    "src/workload/options.ts",
    "src/compute.ts",
    "src/volume.ts",
    "src/secret/secret.ts",
    "src/secret/providers.ts",
    "src/trainjob/initializer.ts",
    "src/trainjob/patches.ts",
    "src/trainjob/spec.ts",
].filter((f) => fs.existsSync(path.join(ROOT, f)));

/** A default written as prose: "Default …", "(default)", ", default …", "defaults to …", "Kubernetes' default 25%". */
const PROSE_DEFAULT = /\bDefault\b|\(default[),]|[,;]\s*default\b|\bdefault(?:s|ed)? to\b|\bdefault\s+[`"0-9]/;

interface Field {
    where: string;
    body: string;
    tags: { name: string; text: string }[];
}

/** Every documented member of the exported interfaces, classes and type literals of `file` (`@internal` ones left out). */
function fields(file: string): Field[] {
    const sf = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
    const out: Field[] = [];
    const commentText = (c: string | ts.NodeArray<ts.JSDocComment> | undefined) =>
        typeof c === "string" ? c : (c?.map((x) => x.text).join("") ?? "");
    const docsOf = (n: ts.Node) => ts.getJSDocCommentsAndTags(n).filter<ts.JSDoc>(ts.isJSDoc).slice(-1);
    const isInternal = (n: ts.Node) => docsOf(n).some((d) => d.tags?.some((t) => t.tagName.text === "internal"));
    const members = (owner: string, list: ts.NodeArray<ts.Node>) => {
        for (const m of list) {
            if (!(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) || !m.name || isInternal(m)) continue;
            const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
            if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword))
                continue;
            const where = `${file}: ${owner}.${m.name.getText()}`;
            for (const d of docsOf(m)) {
                out.push({
                    where,
                    body: commentText(d.comment),
                    tags: (d.tags ?? []).map((t) => ({ name: t.tagName.text, text: commentText(t.comment) })),
                });
            }
            // Members of nested type literals (`containers?: (… & { name: string })[]`).
            m.type?.forEachChild(function walk(c): void {
                if (ts.isTypeLiteralNode(c)) members(`${owner}.${m.name.getText()}`, c.members);
                else c.forEachChild(walk);
            });
        }
    };
    for (const st of sf.statements) {
        const exported =
            ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((x) => x.kind === ts.SyntaxKind.ExportKeyword);
        if (!exported || isInternal(st)) continue;
        if (ts.isInterfaceDeclaration(st) || ts.isClassDeclaration(st)) members(st.name?.text ?? "?", st.members);
        else if (ts.isTypeAliasDeclaration(st)) {
            st.type.forEachChild(function walk(c): void {
                if (ts.isTypeLiteralNode(c)) members(st.name.text, c.members);
                else c.forEachChild(walk);
            });
            if (ts.isTypeLiteralNode(st.type)) members(st.name.text, st.type.members);
        }
    }
    return out;
}

test("every default of the args interfaces is a @default tag (no prose defaults)", () => {
    const all = ARGS_FILES.flatMap(fields);
    assert.ok(all.length > 150, `only ${all.length} documented fields found in ${ARGS_FILES.join(", ")}`);
    const prose = all
        .filter((f) => PROSE_DEFAULT.test(f.body))
        .map((f) => `${f.where}: ${f.body.replace(/\s+/g, " ")}`);
    assert.deepEqual(prose, [], "defaults written as prose: move them into a @default tag (docs/schema.md)");
    const tags = all.flatMap((f) => f.tags.filter((t) => t.name === "default").map((t) => ({ ...f, text: t.text })));
    assert.ok(tags.length >= 40, `only ${tags.length} @default tags`);
    for (const t of tags) {
        assert.ok(t.text.trim(), `${t.where}: an empty @default tag`);
        // A literal is the whole tag: `@default 0` with its explanation in the description, not `@default 0: …`.
        const text = t.text.trim();
        const first = text.split(/[\s:,;]/)[0];
        if (parseDefaultTag(first).value !== undefined)
            assert.notEqual(
                parseDefaultTag(text).value,
                undefined,
                `${t.where}: @default ${text} starts with a literal but goes on`,
            );
    }
    const dup = all.filter((f) => f.tags.filter((t) => t.name === "default").length > 1).map((f) => f.where);
    assert.deepEqual(dup, [], "fields with two @default tags");
});

test("schema.json's defaults are the sendable literal @default tags, and every property with a default says so", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8")) as {
        resources: Record<string, { inputProperties: Record<string, { default?: unknown; description?: string }> }>;
        types: Record<string, { properties?: Record<string, { default?: unknown; description?: string }> }>;
    };
    const props = [
        ...Object.entries(schema.resources).flatMap(([t, r]) =>
            Object.entries(r.inputProperties).map(([k, p]) => [`${t}.${k}`, p] as const),
        ),
        ...Object.entries(schema.types).flatMap(([t, r]) =>
            Object.entries(r.properties ?? {}).map(([k, p]) => [`${t}.${k}`, p] as const),
        ),
    ];
    const withDefault = props.filter(([, p]) => p.default !== undefined);
    assert.ok(withDefault.length >= 5, `only ${withDefault.length} schema defaults`);
    for (const [where, p] of withDefault) {
        const shown = typeof p.default === "string" ? `Default: \`${p.default}\`.` : `Default: ${String(p.default)}.`;
        assert.ok(
            p.description?.includes(shown),
            `${where}: default ${JSON.stringify(p.default)} but the description does not say "${shown}"`,
        );
    }
    // No prose default left in a description that gen-schema took from TSDoc (it adds "Default: …" itself).
    const prose = props
        .filter(([, p]) => /\bDefault\b(?!: )/.test(p.description ?? ""))
        .map(([w, p]) => `${w}: ${p.description}`);
    assert.deepEqual(prose, [], "descriptions with a default not written by gen-schema");
    for (const [key, reason] of Object.entries(DEFAULTS_NOT_SENT))
        assert.ok(reason.length > 10, `DEFAULTS_NOT_SENT ${key}: say why`);
});
