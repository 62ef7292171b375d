/**
 * `gitSsh` Secrets for real (issue 24, "Secrets for real"): an sshd in the cluster (image
 * mlkube.local/sshd:v1, openssh-server + git from Debian, scripts/lib/cluster-images.sh) serves a bare
 * repository; a training container running as uid 1000 clones it over SSH with nothing but what mlkube's
 * `gitSsh` Secret gives it (the key file, `known_hosts`, `GIT_SSH_COMMAND`). With a `known_hosts` that
 * names another host key, ssh refuses the server and the clone fails with ssh's own error.
 * Keys are made here by ssh-keygen (Debian's openssh-client, installed by `scripts/cluster.sh build`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { Compute, Secret, TrainJob } from "../../src";
import {
    applyOk,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    emitObjects,
    find,
    get,
    hasRealNode,
    kubectl,
    list,
    ON_REAL_NODE,
    readyPods,
    requireCluster,
    waitFor,
} from "./helpers";

const enabled = process.env.MLKUBE_REAL_NODE !== "0";
const SSHD_IMAGE = "mlkube.local/sshd:v1";
const SMALL = { cpu: "50m", memory: "64Mi" };
const PORT = 2222;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-git-ssh-"));
const marker = `mlkube-git-ssh-${crypto.randomBytes(6).toString("hex")}`;
let ns: string;
let host: string;

/** An ed25519 key pair made by ssh-keygen: the private key (OpenSSH format) and the public key line. */
function keyPair(name: string): { priv: string; pub: string } {
    const file = path.join(tmp, name);
    const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file], {
        encoding: "utf8",
        timeout: 30_000,
    });
    assert.equal(
        r.status,
        0,
        `ssh-keygen failed (Debian's openssh-client; scripts/cluster.sh build installs it): ${r.stderr}${r.error ?? ""}`,
    );
    return { priv: fs.readFileSync(file, "utf8"), pub: fs.readFileSync(`${file}.pub`, "utf8").trim() };
}

let server: { priv: string; pub: string };
let user: { priv: string; pub: string };

/**
 * The git server: sshd as the image's user (uid 1000, no privilege separation needed) on port 2222, the
 * host key and authorized_keys from a files Secret, and a bare repository whose one commit holds `marker`.
 */
const SERVER_SCRIPT = `set -eu
d=/tmp/sshd; mkdir -p "$d"
cp /etc/mlkube/secrets/sshd-keys/host_key "$d/host_key"; chmod 600 "$d/host_key"
cp /etc/mlkube/secrets/sshd-keys/authorized_keys "$d/authorized_keys"
printf '%s\\n' 'Port ${PORT}' "HostKey $d/host_key" "AuthorizedKeysFile $d/authorized_keys" "PidFile $d/sshd.pid" \\
  'StrictModes no' 'UsePAM no' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' >"$d/sshd_config"
git init -q --bare "$HOME/repo.git"
git init -q /tmp/work; cd /tmp/work; printf '%s\\n' "$REPO_MARKER" >README; git add README
git -c user.name=mlkube -c user.email=mlkube@example.invalid commit -qm init
git push -q "$HOME/repo.git" HEAD:refs/heads/main; git --git-dir="$HOME/repo.git" symbolic-ref HEAD refs/heads/main
exec /usr/sbin/sshd -D -e -f "$d/sshd_config"`;

before(async () => {
    if (!enabled) return;
    requireCluster();
    assert.ok(
        hasRealNode(),
        "the cluster has no real node (node label mlkube.test/node-kind=real); scripts/cluster.sh up starts one unless MLKUBE_REAL_NODE=0",
    );
    server = keyPair("host");
    user = keyPair("user");
    ns = await createNamespace("git-ssh");
    host = `git-server.${ns}.svc.cluster.local`;
    const objects = await emitObjects(() => {
        const keys = new Secret("sshd-keys", {
            env: { host_key: server.priv, authorized_keys: `${user.pub}\n` },
            mount: "files",
        });
        new Compute("git-server", {
            ...ON_REAL_NODE,
            image: SSHD_IMAGE,
            command: ["sh", "-c", SERVER_SCRIPT],
            env: { REPO_MARKER: marker },
            resources: SMALL,
            securityContext: { runAsUser: 1000 },
            secrets: [keys],
            ports: [{ port: PORT, name: "ssh" }],
        });
    }, ns);
    applyOk(objects);
    await waitFor(
        "sshd listening in the git-server pod",
        () => {
            const pod = readyPods(ns, "app.kubernetes.io/name=git-server")[0];
            return (
                pod &&
                new RegExp(`Server listening on 0\\.0\\.0\\.0 port ${PORT}`).test(
                    kubectl(["-n", ns, "logs", pod.metadata.name]).output,
                )
            );
        },
        { timeoutMs: 120_000, dump: [["pods", "", ns]] },
    );
});

after(() => {
    deleteNamespaces();
    fs.rmSync(tmp, { recursive: true, force: true });
});

/** A TrainJob (jobset, 1 node, uid 1000) whose container clones the repository with `secret` and prints README. */
async function cloneJob(
    name: string,
    knownHosts: string,
): Promise<{ state: "Completed" | "Failed"; logs: string; env: Record<string, string> }> {
    const objects = await emitObjects(() => {
        const git = new Secret(`${name}-key`, { gitSsh: { privateKey: user.priv, knownHosts } });
        new TrainJob(name, {
            ...ON_REAL_NODE,
            image: SSHD_IMAGE,
            backend: "jobset",
            command: [
                "sh",
                "-c",
                `git clone -q "ssh://mlkube@${host}:${PORT}/home/mlkube/repo.git" /tmp/repo && cat /tmp/repo/README`,
            ],
            numNodes: 1,
            resourcesPerNode: SMALL,
            securityContext: { runAsUser: 1000 },
            secrets: [git],
        });
    }, ns);
    const container = find(objects, "JobSet", name).spec.replicatedJobs[0].template.spec.template.spec.containers[0];
    const env = Object.fromEntries(
        (container.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]),
    );
    applyOk(objects);
    const state = await waitFor(
        `JobSet ${name} Completed or Failed`,
        () => {
            const js = get("jobset", name, ns);
            return conditionTrue(js, "Completed") ? "Completed" : conditionTrue(js, "Failed") ? "Failed" : undefined;
        },
        {
            timeoutMs: 150_000,
            dump: [
                ["jobset", name, ns],
                ["pods", "", ns],
            ],
        },
    );
    const pods = list("pods", ns, `jobset.sigs.k8s.io/jobset-name=${name}`);
    assert.ok(pods.length > 0, `no pods of ${name}`);
    const logs = pods.map((p) => kubectl(["-n", ns, "logs", p.metadata.name]).output).join("\n");
    return { state: state, logs, env };
}

describe("git over SSH", { skip: !enabled && "MLKUBE_REAL_NODE=0" }, () => {
    test("a training container (uid 1000) clones the bare repository over SSH with mlkube's gitSsh Secret (GIT_SSH_COMMAND, known_hosts)", async () => {
        const hostPub = server.pub.split(" ").slice(0, 2).join(" ");
        const r = await cloneJob("clone", `[${host}]:${PORT} ${hostPub}\n`);
        assert.match(
            r.env.GIT_SSH_COMMAND,
            /StrictHostKeyChecking=yes/,
            "with known_hosts mlkube makes ssh check the host key",
        );
        assert.equal(r.state, "Completed", `the clone failed:\n${r.logs}`);
        assert.match(r.logs, new RegExp(marker), "the README of the cloned repository");
    });

    test("a known_hosts naming another host key: ssh refuses the server and the clone fails with its error", async () => {
        const other = keyPair("other-host").pub.split(" ").slice(0, 2).join(" ");
        const r = await cloneJob("clone-wrong-key", `[${host}]:${PORT} ${other}\n`);
        assert.equal(r.state, "Failed", `the clone of a server with an unknown host key succeeded:\n${r.logs}`);
        assert.match(r.logs, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
        assert.doesNotMatch(r.logs, new RegExp(marker));
        assert.ok(!r.logs.includes(user.priv.split("\n")[1]), "no key material in the logs");
    });
});
