/**
 * Every example, rendered offline and server-side applied (field validation Strict) to the local
 * control plane, then checked live: Deployments Available, Services with ready endpoints, claims Bound,
 * the JobSet (or the Kubeflow TrainJob's JobSet) running one Indexed Job whose pods' hostnames are the
 * rendered rendezvous address, and the job reaching Completed/Complete. Each example runs in a
 * namespace of its own that enforces Pod Security "restricted".
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { K8sObject, toYaml } from "../../src/render";
import {
    applyOk,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    envValue,
    find,
    get,
    kc,
    kubectl,
    list,
    renderExample,
    requireCluster,
    waitFor,
} from "./helpers";

/** examples/llm-finetune selects `node.kubernetes.io/instance-type: p5.48xlarge`; the GPU nodes say gpu-8x-h100. */
const INSTANCE_TYPE = "node.kubernetes.io/instance-type";
let gpuNodeTypes: Record<string, string> = {};

before(() => {
    requireCluster();
    for (const n of list("nodes", "", "mlkube.test/node-kind=gpu"))
        gpuNodeTypes[n.metadata.name] = n.metadata.labels[INSTANCE_TYPE];
    assert.ok(Object.keys(gpuNodeTypes).length >= 4, "the finetune example needs 4 GPU nodes");
    kc(["label", "node", "-l", "mlkube.test/node-kind=gpu", `${INSTANCE_TYPE}=p5.48xlarge`, "--overwrite"]);
});

after(() => {
    for (const [node, type] of Object.entries(gpuNodeTypes))
        if (type) kubectl(["label", "node", node, `${INSTANCE_TYPE}=${type}`, "--overwrite"]);
    gpuNodeTypes = {};
    deleteNamespaces();
});

/**
 * Objects of plain `@pulumi/kubernetes` resources keep the namespace the program hard-codes
 * (quickstart's ConfigMap says `ml`; `mlkube:namespace` only governs mlkube components): move them into
 * the test namespace so the example applies as a whole.
 */
function intoNamespace(objects: K8sObject[], namespace: string): K8sObject[] {
    return objects.map((o) =>
        o.metadata.namespace && o.metadata.namespace !== namespace
            ? { ...o, metadata: { ...o.metadata, namespace } }
            : o,
    );
}

/** Applies (server-side, Strict) and asserts there was no Pod Security warning. */
function applyExample(objects: K8sObject[]): void {
    const warnings = applyOk(objects);
    assert.doesNotMatch(warnings, /PodSecurity/, `mlkube's pods must pass Pod Security "restricted":\n${warnings}`);
}

/** `kubectl diff --server-side` of the rendered objects against the live ones is empty (no drift after defaulting). */
function assertNoDrift(objects: K8sObject[]): void {
    const r = kubectl(["diff", "--server-side", "--field-manager=mlkube-test", "-f", "-"], toYaml(objects));
    assert.equal(
        r.status,
        0,
        `re-applying the rendered objects would change them (drift against server defaults):\n${r.stdout}${r.stderr}`,
    );
}

async function deploymentAvailable(name: string, ns: string, replicas: number): Promise<any> {
    return waitFor(
        `Deployment ${name} Available with ${replicas} ready replicas`,
        () => {
            const d = get("deployment", name, ns);
            return conditionTrue(d, "Available") &&
                d.status.readyReplicas === replicas &&
                d.status.updatedReplicas === replicas
                ? d
                : undefined;
        },
        { dump: [["deployment", name, ns]] },
    );
}

/** Waits until the Service's EndpointSlices list `count` ready endpoints on `port`; returns their addresses. */
async function serviceEndpoints(name: string, ns: string, count: number, port: number): Promise<string[]> {
    return waitFor(
        `Service ${name} with ${count} ready endpoints on port ${port}`,
        () => {
            const slices = list("endpointslices", ns, `kubernetes.io/service-name=${name}`);
            const ready = slices
                .filter((s) => (s.ports ?? []).some((p: any) => p.port === port))
                .flatMap((s) =>
                    (s.endpoints ?? []).filter((e: any) => e.conditions?.ready).flatMap((e: any) => e.addresses),
                );
            return ready.length === count ? ready : undefined;
        },
        {
            dump: [
                ["service", name, ns],
                ["endpointslices", "", ns],
            ],
        },
    );
}

async function claimsBound(objects: K8sObject[], ns: string): Promise<void> {
    for (const c of objects.filter((o) => o.kind === "PersistentVolumeClaim")) {
        const live = await waitFor(
            `claim ${c.metadata.name} Bound`,
            () => {
                const p = get("pvc", c.metadata.name, ns);
                return p?.status?.phase === "Bound" ? p : undefined;
            },
            { dump: [["pvc", c.metadata.name, ns]] },
        );
        const spec = (c as any).spec;
        assert.deepEqual(live.status.accessModes, spec.accessModes);
        assert.equal(live.status.capacity.storage, spec.resources.requests.storage);
    }
}

function secretValues(name: string, ns: string): Record<string, string> {
    const s = get("secret", name, ns);
    return Object.fromEntries(
        Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v as string, "base64").toString("utf8")]),
    );
}

describe("examples/quickstart", () => {
    test("Deployment Available, Service endpoints, claim Bound, Secret and ConfigMap in place", async () => {
        const ns = await createNamespace("quickstart");
        const objects = intoNamespace(await renderExample("quickstart", ns), ns);
        applyExample(objects);
        await claimsBound(objects, ns);
        const d = await deploymentAvailable("server", ns, 1);
        assert.equal(
            d.spec.template.spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName,
            "model-cache",
        );
        const addresses = await serviceEndpoints("server", ns, 1, 8000);
        const pods = list(
            "pods",
            ns,
            Object.entries(d.spec.selector.matchLabels)
                .map(([k, v]) => `${k}=${v}`)
                .join(","),
        );
        assert.deepEqual(
            addresses.sort(),
            pods.map((p) => p.status.podIP).sort(),
            "the Service selects exactly the Deployment's pods",
        );
        // The `secure:` config value is never decrypted: the Secret holds the placeholder.
        assert.deepEqual(secretValues("api-token", ns), { API_TOKEN: "[secret:quickstart:apiToken]" });
        const cm = find(objects, "ConfigMap");
        assert.equal(get("configmap", cm.metadata.name, ns).data.MODEL, "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M");
        assertNoDrift(objects);
    });
});

describe("examples/inference", () => {
    test("2 GPU replicas Available on GPU nodes, 2 endpoints, RWX cache Bound, HF secret", async () => {
        const ns = await createNamespace("inference");
        const objects = await renderExample("inference", ns);
        applyExample(objects);
        await claimsBound(objects, ns);
        const d = await deploymentAvailable("llm", ns, 2);
        await serviceEndpoints("llm", ns, 2, 8000);
        const svc = get("service", "llm", ns);
        assert.deepEqual(
            svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]),
            [["http", 80, 8000]],
        );
        const pods = list(
            "pods",
            ns,
            Object.entries(d.spec.selector.matchLabels)
                .map(([k, v]) => `${k}=${v}`)
                .join(","),
        );
        assert.equal(pods.length, 2);
        for (const p of pods) {
            assert.match(p.spec.nodeName, /^gpu-node-/, `GPU pod ${p.metadata.name} scheduled on ${p.spec.nodeName}`);
            assert.equal(p.spec.containers[0].resources.limits["nvidia.com/gpu"], "1");
        }
        assert.deepEqual(secretValues("hf-token", ns), { HF_TOKEN: "hf_example_not_a_real_token" });
        assertNoDrift(objects);
        // Free the two GPU nodes' CPUs for the finetune runs (4 whole nodes each).
        kc(["-n", ns, "delete", "deployment", "llm", "--wait=true", "--timeout=60s"]);
    });
});

/** The live pod specs of both finetune backends, compared by the last test. */
const finetunePods: Record<string, any> = {};

/**
 * Checks the JobSet `name` live: one Job of `numNodes` pods, hostnames `<name>-node-0-<i>` under
 * subdomain `<name>` (with its headless Service), pod 0's FQDN equal to `masterAddr`, every pod on a
 * GPU node with 8 GPUs, all Succeeded, JobSet Completed. Returns the pods.
 */
async function checkJobSet(name: string, ns: string, numNodes: number, masterAddr: string): Promise<any[]> {
    const dump: Array<[string, string, string?]> = [
        ["jobset", name, ns],
        ["jobs", "", ns],
        ["pods", "", ns],
    ];
    const js = await waitFor(
        `JobSet ${name} Completed`,
        () => {
            const j = get("jobset", name, ns);
            assert.ok(!conditionTrue(j, "Failed"), `JobSet ${name} failed: ${JSON.stringify(j?.status?.conditions)}`);
            return conditionTrue(j, "Completed") ? j : undefined;
        },
        { dump, timeoutMs: 120_000 },
    );
    assert.equal(js.status.terminalState, "Completed");
    const jobs = list("jobs", ns, `jobset.sigs.k8s.io/jobset-name=${name}`);
    assert.deepEqual(
        jobs.map((j) => j.metadata.name),
        [`${name}-node-0`],
        "one Job, replicated job node, replica 0",
    );
    const job = jobs[0];
    assert.equal(job.spec.completionMode, "Indexed");
    assert.equal(job.spec.parallelism, numNodes);
    assert.equal(job.spec.completions, numNodes);
    assert.ok(conditionTrue(job, "Complete"), "the Job is Complete");
    assert.equal(job.status.succeeded, numNodes);

    const pods = list("pods", ns, `jobset.sigs.k8s.io/jobset-name=${name}`);
    assert.equal(
        pods.length,
        numNodes,
        `${numNodes} pods, no retries: ${pods.map((p) => `${p.metadata.name}:${p.status.phase}`).join(", ")}`,
    );
    const byIndex = new Map(
        pods.map((p) => [Number(p.metadata.annotations["batch.kubernetes.io/job-completion-index"]), p]),
    );
    assert.deepEqual(
        [...byIndex.keys()].sort((a, b) => a - b),
        [...Array(numNodes).keys()],
    );
    for (const [i, p] of byIndex) {
        assert.equal(p.status.phase, "Succeeded", `pod ${p.metadata.name}`);
        assert.equal(p.spec.hostname, `${name}-node-0-${i}`);
        assert.equal(p.spec.subdomain, name);
        // Every node is told the same master: pod 0's DNS name (<hostname>.<subdomain>).
        const c = p.spec.containers.find((x: any) => x.name === "node");
        assert.equal(envValue(c, "PET_MASTER_ADDR"), masterAddr, `PET_MASTER_ADDR of pod ${i}`);
        assert.equal(envValue(c, "MASTER_ADDR"), masterAddr, `MASTER_ADDR of pod ${i}`);
        assert.equal(envValue(c, "PET_NNODES"), String(numNodes));
        assert.match(p.spec.nodeName, /^gpu-node-/);
        assert.equal(c.resources.limits["nvidia.com/gpu"], "8");
    }
    const master = byIndex.get(0);
    assert.equal(
        `${master.spec.hostname}.${master.spec.subdomain}`,
        masterAddr,
        "the rendered master address names pod 0",
    );
    // (Not "one pod per node": KWOK completes Job pods at once, so a node can host a later pod of the same job.)
    // The subdomain resolves through the headless Service the JobSet controller creates.
    const svc = get("service", name, ns);
    assert.ok(svc, `headless Service ${name}`);
    assert.equal(svc.spec.clusterIP, "None");
    assert.equal(svc.spec.publishNotReadyAddresses, true);
    return pods;
}

describe("examples/llm-finetune", () => {
    test("backend jobset: one Job of 4 pods whose hostnames match PET_MASTER_ADDR, JobSet Completed", async () => {
        const ns = await createNamespace("ft-jobset");
        const objects = await renderExample("llm-finetune", ns, { "llm-finetune:backend": "jobset" });
        const js = find(objects, "JobSet", "llm-finetune");
        const rendered = js.spec.replicatedJobs[0].template.spec.template.spec.containers[0];
        const masterAddr = envValue(rendered, "PET_MASTER_ADDR");
        assert.equal(masterAddr, "llm-finetune-node-0-0.llm-finetune");
        applyExample(objects);
        await claimsBound(objects, ns);
        const pods = await checkJobSet("llm-finetune", ns, 4, masterAddr);
        assertNoDrift(objects);
        finetunePods.jobset = pods.find(
            (p) => p.metadata.annotations["batch.kubernetes.io/job-completion-index"] === "1",
        );
    });

    test("backend kubeflow: the TrainJob passes schema, CEL and webhook; the Trainer's JobSet matches the rendered master; TrainJob Complete", async () => {
        const ns = await createNamespace("ft-kubeflow");
        const objects = await renderExample("llm-finetune", ns, { "llm-finetune:backend": "kubeflow" });
        const tj = find(objects, "TrainJob", "llm-finetune");
        assert.ok(
            !(tj.spec.trainer.env ?? []).some((e: any) => e.name.startsWith("PET_")),
            "PET_* are the Trainer's to set",
        );
        const masterAddr = envValue(tj.spec.trainer, "MASTER_ADDR");
        assert.equal(masterAddr, "llm-finetune-node-0-0.llm-finetune");
        applyExample(objects);
        await claimsBound(objects, ns);
        const live = await waitFor(
            "TrainJob llm-finetune Complete",
            () => {
                const t = get("trainjob", "llm-finetune", ns);
                assert.ok(!conditionTrue(t, "Failed"), `TrainJob failed: ${JSON.stringify(t?.status?.conditions)}`);
                return conditionTrue(t, "Complete") ? t : undefined;
            },
            {
                dump: [
                    ["trainjob", "llm-finetune", ns],
                    ["jobset", "llm-finetune", ns],
                    ["pods", "", ns],
                ],
                timeoutMs: 120_000,
            },
        );
        const js = get("jobset", "llm-finetune", ns);
        assert.deepEqual(
            js.metadata.ownerReferences.map((o: any) => [o.kind, o.name, o.controller]),
            [["TrainJob", "llm-finetune", true]],
            "the Trainer created the JobSet",
        );
        // The torch plugin's PET_MASTER_ADDR (set by the Trainer) equals the MASTER_ADDR mlkube rendered.
        const pods = await checkJobSet("llm-finetune", ns, 4, masterAddr);
        assert.ok(conditionTrue(live, "Complete"));
        assertNoDrift(objects);
        finetunePods.kubeflow = pods.find(
            (p) => p.metadata.annotations["batch.kubernetes.io/job-completion-index"] === "1",
        );
    });

    test("both backends run the same node: image, command, effective env, mounts, security, scheduling", () => {
        assert.ok(finetunePods.jobset && finetunePods.kubeflow, "needs both backend runs");
        const norm = (p: any) => {
            const c = p.spec.containers.find((x: any) => x.name === "node");
            const env: Record<string, unknown> = {};
            for (const e of c.env ?? []) env[e.name] = e.value ?? e.valueFrom;
            // envFrom of a whole Secret (jobset) ≡ one secretKeyRef per key (kubeflow): compare as key refs.
            for (const f of c.envFrom ?? []) {
                const s = get("secret", f.secretRef.name, p.metadata.namespace);
                for (const k of Object.keys(s.data ?? {}))
                    env[k] ??= { secretKeyRef: { key: k, name: f.secretRef.name } };
            }
            const noTokenVolume = (vs: any[]) => vs.filter((v) => !v.name.startsWith("kube-api-access-"));
            return {
                labels: Object.fromEntries(
                    Object.entries(p.metadata.labels).filter(
                        ([k]) => !/uid|job-key|controller|^job-name|batch\.kubernetes\.io/.test(k),
                    ),
                ),
                image: c.image,
                command: c.command,
                args: c.args,
                resources: c.resources,
                securityContext: c.securityContext,
                ports: c.ports,
                env: Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b))),
                volumeMounts: noTokenVolume(c.volumeMounts ?? []),
                volumes: noTokenVolume(p.spec.volumes ?? []),
                podSecurityContext: p.spec.securityContext,
                nodeSelector: p.spec.nodeSelector,
                tolerations: p.spec.tolerations,
                hostname: p.spec.hostname,
                subdomain: p.spec.subdomain,
            };
        };
        assert.deepEqual(norm(finetunePods.kubeflow), norm(finetunePods.jobset));
    });
});
