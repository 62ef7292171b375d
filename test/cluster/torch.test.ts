/**
 * Real distributed training on the real node (docs/runtime.md, "Proven with the real torchrun"):
 * Debian 12's PyTorch 1.13 (the `torch` image of scripts/lib/cluster-images.sh) runs
 * test/cluster/torch/train.py under the real `torchrun`, 2 nodes × 2 processes, CPU, gloo, on each
 * backend — JobSet, the Kubeflow Trainer's stock `torch-distributed` runtime, and a plain Indexed
 * Job — started only from the environment mlkube gives the pods. The script reaches the pods as an
 * mlkube Secret mounted as files; the checkpoint goes to an mlkube Volume (ReadWriteMany, local PV).
 *
 * What the pods' own logs must show: WORLD_SIZE=4 and ranks 0–3 on every backend, the same
 * all-reduce checksum on every rank, a falling loss, rank 0's checkpoint; a rank failing once under
 * `maxRestarts: 1` restarts the group, which resumes from the checkpoint; with no restart left the
 * JobSet fails and waitForCompletion's check (`terminalState`, not a `pulumi up`) names it and the
 * failed rank's termination message. Then train -> serve: a Compute loads the checkpoint and serves
 * predictions through a rollout under a bounded request loop. Negative controls break mlkube's output
 * in the emitted objects (no PET_NNODES, a wrong PET_MASTER_ADDR, no readiness probe) and show that
 * the same checks fail within a bounded time.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { Compute, Secret, TrainJob, Volume } from "../../src";
import { terminalState } from "../../src/trainjob/common";
import type { K8sObject } from "../../src/render";
import {
    applyOk,
    condition,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    emitObjects,
    get,
    hasRealNode,
    jsonLines,
    KUBECONFIG,
    KUBECTL,
    kubectl,
    list,
    ON_REAL_NODE,
    readyPods,
    requireCluster,
    type Backend,
    torchImage,
    trainJobKind,
    waitFor,
} from "./helpers";
import { CLUSTER_DIR } from "../kube";

const enabled = process.env.MLKUBE_REAL_NODE !== "0";
/** The scripts the pods run, shipped as one mlkube Secret mounted as files at /opt/train. */
const SCRIPTS = ["train.py", "serve.py", "client.py"].map((f) => path.join(__dirname, "torch", f));
const CKPT = "/ckpt";
/** 2 nodes × 2 processes: torchrun's WORLD_SIZE. */
const WORLD = 4;
/** Bound of one training run (image already on the node; the 2-core node starts 6 Python processes). */
const RUN_MS = 240_000;
let ns: string;
let image: string;

/** Whether the real node's containerd has the image (imported by scripts/cluster.sh up or scripts/images.sh import). */
function imageOnNode(ref: string): boolean {
    const ctr = path.join(
        process.env.MLKUBE_CACHE ?? path.join(process.env.HOME ?? "/root", ".cache", "mlkube"),
        "bin",
        "ctr",
    );
    const sock = path.join(CLUSTER_DIR, "node", "containerd", "containerd.sock");
    const r = spawnSync(ctr, [`--address=${sock}`, "-n", "k8s.io", "images", "ls", "-q", `name==${ref}`], {
        encoding: "utf8",
    });
    return r.status === 0 && r.stdout.trim() === ref;
}

before(async () => {
    if (!enabled) return;
    requireCluster();
    assert.ok(
        hasRealNode(),
        "the cluster has no real node; scripts/cluster.sh up starts one unless MLKUBE_REAL_NODE=0",
    );
    image = torchImage();
    assert.ok(
        imageOnNode(image),
        `${image} is not on the real node: scripts/cluster.sh up imports it (or: scripts/images.sh build torch && scripts/images.sh import torch)`,
    );
    ns = await createNamespace("hb-torch");
});

after(() => deleteNamespaces());

interface RunOptions {
    backend: Backend;
    env?: Record<string, string>;
    maxRestarts?: number;
    waitForCompletion?: boolean;
}

/** The scripts (a Secret mounted as files) and the checkpoint Volume (one claim for every run: the PVs are few). */
function shared() {
    const code = new Secret("train-code", { fromFile: SCRIPTS, mountPath: "/opt/train" });
    const ckpt = new Volume("ckpt", { size: "1Gi", storageClass: "real-local", accessMode: "ReadWriteMany" });
    return { code, ckpt };
}

/** The mlkube program of one run: the scripts, the checkpoint Volume, the TrainJob. */
function program(name: string, o: RunOptions) {
    return () => {
        const { code, ckpt } = shared();
        new TrainJob(name, {
            ...ON_REAL_NODE,
            image,
            // The Trainer's spec.trainer has no imagePullPolicy; a `:v1` tag defaults to IfNotPresent.
            imagePullPolicy: o.backend === "kubeflow" ? undefined : "Never",
            backend: o.backend,
            numNodes: 2,
            numProcPerNode: 2,
            // Debian 12's torchrun (PyTorch 1.13.1 on Python 3.11) fails at its defaults `--redirects 0 --tee 0`
            // (Std.from_str returns None: 3.11's IntFlag iteration skips 0; AttributeError 'NoneType' object has
            // no attribute 'get'). A mapping for a local rank that does not exist means "no redirect" for all.
            command: ["torchrun", "--redirects=9:1", "--tee=9:1", "/opt/train/train.py"],
            env: { CKPT_DIR: `${CKPT}/${name}`, PYTHONUNBUFFERED: "1", ...o.env },
            resourcesPerNode: { cpu: "100m", memory: "512Mi" },
            securityContext: { runAsUser: 1000 },
            secrets: [code],
            volumes: [{ volume: ckpt, mountPath: CKPT }],
            ...(o.maxRestarts !== undefined ? { maxRestarts: o.maxRestarts } : {}),
            ...(o.waitForCompletion ? { waitForCompletion: true, timeout: 300 } : {}),
        });
    };
}

/** Waits (bounded) for the run to end; throws at once when it failed (naming the failure), or at the timeout with a dump. */
async function completed(name: string, backend: Backend, timeoutMs = RUN_MS): Promise<any> {
    const k = trainJobKind(backend);
    const end = await waitFor(
        `${k.kind} ${name} ${k.complete}`,
        () => {
            const o = get(k.kind, name, ns);
            if (conditionTrue(o, "Failed")) return { failed: o };
            return conditionTrue(o, k.complete) ? { done: o } : undefined;
        },
        {
            timeoutMs,
            intervalMs: 2000,
            dump: () =>
                `${kubectl(["-n", ns, "get", k.kind, name, "-o", "yaml"]).output}\n--- pods\n${kubectl(["-n", ns, "get", "pods", "-o", "wide"]).output}\n--- logs\n${logsText(name, backend)}`,
        },
    );
    if (end.failed)
        assert.fail(
            `${k.kind} ${name} failed: ${JSON.stringify(condition(end.failed, "Failed"))}\n${terminationMessages(name, backend)}`,
        );
    return end.done;
}

function podsOf(name: string, backend: Backend): any[] {
    return list("pods", ns, trainJobKind(backend).selector(name)).filter((p) => !p.metadata.deletionTimestamp);
}

function logsText(name: string, backend: Backend): string {
    return podsOf(name, backend)
        .map((p) => `== ${p.metadata.name}\n${kubectl(["-n", ns, "logs", p.metadata.name, "--tail=40"]).output}`)
        .join("\n");
}

function terminationMessages(name: string, backend: Backend): string {
    return podsOf(name, backend)
        .map((p) => `${p.metadata.name}: ${p.status?.containerStatuses?.[0]?.state?.terminated?.message ?? ""}`)
        .join("\n");
}

/** Every JSON event of the run's pods (all workers print to their pod's stdout). */
function events(name: string, backend: Backend): any[] {
    return podsOf(name, backend).flatMap((p) => {
        const r = kubectl(["-n", ns, "logs", p.metadata.name]);
        assert.equal(r.status, 0, r.output);
        return jsonLines(r.stdout).map((e) => ({ ...e, pod: p.metadata.name }));
    });
}

/** What every good run shows: torchrun's world, the all-reduce, the loss, rank 0's final checkpoint. */
function assertTrained(ev: any[], steps = 30): { losses: Map<number, number> } {
    const starts = ev.filter((e) => e.event === "start");
    assert.equal(starts.length, WORLD, `${WORLD} workers started: ${JSON.stringify(starts)}`);
    assert.deepEqual(
        new Set(starts.map((s) => s.WORLD_SIZE)),
        new Set([String(WORLD)]),
        "torchrun gives every worker WORLD_SIZE=4",
    );
    assert.deepEqual(starts.map((s) => Number(s.RANK)).sort(), [0, 1, 2, 3], "distinct ranks 0-3");
    assert.deepEqual(starts.map((s) => Number(s.GROUP_RANK)).sort(), [0, 0, 1, 1], "two workers per node");
    assert.equal(new Set(starts.map((s) => s.pod)).size, 2, "two pods");
    const reduce = ev.filter((e) => e.event === "allreduce");
    assert.equal(reduce.length, WORLD);
    for (const r of reduce)
        assert.equal(r.checksum, 360, `rank ${r.rank}: all-reduce checksum ${r.checksum}, expected 36 * 4 * 5 / 2`);
    const losses = new Map<number, number>(ev.filter((e) => e.event === "loss").map((e) => [e.step, e.loss]));
    const stepsSeen = [...losses.keys()].sort((a, b) => a - b);
    assert.equal(stepsSeen[stepsSeen.length - 1], steps, `the loss of every step up to ${steps}: ${stepsSeen}`);
    const first = losses.get(stepsSeen[0])!;
    const last = losses.get(steps)!;
    assert.ok(last < first / 10, `the loss goes down: step ${stepsSeen[0]} ${first}, step ${steps} ${last}`);
    const ckpt = ev.filter((e) => e.event === "checkpoint");
    assert.ok(
        ckpt.some((c) => c.step === steps && c.path === `${CKPT}/${path.basename(path.dirname(c.path))}/model.pt`),
        `rank 0 wrote the final checkpoint: ${JSON.stringify(ckpt)}`,
    );
    assert.equal(ev.filter((e) => e.event === "done").length, WORLD, "every worker finished");
    return { losses };
}

/** Applies the run's objects (optionally altered: the negative controls) and returns them. */
async function start(name: string, o: RunOptions, alter?: (objects: K8sObject[]) => void): Promise<K8sObject[]> {
    const objects = await emitObjects(program(name, o), ns);
    alter?.(objects);
    const stderr = applyOk(objects);
    assert.doesNotMatch(stderr, /PodSecurity/, "mlkube's pods violate Pod Security restricted");
    return objects;
}

/** Deletes a finished run so its pods free the node (bounded wait). */
function cleanup(name: string, backend: Backend): void {
    kubectl(["-n", ns, "delete", trainJobKind(backend).kind, name, "--wait=true", "--timeout=60s"]);
}

/** The env list of the `node` container in the emitted JobSet (jobset backend). */
function nodeEnv(objects: K8sObject[]): any[] {
    const js: any = objects.find((x) => x.kind === "JobSet");
    assert.ok(js, "a JobSet");
    return js.spec.replicatedJobs[0].template.spec.template.spec.containers.find((c: any) => c.name === "node").env;
}

const SERVE_RESOURCES = { cpu: "50m", memory: "256Mi" };
/** The serving Compute `name` (2 replicas, the model from the jobset run's checkpoint) and a client pod. */
const serving = (name: string, version: string) => () => {
    const { code, ckpt } = shared();
    new Compute(name, {
        ...ON_REAL_NODE,
        image,
        replicas: 2,
        command: ["python3", "/opt/train/serve.py"],
        // READY_DELAY: the pod listens at once but answers 503 until the model is loaded.
        env: { MODEL: `${CKPT}/t-jobset/model.pt`, VERSION: version, READY_DELAY: "3", PORT: "8000" },
        ports: [{ port: 80, targetPort: 8000, name: "http" }],
        readinessProbe: { path: "/ready", periodSeconds: 1, failureThreshold: 1 },
        preStop: { sleepSeconds: 5 },
        resources: SERVE_RESOURCES,
        securityContext: { runAsUser: 1000 },
        secrets: [code],
        volumes: [{ volume: ckpt, mountPath: CKPT, readOnly: true }],
    });
    new Compute("client", {
        ...ON_REAL_NODE,
        image,
        command: ["sleep", "infinity"],
        resources: SERVE_RESOURCES,
        securityContext: { runAsUser: 1000 },
        secrets: [code],
    });
};

/**
 * Starts the bounded request loop (client.py: 10 requests/s for 30 s, 2 s timeout each) in the client
 * pod, applies `next` (a rollout of Compute `name`) 3 s in, samples the budget every second while the
 * loop runs; returns the loop's summary and every sample where the budget's healthy count fell short.
 */
async function rolloutUnderLoad(
    clientPod: string,
    url: string,
    name: string,
    next: K8sObject[],
): Promise<{ summary: any; budget: string[] }> {
    const loop = spawn(
        KUBECTL,
        [
            `--kubeconfig=${KUBECONFIG}`,
            "-n",
            ns,
            "exec",
            clientPod,
            "--",
            "python3",
            "/opt/train/client.py",
            url,
            "10",
            "30",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    loop.stdout.on("data", (d) => (out += d));
    loop.stderr.on("data", (d) => (out += d));
    let loopDone = false;
    const exited = new Promise<number | null>((resolve) =>
        loop.on("close", (code) => {
            loopDone = true;
            resolve(code);
        }),
    );
    const killer = setTimeout(() => loop.kill("SIGKILL"), 90_000);
    try {
        await new Promise((r) => setTimeout(r, 3000));
        applyOk(next);
        const budget: string[] = [];
        while (!loopDone) {
            const b = get("pdb", name, ns)?.status;
            if (b && b.currentHealthy < b.desiredHealthy) budget.push(JSON.stringify(b));
            await new Promise((r) => setTimeout(r, 1000));
        }
        assert.equal(await exited, 0, out);
        const summary = jsonLines(out)[0];
        assert.ok(summary, out);
        assert.equal(summary.sent, 300, JSON.stringify(summary));
        await waitFor(
            `Deployment ${name} rolled out`,
            () => {
                const d = get("deployment", name, ns);
                return d.status.updatedReplicas === 2 && d.status.readyReplicas === 2 && d.status.replicas === 2;
            },
            { timeoutMs: 60_000, dump: [["pods", "", ns]] },
        );
        return { summary, budget };
    } finally {
        clearTimeout(killer);
    }
}

let freshLossAtStep1: number | undefined;
/** What the jobset run's model should predict at x = ones (the sum of the true weights), from its log. */
let target: number | undefined;
/** The client pod of the serve test. */
let servingClient: string | undefined;

describe("real torchrun", { skip: !enabled && "MLKUBE_REAL_NODE=0" }, () => {
    for (const backend of ["jobset", "kubeflow", "job"] as const) {
        test(`${backend}: 2 nodes x 2 processes meet through mlkube's env: WORLD_SIZE=4, ranks 0-3, one all-reduce checksum, the loss falls, rank 0 checkpoints to the Volume`, async () => {
            const name = `t-${backend}`;
            const t0 = Date.now();
            await start(name, { backend });
            await completed(name, backend);
            const { losses } = assertTrained(events(name, backend));
            freshLossAtStep1 ??= losses.get(1);
            if (backend === "jobset")
                target = events(name, backend).find((e) => e.event === "done" && e.rank === 0)?.target;
            console.log(
                `# ${backend}: trained in ${((Date.now() - t0) / 1000).toFixed(0)} s; loss step 1 ${losses.get(1)?.toFixed(4)}, step 30 ${losses.get(30)?.toFixed(6)}`,
            );
            cleanup(name, backend);
        });
    }

    test("jobset, maxRestarts 1: rank 3 fails once mid-training, the group restarts and resumes from rank 0's checkpoint", async () => {
        const name = "t-restart";
        const t0 = Date.now();
        await start(name, { backend: "jobset", maxRestarts: 1, env: { FAIL_RANK: "3", FAIL_AT_STEP: "15" } });
        const js = await completed(name, "jobset", 2 * RUN_MS);
        assert.equal(js.status.restarts, 1, `one whole-group restart: ${JSON.stringify(js.status)}`);
        const ev = events(name, "jobset");
        const resumes = ev.filter((e) => e.event === "resume");
        assert.equal(resumes.length, WORLD, `every worker of the restarted group resumed: ${JSON.stringify(resumes)}`);
        for (const r of resumes)
            assert.equal(r.step, 10, "from the checkpoint of step 10 (the last before the failure at 15)");
        const { losses } = assertTrained(ev);
        assert.equal(Math.min(...losses.keys()), 11, "the restarted group trains from step 11");
        if (freshLossAtStep1 !== undefined)
            assert.ok(
                losses.get(11)! < freshLossAtStep1 / 10,
                `resumed weights, not fresh ones: step 11 ${losses.get(11)}, fresh step 1 ${freshLossAtStep1}`,
            );
        console.log(`# jobset restart + resume: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        cleanup(name, "jobset");
    });

    test("jobset, no restart left: rank 3's failure fails the JobSet; waitForCompletion's error names it and its termination-message command shows rank 3's exit", async () => {
        const name = "t-fail";
        await start(name, { backend: "jobset", waitForCompletion: true, env: { FAIL_RANK: "3", FAIL_AT_STEP: "5" } });
        const js = await waitFor(
            `JobSet ${name} Failed`,
            () => {
                const j = get("jobset", name, ns);
                assert.ok(!conditionTrue(j, "Completed"), "a JobSet with a failing rank completed");
                return conditionTrue(j, "Failed") ? j : undefined;
            },
            {
                timeoutMs: RUN_MS,
                intervalMs: 2000,
                dump: [
                    ["jobset", name, ns],
                    ["pods", "", ns],
                ],
            },
        );
        let message = "";
        assert.throws(
            () => terminalState("JobSet", js.status, { resourceName: name, objectName: name, namespace: ns }, true),
            (e: Error) => {
                message = e.message;
                assert.match(e.message, new RegExp(`JobSet "${name}" failed \\(${condition(js, "Failed")!.reason}\\)`));
                return true;
            },
        );
        // The command the error names, run as the user would: the failed rank's last log lines.
        const jsonpath = /-o jsonpath='([^']+)'/.exec(message)?.[1];
        assert.ok(jsonpath, message);
        const out = kubectl([
            "-n",
            ns,
            "get",
            "pods",
            "-l",
            `jobset.sigs.k8s.io/jobset-name=${name}`,
            "-o",
            `jsonpath=${jsonpath}`,
        ]);
        assert.equal(out.status, 0, out.output);
        // The message is the log's tail (FallbackToLogsOnError: 80 lines / 4 KiB): torchrun's failure summary,
        // with rank 3 as the root cause or under "Failures" (whichever worker of the node died first).
        assert.match(
            out.stdout,
            /rank\s*:\s*3 \(local_rank: 1\)\s*exitcode\s*:\s*3 /,
            `torchrun's summary names rank 3 and exit code 3:\n${out.stdout}`,
        );
        cleanup(name, "jobset");
    });

    test("negative control: without PET_NNODES torchrun defaults to one node (node 1 crashes, node 0 trains alone with WORLD_SIZE 2), and the checks fail", async () => {
        const name = "t-no-nnodes";
        await start(name, { backend: "jobset" }, (objects) => {
            const env = nodeEnv(objects);
            const i = env.findIndex((e: any) => e.name === "PET_NNODES");
            assert.ok(i >= 0, "mlkube sets PET_NNODES");
            env.splice(i, 1);
        });
        await assert.rejects(
            async () => {
                await completed(name, "jobset");
                assertTrained(events(name, "jobset"));
            },
            (e: Error) => {
                assert.match(
                    e.message,
                    /torchrun gives every worker WORLD_SIZE=4|jobset t-no-nnodes failed/,
                    e.message,
                );
                return true;
            },
        );
        cleanup(name, "jobset");
    });

    test("negative control: a wrong PET_MASTER_ADDR never meets; the run is reported within the bound", async () => {
        const name = "t-bad-master";
        // A good run takes 11–14 s on this node (quiet CI); three times that is the bound.
        const bound = 45_000;
        await start(name, { backend: "jobset" }, (objects) => {
            for (const e of nodeEnv(objects))
                if (e.name === "PET_MASTER_ADDR" || e.name === "MASTER_ADDR") e.value = `nowhere-node-0-0.${name}`;
        });
        const t0 = Date.now();
        await assert.rejects(completed(name, "jobset", bound), (e: Error) => {
            assert.match(e.message, /timed out after 45s|failed/, e.message);
            return true;
        });
        assert.ok(Date.now() - t0 < bound + 30_000, "reported within the bound");
        cleanup(name, "jobset");
    });

    test("train -> serve: a Compute loads rank 0's checkpoint from the Volume and serves predictions; readiness gates traffic; a rollout under a 30 s request loop fails no request and the budget holds", async () => {
        assert.ok(target !== undefined, "needs the checkpoint of the jobset run (the first test)");
        const v1 = await emitObjects(serving("model", "v1"), ns);
        const dep = v1.find((o) => o.kind === "Deployment" && o.metadata.name === "model") as any;
        assert.equal(
            dep.spec.strategy?.type ?? "RollingUpdate",
            "RollingUpdate",
            "a ReadWriteMany claim keeps Kubernetes' rolling update",
        );
        const pdb = v1.find((o) => o.kind === "PodDisruptionBudget") as any;
        assert.deepEqual(pdb?.spec?.maxUnavailable, 1, "mlkube's default budget for 2 replicas");
        const selectorOf = (d: any) =>
            Object.entries(d.spec.selector.matchLabels as Record<string, string>)
                .map(([k, v]) => `${k}=${v}`)
                .join(",");
        const sel = selectorOf(dep);
        const clientSel = selectorOf(v1.find((o) => o.kind === "Deployment" && o.metadata.name === "client"));
        const stderr = applyOk(v1);
        assert.doesNotMatch(stderr, /PodSecurity/);

        // Readiness gates traffic: a running pod that is not Ready has no ready endpoint.
        const running = await waitFor(
            "a model pod running",
            () => list("pods", ns, sel).find((p) => p.status.phase === "Running"),
            { timeoutMs: 120_000, dump: [["pods", "", ns]] },
        );
        if (!readyPods(ns, sel).some((p) => p.metadata.name === running.metadata.name)) {
            const slices = list("endpointslices", ns, "kubernetes.io/service-name=model");
            const ready = slices
                .flatMap((s) => s.endpoints ?? [])
                .filter((e: any) => e.conditions?.ready && e.targetRef?.name === running.metadata.name);
            assert.deepEqual(ready, [], "a pod that is not Ready is not a ready endpoint");
        }
        await waitFor("2 model pods ready", () => readyPods(ns, sel).length === 2, {
            timeoutMs: 180_000,
            intervalMs: 1000,
            dump: [["pods", "", ns]],
        });
        const client = await waitFor("client pod ready", () => readyPods(ns, clientSel)[0], {
            timeoutMs: 120_000,
            dump: [["pods", "", ns]],
        });
        servingClient = client.metadata.name;
        const url = `http://model.${ns}.svc.cluster.local/predict?x=${Array(8).fill(1).join(",")}`;
        const once = kubectl([
            "-n",
            ns,
            "exec",
            client.metadata.name,
            "--",
            "python3",
            "/opt/train/client.py",
            url,
            "2",
            "2",
        ]);
        assert.equal(once.status, 0, once.output);
        const first = jsonLines(once.stdout)[0];
        assert.equal(first.failed, 0, JSON.stringify(first));
        const predicted = JSON.parse(
            kubectl([
                "-n",
                ns,
                "exec",
                client.metadata.name,
                "--",
                "python3",
                "-c",
                `import urllib.request;print(urllib.request.urlopen(${JSON.stringify(url)}).read().decode())`,
            ]).stdout,
        );
        assert.ok(
            Math.abs(predicted.y - target) < 0.05,
            `the served model predicts ${predicted.y} at x = ones, the trained target is ${target}`,
        );

        // Rollout (env VERSION v1 -> v2) while the client sends 10 requests/s for 30 s through the Service.
        const { summary, budget } = await rolloutUnderLoad(
            client.metadata.name,
            url,
            "model",
            await emitObjects(serving("model", "v2"), ns),
        );
        assert.equal(summary.failed, 0, `failed requests during the rollout: ${JSON.stringify(summary)}`);
        assert.ok(
            summary.versions.v1 > 0 && summary.versions.v2 > 0,
            `the loop saw the old and the new version: ${JSON.stringify(summary.versions)}`,
        );
        assert.deepEqual(budget, [], "the PodDisruptionBudget's healthy count never fell below what it requires");
        const d = get("deployment", "model", ns);
        assert.equal(d.status.updatedReplicas, 2, "the rollout finished within the loop");
    });
    test("negative control: the same rollout with the readiness probe removed from the emitted Deployment fails requests", async () => {
        assert.ok(servingClient, "needs the client pod of the serve test");
        const noProbe = (objects: K8sObject[]) => {
            for (const o of objects as any[])
                if (o.kind === "Deployment" && o.metadata.name === "model-np")
                    for (const c of o.spec.template.spec.containers) delete c.readinessProbe;
            return objects;
        };
        applyOk(noProbe(await emitObjects(serving("model-np", "v1"), ns)));
        const url = `http://model-np.${ns}.svc.cluster.local/predict?x=${Array(8).fill(1).join(",")}`;
        await waitFor(
            "model-np answers",
            () => {
                const r = kubectl([
                    "-n",
                    ns,
                    "exec",
                    servingClient!,
                    "--",
                    "python3",
                    "/opt/train/client.py",
                    url,
                    "2",
                    "2",
                ]);
                return r.status === 0 && jsonLines(r.stdout)[0]?.failed === 0;
            },
            { timeoutMs: 180_000, intervalMs: 2000, dump: [["pods", "", ns]] },
        );
        const { summary } = await rolloutUnderLoad(
            servingClient,
            url,
            "model-np",
            noProbe(await emitObjects(serving("model-np", "v2"), ns)),
        );
        assert.ok(
            summary.failed > 0,
            `without the readiness probe the rollout sends requests to pods still loading the model: ${JSON.stringify(summary)}`,
        );
        console.log(`# no readiness probe: ${summary.failed} of ${summary.sent} requests failed during the rollout`);
    });
});
