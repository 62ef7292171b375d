/**
 * Examples that run as written (issue 24): `examples/quickstart` and `examples/inference`, rendered with
 * their own config switches, run on the real node: the example's exact pod spec (user, security context,
 * args, env, Secrets, volumes, ports, probes), only the image swapped for a local one (`image`, a
 * stand-in for the LLM server that runs as root like llama.cpp's and vLLM's images and refuses flags
 * it does not know), smaller `resources`, and stack config that puts the pods on the real node
 * (`mlkube:nodeSelector`/`tolerations`, or the `h100` profile) with claims on local volumes of the node.
 * The pods must become Ready, the server must see the example's model, run as the example's user and
 * write to its cache directory on the claim, and answer through the example's Service.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import {
    applyOk,
    condition,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    find,
    get,
    hasRealNode,
    jsonLines,
    kc,
    kubectl,
    list,
    ON_REAL_NODE,
    readyPods,
    renderExample,
    requireCluster,
    torchImage,
    trainJobKind,
    waitFor,
} from "./helpers";
import { RUN_ID } from "../kube";

const enabled = process.env.MLKUBE_REAL_NODE !== "0";
/** The LLM server stand-in of tools/testimage (`testapp model-server`), imported by `scripts/cluster.sh up`. */
const MODEL_SERVER_IMAGE = "mlkube.local/model-server:v1";
const SMALL = JSON.stringify({ cpu: "50m", memory: "64Mi" });
const REAL_NODE = {
    nodeSelector: JSON.stringify(ON_REAL_NODE.nodeSelector),
    tolerations: JSON.stringify(ON_REAL_NODE.tolerations),
};
/** A storage class of this run whose local PVs live on the real node (the kubelet applies fsGroup to them). */
const STORAGE_CLASS = `mlkube-ct-examples-${RUN_ID}`;
/** The node label examples/llm-finetune's nodeSelector asks for: put on the real node while this file runs. */
const INSTANCE_TYPE = "node.kubernetes.io/instance-type";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-examples-real-"));
const pvs: string[] = [];

before(() => {
    if (!enabled) return;
    requireCluster();
    assert.ok(
        hasRealNode(),
        "the cluster has no real node (node label mlkube.test/node-kind=real); scripts/cluster.sh up starts one unless MLKUBE_REAL_NODE=0",
    );
    const sc = {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: STORAGE_CLASS },
        provisioner: "kubernetes.io/no-provisioner",
        reclaimPolicy: "Retain",
        volumeBindingMode: "Immediate",
    };
    kc(["apply", "-f", "-"], JSON.stringify(sc));
    kc(["label", "node", "-l", "mlkube.test/node-kind=real", `${INSTANCE_TYPE}=p5.48xlarge`, "--overwrite"]);
});

after(() => {
    deleteNamespaces();
    if (enabled) kubectl(["label", "node", "-l", "mlkube.test/node-kind=real", `${INSTANCE_TYPE}-`]);
    if (pvs.length) kubectl(["delete", "pv", "--wait=false", "--ignore-not-found", ...pvs]);
    kubectl(["delete", "storageclass", "--wait=false", "--ignore-not-found", STORAGE_CLASS]);
    fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * A local PV on the real node for each claim of `objects` (its size and access modes), in this run's class;
 * returns each claim's directory on this machine (the node's), by claim name.
 */
function localVolumesFor(objects: any[]): Record<string, string> {
    const dirs: Record<string, string> = {};
    for (const claim of objects.filter((o) => o.kind === "PersistentVolumeClaim")) {
        const name = `${STORAGE_CLASS}-${pvs.length}`;
        const dir = path.join(tmp, name);
        fs.mkdirSync(dir, { recursive: true });
        dirs[claim.metadata.name] = dir;
        const pv = {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name },
            spec: {
                storageClassName: STORAGE_CLASS,
                capacity: { storage: claim.spec.resources.requests.storage },
                accessModes: claim.spec.accessModes,
                persistentVolumeReclaimPolicy: "Retain",
                claimRef: { namespace: claim.metadata.namespace, name: claim.metadata.name },
                local: { path: dir },
                nodeAffinity: {
                    required: {
                        nodeSelectorTerms: [
                            { matchExpressions: [{ key: "mlkube.test/node-kind", operator: "In", values: ["real"] }] },
                        ],
                    },
                },
            },
        };
        kc(["apply", "-f", "-"], JSON.stringify(pv));
        pvs.push(name);
    }
    return dirs;
}

/** Waits for `replicas` ready pods of Deployment `name`; stops at once on a container that cannot start. */
async function readyReplicas(ns: string, name: string, replicas: number): Promise<any[]> {
    const dep = get("deployment", name, ns);
    const sel = Object.entries(dep.spec.selector.matchLabels as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    const r = await waitFor(
        `${replicas} ready pods of ${name} (or one that cannot start)`,
        () => {
            for (const p of list("pods", ns, sel)) {
                for (const s of p.status?.containerStatuses ?? []) {
                    const bad =
                        s.state?.waiting &&
                        /CreateContainerConfigError|CrashLoopBackOff|ErrImagePull|ImagePullBackOff|CreateContainerError/.test(
                            s.state.waiting.reason,
                        )
                            ? s.state.waiting
                            : s.state?.terminated;
                    if (bad)
                        return {
                            failed: `${p.metadata.name}: ${bad.reason}: ${bad.message ?? ""} ${kubectl(["-n", ns, "logs", p.metadata.name]).output.slice(-500)}`,
                        };
                }
            }
            const ready = readyPods(ns, sel);
            return ready.length === replicas ? { ready } : undefined;
        },
        {
            timeoutMs: 150_000,
            dump: [
                ["deployment", name, ns],
                ["pods", "", ns],
            ],
        },
    );
    assert.equal((r as any).failed, undefined, `the example's pod does not start`);
    return (r as any).ready;
}

/** The model server's start-up line (`testapp model-server` prints model, uid, gid, cache file). */
function serverLine(ns: string, pod: any): any {
    const lines = jsonLines(kc(["-n", ns, "logs", pod.metadata.name]));
    const l = lines.find((x) => "model-server" in x);
    assert.ok(l, `no start-up line in the logs of ${pod.metadata.name}: ${JSON.stringify(lines)}`);
    return l;
}

/** GET http://<service>:<port>/v1/models from inside `pod` (cluster DNS + kube-proxy); returns the model ids. */
function modelsThroughService(ns: string, pod: any, service: string, port: number): string[] {
    const r = kubectl([
        "-n",
        ns,
        "exec",
        pod.metadata.name,
        "--",
        "/testapp",
        "connect",
        "-tries",
        "20",
        "-interval",
        "1s",
        "-path",
        "/v1/models",
        `${service}.${ns}.svc.cluster.local:${port}`,
    ]);
    assert.equal(r.status, 0, `no answer through Service ${service}:${port}:\n${r.output}`);
    const ok = jsonLines(r.stdout).find((l) => l.ok);
    return JSON.parse(ok.body).data.map((m: any) => m.id);
}

describe("examples on the real node", { skip: !enabled && "MLKUBE_REAL_NODE=0" }, () => {
    test("examples/quickstart: the llama.cpp server's pod spec (root image, runAsUser 1000, cache on the claim) runs Ready and answers through its Service", async () => {
        const ns = await createNamespace("ex-quickstart");
        const objects = await renderExample("quickstart", ns, {
            "quickstart:image": MODEL_SERVER_IMAGE,
            "quickstart:resources": SMALL,
            "mlkube:nodeSelector": REAL_NODE.nodeSelector,
            "mlkube:tolerations": REAL_NODE.tolerations,
            "mlkube:storageClass": STORAGE_CLASS,
        });
        const main = find(objects, "Deployment", "server").spec.template.spec.containers[0];
        assert.equal(main.image, MODEL_SERVER_IMAGE);
        assert.deepEqual(main.args, [
            "-hf",
            "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
        ]);
        localVolumesFor(objects);
        const warnings = applyOk(objects);
        assert.doesNotMatch(warnings, /PodSecurity/);
        const [pod] = await readyReplicas(ns, "server", 1);
        const line = serverLine(ns, pod);
        assert.deepEqual(
            [line.model, line.uid, line.cache],
            ["Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M", 1000, "/mnt/model-cache/model-server-1000"],
        );
        assert.deepEqual(modelsThroughService(ns, pod, "server", 8000), ["Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"]);
    });

    test("examples/inference: vLLM's pod spec (2 replicas, h100 profile, startup/readiness probes, HF_HOME on the RWX claim) runs Ready and answers through its Service on port 80", async () => {
        const ns = await createNamespace("ex-inference");
        const objects = await renderExample("inference", ns, {
            "mlkube-inference:image": MODEL_SERVER_IMAGE,
            "mlkube-inference:gpusPerReplica": "0",
            "mlkube-inference:resources": SMALL,
            // The stack's h100 profile, pointed at the real node (its /dev/shm smaller).
            "mlkube:profiles": JSON.stringify({
                h100: {
                    nodeSelector: ON_REAL_NODE.nodeSelector,
                    tolerations: ON_REAL_NODE.tolerations,
                    sharedMemory: "64Mi",
                    labels: { "cost-center": "gpu-serving" },
                },
            }),
            "mlkube:storageClass": STORAGE_CLASS,
        });
        const dep = find(objects, "Deployment", "llm");
        const main = dep.spec.template.spec.containers[0];
        assert.equal(main.image, MODEL_SERVER_IMAGE);
        assert.deepEqual(main.args, [
            "--model",
            "meta-llama/Llama-3.1-8B-Instruct",
            "--tensor-parallel-size",
            "1",
            "--port",
            "8000",
        ]);
        localVolumesFor(objects);
        const warnings = applyOk(objects);
        assert.doesNotMatch(warnings, /PodSecurity/);
        const pods = await readyReplicas(ns, "llm", 2);
        for (const pod of pods) {
            const line = serverLine(ns, pod);
            assert.deepEqual([line.uid, line.gid, line.cache], [1000, 1000, "/models/hf/model-server-1000"]);
        }
        assert.deepEqual(modelsThroughService(ns, pods[0], "llm", 80), ["meta-llama/Llama-3.1-8B-Instruct"]);
    });

    // The example's own backend (jobset) in CI; the real torchrun on kubeflow and job is test/cluster/torch.test.ts's
    // (MLKUBE_EXAMPLES_ALL_BACKENDS=1 runs this example on them too: ~1 min each).
    const backends =
        process.env.MLKUBE_EXAMPLES_ALL_BACKENDS === "1"
            ? (["jobset", "kubeflow", "job"] as const)
            : (["jobset"] as const);
    for (const backend of backends) {
        test(`examples/llm-finetune (${backend}): the example's pod spec runs the real torchrun on 2 nodes: /app/train.py reads the dataset claim, sees its tokens, shared memory and HF_HOME, and writes the fine-tuned checkpoint to the checkpoints claim`, async () => {
            const ns = await createNamespace(`ex-llm-${backend.slice(0, 2)}`);
            const image = torchImage();
            const objects = await renderExample("llm-finetune", ns, {
                "llm-finetune:backend": backend,
                "llm-finetune:image": image,
                "llm-finetune:numNodes": "2",
                "llm-finetune:gpusPerNode": "0",
                "llm-finetune:resourcesPerNode": JSON.stringify({ cpu: "100m", memory: "1Gi" }),
                "llm-finetune:sharedMemory": "256Mi",
                // The real node, which also gets the example's instance type (before()).
                "mlkube:nodeSelector": REAL_NODE.nodeSelector,
                "mlkube:tolerations": REAL_NODE.tolerations,
                "mlkube:storageClass": STORAGE_CLASS,
            });
            const k = trainJobKind(backend);
            const job = objects.find((o) => o.kind.toLowerCase() === k.kind)!;
            assert.ok(job, `the example emits a ${k.kind}`);
            const name = job.metadata.name;
            // The example's own command and args reach the pods unchanged (kubeflow: in spec.trainer).
            const text = JSON.stringify(job);
            assert.ok(text.includes(JSON.stringify(["torchrun"])), `command torchrun in ${name}`);
            assert.ok(
                text.includes(
                    JSON.stringify([
                        "/app/train.py",
                        "--model",
                        "meta-llama/Llama-3.1-8B",
                        "--data",
                        "/data/sft",
                        "--output",
                        "/checkpoints/llama-sft",
                    ]),
                ),
                `the example's args in ${name}`,
            );
            assert.doesNotMatch(text, /nvidia\.com\/gpu/, "gpusPerNode 0 asks for no GPU");
            const dirs = localVolumesFor(objects);
            const dataset = Object.entries(dirs).find(([claim]) => claim.includes("dataset"))![1];
            const checkpoints = Object.entries(dirs).find(([claim]) => claim.includes("checkpoints"))![1];
            fs.mkdirSync(path.join(dataset, "sft"));
            const lines = Array.from({ length: 24 }, (_, i) =>
                JSON.stringify({ text: `### Instruction: add ${i} and ${i + 1}.\n### Response: ${2 * i + 1}.` }),
            );
            fs.writeFileSync(path.join(dataset, "sft", "train.jsonl"), lines.join("\n") + "\n");
            applyOk(objects);
            const end = await waitFor(
                `${k.kind} ${name} ${k.complete}`,
                () => {
                    const o = get(k.kind, name, ns);
                    if (conditionTrue(o, "Failed")) return { failed: condition(o, "Failed") };
                    return conditionTrue(o, k.complete) ? { done: true } : undefined;
                },
                {
                    timeoutMs: 300_000,
                    intervalMs: 2000,
                    dump: () =>
                        `${kubectl(["-n", ns, "get", "pods", "-o", "wide"]).output}\n${list(
                            "pods",
                            ns,
                            k.selector(name),
                        )
                            .map((p) => kubectl(["-n", ns, "logs", p.metadata.name, "--tail=30"]).output)
                            .join("\n")}`,
                },
            );
            const pods = list("pods", ns, k.selector(name)).filter((p) => p.status?.phase === "Succeeded");
            const logs = pods.map((p) => kubectl(["-n", ns, "logs", p.metadata.name]).output).join("\n");
            assert.equal((end as any).failed, undefined, `the fine-tune failed: ${JSON.stringify(end)}\n${logs}`);
            assert.equal(pods.length, 2, "one pod per node");
            const starts = jsonLines(logs).filter((l) => l.event === "start");
            const world = Number(starts[0]?.WORLD_SIZE);
            assert.ok(world >= 2 && starts.length === world, `${starts.length} workers, WORLD_SIZE ${world}`);
            assert.deepEqual(
                starts.map((s) => Number(s.RANK)).sort((a, b) => a - b),
                Array.from({ length: world }, (_, i) => i),
                "distinct ranks",
            );
            for (const s of starts) {
                assert.deepEqual(
                    [s.uid, s.gid, s.model, s.hfTokenSet, s.wandbKeySet, s.wandbProject, s.hfHome, s.shmType],
                    [1000, 1000, "meta-llama/Llama-3.1-8B", true, true, "llama-sft", "/checkpoints/hf", "tmpfs"],
                    `worker ${s.RANK} on ${s.host}`,
                );
                assert.ok(
                    s.shmBytes > 64 * 2 ** 20,
                    `/dev/shm is the example's sharedMemory, not 64 MiB: ${s.shmBytes}`,
                );
            }
            // The tokens reach the pods, never their logs.
            assert.doesNotMatch(logs, /hf_example_not_a_real_token|wandb_example_not_a_real_key/);
            const summary = JSON.parse(fs.readFileSync(path.join(checkpoints, "llama-sft", "summary.json"), "utf8"));
            assert.deepEqual(
                [summary.model, summary.world, summary.samples],
                ["meta-llama/Llama-3.1-8B", world, lines.length],
            );
            assert.ok(summary.last < summary.first, `the loss went down: ${summary.first} -> ${summary.last}`);
            assert.ok(fs.statSync(path.join(checkpoints, "llama-sft", "model.pt")).size > 0, "the checkpoint");
            assert.ok(fs.statSync(path.join(checkpoints, "hf")).isDirectory(), "HF_HOME was created on the claim");
            console.log(
                `# llm-finetune (${backend}): ${world} workers on 2 pods, loss ${summary.first.toFixed(3)} -> ${summary.last.toFixed(3)}`,
            );
        });
    }
});
