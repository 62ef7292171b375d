/**
 * The compatibility gate of the package schema (docs/schema.md, "Compatibility"): compares `schema.json`
 * with the schema of the previous release (`release/schema-<version>.json`, the newest one) and fails on
 * a breaking change that the CHANGELOG's `## [Unreleased]` section does not name — as Pulumi's own
 * providers do with `schema-tools compare`.
 *
 *   node --import tsx scripts/schema-compat.ts [--schema schema.json] [--baseline release/schema-X.json]
 *                                              [--changelog CHANGELOG.md]
 *
 * Breaking, for programs written against the baseline (Python SDK, YAML programs):
 * - `removed`: a resource, a type, an input or output property, an enum value;
 * - `type-changed`: a property's type, `$ref`, items, map values or union branches changed. For inputs
 *   (resource inputs and the properties of object types, which mlkube only takes as inputs) what accepts
 *   every old value is not breaking: integer -> number, a union that gained branches, `plain` dropped;
 *   outputs must keep their exact type;
 * - `newly-required`: an input (or object type property) required now that was optional or absent;
 * - `output-optional`: an output that was always set is no longer.
 * Each change has a path — `Compute` (a resource or type), `Compute.replicas` (an input or type property),
 * `Compute.outputs.endpoint` (an output), `AccessMode.ReadWriteOncePod` (an enum value) — and a change is
 * named when that path appears in backticks in the Unreleased section, e.g. under `### Removed`:
 * "- `Compute.replicas`: ... (breaking)". Exit 0 when every breaking change is named, 1 otherwise.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type BreakingKind = "removed" | "type-changed" | "newly-required" | "output-optional";

export interface BreakingChange {
    kind: BreakingKind;
    /** What a CHANGELOG names: `Compute`, `Compute.replicas`, `Compute.outputs.endpoint`, `AccessMode.X`. */
    path: string;
    message: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
/** Own keys only (no prototype lookups: `__proto__`, `constructor` are data). */
const has = (o: Json, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
/** An own property of a parsed JSON object. */
const own = (o: unknown, k: string): unknown => (isObject(o) && has(o, k) ? o[k] : undefined);
const ownObject = (o: unknown, k: string): Json => {
    const v = own(o, k);
    return isObject(v) ? v : {};
};
const stringSet = (v: unknown): Set<string> =>
    new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
/** `mlkube:index:Compute` -> `Compute`. */
const short = (token: string): string => token.slice(token.lastIndexOf(":") + 1);

/** A property's type as one canonical string (recursion bounded by the schema's own nesting). */
export function typeSignature(spec: unknown, depth = 0): string {
    if (!isObject(spec) || depth > 32) return "?";
    const ref = own(spec, "$ref");
    if (typeof ref === "string") return `ref(${ref})`;
    const oneOf = own(spec, "oneOf");
    if (Array.isArray(oneOf))
        return `oneOf(${oneOf
            .map((b) => typeSignature(b, depth + 1))
            .sort()
            .join("|")})`;
    const type = own(spec, "type");
    if (type === "array") return `array(${typeSignature(own(spec, "items"), depth + 1)})`;
    if (type === "object" && own(spec, "additionalProperties") !== undefined)
        return `map(${typeSignature(own(spec, "additionalProperties"), depth + 1)})`;
    return typeof type === "string" ? type : "?";
}

/** Whether an input of type `next` accepts every value an input of type `prev` accepted. */
function inputAccepts(prev: unknown, next: unknown): boolean {
    if (isObject(prev) && isObject(next) && own(prev, "plain") !== true && own(next, "plain") === true) return false;
    const a = typeSignature(prev);
    const b = typeSignature(next);
    if (a === b) return true;
    if (a === "integer" && b === "number") return true;
    const branches = (spec: unknown, sig: string): string[] => {
        const oneOf = own(spec, "oneOf");
        return Array.isArray(oneOf) ? oneOf.map((x) => typeSignature(x)) : [sig];
    };
    if (Array.isArray(own(next, "oneOf"))) {
        const wide = new Set(branches(next, b));
        return branches(prev, a).every((x) => wide.has(x) || (x === "integer" && wide.has("number")));
    }
    return false;
}

function compareProperties(
    out: BreakingChange[],
    owner: string,
    prefix: string,
    oldProps: Json,
    newProps: Json,
    asInput: boolean,
): void {
    for (const name of Object.keys(oldProps)) {
        const p = `${owner}.${prefix}${name}`;
        if (!has(newProps, name)) {
            out.push({ kind: "removed", path: p, message: `${p}: ${asInput ? "input" : "output"} property removed` });
            continue;
        }
        const before = oldProps[name];
        const after = newProps[name];
        const changed = asInput ? !inputAccepts(before, after) : typeSignature(before) !== typeSignature(after);
        if (changed) {
            const plainNow =
                asInput && own(before, "plain") !== true && own(after, "plain") === true
                    ? " (now plain: Outputs no longer accepted)"
                    : "";
            out.push({
                kind: "type-changed",
                path: p,
                message: `${p}: type ${typeSignature(before)} -> ${typeSignature(after)}${plainNow}`,
            });
        }
    }
}

function compareRequired(
    out: BreakingChange[],
    owner: string,
    oldReq: Set<string>,
    newReq: Set<string>,
    newProps: Json,
): void {
    for (const name of newReq) {
        if (oldReq.has(name)) continue;
        const p = `${owner}.${name}`;
        out.push({
            kind: "newly-required",
            path: p,
            message: `${p}: newly required${has(newProps, name) ? "" : " (and not a property)"}`,
        });
    }
}

/** Every breaking change from `prev` (the previous release's schema) to `next`, in a stable order. */
export function compareSchemas(prev: unknown, next: unknown): BreakingChange[] {
    const out: BreakingChange[] = [];
    const oldResources = ownObject(prev, "resources");
    const newResources = ownObject(next, "resources");
    for (const token of Object.keys(oldResources)) {
        const name = short(token);
        if (!has(newResources, token)) {
            out.push({ kind: "removed", path: name, message: `${name}: resource ${token} removed` });
            continue;
        }
        const a = oldResources[token];
        const b = newResources[token];
        compareProperties(out, name, "", ownObject(a, "inputProperties"), ownObject(b, "inputProperties"), true);
        compareRequired(
            out,
            name,
            stringSet(own(a, "requiredInputs")),
            stringSet(own(b, "requiredInputs")),
            ownObject(b, "inputProperties"),
        );
        compareProperties(out, name, "outputs.", ownObject(a, "properties"), ownObject(b, "properties"), false);
        const newRequiredOutputs = stringSet(own(b, "required"));
        for (const o of stringSet(own(a, "required"))) {
            if (!newRequiredOutputs.has(o) && has(ownObject(b, "properties"), o)) {
                const p = `${name}.outputs.${o}`;
                out.push({ kind: "output-optional", path: p, message: `${p}: output no longer always set` });
            }
        }
    }
    const oldTypes = ownObject(prev, "types");
    const newTypes = ownObject(next, "types");
    for (const token of Object.keys(oldTypes)) {
        const name = short(token);
        if (!has(newTypes, token)) {
            out.push({ kind: "removed", path: name, message: `${name}: type ${token} removed` });
            continue;
        }
        const a = oldTypes[token];
        const b = newTypes[token];
        if (own(a, "type") !== own(b, "type")) {
            out.push({
                kind: "type-changed",
                path: name,
                message: `${name}: type ${String(own(a, "type"))} -> ${String(own(b, "type"))}`,
            });
            continue;
        }
        const oldEnum = own(a, "enum");
        if (Array.isArray(oldEnum)) {
            const newValues = new Set(
                (Array.isArray(own(b, "enum")) ? (own(b, "enum") as unknown[]) : []).map((e) =>
                    JSON.stringify(own(e, "value")),
                ),
            );
            for (const e of oldEnum) {
                const v = own(e, "value");
                if (!newValues.has(JSON.stringify(v))) {
                    const p = `${name}.${String(v)}`;
                    out.push({ kind: "removed", path: p, message: `${p}: enum value ${JSON.stringify(v)} removed` });
                }
            }
            continue;
        }
        compareProperties(out, name, "", ownObject(a, "properties"), ownObject(b, "properties"), true);
        compareRequired(
            out,
            name,
            stringSet(own(a, "required")),
            stringSet(own(b, "required")),
            ownObject(b, "properties"),
        );
    }
    return out;
}

/** The text of the CHANGELOG's `## [Unreleased]` section ("" when it has none). */
export function unreleasedSection(changelog: string): string {
    const start = changelog.search(/^## \[Unreleased\][^\n]*$/m);
    if (start < 0) return "";
    const rest = changelog.slice(start + 1);
    const end = rest.search(/^## /m);
    return end < 0 ? rest : rest.slice(0, end);
}

/** The breaking changes whose path the section does not name in backticks. */
export function unnamed(changes: BreakingChange[], section: string): BreakingChange[] {
    const named = new Set([...section.matchAll(/`([^`\n]+)`/g)].map((m) => m[1].trim()));
    return changes.filter((c) => !named.has(c.path));
}

/** The newest `schema-<semver>.json` in dir (by version), or undefined. */
export function newestBaseline(dir: string): string | undefined {
    if (!fs.existsSync(dir)) return undefined;
    const parse = (f: string) => /^schema-(\d+)\.(\d+)\.(\d+)\.json$/.exec(f)?.slice(1).map(Number);
    const files = fs.readdirSync(dir).filter((f) => parse(f));
    files.sort((x, y) => {
        const a = parse(x)!;
        const b = parse(y)!;
        return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
    });
    return files.length ? path.join(dir, files[files.length - 1]) : undefined;
}

function main(argv: string[]): number {
    const root = path.resolve(__dirname, "..");
    const opt = (name: string, dflt: string | undefined) => {
        const i = argv.indexOf(name);
        return i >= 0 ? argv[i + 1] : dflt;
    };
    const schemaFile = opt("--schema", path.join(root, "schema.json"))!;
    const baseline = opt("--baseline", newestBaseline(path.join(root, "release")));
    const changelogFile = opt("--changelog", path.join(root, "CHANGELOG.md"))!;
    if (!baseline) {
        console.error("schema-compat: no baseline (release/schema-<version>.json)");
        return 1;
    }
    const changes = compareSchemas(
        JSON.parse(fs.readFileSync(baseline, "utf8")),
        JSON.parse(fs.readFileSync(schemaFile, "utf8")),
    );
    const missing = unnamed(changes, unreleasedSection(fs.readFileSync(changelogFile, "utf8")));
    const rel = (f: string) => path.relative(process.cwd(), f) || f;
    console.log(
        `schema-compat: ${rel(schemaFile)} against ${rel(baseline)}: ${changes.length} breaking change(s), ${changes.length - missing.length} named in ${rel(changelogFile)}'s Unreleased section`,
    );
    for (const c of changes) console.log(`  ${missing.includes(c) ? "UNNAMED" : "named  "} ${c.kind}: ${c.message}`);
    if (missing.length) {
        console.error(
            `schema-compat: ${missing.length} breaking change(s) not named in the CHANGELOG; undo them, or name each path in backticks ` +
                `under "## [Unreleased]" (e.g. "- \`${missing[0].path}\`: why, and what users do instead") and plan a major (or, before 1.0, a minor) version`,
        );
        return 1;
    }
    return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
