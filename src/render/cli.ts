#!/usr/bin/env node
/**
 * The `mlkube` command.
 *
 *     mlkube render <program-dir> [--stack NAME] [--out DIR | --check PATH] [--show-secrets] [--config key=value]... [--typecheck] [--timeout S] [--verbose]
 */
import * as path from "node:path";
import { MlkubeValidationError } from "../errors";
import { checkRendered, isDirectoryTarget } from "./check";
import { ProgramError } from "./program";
import { DEFAULT_TIMEOUT_SECONDS, render, toYaml, writeDir } from "./index";

const HELP = `mlkube render: the Kubernetes objects a Pulumi program would create, offline
(no cluster, no Pulumi CLI, no backend).

Usage:
  mlkube render <program-dir> [options]
  mlkube --help | --version

Runs the program in <program-dir> (its Pulumi.yaml \`main\`) under the Pulumi SDK's mocks with
the config of Pulumi.<stack>.yaml, and prints every Kubernetes object it registers as
multi-document YAML, in an order \`kubectl apply -f\` accepts in one pass.

Options:
  -s, --stack NAME       Stack whose Pulumi.<NAME>.yaml supplies config
                         (default: the only Pulumi.*.yaml, else "dev" with no config)
  -o, --out DIR          Write one file per object (NN-<kind>-<namespace>-<name>.yaml) into DIR
                         instead of printing; earlier NN-*.yaml files there are replaced
      --check PATH       Compare with committed manifests instead of printing: PATH is a file from
                         \`mlkube render > PATH\` or a directory from \`--out PATH\`; prints a
                         unified diff (committed -> rendered) and exits 3 when they differ
  -c, --config KEY=VAL   Set or override a config value (KEY may omit the project namespace); repeatable
      --show-secrets     Print secret values (default: "<redacted>"; \`secure:\` config is never
                         decrypted and renders as "[secret:<key>]" either way)
      --typecheck        Type-check the program first, as \`pulumi up\` does (slower)
      --timeout SECONDS  Fail when the program has not finished after SECONDS (default 60)
  -v, --verbose          Print stack traces of errors
  -h, --help             This help
      --version          mlkube's version

Objects without metadata.name get the name Pulumi's auto-naming would assign, made
deterministic: <resource name>-<7 hex chars of sha256("<type>::<resource name>")>.
Exit status: 0 rendered (with --check: identical); 1 the program failed (validation errors
are printed as-is); 2 usage; 3 --check found differences.
`;

interface Args {
    command?: string;
    dir?: string;
    stack?: string;
    out?: string;
    check?: string;
    showSecrets: boolean;
    verbose: boolean;
    typeCheck: boolean;
    timeout: number;
    config: Record<string, string>;
    help: boolean;
    version: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
    const args: Args = {
        showSecrets: false,
        verbose: false,
        typeCheck: false,
        timeout: DEFAULT_TIMEOUT_SECONDS,
        config: {},
        help: false,
        version: false,
    };
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const [flag, inline] =
            a.startsWith("--") && a.includes("=")
                ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
                : [a, undefined];
        const value = () => {
            if (inline !== undefined) return inline;
            const v = argv[++i];
            if (v === undefined || v.startsWith("-")) throw new UsageError(`${flag} needs a value`);
            return v;
        };
        switch (flag) {
            case "-h":
            case "--help":
                args.help = true;
                break;
            case "--version":
                args.version = true;
                break;
            case "-s":
            case "--stack":
                args.stack = value();
                break;
            case "-o":
            case "--out":
                args.out = value();
                break;
            case "--check":
                args.check = value();
                break;
            case "-c":
            case "--config": {
                const kv = value();
                const eq = kv.indexOf("=");
                if (eq <= 0) throw new UsageError(`--config expects KEY=VALUE, got ${JSON.stringify(kv)}`);
                args.config[kv.slice(0, eq)] = kv.slice(eq + 1);
                break;
            }
            case "--show-secrets":
                args.showSecrets = true;
                break;
            case "--typecheck":
                args.typeCheck = true;
                break;
            case "--timeout": {
                const v = value();
                const n = Number(v);
                if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0))
                    throw new UsageError(`--timeout expects a number of seconds, got ${JSON.stringify(v)}`);
                args.timeout = n;
                break;
            }
            case "-v":
            case "--verbose":
                args.verbose = true;
                break;
            default:
                if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${a}`);
                positional.push(a);
        }
    }
    [args.command, args.dir] = positional;
    if (args.out !== undefined && args.check !== undefined) throw new UsageError("--out and --check are exclusive");
    if (positional.length > 2) throw new UsageError(`unexpected argument ${JSON.stringify(positional[2])}`);
    return args;
}

function version(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("../../package.json") as { version: string }).version;
}

function describeError(e: unknown, verbose: boolean): string {
    if (!(e instanceof Error)) return String(e);
    if (verbose && e.stack) return e.stack;
    if (
        e instanceof MlkubeValidationError ||
        e.name === "MlkubeValidationError" ||
        e instanceof ProgramError ||
        e.name === "ProgramError"
    )
        return e.message;
    return e.name && e.name !== "Error" ? `${e.name}: ${e.message}` : e.message;
}

export async function main(argv: string[]): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
    } catch (e) {
        process.stderr.write(`mlkube: ${(e as Error).message}\n\n${HELP}`);
        return 2;
    }
    if (args.version) {
        process.stdout.write(`${version()}\n`);
        return 0;
    }
    if (args.help || !args.command) {
        (args.help ? process.stdout : process.stderr).write(HELP);
        return args.help ? 0 : 2;
    }
    if (args.command !== "render") {
        process.stderr.write(`mlkube: unknown command ${JSON.stringify(args.command)}\n\n${HELP}`);
        return 2;
    }
    if (!args.dir) {
        process.stderr.write(`mlkube render: which program? (mlkube render <program-dir>)\n`);
        return 2;
    }
    // Stack traces point into the program's TypeScript (its modules carry inline source maps).
    process.setSourceMapsEnabled?.(true);
    // Errors the program raises after it returned (a promise rejecting later) are its errors too.
    const late: Error[] = [];
    const onLate = (reason: unknown) => late.push(reason instanceof Error ? reason : new Error(String(reason)));
    process.on("unhandledRejection", onLate);
    // Anything the program prints goes to stderr: stdout is the YAML.
    const restore = redirectOutput();
    let result;
    try {
        const rendered = render(args.dir, {
            stack: args.stack,
            showSecrets: args.showSecrets,
            config: args.config,
            typeCheck: args.typeCheck,
            timeoutSeconds: args.timeout,
        });
        // A program whose promise never settles, with nothing left that could settle it, empties the
        // event loop: Node would exit silently. That is a failure, said so.
        result = await Promise.race([rendered, idle().then(() => Promise.reject(new NeverSettled()))]);
        // Let what the program left running finish (or not, briefly) before judging it.
        await Promise.race([idle(), sleep(SETTLE_MS)]);
    } catch (e) {
        restore();
        process.stderr.write(`mlkube render: ${describeError(e, args.verbose)}\n`);
        return 1;
    } finally {
        process.off("unhandledRejection", onLate);
    }
    restore();
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    const errors = [
        ...result.errors,
        ...late.map((e) => Object.assign(e, { message: `after the program returned: ${e.message}` })),
    ];
    if (errors.length) {
        for (const e of errors) process.stderr.write(`error: ${describeError(e, args.verbose)}\n`);
        process.stderr.write(
            `mlkube render: ${path.resolve(args.dir)} (stack ${result.stack}) failed; nothing rendered\n`,
        );
        return 1;
    }
    if (args.check !== undefined) {
        const check = checkRendered(result.objects, args.check, result.sources);
        if (check.ok) {
            process.stderr.write(`${args.check}: up to date\n`);
            return 0;
        }
        process.stdout.write(check.diff);
        process.stderr.write(
            `${check.summary.join("\n")}\nmlkube render: ${args.check} differs from what ${args.dir} renders; run \`mlkube render ${args.dir} ${
                isDirectoryTarget(args.check) ? `--out ${args.check}` : `> ${args.check}`
            }\` to update it\n`,
        );
        return 3;
    }
    if (args.out) {
        const files = writeDir(result.objects, args.out, result.sources);
        process.stderr.write(`wrote ${files.length} objects to ${args.out}\n`);
    } else {
        process.stdout.write(toYaml(result.objects, result.sources));
    }
    return 0;
}

/** How long rendering waits after the program returned for what it left running (late rejections). */
const SETTLE_MS = 200;

class NeverSettled extends Error {
    constructor() {
        super("the program never finished: its promise did not settle and nothing left running could settle it");
        this.name = "ProgramError";
    }
}

/** Resolves when the event loop has nothing left to do (Node's "beforeExit"). */
function idle(): Promise<void> {
    return new Promise((resolve) => process.once("beforeExit", () => resolve()));
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Sends what the program prints to stderr while it runs: console.log/info/debug and direct writes to
 * process.stdout, whose only content is the YAML.
 */
function redirectOutput(): () => void {
    const saved = { log: console.log, info: console.info, debug: console.debug };
    const toErr = (...a: unknown[]) => console.error(...a);
    console.log = toErr;
    console.info = toErr;
    console.debug = toErr;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as it was (same this) below
    const write = process.stdout.write;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- bind() loses the overloads
    process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
    return () => {
        Object.assign(console, saved);
        process.stdout.write = write;
    };
}

/** Exits once stdout and stderr are flushed (what the program left running must not keep the render alive). */
function exit(code: number): void {
    process.exitCode = code;
    let pending = 2;
    const done = () => {
        if (--pending === 0) process.exit(code);
    };
    process.stdout.write("", done);
    process.stderr.write("", done);
}

if (require.main === module) {
    main(process.argv.slice(2)).then(exit, (e) => {
        process.stderr.write(
            `mlkube: ${describeError(e, process.argv.includes("--verbose") || process.argv.includes("-v"))}\n`,
        );
        exit(1);
    });
}
