/**
 * Progress and diagnosis (src/diagnose, docs/diagnosis.md), without a cluster: the classifier and the
 * progress line over objects RECORDED from the local cluster (test/fixtures/diagnose/record.sh), the
 * kubeconfig reader, and the watcher against a loopback HTTP server that serves those recordings.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Compute } from "../src/compute";
import { TrainJob } from "../src/trainjob/component";
import { classify, Finding, formatFinding, schedulerReasons } from "../src/diagnose/classify";
import { clusterAccess, ClusterAccess } from "../src/diagnose/kubeconfig";
import { formatProgress, progress, progressState } from "../src/diagnose/progress";
import { boundLog, LOG_BYTES, Obj, Snapshot, WorkloadContext } from "../src/diagnose/snapshot";
import { interval, Reporter, SNAPSHOTS_PER_SECOND, Watcher } from "../src/diagnose/watch";

const DIR = path.join(__dirname, "fixtures", "diagnose");
const read = (f: string): Obj => JSON.parse(fs.readFileSync(path.join(DIR, f), "utf8"));
const EVENTS = read("events.json").items as Obj[];
const TRAIN: WorkloadContext = { component: "TrainJob", name: "train", expected: 1 };
const COMPUTE: WorkloadContext = { component: "Compute", name: "api" };
/** A moment well after the recording (claims and queues are reported once they have waited a while). */
const LATER = Date.parse(read("pod-crash.json").metadata.creationTimestamp) + 120_000;

function snap(over: Partial<Snapshot>): Snapshot {
    return { now: LATER, pods: [], events: EVENTS, claims: [], ...over };
}
function findings(file: string, ctx: WorkloadContext = TRAIN, over: Partial<Snapshot> = {}): Finding[] {
    return classify(snap({ pods: [read(file)], ...over }), ctx);
}
function only(fs_: Finding[], kind: Finding["kind"]): Finding {
    const f = fs_.filter((x) => x.kind === kind);
    assert.equal(f.length, 1, `one ${kind} finding: ${JSON.stringify(fs_, null, 1)}`);
    return f[0];
}

describe("classifier: Unschedulable (recorded scheduler messages)", () => {
    test("insufficient nvidia.com/gpu names the pod, the amount and the field that asked for it", () => {
        const f = only(findings("pod-gpu-insufficient.json"), "Unschedulable");
        assert.match(f.subject, /^pod gpu-insufficient$/);
        assert.match(f.message, /8 node\(s\): not enough nvidia\.com\/gpu: resourcesPerNode\.gpu asks for 99 per node/);
        assert.match(f.fix, /lower resourcesPerNode\.gpu/);
        // A Compute's field is `resources`.
        assert.match(
            only(findings("pod-gpu-insufficient.json", COMPUTE), "Unschedulable").message,
            /resources\.gpu asks for 99 per replica/,
        );
    });
    test("an untolerated taint points at tolerations and says what the pod tolerates", () => {
        const f = only(findings("pod-taint.json"), "Unschedulable");
        assert.match(
            f.message,
            /7 node\(s\): nodes have a taint the pod does not tolerate; the pod tolerates no custom taint/,
        );
        assert.match(f.fix, /tolerations/);
        assert.match(f.fix, /gpuToleration/);
    });
    test("no node matching the selector names the selector", () => {
        const f = only(findings("pod-no-node.json"), "Unschedulable");
        assert.match(f.message, /no node matches nodeSelector node\.kubernetes\.io\/instance-type=p5\.48xlarge/);
        assert.match(f.fix, /correct nodeSelector/);
    });
    test("the scheduler's message is split per reason", () => {
        assert.deepEqual(
            schedulerReasons(
                read("pod-taint.json").status.conditions.find((c: Obj) => c.type === "PodScheduled").message,
            ),
            [
                { count: 2, reason: "Insufficient nvidia.com/gpu" },
                { count: 7, reason: "node(s) had untolerated taint(s)" },
            ],
        );
        assert.deepEqual(
            schedulerReasons("0/3 nodes are available: 3 node(s) had untolerated taint {nvidia.com/gpu: present}."),
            [{ count: 3, reason: "node(s) had untolerated taint {nvidia.com/gpu: present}" }],
        );
    });
    test("pods with the same reasons are one finding", () => {
        const a = read("pod-gpu-insufficient.json");
        const b = { ...a, metadata: { ...a.metadata, name: "gpu-2" } };
        const f = classify(snap({ pods: [a, b] }), TRAIN);
        assert.equal(f.length, 1);
        assert.match(f[0].subject, /pod gpu-insufficient \(and 1 more pod\)/);
    });
});

describe("classifier: images", () => {
    test("ImagePullBackOff names the image and says no image-pull Secret is set", () => {
        const f = only(findings("pod-image-pull.json"), "ImagePull");
        assert.match(
            f.message,
            /container node cannot get image "registry\.invalid\/team\/train:1\.0" \(ImagePullBackOff: /,
        );
        assert.match(f.message, /image-pull Secret: none/);
        assert.match(f.fix, /add an image-pull Secret \(imagePullSecrets\)/);
    });
    test("with an image-pull Secret: its name (never its content)", () => {
        const f = only(findings("pod-image-pull-secret.json"), "ImagePull");
        assert.match(f.message, /image-pull Secret: pull-creds/);
        assert.match(f.fix, /holds valid credentials/);
    });
    test("ErrImageNeverPull: the pull policy", () => {
        assert.match(only(findings("pod-image-never.json"), "ImagePull").fix, /imagePullPolicy is Never/);
    });
});

describe("classifier: CreateContainerConfigError", () => {
    test("a missing Secret", () => {
        const f = only(findings("pod-missing-secret.json"), "ContainerConfig");
        assert.match(f.message, /Secret "hf-token" does not exist/);
    });
    test("a missing key", () => {
        assert.match(
            only(findings("pod-missing-key.json"), "ContainerConfig").message,
            /Secret "has-other-key" has no key "token"/,
        );
    });
    test("runAsUser 0 under runAsNonRoot suggests securityContext.runAsUser", () => {
        assert.match(
            only(findings("pod-root-user.json"), "ContainerConfig").fix,
            /securityContext\.runAsUser to a non-root uid/,
        );
    });
    test("an image that runs as root under runAsNonRoot suggests securityContext.runAsUser", () => {
        // The recorded pod with the kubelet's message for a root image (the local cluster has no root image).
        const p = read("pod-root-user.json");
        p.status.containerStatuses[0].state.waiting.message =
            'container has runAsNonRoot and image will run as root (pod: "x_ns(uid)", container: node)';
        const f = only(classify(snap({ pods: [p] }), TRAIN), "ContainerConfig");
        assert.match(f.message, /the image runs as root/);
        assert.match(f.fix, /set securityContext\.runAsUser/);
    });
});

describe("classifier: crashes and failed ranks", () => {
    test("CrashLoopBackOff: exit code, reason, restarts, termination message and the last log lines", () => {
        const log = fs.readFileSync(path.join(DIR, "log-crash.txt"), "utf8");
        const f = only(findings("pod-crash.json", COMPUTE, { logs: { "crash/node": log } }), "Crash");
        assert.match(f.message, /container node exited with code 1 \(Error\), \d+ restarts?/);
        assert.match(f.detail ?? "", /termination message:\n {4}connect nowhere\.invalid:1/);
        assert.match(f.detail ?? "", /last log lines:\n {4}\{"error":/);
    });
    test("a failed rank: exit 3 and the termination message the program wrote", () => {
        const f = only(findings("pod-rank-failed.json"), "Crash");
        assert.match(f.message, /exited with code 3 \(Error\)/);
        assert.match(f.detail ?? "", /rank 0 failed on purpose/);
    });
    test("of several failed ranks, the first one (earliest, then lowest rank) is reported", () => {
        const pods = (read("pods-jobsets.json").items as Obj[]).filter(
            (p) => p.metadata.labels["jobset.sigs.k8s.io/jobset-name"] === "restarted",
        );
        const f = only(classify(snap({ pods }), { ...TRAIN, expected: 2 }), "Crash");
        const rank = (p: Obj) => Number(p.metadata.annotations["batch.kubernetes.io/job-completion-index"]);
        const finished = (p: Obj) => String(p.status.containerStatuses[0].state.terminated.finishedAt);
        const first = [...pods].sort((a, b) => finished(a).localeCompare(finished(b)) || rank(a) - rank(b))[0];
        assert.equal(f.subject, `rank ${rank(first)}, pod ${first.metadata.name}`);
        assert.match(f.message, /other container failure\(s\) after it/);
    });
    test("logs are bounded in lines and bytes", () => {
        const many = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
        assert.equal(boundLog(many).split("\n").length, 20);
        assert.match(boundLog(many), /^line 80\nline 81/);
        const wide = Array.from({ length: 10 }, () => "é".repeat(1000)).join("\n");
        const b = boundLog(wide);
        assert.ok(Buffer.byteLength(b) <= LOG_BYTES, `${Buffer.byteLength(b)} bytes`);
        assert.ok(!b.includes("\uFFFD"), "cut at a line start, not inside a character");
    });
});

describe("classifier: claims and queues", () => {
    test("a claim Pending on a class that does not exist", () => {
        const f = only(classify(snap({ claims: [read("pvc-no-class.json")] }), TRAIN), "ClaimPending");
        assert.match(f.message, /storage class "fast-ssd" does not exist/);
        assert.match(f.fix, /storageClass/);
    });
    test("a claim Pending on a class without a provisioner that has no volume with the access mode", () => {
        const f = only(classify(snap({ claims: [read("pvc-no-volume.json")] }), TRAIN), "ClaimPending");
        assert.match(
            f.message,
            /"real-local" creates no volumes .* no PersistentVolume offers 50Gi with access mode ReadOnlyMany/,
        );
    });
    test("a queued JobSet without Kueue: the queue name and that no Workload exists", () => {
        const f = only(classify(snap({ workload: read("jobset-queued.json") }), TRAIN), "Queued");
        assert.match(f.message, /queued in LocalQueue "team-a", and no Kueue Workload exists/);
    });
    test("a queued JobSet with Kueue's Workload: the admission message", () => {
        const w = read("jobset-queued.json");
        // Constructed after Kueue v1beta1's Workload (Kueue is not installed on the local cluster).
        const kw = {
            metadata: { ownerReferences: [{ uid: w.metadata.uid }] },
            status: {
                conditions: [
                    {
                        type: "QuotaReserved",
                        status: "False",
                        reason: "Pending",
                        message:
                            "couldn't assign flavors to pod set node: insufficient quota for nvidia.com/gpu in flavor h100, request > maximum capacity (16 > 8)",
                    },
                ],
            },
        };
        const f = only(classify(snap({ workload: w, kueueWorkloads: [kw] }), TRAIN), "Queued");
        assert.match(
            f.message,
            /queued in LocalQueue "team-a": couldn't assign flavors .* insufficient quota for nvidia\.com\/gpu/,
        );
        assert.match(
            progressState(progress(snap({ workload: w, kueueWorkloads: [kw] }), TRAIN), TRAIN),
            /queued \(queue team-a\)/,
        );
    });
});

describe("progress (recorded JobSets and their pods)", () => {
    const pods = read("pods-jobsets.json").items as Obj[];
    const of = (name: string) =>
        snap({
            workload: read(`jobset-${name}.json`),
            pods: pods.filter((p) => p.metadata.labels["jobset.sigs.k8s.io/jobset-name"] === name),
        });
    const ctx = { ...TRAIN, expected: 2 };
    test("running, finished, failed after its restart", () => {
        assert.equal(
            progressState(progress(of("running"), ctx), ctx),
            "2 nodes: 0 pending, 2 running, 0 succeeded, 0 failed; restarts 0/0 (maxRestarts)",
        );
        assert.equal(
            progressState(progress(of("done"), ctx), ctx),
            "2 nodes: 0 pending, 0 running, 2 succeeded, 0 failed; restarts 0/0 (maxRestarts); Completed (AllJobsCompleted)",
        );
        assert.match(
            progressState(progress(of("restarted"), ctx), ctx),
            /restarts 1\/1 \(maxRestarts\); Failed \(ReachedMaxRestarts\)$/,
        );
    });
    test("the printed line has the elapsed time", () => {
        assert.match(
            formatProgress(progress(of("running"), ctx), ctx, 65_000, 0),
            /^TrainJob "train": 2 nodes: .*; 1m05s$/,
        );
    });
});

describe("classifier under hostile input", () => {
    test("malformed objects give no finding and no exception", () => {
        const junk: unknown[] = [
            null,
            1,
            "x",
            [],
            {},
            { metadata: null, status: { conditions: "no" } },
            { status: { containerStatuses: [null, { state: { waiting: { reason: "ImagePullBackOff" } } }] } },
            { spec: { volumes: [null] } },
        ];
        for (const j of junk) {
            const s = snap({
                pods: [j as Obj].filter((x) => x && typeof x === "object"),
                claims: [j as Obj].filter((x) => x && typeof x === "object"),
                workload: j as Obj,
                events: [j as Obj],
            });
            assert.doesNotThrow(() => classify(s, TRAIN));
            assert.doesNotThrow(() => formatProgress(progress(s, TRAIN), TRAIN, 0, 0));
        }
    });
    test("no Secret value from the recordings reaches a finding (the recorded Secrets' values are markers)", () => {
        const all = fs
            .readdirSync(DIR)
            .filter((f) => f.startsWith("pod-"))
            .flatMap((f) => findings(f))
            .map((f) => formatFinding(f, TRAIN))
            .join("\n");
        assert.ok(all.length > 1000);
        assert.doesNotMatch(all, /MARKER-/);
        for (const f of fs.readdirSync(DIR).filter((x) => /\.(json|txt)$/.test(x)))
            assert.doesNotMatch(fs.readFileSync(path.join(DIR, f), "utf8"), /MARKER-/, f);
    });
});

// ---------------------------------------------------------------------------------------------
// kubeconfig

describe("cluster access from a kubeconfig", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-diagnose-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const kc = (user: string) => `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c1
  cluster: { server: "https://127.0.0.1:6443/", certificate-authority-data: ${Buffer.from("CA").toString("base64")} }
- name: c2
  cluster: { server: "https://10.0.0.2", insecure-skip-tls-verify: true }
contexts:
- name: a
  context: { cluster: c1, user: u, namespace: team }
- name: b
  context: { cluster: c2, user: u }
users:
- name: u
  user: ${user}
`;
    test("content (as the provider's kubeconfig option), current context, certificate data", () => {
        const a = clusterAccess(
            kc(
                `{ client-certificate-data: ${Buffer.from("CERT").toString("base64")}, client-key-data: ${Buffer.from("KEY").toString("base64")} }`,
            ),
            undefined,
            {},
        ) as ClusterAccess;
        assert.equal(a.server, "https://127.0.0.1:6443");
        assert.equal(a.ca?.toString(), "CA");
        assert.equal(a.cert?.toString(), "CERT");
        assert.equal(a.key?.toString(), "KEY");
        assert.equal(a.namespace, "team");
    });
    test("a path, another context, a token file relative to the kubeconfig", () => {
        fs.writeFileSync(path.join(tmp, "token"), "tok\n");
        fs.writeFileSync(path.join(tmp, "config"), kc("{ tokenFile: token }"));
        const a = clusterAccess(path.join(tmp, "config"), "b", {}) as ClusterAccess;
        assert.equal(a.server, "https://10.0.0.2");
        assert.equal(a.token, "tok");
        assert.equal(a.insecure, true);
        // $KUBECONFIG's first file when no kubeconfig is given.
        assert.equal(
            (
                clusterAccess(undefined, undefined, {
                    KUBECONFIG: `${path.join(tmp, "config")}${path.delimiter}/nonexistent`,
                }) as ClusterAccess
            ).token,
            "tok",
        );
    });
    test("no access (and a reason without any credential) for exec users, unknown contexts, bad files", () => {
        const none = (x: unknown) => (x as { none?: string }).none;
        assert.match(
            none(clusterAccess(kc("{ exec: { command: aws, token: SECRETTOKEN } }"), undefined, {})) ?? "",
            /exec/,
        );
        assert.match(none(clusterAccess(kc("{ token: SECRETTOKEN }"), "zzz", {})) ?? "", /no context "zzz"/);
        assert.match(none(clusterAccess(path.join(tmp, "missing"), undefined, {})) ?? "", /no kubeconfig/);
        assert.match(none(clusterAccess("apiVersion: v1\nclusters: [", undefined, {})) ?? "", /not valid YAML/);
        assert.doesNotMatch(JSON.stringify(clusterAccess(kc("{ token: SECRETTOKEN }"), "zzz", {})), /SECRETTOKEN/);
    });
});

// ---------------------------------------------------------------------------------------------
// The watcher against a loopback API server serving the recordings

/** A fake API server: `routes` answers by path prefix; every request path is recorded. */
async function apiServer(
    routes: (p: string) => { status: number; body: unknown } | "hang",
): Promise<{ access: ClusterAccess; paths: string[]; connections(): number; close(): Promise<void> }> {
    const paths: string[] = [];
    let connections = 0;
    const server = http.createServer((req, res) => {
        paths.push(req.url ?? "");
        const r = routes(req.url ?? "");
        if (r === "hang") return;
        res.writeHead(r.status, { "content-type": "application/json" });
        res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
    });
    server.on("connection", () => connections++);
    // Longer than any test waits: an idle connection is closed by the client (or by close()), not the server.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const port = (server.address() as { port: number }).port;
    return {
        access: { server: `http://127.0.0.1:${port}` },
        paths,
        connections: () => connections,
        close: () =>
            new Promise((res) => {
                server.closeAllConnections();
                server.close(() => res());
            }),
    };
}

function recorder(): Reporter & { lines: { level: string; msg: string }[] } {
    const lines: { level: string; msg: string }[] = [];
    return {
        lines,
        status: (msg) => lines.push({ level: "status", msg }),
        info: (msg) => lines.push({ level: "info", msg }),
        warn: (msg) => lines.push({ level: "warn", msg }),
    };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
        if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe("watcher", () => {
    const pods = read("pods-jobsets.json").items as Obj[];
    test("reports a finding once and a progress state on change only; stops; never reads a Secret; keeps nothing alive", async () => {
        let phase: "running" | "restarted" = "running";
        const api = await apiServer((p) => {
            if (p.startsWith("/apis/jobset.x-k8s.io/v1alpha2/namespaces/ns1/jobsets/train"))
                return { status: 200, body: read(`jobset-${phase}.json`) };
            if (p.startsWith("/api/v1/namespaces/ns1/pods?"))
                return {
                    status: 200,
                    body: { items: pods.filter((x) => x.metadata.labels["jobset.sigs.k8s.io/jobset-name"] === phase) },
                };
            if (p.includes("/log?")) return { status: 200, body: "step 1\nTraceback: boom\n" };
            return { status: 404, body: {} };
        });
        const out = recorder();
        const w = new Watcher(
            api.access,
            { ctx: { ...TRAIN, expected: 2 }, kind: "JobSet", namespace: "ns1", objectName: "train", progress: true },
            out,
            0,
        );
        // Ticks are driven by hand here (the timer's interval is seconds).
        for (let i = 0; i < 3; i++) w.report((await w.snapshot())!);
        assert.deepEqual(
            out.lines.map((l) => l.level),
            ["status"],
            "one status for three identical snapshots",
        );
        phase = "restarted";
        for (let i = 0; i < 3; i++) w.report((await w.snapshot())!);
        const warns = out.lines.filter((l) => l.level === "warn");
        assert.equal(warns.length, 1, JSON.stringify(out.lines, null, 1));
        assert.match(
            warns[0].msg,
            /^TrainJob "train": rank \d, pod restarted-node-0-\d-\w+ container node exited with code 1/,
        );
        assert.match(warns[0].msg, /last log lines:\n {4}step 1\n {4}Traceback: boom/);
        assert.equal(out.lines.filter((l) => l.level === "status").length, 2);
        assert.ok(
            api.paths.some((p) => /\/log\?container=node&tailLines=20&limitBytes=4096/.test(p)),
            "the log is asked for bounded",
        );
        assert.ok(!api.paths.some((p) => /secrets/.test(p)), `never reads Secrets: ${api.paths}`);
        w.stop(read("jobset-restarted.json").status);
        assert.match(out.lines.at(-1)!.msg, /^TrainJob "train": finished Failed \(ReachedMaxRestarts\) after \d+s$/);
        await api.close();
    });
    test("the timer loop: started, polls, stops at stop(); its timer never holds the process", async () => {
        const api = await apiServer((p) =>
            p.includes("/pods?")
                ? { status: 200, body: { items: [read("pod-gpu-insufficient.json")] } }
                : { status: 404, body: {} },
        );
        const out = recorder();
        const w = new Watcher(
            api.access,
            { ctx: TRAIN, kind: "JobSet", namespace: "ns1", objectName: "train", progress: true },
            out,
            0,
        ).start();
        await until("the Unschedulable finding", () => out.lines.some((l) => l.level === "warn"));
        assert.equal((w as unknown as { timer: NodeJS.Timeout }).timer.hasRef(), false, "the timer is unref'd");
        w.stop();
        const n = api.paths.length;
        await new Promise((r) => setTimeout(r, 2_500));
        assert.equal(api.paths.length, n, "no request after stop()");
        await api.close();
    });
    test("a server that errs, answers garbage or hangs: no exception, no report, bounded", async () => {
        for (const mode of ["500", "garbage", "hang"] as const) {
            const api = await apiServer(() =>
                mode === "hang"
                    ? "hang"
                    : mode === "500"
                      ? { status: 500, body: "oops" }
                      : { status: 200, body: "{not json" },
            );
            const out = recorder();
            const w = new Watcher(
                api.access,
                { ctx: TRAIN, kind: "JobSet", namespace: "ns1", objectName: "train", progress: true },
                out,
                0,
                1_000,
            );
            const t0 = Date.now();
            const s = await w.snapshot();
            assert.ok(Date.now() - t0 < 3_000, `${mode}: bounded by the request timeout`);
            if (s) w.report(s);
            assert.ok(
                out.lines.every((l) => l.level === "status"),
                `${mode}: ${JSON.stringify(out.lines)}`,
            );
            w.stop();
            await api.close();
        }
    });
    test("403: says once that progress and diagnosis are off, and stops polling", async () => {
        const api = await apiServer(() => ({ status: 403, body: { message: "forbidden" } }));
        const out = recorder();
        const w = new Watcher(
            api.access,
            { ctx: TRAIN, kind: "JobSet", namespace: "ns1", objectName: "train", progress: true },
            out,
            0,
        ).start();
        await until("the message", () => out.lines.length > 0);
        await new Promise((r) => setTimeout(r, 2_500));
        assert.equal(api.paths.length, 1);
        assert.match(out.lines[0].msg, /cannot read JobSet train \(HTTP 403\): progress and diagnosis are off/);
        w.stop();
        await api.close();
    });
});

describe("the watcher's client", () => {
    test("reuses its connection, and an idle kept-alive connection never holds the process", async () => {
        const api = await apiServer(() => ({ status: 200, body: { items: [] } }));
        const client = path.join(__dirname, "..", "src", "diagnose", "client.ts");
        // The child asks 5 times one after the other (a ref'd timer keeps it alive meanwhile: the requests'
        // sockets are unref'd), then lets go: it must exit at once, not when the server drops the idle connection.
        const script = `const { get } = require(${JSON.stringify(client)});
const keep = setInterval(() => {}, 1000);
(async () => {
    for (let i = 0; i < 5; i++) if ((await get({ server: ${JSON.stringify(api.access.server)} }, "/api/v1/pods")).status !== 200) process.exit(2);
    clearInterval(keep);
    console.log("done");
})();`;
        const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let doneAt = 0;
        child.stdout.on("data", (d: Buffer) => {
            out += String(d);
            if (out.includes("done") && !doneAt) doneAt = Date.now();
        });
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += String(d)));
        const code = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
        const lingered = Date.now() - doneAt;
        await api.close();
        assert.equal(code, 0, err);
        assert.ok(doneAt > 0, out);
        assert.equal(api.paths.length, 5);
        assert.equal(api.connections(), 1, "one connection for five requests");
        assert.ok(lingered < 2_000, `the process exited ${lingered} ms after its last request`);
    });
});

describe("where the watcher runs", () => {
    test('require("mlkube") loads none of it (it is loaded when a wait runs)', () => {
        const r = spawnSync(
            process.execPath,
            [
                "--import",
                "tsx",
                "-e",
                `require(${JSON.stringify(path.join(__dirname, "..", "src", "index.ts"))}); console.log(Object.keys(require.cache).filter((k) => k.includes("${path.sep}diagnose${path.sep}")).length)`,
            ],
            { encoding: "utf8", timeout: 60_000 },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "0");
    });
    test("never under Pulumi's mocks (mlkube render, unit tests): no request reaches the cluster", async () => {
        const api = await apiServer(() => ({ status: 200, body: { items: [] } }));
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-diagnose-mocks-"));
        const kubeconfig = path.join(tmp, "config");
        fs.writeFileSync(
            kubeconfig,
            `apiVersion: v1\ncurrent-context: a\nclusters: [{ name: c, cluster: { server: "${api.access.server}" } }]\ncontexts: [{ name: a, context: { cluster: c, user: u } }]\nusers: [{ name: u, user: { token: t } }]\n`,
        );
        const saved = process.env.KUBECONFIG;
        process.env.KUBECONFIG = kubeconfig;
        try {
            await pulumi.runtime.setMocks(
                { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
                "p",
                "s",
                false,
            );
            new TrainJob("t", { image: "x", waitForCompletion: true, namespace: "ns" });
            new Compute("c", { image: "x", namespace: "ns" });
            await new Promise((r) => setTimeout(r, 2_500));
            assert.deepEqual(api.paths, []);
        } finally {
            if (saved === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = saved;
            fs.rmSync(tmp, { recursive: true, force: true });
            await api.close();
        }
    });
});

test("watchers share one request budget: with many awaited workloads each polls less often, so a platform program's first up does not flood the API server", async () => {
    assert.equal(interval(0, 1), 2_000, "one watcher: every 2 s");
    assert.equal(interval(200_000, 1), 5_000, "after 2 minutes: every 5 s");
    for (const n of [1, 8, 100, 1000, 5000]) {
        const rate = n / (interval(0, n) / 1000);
        assert.ok(rate <= SNAPSHOTS_PER_SECOND + 1e-9, `${n} watchers poll ${rate.toFixed(2)} snapshots/s in all`);
    }
    assert.equal(interval(0, 1000), 250_000, "1000 watchers: each every 250 s");
});
