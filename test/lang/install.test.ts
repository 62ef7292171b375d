/**
 * The plugin installs itself, as on a user's machine (`npm run test:lang`; docs/release.md): a release built
 * with `pluginDownloadURL` pointing at a local HTTP server (127.0.0.1 only, serving that release folder and
 * nothing else), a fresh PULUMI_HOME without the mlkube plugin, automatic plugin acquisition ON (the rest
 * of the project's engine runs turn it off), and NO `node` on PATH. Python: the wheel pip-installed into a
 * fresh venv (no PYTHONPATH), its pulumi-plugin.json names the server; Go: the release's Go SDK module
 * unpacked and required through a `replace`, its pulumi-plugin.json names the server (the Go host finds it
 * with `go list -m -json all`); YAML: the program names the server in `options.pluginDownloadURL`. `pulumi preview` must download and install the plugin, which then runs
 * with its bundled Node.js and constructs the components.
 *
 * What is not a user's: the Kubernetes provider 4.25.0 is put into the fresh PULUMI_HOME by
 * scripts/pulumi-bins.sh (this machine cannot download it from GitHub), and the engine is the one
 * scripts/pulumi-bins.sh builds.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { KUBECONFIG, PASSPHRASE, ROOT, pulumiEnv } from "../e2e/helpers";
import { GO_MODULE } from "../../scripts/gen-schema";
import { VERSION, pathWithoutNode } from "./helpers";

const PLATFORM = process.arch === "arm64" ? "linux-arm64" : "linux-amd64";
const TARBALL = `pulumi-resource-mlkube-v${VERSION}-${PLATFORM}.tar.gz`;

interface Result {
    status: number;
    output: string;
    seconds: number;
}

/** Runs a command without blocking the event loop (the HTTP server lives in this process); bounded. */
function run(
    cmd: string,
    args: string[],
    opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<Result> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd ?? ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
        child.on("error", (e) => (clearTimeout(timer), reject(e)));
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ status: code ?? -1, output, seconds: (Date.now() - t0) / 1000 });
        });
    });
}

async function ok(
    cmd: string,
    args: string[],
    opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<string> {
    const r = await run(cmd, args, opts);
    assert.equal(
        r.status,
        0,
        `${cmd} ${args.join(" ")} exited ${r.status} after ${r.seconds}s:\n${r.output.slice(-6000)}`,
    );
    return r.output;
}

/** A static server of one folder's files, on 127.0.0.1 only; records every request. */
async function serveFolder(dir: string): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        const name = decodeURIComponent((req.url ?? "").split("?")[0]).replace(/^\/+/, "");
        const file = path.join(dir, name);
        // Only plain names of files in the folder: no path separators, no dot files.
        if (
            req.method !== "GET" ||
            !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) ||
            !fs.existsSync(file) ||
            !fs.statSync(file).isFile()
        ) {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { "content-type": "application/gzip", "content-length": fs.statSync(file).size });
        fs.createReadStream(file).pipe(res);
    });
    server.requestTimeout = 120_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/`,
        requests,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

const YAML_PROGRAM = (url: string) => `name: mlkube-install-yaml
runtime: yaml
description: test/lang/install — the engine downloads the mlkube plugin from pluginDownloadURL.
resources:
  cache:
    type: mlkube:index:Volume
    properties:
      size: 1Gi
    options:
      version: ${VERSION}
      pluginDownloadURL: ${url}
  api:
    type: mlkube:index:Compute
    properties:
      image: registry.example/api:1.0
      resources: { cpu: 100m, memory: 128Mi }
      volumes: ["\${cache}"]
    options:
      version: ${VERSION}
      pluginDownloadURL: ${url}
outputs:
  endpoint: \${api.endpoint}
`;

const PYTHON_PROGRAM = `"""test/lang/install: the engine downloads the mlkube plugin from the SDK's pluginDownloadURL."""
import pulumi
import pulumi_mlkube as mlkube

cache = mlkube.Volume("cache", size="1Gi")
api = mlkube.Compute("api", image="registry.example/api:1.0", resources={"cpu": "100m", "memory": "128Mi"}, volumes=[cache])
pulumi.export("endpoint", api.endpoint)
`;

/** The Go program release.sh builds against the Go SDK module (one file, scripts/lib/go-sdk-check). */
const GO_PROGRAM = fs.readFileSync(path.join(ROOT, "scripts", "lib", "go-sdk-check", "main.go"), "utf8");

describe("the engine installs the mlkube plugin from pluginDownloadURL (no node on PATH)", () => {
    let scratch: string;
    let server: Awaited<ReturnType<typeof serveFolder>>;
    let releaseDir: string;
    let baseEnv: Record<string, string>;
    let bareHomeEnv: (home: string) => Record<string, string>;

    before(async () => {
        const bin = pulumiEnv().PATH.split(":")[0];
        assert.ok(
            fs.existsSync(path.join(bin, "pulumi")),
            `the Pulumi engine is not built (${bin}/pulumi); run scripts/pulumi-bins.sh build`,
        );
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-install-"));
        releaseDir = path.join(scratch, "release");
        // The server first (its port is part of the URL), then the release that names it.
        server = await serveFolder(releaseDir);
        const t0 = Date.now();
        await ok(
            path.join(ROOT, "scripts", "release.sh"),
            [
                "--out",
                releaseDir,
                "--download-url",
                server.url,
                "--only",
                "python,go,plugin",
                "--platforms",
                PLATFORM,
                "--no-checks",
            ],
            { env: { ...process.env } as Record<string, string> },
        );
        console.log(
            `# install: release with pluginDownloadURL ${server.url} built in ${(Date.now() - t0) / 1000}s: ${fs.readdirSync(releaseDir).join(", ")}`,
        );
        assert.ok(fs.existsSync(path.join(releaseDir, TARBALL)), `${TARBALL} in the release`);
        baseEnv = { ...process.env } as Record<string, string>;
        bareHomeEnv = (home: string) => {
            // scripts/pulumi-bins.sh env (fresh PULUMI_HOME with only the Kubernetes provider), less the switch
            // that keeps the engine from downloading plugins: a user's engine downloads them.
            const env: Record<string, string> = { ...pulumiEnv(home) };
            delete env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION;
            // The local cluster's kubeconfig when it is up (preview reads the live objects); else none.
            if (fs.existsSync(KUBECONFIG)) env.KUBECONFIG = KUBECONFIG;
            return {
                ...env,
                PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
                NO_COLOR: "1",
                PATH: pathWithoutNode(env.PATH, path.join(scratch, "shadow-" + path.basename(home))),
            };
        };
    });

    after(async () => {
        await server?.close();
        if (scratch && !process.env.MLKUBE_E2E_KEEP) fs.rmSync(scratch, { recursive: true, force: true });
    });

    /**
     * One program: a fresh PULUMI_HOME, the program in a temp dir, `pulumi preview`, then what the engine
     * installed. `local`: the plugin directory the program names itself (nothing downloaded or installed).
     */
    async function previewInstalls(
        lang: "yaml" | "python" | "yaml-packages" | "go",
        write: (dir: string) => void,
        extra: (env: Record<string, string>) => Promise<void> = async () => {},
        local?: string,
    ) {
        const home = path.join(scratch, `home-${lang}`);
        fs.mkdirSync(home);
        const env = bareHomeEnv(home);
        await extra(env);
        const which = spawnSync("sh", ["-c", "command -v node nodejs npm npx || true"], { env, encoding: "utf8" });
        assert.equal(which.stdout.trim(), "", `node is on the program's PATH: ${which.stdout}`);
        const pluginDir = path.join(home, "plugins", `resource-mlkube-v${VERSION}`);
        assert.ok(!fs.existsSync(pluginDir), "no mlkube plugin in the fresh PULUMI_HOME");

        const dir = path.join(scratch, `program-${lang}`);
        fs.mkdirSync(dir);
        write(dir);
        const state = path.join(scratch, `state-${lang}`);
        fs.mkdirSync(state);
        const penv = { ...env, PULUMI_BACKEND_URL: `file://${state}` };
        const before = server.requests.length;
        await ok("pulumi", ["stack", "init", "install", "--non-interactive", "--cwd", dir], { env: penv });
        await ok("pulumi", ["config", "set", "mlkube:namespace", "install-test", "--stack", "install", "--cwd", dir], {
            env: penv,
        });
        const r = await run(
            "pulumi",
            ["preview", "--stack", "install", "--non-interactive", "--color=never", "--cwd", dir],
            { env: penv },
        );
        const requests = server.requests.slice(before);
        assert.equal(
            r.status,
            0,
            `pulumi preview failed after ${r.seconds}s (requests: ${JSON.stringify(requests)}):\n${r.output.slice(-6000)}`,
        );
        assert.match(r.output, /mlkube:index:Compute/, r.output);
        assert.match(r.output, /kubernetes:apps\/v1:Deployment/, "the plugin constructed the Compute's Deployment");
        if (local) {
            assert.deepEqual(requests, [], "nothing downloaded");
            assert.ok(!fs.existsSync(pluginDir), "nothing installed into PULUMI_HOME");
        } else {
            // The engine fetched the tarball from the server, once, and installed it.
            assert.deepEqual(
                requests.filter((q) => q.endsWith(".tar.gz")),
                [`GET /${TARBALL}`],
                `requests: ${JSON.stringify(requests)}`,
            );
            assert.ok(
                fs.existsSync(path.join(pluginDir, "pulumi-resource-mlkube")),
                `the engine installed the plugin into ${pluginDir}`,
            );
        }
        const ran = local ?? pluginDir;
        assert.ok(fs.existsSync(path.join(ran, "node", "bin", "node")), "with its Node.js");
        // The launcher preloads node/compile-cache.cjs with the bundled Node: the compile cache the tarball
        // ships (scripts/plugin.sh) serves this user, under this user's name (a symlink to it when another
        // user packed it).
        const cache = path.join(ran, "node", ".compile-cache");
        const names = fs.existsSync(cache) ? fs.readdirSync(cache) : [];
        assert.ok(
            names.some((n) => n.endsWith(`-${process.getuid!()}`)),
            `the plugin's compile cache serves this user (node/.compile-cache: ${names.join(", ") || "none"})`,
        );
        console.log(
            `# install ${lang}: preview ${r.seconds}s, the plugin ${local ? `run from ${local}` : `downloaded from ${server.url}`}; requests: ${JSON.stringify(requests)}`,
        );
        return { r, env: penv, dir };
    }

    test("YAML: options.pluginDownloadURL on the resources", async () => {
        await previewInstalls("yaml", (dir) =>
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), YAML_PROGRAM(server.url)),
        );
    });

    test("YAML: a `packages:` entry naming an unpacked plugin folder (no download, no install)", async () => {
        const local = path.join(scratch, "unpacked", "pulumi-resource-mlkube");
        fs.mkdirSync(local, { recursive: true });
        await ok("tar", ["-C", local, "-xzf", path.join(releaseDir, TARBALL)], { env: baseEnv });
        const program = YAML_PROGRAM(server.url)
            .replace(/\n {4}options:\n {6}version: .*\n {6}pluginDownloadURL: .*\n/g, "\n")
            .replace("resources:\n", `packages:\n  mlkube: ${local}\nresources:\n`);
        assert.doesNotMatch(program, /pluginDownloadURL:/);
        await previewInstalls(
            "yaml-packages",
            (dir) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), program),
            undefined,
            local,
        );
    });

    test("Go: the release's Go SDK module through a replace; its pulumi-plugin.json names the server", async () => {
        const sdk = path.join(scratch, "go-sdk");
        fs.mkdirSync(sdk);
        await ok("tar", ["-C", sdk, "-xzf", path.join(releaseDir, `mlkube-sdk-go-v${VERSION}.tar.gz`)], {
            env: baseEnv,
        });
        await previewInstalls(
            "go",
            (dir) => {
                fs.writeFileSync(
                    path.join(dir, "Pulumi.yaml"),
                    "name: mlkube-install-go\nruntime: go\ndescription: test/lang/install\n",
                );
                fs.writeFileSync(
                    path.join(dir, "go.mod"),
                    `module example.com/mlkube-install-go\n\ngo 1.25\n\nrequire ${GO_MODULE} v${VERSION}\n\nreplace ${GO_MODULE} => ${path.join(sdk, "mlkube")}\n`,
                );
                fs.writeFileSync(path.join(dir, "main.go"), GO_PROGRAM);
                // What a user runs after writing the program: go.sum and the indirect requirements.
                const t0 = Date.now();
                const tidy = spawnSync("go", ["mod", "tidy"], {
                    cwd: dir,
                    env: { ...baseEnv, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" },
                    encoding: "utf8",
                    timeout: 300_000,
                });
                assert.equal(tidy.status, 0, `go mod tidy: ${tidy.stderr}`);
                console.log(`# install go: go mod tidy ${(Date.now() - t0) / 1000}s`);
            },
            async (env) => {
                env.GOTOOLCHAIN = "local";
            },
        );
    });

    test("Python: the wheel, pip-installed into a fresh venv; the SDK names the server", async () => {
        const venv = path.join(scratch, "venv");
        const pulumiPin = spawnSync(path.join(ROOT, "scripts", "python.sh"), ["versions"], { encoding: "utf8" })
            .stdout.split("\n")
            .find((l) => l.startsWith("pulumi=="))!;
        await previewInstalls(
            "python",
            (dir) => {
                fs.writeFileSync(
                    path.join(dir, "Pulumi.yaml"),
                    "name: mlkube-install-python\nruntime: python\ndescription: test/lang/install\n",
                );
                fs.writeFileSync(path.join(dir, "__main__.py"), PYTHON_PROGRAM);
            },
            async (env) => {
                const t0 = Date.now();
                await ok(process.env.PYTHON ?? "python3", ["-m", "venv", venv], { env: baseEnv });
                const whl = path.join(releaseDir, `pulumi_mlkube-${VERSION}-py3-none-any.whl`);
                const pipEnv = { ...baseEnv };
                delete pipEnv.PYTHONPATH;
                await ok(
                    path.join(venv, "bin", "python"),
                    ["-m", "pip", "install", "--quiet", "--no-input", whl, pulumiPin],
                    { env: pipEnv, cwd: scratch },
                );
                console.log(`# install python: fresh venv with the wheel in ${(Date.now() - t0) / 1000}s`);
                // The v3.68 Python host runs python3 from PATH (docs/python.md): the venv first, no PYTHONPATH.
                env.PATH = `${path.join(venv, "bin")}:${env.PATH}`;
                env.VIRTUAL_ENV = venv;
                delete env.PYTHONPATH;
            },
        );
    });
});
