/**
 * A private image registry for the cluster suite: the distribution registry (tools/cluster/registry, built
 * by `scripts/cluster.sh build` into the cluster's binary cache) on the host's loopback, with htpasswd
 * authentication and a random password per run. The real node's containerd runs in the host's network
 * namespace, so it reaches `127.0.0.1:<port>`; containerd talks plain HTTP to loopback registries (its
 * `docker.IsLocalhost` rule), so no TLS is needed. Started and stopped by the test that uses it (its own
 * process, killed by PID), nothing is left behind but the temp dir it is given.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CLUSTER_DIR, sleep } from "../kube";

export const CLUSTER_BIN = path.join(process.env.MLKUBE_CACHE ?? path.join(os.homedir(), ".cache", "mlkube"), "bin");
/** The docker-archive tarball `scripts/cluster.sh build` writes (the test image and the sandbox image). */
export const IMAGES_TAR = path.join(CLUSTER_BIN, "images", "images.tar");

export interface LocalRegistry {
    /** `127.0.0.1:<port>`: the registry part of image references and of a Docker config's `auths`. */
    host: string;
    user: string;
    password: string;
    /** A Docker client config (`auths` with this user's credentials), as `docker login` writes it. */
    dockerConfigFile: string;
    /**
     * Copies `src` of the images tarball to `<host>/<repository>` with `label` (K=V) added to its config, so the
     * image ID is new and a node that holds `src` must still pull it; returns the manifest digest.
     */
    push(src: string, repository: string, label: string): string;
    /** The registry's log so far (on failure). */
    log(): string;
    /** Stops the registry and removes the images the real node pulled from it (their layers are the test image's). */
    stop(): void;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

function binary(name: string): string {
    const p = path.join(CLUSTER_BIN, name);
    if (!fs.existsSync(p))
        throw new Error(
            `${p} is missing: build it with \`scripts/cluster.sh build\` (tools/cluster/registry; docs/cluster.md)`,
        );
    return p;
}

/** Starts a registry in `dir` and waits (at most 30 s) until it answers `/v2/` with 401. */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
    const registry = binary("registry");
    const regpush = binary("regpush");
    const user = "mlkube";
    const password = crypto.randomBytes(18).toString("base64url");
    const ht = spawnSync(regpush, ["htpasswd", user], { input: `${password}\n`, encoding: "utf8", timeout: 30_000 });
    if (ht.status !== 0) throw new Error(`regpush htpasswd failed: ${ht.stderr}`);
    fs.writeFileSync(path.join(dir, "htpasswd"), ht.stdout, { mode: 0o600 });
    const logFile = path.join(dir, "registry.log");
    let child: ChildProcess | undefined;
    let host = "";
    // A port that was free a moment ago can be taken in between: a few attempts, each bounded.
    for (let attempt = 0; attempt < 3 && !child; attempt++) {
        host = `127.0.0.1:${await freePort()}`;
        fs.writeFileSync(
            path.join(dir, "config.yml"),
            [
                "version: 0.1",
                "log: {level: info, accesslog: {disabled: true}}",
                `storage: {filesystem: {rootdirectory: ${JSON.stringify(path.join(dir, "data"))}}}`,
                `http: {addr: ${JSON.stringify(host)}, secret: ${JSON.stringify(crypto.randomBytes(16).toString("hex"))}}`,
                `auth: {htpasswd: {realm: mlkube-test, path: ${JSON.stringify(path.join(dir, "htpasswd"))}}}`,
                "",
            ].join("\n"),
        );
        const out = fs.openSync(logFile, "w");
        const c = spawn(registry, ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", out, out] });
        fs.closeSync(out);
        let exited = false;
        c.once("exit", () => (exited = true));
        for (let i = 0; i < 60 && !exited; i++) {
            const status = await fetch(`http://${host}/v2/`).then(
                (r) => r.status,
                () => 0,
            );
            if (status === 401) {
                child = c;
                break;
            }
            if (status !== 0)
                throw new Error(
                    `the registry at ${host} answered /v2/ with ${status}, expected 401 (authentication required)`,
                );
            await sleep(500);
        }
        if (!child && !exited) c.kill("SIGKILL");
    }
    if (!child) throw new Error(`the registry did not start (3 attempts):\n${fs.readFileSync(logFile, "utf8")}`);
    const proc = child;
    const dockerConfigFile = path.join(dir, "docker-config.json");
    fs.writeFileSync(
        dockerConfigFile,
        JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } }),
        { mode: 0o600 },
    );
    return {
        host,
        user,
        password,
        dockerConfigFile,
        push(src, repository, label) {
            const r = spawnSync(
                regpush,
                ["push", "-tar", IMAGES_TAR, "-src", src, "-dst", `${host}/${repository}`, "-label", label],
                {
                    encoding: "utf8",
                    timeout: 120_000,
                    env: { ...process.env, REGISTRY_USER: user, REGISTRY_PASSWORD: password },
                },
            );
            if (r.status !== 0)
                throw new Error(
                    `regpush push ${src} -> ${host}/${repository} failed (exit ${r.status}): ${r.stderr}${r.error ?? ""}`,
                );
            return r.stdout.trim();
        },
        log: () => fs.readFileSync(logFile, "utf8"),
        stop() {
            if (proc.exitCode === null && proc.pid) process.kill(proc.pid, "SIGKILL");
            const ctr = [
                path.join(CLUSTER_BIN, "ctr"),
                `--address=${path.join(CLUSTER_DIR, "node", "containerd", "containerd.sock")}`,
                "-n",
                "k8s.io",
            ];
            const refs =
                spawnSync(ctr[0], [...ctr.slice(1), "images", "ls", "-q"], { encoding: "utf8", timeout: 30_000 })
                    .stdout?.split("\n")
                    .filter((r) => r.startsWith(`${host}/`)) ?? [];
            if (refs.length)
                spawnSync(ctr[0], [...ctr.slice(1), "images", "rm", ...refs], { encoding: "utf8", timeout: 30_000 });
        },
    };
}
