/**
 * Loading a Pulumi TypeScript/JavaScript program offline: its `Pulumi.yaml` (name, runtime, main),
 * its stack config (`Pulumi.<stack>.yaml`, never decrypting `secure:` values) and its code, with
 * TypeScript compiled the way Pulumi's Node.js language host does (see `@pulumi/pulumi/cmd/run/run.js`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Module, { createRequire } from "node:module";
import * as YAML from "yaml";

/** A problem with the program's project files (not with what it declares). */
export class ProgramError extends Error {
    /** An error about the program directory, its Pulumi.yaml or stack files. */
    constructor(message: string) {
        super(message);
        this.name = "ProgramError";
    }
}

export interface Project {
    /** Absolute program directory (where Pulumi.yaml is). */
    dir: string;
    /** `name` from Pulumi.yaml. */
    name: string;
    /** Absolute path of the entry module. */
    main: string;
    /** Whether TypeScript is compiled (runtime option `typescript`, default true). */
    typescript: boolean;
    /** Project-level config defaults from Pulumi.yaml `config:` (namespaced keys). */
    configDefaults: Record<string, unknown>;
}

export interface StackConfig {
    stack: string;
    /** The stack file read, if any. */
    file?: string;
    /** Namespaced keys (`project:key`) to the string Pulumi passes the program (objects as JSON). */
    config: Record<string, string>;
    /** Keys whose values are secret (`secure:`), rendered as `[secret:<key>]` placeholders. */
    secretKeys: string[];
}

function readYaml(file: string): unknown {
    try {
        return YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new ProgramError(`${file}: ${(e as Error).message}`);
    }
}

/** Reads `<dir>/Pulumi.yaml` (or `.yml`) and resolves the entry module like `pulumi up` would. */
export function loadProject(programDir: string): Project {
    const dir = path.resolve(programDir);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
        throw new ProgramError(`${programDir}: not a directory`);
    const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!file)
        throw new ProgramError(
            `${programDir}: no Pulumi.yaml (a program directory holds Pulumi.yaml, whose \`main\` is the program)`,
        );
    const doc = (readYaml(file) ?? {}) as Record<string, unknown>;
    const name = doc.name;
    if (typeof name !== "string" || !name) throw new ProgramError(`${file}: \`name\` is required`);
    const runtime = doc.runtime;
    const runtimeName = typeof runtime === "string" ? runtime : (runtime as { name?: string } | undefined)?.name;
    if (runtimeName !== "nodejs")
        throw new ProgramError(
            `${file}: runtime ${JSON.stringify(runtimeName)} is not supported; mlkube render runs nodejs programs`,
        );
    const options =
        (typeof runtime === "object" && runtime
            ? (runtime as { options?: Record<string, unknown> }).options
            : undefined) ?? {};
    const typescript = options.typescript !== false;
    const main = resolveMain(dir, typeof doc.main === "string" ? doc.main : ".");
    const configDefaults: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((doc.config as Record<string, unknown> | undefined) ?? {})) {
        const key = k.includes(":") ? k : `${name}:${k}`;
        if (v && typeof v === "object" && !Array.isArray(v)) {
            const o = v as Record<string, unknown>;
            if ("value" in o) configDefaults[key] = o.value;
            else if ("default" in o) configDefaults[key] = o.default;
        } else if (v !== null && v !== undefined) {
            configDefaults[key] = v;
        }
    }
    return { dir, name, main, typescript, configDefaults };
}

/** `main` may be a file or a directory; a directory resolves through package.json `main`, then index.ts/js. */
function resolveMain(dir: string, main: string): string {
    const p = path.resolve(dir, main);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
        const pkgFile = path.join(p, "package.json");
        if (fs.existsSync(pkgFile)) {
            let pkg: { main?: unknown };
            try {
                pkg = (JSON.parse(fs.readFileSync(pkgFile, "utf8")) ?? {}) as { main?: unknown };
            } catch (e) {
                throw new ProgramError(`${pkgFile}: ${(e as Error).message}`);
            }
            if (pkg.main !== undefined && typeof pkg.main !== "string")
                throw new ProgramError(`${pkgFile}: \`main\` must be a string`);
            if (pkg.main) return resolveMain(p, pkg.main);
        }
        for (const f of ["index.ts", "index.js"]) if (fs.existsSync(path.join(p, f))) return path.join(p, f);
    }
    for (const ext of [".ts", ".js"]) if (fs.existsSync(p + ext)) return p + ext;
    throw new ProgramError(
        `${dir}: main ${JSON.stringify(main)} not found (looked for a file, or a directory with index.ts/index.js)`,
    );
}

/** The stack files next to Pulumi.yaml, by stack name. */
export function stackFiles(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of fs.readdirSync(dir).sort()) {
        const m = /^Pulumi\.(.+)\.ya?ml$/.exec(f);
        if (m) out[m[1]] = path.join(dir, f);
    }
    return out;
}

/** The placeholder a `secure:` config value renders as. */
export function secretPlaceholder(key: string): string {
    return `[secret:${key}]`;
}

/**
 * Reads the stack's config. The stack is `stack` if given; else the only `Pulumi.<stack>.yaml`; else
 * `dev` when there is none. `secure:` values (anywhere in a value) become `[secret:<key>]` and the key
 * is marked secret. Keys without a namespace belong to the project. Project defaults fill the rest.
 */
export function loadStackConfig(
    project: Project,
    stack?: string,
    overrides: Record<string, unknown> = {},
): StackConfig {
    const files = stackFiles(project.dir);
    let name = stack;
    if (!name) {
        const names = Object.keys(files);
        if (names.length === 1) name = names[0];
        else if (names.length === 0) name = "dev";
        else throw new ProgramError(`${project.dir}: several stacks (${names.join(", ")}); choose one with --stack`);
    } else if (!files[name] && Object.keys(files).length > 0) {
        throw new ProgramError(`${project.dir}: no Pulumi.${name}.yaml (stacks: ${Object.keys(files).join(", ")})`);
    }
    const file = files[name];
    const raw = file ? (((readYaml(file) ?? {}) as { config?: Record<string, unknown> }).config ?? {}) : {};
    const config: Record<string, string> = {};
    const secretKeys = new Set<string>();
    const namespaced = (k: string) => (k.includes(":") ? k : `${project.name}:${k}`);
    const set = (k: string, v: unknown) => {
        const key = namespaced(k);
        let secret = false;
        const redact = (x: unknown): unknown => {
            if (Array.isArray(x)) return x.map(redact);
            if (x && typeof x === "object") {
                const o = x as Record<string, unknown>;
                if (Object.keys(o).length === 1 && typeof o.secure === "string") {
                    secret = true;
                    return secretPlaceholder(key);
                }
                return Object.fromEntries(Object.entries(o).map(([a, b]) => [a, redact(b)]));
            }
            return x;
        };
        const value = redact(v);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret) secretKeys.add(key);
        else secretKeys.delete(key);
    };
    for (const [k, v] of Object.entries(project.configDefaults)) set(k, v);
    for (const [k, v] of Object.entries(raw)) set(k, v);
    for (const [k, v] of Object.entries(overrides)) set(k, v);
    return { stack: name, file, config, secretKeys: [...secretKeys].sort() };
}

// ---------------------------------------------------------------------------------------------
// Code loading

/** A `require` that resolves modules the way the program's own code does. */
export function programRequire(project: Project): NodeJS.Require {
    return createRequire(project.main);
}

/**
 * The TypeScript compiler Pulumi would use: `typescript` as resolved from the program's
 * `@pulumi/pulumi`, else the copy Pulumi vendors (3.8.3), else the renderer's own.
 */
function loadTypeScript(project: Project): typeof import("typescript") {
    const req = programRequire(project);
    const candidates: Array<() => string> = [
        () => createRequire(req.resolve("@pulumi/pulumi/package.json")).resolve("typescript"),
        () => req.resolve("typescript"),
        () =>
            path.join(
                path.dirname(req.resolve("@pulumi/pulumi/package.json")),
                "vendor",
                "typescript@3.8.3",
                "typescript.js",
            ),
        () => require.resolve("typescript"),
    ];
    for (const c of candidates) {
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require(c()) as typeof import("typescript");
        } catch {
            /* next */
        }
    }
    throw new ProgramError(
        `${project.dir}: cannot find the \`typescript\` package to compile the program; install it (npm i -D typescript)`,
    );
}

/**
 * Compiler options as Pulumi's language host sets them for CommonJS programs: target ES2020,
 * sourceMap, overridden by `compilerOptions` of the program directory's tsconfig.json (read raw,
 * like Pulumi). Emitted as CommonJS.
 */
export function compilerOptions(
    project: Project,
    ts: typeof import("typescript"),
): import("typescript").CompilerOptions {
    const tsconfig = path.join(project.dir, process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json");
    let fromFile: Record<string, unknown> = {};
    if (fs.existsSync(tsconfig)) {
        const parsed = ts.parseConfigFileTextToJson(tsconfig, fs.readFileSync(tsconfig, "utf8"));
        if (parsed.error)
            throw new ProgramError(`${tsconfig}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, "\n")}`);
        fromFile = (parsed.config as { compilerOptions?: Record<string, unknown> }).compilerOptions ?? {};
    }
    const { options, errors } = ts.convertCompilerOptionsFromJson(
        { target: "ES2020", sourceMap: true, ...fromFile },
        project.dir,
    );
    if (errors.length)
        throw new ProgramError(
            `${tsconfig}: ${errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, "\n")).join("; ")}`,
        );
    return {
        ...options,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10 ?? ts.ModuleResolutionKind.NodeJs,
        sourceMap: false,
        inlineSourceMap: true,
        inlineSources: false,
        declaration: false,
        noEmit: false,
        outDir: undefined,
        rootDir: undefined,
    };
}

/** Whether a file is the program's own code (not a dependency's). */
function isProgramFile(project: Project, file: string): boolean {
    const rel = path.relative(project.dir, file);
    return !rel.startsWith("..") && !path.isAbsolute(rel) && !rel.split(path.sep).includes("node_modules");
}

type Loader = (module: NodeJS.Module & { _compile(code: string, filename: string): void }, filename: string) => void;

/**
 * Installs a CommonJS loader that compiles the program's own `.ts` files (transpile-only: the type
 * check Pulumi also runs is `typeCheck()`). Returns a function removing it.
 */
export function registerTypeScript(project: Project): () => void {
    const ts = loadTypeScript(project);
    const options = compilerOptions(project, ts);
    const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
    const previous: Record<string, Loader | undefined> = {};
    for (const ext of [".ts", ".tsx", ".cts"]) {
        previous[ext] = extensions[ext];
        const fallback = previous[ext];
        extensions[ext] = (module, filename) => {
            if (!isProgramFile(project, filename) && fallback) return fallback(module, filename);
            const out = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
                compilerOptions: options,
                fileName: filename,
                reportDiagnostics: true,
            });
            const diags = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
            if (diags.length) throw new ProgramError(formatDiagnostics(ts, diags));
            module._compile(out.outputText, filename);
        };
    }
    return () => {
        for (const [ext, loader] of Object.entries(previous)) {
            if (loader) extensions[ext] = loader;
            else delete extensions[ext];
        }
    };
}

function formatDiagnostics(ts: typeof import("typescript"), diags: readonly import("typescript").Diagnostic[]): string {
    return ts
        .formatDiagnostics(diags, {
            getCanonicalFileName: (f) => f,
            getCurrentDirectory: () => process.cwd(),
            getNewLine: () => "\n",
        })
        .trim();
}

/**
 * Type-checks the program like Pulumi does by default (ts-node without transpileOnly): all errors
 * of the program's own files, as one ProgramError.
 */
export function typeCheck(project: Project): void {
    const ts = loadTypeScript(project);
    // Like Pulumi's host: nodenext module resolution with TypeScript >= 4.7 (package "exports" work).
    const nodeNext = ts.ModuleKind.NodeNext !== undefined;
    const options = {
        ...compilerOptions(project, ts),
        noEmit: true,
        ...(nodeNext ? { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext } : {}),
    };
    const program = ts.createProgram([project.main], options);
    const diags = ts
        .getPreEmitDiagnostics(program)
        .filter(
            (d) => d.category === ts.DiagnosticCategory.Error && (!d.file || isProgramFile(project, d.file.fileName)),
        );
    if (diags.length)
        throw new ProgramError(
            `type errors (Pulumi type-checks TypeScript programs by default):\n${formatDiagnostics(ts, diags)}`,
        );
}

/**
 * Forgets the program's modules (and the mlkube package it resolves) so a second render runs the
 * program afresh. The program's `@pulumi/pulumi` stays loaded: the mocks live in it.
 */
export function forgetProgramModules(project: Project): void {
    let mlkubeDir: string | undefined;
    try {
        // The directory of the package's entry module (dist/ of an installed or self-referenced mlkube).
        mlkubeDir = path.dirname(programRequire(project).resolve("mlkube"));
    } catch {
        mlkubeDir = undefined;
    }
    const within = (dir: string, file: string) => {
        const rel = path.relative(dir, file);
        return !rel.startsWith("..") && !path.isAbsolute(rel) && !rel.split(path.sep).includes("node_modules");
    };
    for (const file of Object.keys(require.cache)) {
        if (within(__dirname, file)) continue; // the renderer itself
        if (isProgramFile(project, file) || (mlkubeDir && within(mlkubeDir, file))) delete require.cache[file];
    }
}

/** Runs the entry module; if it exports a function (Pulumi's `export = async () => ...`), calls it. */
export async function runMain(project: Project): Promise<unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(project.main) as unknown;
    const fn =
        exported &&
        typeof exported === "object" &&
        typeof (exported as { default?: unknown }).default === "function" &&
        Object.keys(exported).length === 1
            ? (exported as { default: unknown }).default
            : exported;
    if (typeof fn === "function") return await (fn as () => unknown)();
    return exported;
}
