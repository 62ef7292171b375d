/**
 * Real containers on the real node of `scripts/cluster.sh` (containerd + runc + kubelet + kube-proxy +
 * CoreDNS; docs/cluster.md, "Real node"): what mlkube renders must work when it runs, not only pass
 * admission. Every workload is an mlkube component placed on the real node through mlkube's own
 * `nodeSelector`/`tolerations`, running the test image (tools/testimage) in a namespace that enforces
 * Pod Security "restricted".
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { Compute, Secret, TrainJob, Volume } from "../../src";
import { terminalState } from "../../src/trainjob/common";
import {
    applyOk,
    condition,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    emitObjects,
    execApp,
    find,
    get,
    hasRealNode,
    jsonLines,
    kubectl,
    list,
    ON_REAL_NODE,
    readyPods,
    requireCluster,
    waitFor,
} from "./helpers";

const enabled = process.env.MLKUBE_REAL_NODE !== "0";
let ns: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-realnode-"));

/** Small requests: the real node has the machine's 2 cores. */
const SMALL = { cpu: "50m", memory: "64Mi" };

before(async () => {
    if (!enabled) return;
    requireCluster();
    assert.ok(
        hasRealNode(),
        "the cluster has no real node (node label mlkube.test/node-kind=real); scripts/cluster.sh up starts one unless MLKUBE_REAL_NODE=0",
    );
    ns = await createNamespace("real");
});

after(() => {
    deleteNamespaces();
    fs.rmSync(tmp, { recursive: true, force: true });
});

function selectorOf(deployment: any): string {
    return Object.entries(deployment.spec.selector.matchLabels as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
}

/** Applies (no Pod Security warning allowed) and waits for the Deployment's rollout to finish; returns its one ready pod. */
async function rollout(objects: any[], name: string): Promise<any> {
    const stderr = applyOk(objects);
    assert.doesNotMatch(stderr, /PodSecurity/, "mlkube's pod violates Pod Security restricted");
    const dep = find(objects, "Deployment", name);
    const sel = selectorOf(dep);
    await waitFor(
        `Deployment ${name} rolled out`,
        () => {
            const d = get("deployment", name, ns);
            const s = d?.status ?? {};
            return (
                d &&
                s.observedGeneration >= d.metadata.generation &&
                s.updatedReplicas === d.spec.replicas &&
                s.readyReplicas === d.spec.replicas &&
                (s.replicas ?? 0) === d.spec.replicas
            );
        },
        {
            timeoutMs: 120_000,
            dump: [
                ["deployment", name, ns],
                ["pods", "", ns],
            ],
        },
    );
    return await waitFor(
        `one ready pod of ${name}`,
        () => {
            const pods = readyPods(ns, sel);
            const all = list("pods", ns, sel).filter((p) => !p.metadata.deletionTimestamp);
            return pods.length === 1 && all.length === 1 ? pods[0] : undefined;
        },
        { timeoutMs: 60_000, dump: [["pods", "", ns]] },
    );
}

function app(pod: any, ...args: string[]): string {
    const r = execApp(ns, pod.metadata.name, ...args);
    assert.equal(r.status, 0, `testapp ${args.join(" ")} in ${pod.metadata.name} failed:\n${r.output}`);
    return r.stdout;
}

function envOf(pod: any): Record<string, string> {
    return Object.fromEntries(
        app(pod, "env")
            .split("\n")
            .filter((l) => l.includes("="))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
}

describe("real node", { skip: !enabled && "MLKUBE_REAL_NODE=0" }, () => {
    test("1. runAsUser 1000 under Pod Security restricted reads every kind of mounted Secret (files, fromDirectory, provider files, git SSH key) and env Secrets", async () => {
        const dir = path.join(tmp, "config");
        fs.mkdirSync(path.join(dir, "nested"), { recursive: true });
        fs.writeFileSync(path.join(dir, "top.txt"), "top-value");
        fs.writeFileSync(path.join(dir, "nested", "deep.txt"), "deep-value");
        const gcpFile = path.join(tmp, "gcp.json");
        fs.writeFileSync(gcpFile, JSON.stringify({ type: "service_account", project_id: "mlkube-test" }));
        const { privateKey } = crypto.generateKeyPairSync("ed25519");
        const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();

        const objects = await emitObjects(() => {
            const files = new Secret("s-files", { env: { "token.txt": "token-value" }, mount: "files" });
            const fromDir = new Secret("s-dir", { fromDirectory: dir });
            const gcp = new Secret("s-gcp", { provider: "gcp", providerOptions: { credentialsFile: gcpFile } });
            const git = new Secret("s-git", { gitSsh: { privateKey: pem } });
            const env = new Secret("s-env", { env: { API_KEY: "key-123" } });
            new Compute("reader", {
                ...ON_REAL_NODE,
                args: ["serve"],
                resources: SMALL,
                securityContext: { runAsUser: 1000 },
                secrets: [files, fromDir, gcp, git, env],
            });
        }, ns);
        const dep = find(objects, "Deployment", "reader");
        // mlkube's default for a non-root pod with Secret files: fsGroup, so the kubelet makes the root-owned files group-readable.
        assert.equal(dep.spec.template.spec.securityContext.fsGroup, 1000);
        const pod = await rollout(objects, "reader");

        const container = dep.spec.template.spec.containers[0];
        const secretVolumes = new Set(
            dep.spec.template.spec.volumes.filter((v: any) => v.secret || v.projected).map((v: any) => v.name),
        );
        const mountPaths = container.volumeMounts
            .filter((m: any) => secretVolumes.has(m.name))
            .map((m: any) => m.mountPath);
        assert.equal(mountPaths.length, 4, `four Secret mounts: ${JSON.stringify(container.volumeMounts)}`);
        const [who, ...files] = jsonLines(app(pod, "files", ...mountPaths));
        assert.equal(who.uid, 1000, "the container runs as uid 1000");
        const names = files.map((f) => f.path.slice(f.path.lastIndexOf("/") + 1)).sort();
        assert.deepEqual(
            names,
            ["credentials.json", "deep.txt", "ssh-privatekey", "token.txt", "top.txt"],
            JSON.stringify(files),
        );
        for (const f of files)
            assert.ok(
                f.readable,
                `uid 1000 cannot read ${f.path} (mode ${f.mode}, owner ${f.uid}:${f.gid}): ${f.error}`,
            );
        assert.ok(
            files.some((f) => f.path.endsWith("/nested/deep.txt")),
            "fromDirectory keeps nested paths",
        );
        assert.equal(app(pod, "read", files.find((f) => f.path.endsWith("top.txt")).path), "top-value");

        const env = envOf(pod);
        assert.equal(env.API_KEY, "key-123", "env Secret");
        assert.ok(env.GOOGLE_APPLICATION_CREDENTIALS, "provider gcp sets GOOGLE_APPLICATION_CREDENTIALS");
        assert.deepEqual(JSON.parse(app(pod, "read", env.GOOGLE_APPLICATION_CREDENTIALS)).project_id, "mlkube-test");
        const key = /-i (\S+)/.exec(env.GIT_SSH_COMMAND ?? "")?.[1];
        assert.ok(key, `GIT_SSH_COMMAND names the key: ${env.GIT_SSH_COMMAND}`);
        // OpenSSH's identity-file permission rule, then the key parses (testapp ssh-key).
        const [ssh] = jsonLines(app(pod, "ssh-key", key));
        assert.equal(ssh.type, "ssh-ed25519");
        assert.notEqual(ssh.uid, 1000, "the key file is not owned by the user (ssh would then demand mode 0600)");
    });

    test("2. a Volume written by one pod is read after a Recreate rollout and after destroy + up (retained claim)", async () => {
        const program = (generation: string) => () => {
            const data = new Volume("data", { size: "1Gi", storageClass: "real-local", accessMode: "ReadWriteOnce" });
            new Compute("writer", {
                ...ON_REAL_NODE,
                args: ["serve"],
                env: { GENERATION: generation },
                resources: SMALL,
                securityContext: { runAsUser: 1000 },
                volumes: [{ volume: data, mountPath: "/data" }],
            });
        };
        const render = async (generation: string) => {
            const objects = await emitObjects(program(generation), ns);
            const dep = find(objects, "Deployment", "writer");
            assert.equal(dep.spec.strategy?.type, "Recreate", "mlkube uses Recreate with a ReadWriteOnce claim");
            assert.ok(
                dep.spec.template.spec.securityContext.fsGroup !== undefined,
                "mlkube sets fsGroup for a non-root pod with a claim",
            );
            return objects;
        };
        const first = await rollout(await render("1"), "writer");
        assert.equal(get("pvc", "data", ns).status.phase, "Bound");
        app(first, "write", "/data/marker", "written-by-generation-1");

        const second = await rollout(await render("2"), "writer");
        assert.notEqual(second.metadata.uid, first.metadata.uid, "the rollout replaced the pod");
        assert.equal(get("deployment", "writer", ns).spec.strategy.type, "Recreate");
        assert.equal(app(second, "read", "/data/marker"), "written-by-generation-1");

        // `pulumi destroy` deletes the Deployment but retains the claim (Volume reclaim Retain → retainOnDelete).
        const del = kubectl(["-n", ns, "delete", "deployment", "writer", "--wait=true", "--timeout=60s"]);
        assert.equal(del.status, 0, del.output);
        await waitFor(
            "writer pods gone",
            () => list("pods", ns, "").filter((p) => p.metadata.name.startsWith("writer-")).length === 0,
            60_000,
        );
        assert.equal(get("pvc", "data", ns).status.phase, "Bound", "the claim outlives the Deployment");
        const third = await rollout(await render("3"), "writer");
        assert.equal(app(third, "read", "/data/marker"), "written-by-generation-1");
    });

    test("3. /dev/shm and the tmpfs have the sizes asked for; a Secret rotation restarts the pods", async () => {
        const program = (value: string) => () => {
            const s = new Secret("rotating", { env: { "value.txt": value }, mount: "files" });
            new Compute("sized", {
                ...ON_REAL_NODE,
                args: ["serve"],
                resources: { cpu: "50m", memory: "128Mi", limits: { memory: "512Mi" } },
                sharedMemory: "64Mi",
                tmpfs: { size: "32Mi", path: "/scratch" },
                securityContext: { runAsUser: 1000 },
                secrets: [s],
            });
        };
        const objects = await emitObjects(program("v1"), ns);
        const pod = await rollout(objects, "sized");
        const sizes = Object.fromEntries(jsonLines(app(pod, "sizes", "/dev/shm", "/scratch")).map((s) => [s.path, s]));
        assert.equal(sizes["/dev/shm"].fs, "tmpfs");
        assert.equal(sizes["/dev/shm"].bytes, 64 * 1024 * 1024, "sharedMemory 64Mi");
        assert.equal(sizes["/scratch"].fs, "tmpfs");
        assert.equal(sizes["/scratch"].bytes, 32 * 1024 * 1024, "tmpfs size 32Mi");
        assert.equal(envOf(pod).TMPDIR, "/scratch", "TMPDIR points at the tmpfs");
        const mount = find(objects, "Deployment", "sized").spec.template.spec.containers[0].volumeMounts.find(
            (m: any) => m.mountPath.includes("rotating"),
        );
        assert.equal(app(pod, "read", `${mount.mountPath}/value.txt`), "v1");

        const rotated = await rollout(await emitObjects(program("v2"), ns), "sized");
        assert.notEqual(rotated.metadata.uid, pod.metadata.uid, "the Secret rotation replaced the pod");
        assert.equal(app(rotated, "read", `${mount.mountPath}/value.txt`), "v2");
    });

    test("4. a Compute's Service endpoint answers from another pod over cluster DNS, once the readiness probe passes", async () => {
        let endpoint: Promise<string> | undefined;
        const objects = await emitObjects(() => {
            const web = new Compute("web", {
                ...ON_REAL_NODE,
                args: ["serve", "-port", "8000", "-ready-after", "20s"],
                ports: [{ port: 80, targetPort: 8000, name: "http" }],
                readinessProbe: { path: "/ready", periodSeconds: 1, failureThreshold: 1 },
                resources: SMALL,
                securityContext: { runAsUser: 1000 },
            });
            endpoint = new Promise((resolve) => web.endpoint.apply((e) => resolve(e as string)));
            new Compute("client", {
                ...ON_REAL_NODE,
                args: ["sleep", "1h"],
                resources: SMALL,
                securityContext: { runAsUser: 1000 },
            });
        }, ns);
        const target = await Promise.race([
            endpoint!,
            new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000)),
        ]);
        assert.equal(target, `web.${ns}.svc.cluster.local:80`, "the Compute's endpoint output");
        const client = await rollout(
            objects.filter((o) => o.metadata.name === "client"),
            "client",
        );
        applyOk(objects.filter((o) => o.metadata.name === "web"));
        const web = await waitFor(
            "web pod running (not yet ready)",
            () =>
                list("pods", ns, selectorOf(find(objects, "Deployment", "web"))).find(
                    (p) => p.status.phase === "Running",
                ),
            60_000,
        );
        const notReady = execApp(ns, client.metadata.name, "connect", "-path", "/", target);
        const readyNow = readyPods(ns, selectorOf(find(objects, "Deployment", "web"))).length > 0;
        if (!readyNow)
            assert.notEqual(
                notReady.status,
                0,
                `the endpoint answered before the readiness probe passed:\n${notReady.output}`,
            );
        await waitFor("web ready", () => readyPods(ns, selectorOf(find(objects, "Deployment", "web"))).length === 1, {
            timeoutMs: 90_000,
            dump: [["pods", "", ns]],
        });
        const ok = execApp(
            ns,
            client.metadata.name,
            "connect",
            "-tries",
            "10",
            "-interval",
            "1s",
            "-path",
            "/",
            target,
        );
        assert.equal(ok.status, 0, ok.output);
        assert.match(jsonLines(ok.stdout).pop().body, new RegExp(`hello from ${web.metadata.name}`));
    });

    const rendezvous = (name: string, backend: "jobset" | "kubeflow", args: string[], extra: object = {}) =>
        new TrainJob(name, {
            ...ON_REAL_NODE,
            // The Trainer's spec.trainer has no imagePullPolicy (mlkube refuses it there); a `:v1` tag defaults to IfNotPresent.
            imagePullPolicy: backend === "kubeflow" ? undefined : ON_REAL_NODE.imagePullPolicy,
            backend,
            command: ["/testapp", "rendezvous", ...args],
            numNodes: 2,
            resourcesPerNode: SMALL,
            securityContext: { runAsUser: 1000 },
            ...extra,
        });

    async function logsOf(selector: string): Promise<{ pod: any; lines: any[] }[]> {
        return list("pods", ns, selector).map((p) => {
            const r = kubectl(["-n", ns, "logs", p.metadata.name]);
            return { pod: p, lines: jsonLines(r.stdout) };
        });
    }

    test("5a. TrainJob (jobset): 2 nodes resolve PET_MASTER_ADDR over cluster DNS, meet on the master port, the JobSet Completes", async () => {
        const objects = await emitObjects(() => rendezvous("rdv", "jobset", ["-timeout", "90s"]), ns);
        applyOk(objects);
        await waitFor("JobSet rdv Completed", () => conditionTrue(get("jobset", "rdv", ns), "Completed"), {
            timeoutMs: 180_000,
            dump: [
                ["jobset", "rdv", ns],
                ["pods", "", ns],
            ],
        });
        const logs = await logsOf("jobset.sigs.k8s.io/jobset-name=rdv");
        assert.equal(logs.length, 2);
        for (const { pod, lines } of logs) {
            assert.equal(pod.status.phase, "Succeeded");
            assert.ok(
                lines.some((l) => l.met === 2),
                `${pod.metadata.name} met both ranks: ${JSON.stringify(lines)}`,
            );
            assert.match(lines[0].master, /^rdv-node-0-0\.rdv:29500$/);
        }
    });

    test("5b. TrainJob (jobset): a failing rank fails the JobSet; waitForCompletion's check reports the reason", async () => {
        const objects = await emitObjects(
            () =>
                rendezvous("rdv-fail", "jobset", ["-timeout", "60s", "-fail-rank", "1"], {
                    waitForCompletion: true,
                    timeout: 300,
                }),
            ns,
        );
        applyOk(objects);
        const js = await waitFor(
            "JobSet rdv-fail Failed",
            () => {
                const j = get("jobset", "rdv-fail", ns);
                assert.ok(!conditionTrue(j, "Completed"), "a JobSet with a failing rank completed");
                return conditionTrue(j, "Failed") ? j : undefined;
            },
            {
                timeoutMs: 180_000,
                dump: [
                    ["jobset", "rdv-fail", ns],
                    ["pods", "", ns],
                ],
            },
        );
        assert.throws(
            () =>
                terminalState(
                    "JobSet",
                    js.status,
                    { resourceName: "rdv-fail", objectName: "rdv-fail", namespace: ns },
                    true,
                ),
            (e: Error) => {
                assert.match(
                    e.message,
                    new RegExp(`JobSet "rdv-fail" failed \\(${condition(js, "Failed")!.reason}\\)`),
                );
                return true;
            },
        );
        const failed = list("pods", ns, "jobset.sigs.k8s.io/jobset-name=rdv-fail").filter(
            (p) => p.status.phase === "Failed",
        );
        assert.ok(failed.length > 0, "a pod failed");
        const term = failed[0].status.containerStatuses[0].state.terminated;
        assert.equal(term.exitCode, 3);
        assert.equal(
            term.message,
            "rank 1 failed on purpose",
            "the rank's reason is the container's termination message",
        );
    });

    test("5c. TrainJob (kubeflow): the Trainer's pods meet over cluster DNS and the TrainJob Completes", async () => {
        const objects = await emitObjects(() => rendezvous("rdv-kf", "kubeflow", ["-timeout", "90s"]), ns);
        applyOk(objects);
        await waitFor(
            "TrainJob rdv-kf Complete",
            () => {
                const t = get("trainjob", "rdv-kf", ns);
                assert.ok(!conditionTrue(t, "Failed"), `TrainJob failed: ${JSON.stringify(t?.status)}`);
                return conditionTrue(t, "Complete");
            },
            {
                timeoutMs: 180_000,
                dump: [
                    ["trainjob", "rdv-kf", ns],
                    ["jobset", "rdv-kf", ns],
                    ["pods", "", ns],
                ],
            },
        );
        const logs = await logsOf("jobset.sigs.k8s.io/jobset-name=rdv-kf");
        assert.equal(logs.length, 2);
        for (const { pod, lines } of logs)
            assert.ok(
                lines.some((l) => l.met === 2),
                `${pod.metadata.name}: ${JSON.stringify(lines)}`,
            );
    });
});
