/**
 * The multi-language suite (`npm run test:lang`): mlkube's components from Pulumi YAML, Python and Go
 * programs, through the provider plugin `pulumi-resource-mlkube`, on the real engine and the local
 * cluster. Built on the e2e suite's helpers (test/e2e/helpers.ts: stacks, namespaces, the comparison
 * of live objects with the offline renderer's).
 *
 * Per test file (one language): a temporary PULUMI_HOME with the Kubernetes provider
 * (scripts/pulumi-bins.sh env) and the mlkube plugin installed from the tarball of
 * `scripts/plugin.sh pack` (`pulumi plugin install resource mlkube <version> --file ...`); Python
 * programs run with the venv of scripts/python.sh first on PATH (the v3.68 Python host ignores
 * Pulumi.yaml's `virtualenv` option) and the generated SDK sdk/python on PYTHONPATH (uninstalled, it
 * takes its version from its pulumi-plugin.json). Go programs are one module (test/lang/programs/go.mod,
 * the SDK sdk/go/mlkube by a `replace`), compiled once up front (`go build`, the build cache outside the
 * clone), then built again by the Go host on each run (linking only); for them no `node` is on PATH, so
 * the plugin runs on the Node.js inside its tarball.
 *
 * Each program has a TypeScript twin (test/lang/programs/<shape>/ts, or examples/inference): what the
 * offline renderer makes of the twin is what the YAML/Python program must create on the cluster.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { render } from "../../src/render";
import * as YAML from "yaml";
import { ownershipAnnotations } from "../../src/metadata";
import {
    KeptClaim,
    ROOT,
    RUN_ID,
    Stack,
    assertDestroyedExcept,
    assertLiveMatchesRendered,
    assertNoSecretLeak,
    createNamespace,
    deleteNamespaces,
    exampleStackDefaults,
    get,
    list,
    pulumiEnv,
    requirePrerequisites,
    summary,
    waitFor,
} from "../e2e/helpers";

export type Language = "yaml" | "python" | "go";

/** mlkube's version: the plugin's and the schema's. */
export const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
    if (cmd.includes("/") && !fs.existsSync(cmd))
        throw new Error(
            `${path.relative(ROOT, cmd)} is missing: test:lang needs the plugin (scripts/plugin.sh) and the Python venv (scripts/python.sh)`,
        );
    const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
}

/** The plugin tarball: $MLKUBE_PLUGIN_TARBALL, else what `scripts/plugin.sh pack` prints (its last line). */
export function pluginTarball(): string {
    const given = process.env.MLKUBE_PLUGIN_TARBALL;
    const tarball =
        given ??
        run(path.join(ROOT, "scripts", "plugin.sh"), ["pack"])
            .trim()
            .split("\n")
            .pop()!;
    assert.ok(fs.existsSync(tarball), `plugin tarball ${tarball} does not exist (scripts/plugin.sh pack)`);
    return tarball;
}

/** The bin directory of the Python venv with `pulumi` (scripts/python.sh; creates it once). */
export function pythonVenvBin(): string {
    const bin = run(path.join(ROOT, "scripts", "python.sh"), [])
        .trim()
        .split("\n")
        .pop()!;
    assert.ok(fs.existsSync(path.join(bin, "python3")), `scripts/python.sh printed ${bin}, which has no python3`);
    return bin;
}

const NODE_NAMES = new Set(["node", "nodejs", "npm", "npx", "corepack"]);

/**
 * PATH with every `node` (and npm, npx, nodejs, corepack) taken out: a directory that has one is replaced
 * by a directory (under `scratch`) of symlinks to everything else in it.
 */
export function pathWithoutNode(pathVar: string, scratch: string): string {
    return pathVar
        .split(":")
        .filter(Boolean)
        .map((dir, i) => {
            if (![...NODE_NAMES].some((n) => fs.existsSync(path.join(dir, n)))) return dir;
            const shadow = path.join(scratch, `path-${i}`);
            fs.mkdirSync(shadow, { recursive: true });
            for (const entry of fs.readdirSync(dir)) {
                if (!NODE_NAMES.has(entry)) fs.symlinkSync(path.join(dir, entry), path.join(shadow, entry));
            }
            return shadow;
        })
        .join(":");
}

/** The Go programs' module (quickstart, inference, trainjob and invalid share it). */
export const GO_PROGRAMS = path.join(ROOT, "test", "lang", "programs");

/**
 * Compiles the Go programs once (one `go build` of the module's four programs, which keeps no binary):
 * the Pulumi Go SDK and mlkube's are compiled into the build cache here, so the Go host's own `go build`
 * on each `pulumi` run only links. Bounded: 20 minutes (a cold build cache on a loaded 2-core machine).
 * Returns the seconds it took.
 */
export function buildGoPrograms(env: Record<string, string>): number {
    const t0 = Date.now();
    const r = spawnSync("go", ["build", "./quickstart/go", "./inference/go", "./trainjob/go", "./invalid/go"], {
        cwd: GO_PROGRAMS,
        env,
        encoding: "utf8",
        timeout: 1_200_000,
    });
    if (r.error) throw new Error(`go build of the Go programs (${GO_PROGRAMS}): ${r.error.message}`);
    if (r.status !== 0)
        throw new Error(`go build of the Go programs (${GO_PROGRAMS}) exited ${r.status}:\n${r.stdout}${r.stderr}`);
    return (Date.now() - t0) / 1000;
}

/**
 * The CLI environment of one language: a fresh PULUMI_HOME (removed by `cleanup`) with the Kubernetes
 * provider and the mlkube plugin; for Python the venv first on PATH, VIRTUAL_ENV and the SDK on PYTHONPATH.
 */
export function languageEnv(lang: Language): { env: Record<string, string>; cleanup: () => void } {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), `mlkube-lang-${lang}-home-`));
    const env: Record<string, string> = { ...pulumiEnv(home) };
    const t0 = Date.now();
    run("pulumi", ["plugin", "install", "resource", "mlkube", VERSION, "--file", pluginTarball()], env);
    console.log(
        `# ${lang}: plugin mlkube ${VERSION} installed into a fresh PULUMI_HOME in ${(Date.now() - t0) / 1000}s`,
    );
    if (lang === "python") {
        const bin = pythonVenvBin();
        env.PATH = `${bin}:${env.PATH}`;
        env.VIRTUAL_ENV = path.dirname(bin);
        env.PYTHONPATH = path.join(ROOT, "sdk", "python");
        env.PYTHONDONTWRITEBYTECODE = "1"; // keep sdk/python free of __pycache__
    }
    if (lang === "go") {
        // No node for the plugin: it must run on the Node.js of its tarball. The go toolchain stays (the Go
        // host builds the program with it); no toolchain download (GOTOOLCHAIN=local).
        env.PATH = pathWithoutNode(env.PATH, path.join(home, "path-without-node"));
        env.GOTOOLCHAIN = "local";
        const which = spawnSync("sh", ["-c", "command -v node nodejs npm npx || true"], { env, encoding: "utf8" });
        assert.equal(which.stdout.trim(), "", `node is on the Go programs' PATH: ${which.stdout}`);
        const built = buildGoPrograms(env);
        console.log(
            `# go: the four programs compiled once (go build, build cache ${run("go", ["env", "GOCACHE"], env).trim()}) in ${built}s`,
        );
    }
    return { env, cleanup: () => process.env.MLKUBE_E2E_KEEP || fs.rmSync(home, { recursive: true, force: true }) };
}

/** Every `checksum.mlkube.dev/*` annotation anywhere in a live object, as `key=value` (pod templates). */
export function checksumAnnotations(o: unknown, out: string[] = []): string[] {
    if (Array.isArray(o)) o.forEach((e) => checksumAnnotations(e, out));
    else if (o && typeof o === "object") {
        for (const [k, v] of Object.entries(o)) {
            if (k.startsWith("checksum.mlkube.dev/") && typeof v === "string") out.push(`${k}=${v}`);
            else checksumAnnotations(v, out);
        }
    }
    return out.sort();
}

/** One program shape, written in each language, with its TypeScript twin. */
export interface Shape {
    title: string;
    /** Namespace/stack prefix (the language's letter is put in front). */
    prefix: string;
    /** test/lang/programs/<dir>/<language> */
    dir: string;
    /** The TypeScript twin's directory (rendered offline) and the stack whose file it reads (if it has one). */
    twin: string;
    twinStack?: string;
    /** Plain stack config (also given to the twin); `mlkube:*` defaults of an example are added by the suite. */
    config?: Record<string, string>;
    /** Secret stack config: set with `pulumi config set --secret`; the first one is rotated. */
    secrets: Record<string, string>;
    /** The Kubernetes Secret (name, data key) that holds the rotated value. */
    secret: { name: string; key: string };
    /**
     * The live workload (kubectl kind, name). `rolls`: a rotated Secret rolls its pods (new checksum on the
     * pod template: Compute); else it must stay as it is (TrainJob: a rotated token must not restart a run).
     */
    workload: { kind: string; name: string; rolls: boolean };
    /** Stack outputs `pulumi up` must produce (some of them), given the namespace. */
    outputs: (namespace: string) => Record<string, string>;
}

const JOBSET = "jobsets.jobset.x-k8s.io";
const TRAINJOB = "trainjobs.trainer.kubeflow.org";

export const SHAPES: Shape[] = [
    {
        title: "quickstart",
        prefix: "qs",
        dir: "quickstart",
        twin: "test/lang/programs/quickstart/ts",
        secrets: { apiToken: `lang-api-token-${RUN_ID}-Zq4` },
        secret: { name: "api-token", key: "API_TOKEN" },
        workload: { kind: "deployment", name: "server", rolls: true },
        outputs: (ns) => ({ claim: "model-cache", endpoint: `server.${ns}.svc.cluster.local:8000` }),
    },
    {
        title: "inference",
        prefix: "inf",
        dir: "inference",
        twin: "examples/inference",
        twinStack: "dev",
        secrets: { hfToken: `hf_langInference${RUN_ID}W8` },
        secret: { name: "hf-token", key: "HF_TOKEN" },
        workload: { kind: "deployment", name: "llm", rolls: true },
        outputs: (ns) => ({ claim: "model-cache", endpoint: `llm.${ns}.svc.cluster.local:80` }),
    },
    {
        title: "TrainJob (jobset)",
        prefix: "tj",
        dir: "trainjob",
        twin: "test/lang/programs/trainjob/ts",
        secrets: { wandbApiKey: `wandb-lang-${RUN_ID}-key-51` },
        secret: { name: "wandb", key: "WANDB_API_KEY" },
        workload: { kind: JOBSET, name: "train", rolls: false },
        // waitForCompletion: `pulumi up` returned after the job completed.
        outputs: () => ({ jobName: "train", jobState: "Complete" }),
    },
    {
        title: "TrainJob (kubeflow)",
        prefix: "tjkf",
        dir: "trainjob",
        twin: "test/lang/programs/trainjob/ts",
        config: { backend: "kubeflow" },
        secrets: { wandbApiKey: `wandb-lang-kf-${RUN_ID}-key-62` },
        secret: { name: "wandb", key: "WANDB_API_KEY" },
        workload: { kind: TRAINJOB, name: "train", rolls: false },
        outputs: () => ({ jobName: "train", jobState: "Complete" }),
    },
];

/**
 * What the offline renderer predicts for the TypeScript twin with the stack's config (secrets as placeholders).
 * The twin is another project and stack: its ownership marker (src/metadata.ts) is rewritten to the live
 * stack's (`liveStack`'s project and name), which the comparison then checks like any other field.
 */
async function renderTwin(shape: Shape, namespace: string, liveStack: Stack) {
    const config: Record<string, unknown> = { "mlkube:namespace": namespace, ...(shape.config ?? {}) };
    for (const k of Object.keys(shape.secrets)) config[k] = { secure: "v1:not-decrypted" };
    const rendered = await render(path.join(ROOT, shape.twin), { stack: shape.twinStack ?? "lang", config });
    assert.deepEqual(rendered.errors, [], `rendering the TypeScript twin ${shape.twin} failed`);
    const project = (YAML.parse(fs.readFileSync(path.join(liveStack.dir, "Pulumi.yaml"), "utf8")) as { name: string })
        .name;
    const owner = ownershipAnnotations(project, liveStack.name);
    for (const o of rendered.objects) {
        const annotations = (o.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
        if (annotations) for (const k of Object.keys(owner)) if (k in annotations) annotations[k] = owner[k];
    }
    return rendered;
}

/**
 * The suite of one language: every shape (preview, up = the twin's rendered objects, preview
 * --expect-no-changes, Secret rotation rolls the pods, no plaintext secret in state, destroy keeps the
 * retained claims) and the invalid program.
 */
export function languageSuite(lang: Language): void {
    const L = { yaml: "y", python: "p", go: "g" }[lang];
    let env: Record<string, string>;
    let cleanup = () => {};

    before(() => {
        requirePrerequisites();
        ({ env, cleanup } = languageEnv(lang));
    });

    after(() => {
        deleteNamespaces();
        cleanup();
    });

    for (const shape of SHAPES) {
        // Go programs are compiled and linked by the Go host on every run (~15 s each): CI runs the Go twin of
        // the kubeflow TrainJob (the same plugin code as Python's and YAML's, which run it) only when asked.
        const skipGo = lang === "go" && shape.title === "TrainJob (kubeflow)" && process.env.MLKUBE_LANG_GO_ALL !== "1";
        describe(
            `${lang}: ${shape.title}`,
            {
                skip: skipGo
                    ? "the kubeflow TrainJob runs in Python and YAML; MLKUBE_LANG_GO_ALL=1 runs its Go twin too"
                    : false,
            },
            () => {
                let stack: Stack;
                let secretValues = Object.values(shape.secrets);
                let predicted: Awaited<ReturnType<typeof renderTwin>>;
                let kept: KeptClaim[] = [];

                before(async () => {
                    const ns = await createNamespace(`${L}${shape.prefix}`);
                    stack = new Stack(`test/lang/programs/${shape.dir}/${lang}`, `${L}${shape.prefix}`, ns, env);
                    stack.init({ ...exampleStackDefaults(shape.twin), ...(shape.config ?? {}) }, shape.secrets);
                });

                after(() => stack?.remove());

                test("pulumi preview plans the components", () => {
                    const r = stack.preview();
                    assert.equal(r.status, 0, `pulumi preview failed after ${r.seconds}s:\n${r.output}`);
                    assert.match(r.output, /mlkube:index:Compute|mlkube:index:TrainJob/, r.output);
                    console.log(
                        `# ${lang} ${shape.title}: preview ${r.seconds}s, ${JSON.stringify(summary(r.output))}`,
                    );
                });

                test("pulumi up creates what the renderer predicts for the TypeScript twin", async () => {
                    const r = stack.up();
                    assert.equal(r.status, 0, `pulumi up failed after ${r.seconds}s:\n${r.output}`);
                    console.log(`# ${lang} ${shape.title}: up ${r.seconds}s, ${JSON.stringify(summary(r.output))}`);
                    const outputs = stack.outputs();
                    const expected = shape.outputs(stack.namespace);
                    assert.deepEqual(
                        Object.fromEntries(Object.keys(expected).map((k) => [k, outputs[k]])),
                        expected,
                        "stack outputs",
                    );
                    predicted = await renderTwin(shape, stack.namespace, stack);
                    assertLiveMatchesRendered(predicted, stack.namespace);
                    // The claims of Volumes that are not `reclaim: "Delete"` must survive destroy.
                    kept = predicted.resources
                        .filter(
                            (x) => x.type === "kubernetes:core/v1:PersistentVolumeClaim" && x.options.retainOnDelete,
                        )
                        .map(
                            (x) =>
                                predicted.objects[
                                    predicted.sources.findIndex((s) => s.type === x.type && s.name === x.name)
                                ].metadata.name,
                        )
                        .map((name) => ({ name, uid: get("pvc", name, stack.namespace).metadata.uid }));
                    assert.ok(kept.length > 0, "the program has a retained claim");
                });

                test("pulumi preview --expect-no-changes is clean", () => {
                    const r = stack.preview(["--expect-no-changes"]);
                    assert.equal(r.status, 0, `preview reported changes after ${r.seconds}s:\n${r.output}`);
                });

                const rotation = shape.workload.rolls
                    ? "a new Secret value rolls the pods (new checksum on the pod template)"
                    : "a new Secret value updates the Secret and leaves the job alone (no checksum on a job's pods, as in TypeScript)";
                test(rotation, async () => {
                    const { kind, name, rolls } = shape.workload;
                    const before = get(kind, name, stack.namespace);
                    assert.ok(before, `${kind} ${name} is live`);
                    const sumsBefore = checksumAnnotations(before);
                    assert.equal(
                        sumsBefore.length > 0,
                        rolls,
                        `${kind} ${name} ${rolls ? "carries" : "does not carry"} the Secret's checksum: ${sumsBefore}`,
                    );
                    const [key] = Object.keys(shape.secrets);
                    const rotated = `${shape.secrets[key]}-rotated-${RUN_ID}`;
                    secretValues = [...secretValues, rotated];
                    stack.setSecret({ [key]: rotated });
                    const r = stack.up();
                    assert.equal(r.status, 0, `pulumi up after the rotation failed after ${r.seconds}s:\n${r.output}`);
                    const after = get(kind, name, stack.namespace);
                    console.log(
                        `# ${lang} ${shape.title}: rotation up ${r.seconds}s, ${JSON.stringify(summary(r.output))}`,
                    );
                    const live = get("secret", shape.secret.name, stack.namespace);
                    assert.equal(
                        Buffer.from(live.data[shape.secret.key], "base64").toString(),
                        rotated,
                        "the Kubernetes Secret holds the new value",
                    );
                    assert.equal(after.metadata.uid, before.metadata.uid, `the same ${kind}`);
                    if (rolls) {
                        assert.notDeepEqual(checksumAnnotations(after), sumsBefore, "new checksum on the pod template");
                        // A new ReplicaSet: the pods roll.
                        await waitFor(
                            "a new ReplicaSet",
                            () =>
                                list("replicasets", stack.namespace).filter(
                                    (x) => x.metadata.ownerReferences?.[0]?.uid === before.metadata.uid,
                                ).length === 2,
                        );
                    } else {
                        assert.equal(
                            after.metadata.generation,
                            before.metadata.generation,
                            `${kind} ${name} unchanged`,
                        );
                    }
                    const again = stack.preview(["--expect-no-changes"]);
                    assert.equal(again.status, 0, `preview after the rotation reported changes:\n${again.output}`);
                });

                test("no plaintext secret in pulumi stack export, the CLI output or the stack config file", () => {
                    assertNoSecretLeak(stack, secretValues);
                });

                test("pulumi destroy removes everything but the retained claims", () => {
                    const r = stack.pulumi(["destroy", "--yes", "--skip-preview"]);
                    assert.equal(r.status, 0, r.output);
                    console.log(`# ${lang} ${shape.title}: destroy ${r.seconds}s`);
                    assertDestroyedExcept(stack, predicted, kept);
                });
            },
        );
    }

    // Diagnosis runs inside the plugin the same for every language: one language proves it (YAML, the smallest).
    if (lang === "yaml")
        test(`${lang}: pulumi up of a TrainJob that cannot start says why, from the plugin (diagnosis)`, async () => {
            const ns = await createNamespace(`${L}diag`);
            const stack = new Stack(`test/lang/programs/diagnose/${lang}`, `${L}diag`, ns, env);
            try {
                stack.init({});
                const r = stack.up();
                assert.notEqual(r.status, 0, `the job cannot start, so the waited up fails:\n${r.output}`);
                assert.match(
                    r.output,
                    /TrainJob "train": pod train-node-0-0-\w+ container node cannot start \(CreateContainerConfigError\): Secret "hf-token-missing" does not exist/,
                    r.output,
                );
                console.log(
                    `# ${lang}: diagnosis through the plugin, up failed in ${r.seconds}s with:\n${r.output
                        .split("\n")
                        .filter((l) => /cannot start|error:/.test(l))
                        .slice(0, 4)
                        .join("\n")}`,
                );
            } finally {
                stack.remove();
            }
        });

    test(`${lang}: an invalid program fails pulumi preview with mlkube's message`, () => {
        const stack = new Stack(`test/lang/programs/invalid/${lang}`, `${L}bad`, "default", env);
        try {
            stack.ok(["stack", "init"]);
            const r = stack.preview();
            assert.notEqual(r.status, 0, r.output);
            // The first error is mlkube's message (the engine prefixes the resource). Python's SDK then adds
            // "Program failed with an unhandled exception" with its own traceback ("resource monitor shut
            // down": the engine aborts the run with code Unknown, the SDK stays quiet only for Unavailable).
            const errors = r.output.split("\n").filter((l) => /^\s*error: /.test(l));
            assert.match(
                errors[0] ?? "",
                /^\s*error: mlkube:index:Compute resource 'api' has a problem: Compute "api": resources\.memory: "16GB" is not a Kubernetes quantity; use "16Gi"$/,
                r.output,
            );
            if (lang === "yaml") assert.equal(errors.length, 1, r.output);
            // Go's SDK adds one line of its own after it (the same engine abort: "resource monitor shut down").
            if (lang === "go")
                assert.deepEqual(
                    errors.slice(1).map((l) => l.trim()),
                    ["error: an unhandled error occurred: program failed:"],
                    r.output,
                );
            assert.doesNotMatch(r.output, /^\s+at .*\.js:\d+/m, "no JavaScript stack trace from the plugin");
            console.log(
                `# ${lang}: invalid program: preview failed in ${r.seconds}s with:\n${r.output
                    .split("\n")
                    .filter((l) => /error/i.test(l))
                    .join("\n")}`,
            );
        } finally {
            stack.remove();
        }
    });
}
