/**
 * Pod lifecycle and extra hardware options: startupProbe (Compute), terminationGracePeriodSeconds and
 * preStop (every backend that can carry them), extendedResources, and Compute's PodDisruptionBudget.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Compute, TrainJob } from "../src";
import { assertConforms } from "./conformance";
import { assertThrows, emit } from "./helpers";

const base = { image: "ghcr.io/acme/server:1.0" };

test("Compute: startupProbe (same shapes as the other probes), terminationGracePeriodSeconds and preStop", async () => {
    const out = await emit(() => {
        new Compute("llm", {
            ...base,
            ports: [{ port: 8000 }],
            startupProbe: { path: "/health", periodSeconds: 10, failureThreshold: 90 },
            readinessProbe: { path: "/ready" },
            terminationGracePeriodSeconds: 60,
            preStop: { sleepSeconds: 10 },
        });
        new Compute("exec", {
            ...base,
            startupProbe: { command: ["test", "-f", "/tmp/loaded"] },
            preStop: { command: ["/bin/drain"] },
        });
        new Compute("http", { ...base, ports: [{ port: 80, targetPort: 8080 }], preStop: { path: "/drain" } });
        new Compute("patched", {
            ...base,
            preStop: { sleepSeconds: 40 },
            podPatch: { terminationGracePeriodSeconds: 60 },
        });
    });
    assert.equal(
        out.get("Deployment", "patched").spec.template.spec.terminationGracePeriodSeconds,
        60,
        "a grace period from podPatch counts",
    );
    const d = out.get("Deployment", "llm");
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual(c.startupProbe, {
        httpGet: { path: "/health", port: 8000 },
        periodSeconds: 10,
        failureThreshold: 90,
    });
    assert.deepEqual(c.lifecycle, { preStop: { sleep: { seconds: 10 } } });
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 60);
    assertConforms(d);
    const e = out.get("Deployment", "exec").spec.template.spec;
    assert.deepEqual(e.containers[0].startupProbe, { exec: { command: ["test", "-f", "/tmp/loaded"] } });
    assert.deepEqual(e.containers[0].lifecycle, { preStop: { exec: { command: ["/bin/drain"] } } });
    assert.equal(e.terminationGracePeriodSeconds, undefined, "Kubernetes' default unless set");
    assert.deepEqual(out.get("Deployment", "http").spec.template.spec.containers[0].lifecycle, {
        preStop: { httpGet: { path: "/drain", port: 8080 } },
    });
    assertConforms(out.get("Deployment", "http"));
});

test("preStop and startupProbe: bad shapes and hooks that cannot finish in the grace period are refused", () => {
    assertThrows(
        () => new Compute("a", { ...base, preStop: { sleepSeconds: 30 } }),
        'Compute "a": preStop.sleepSeconds: 30s does not fit in the grace period of 30s (the default): the kubelet kills the container when the grace period ends, hook or not; set terminationGracePeriodSeconds above 30 (e.g. 60)',
    );
    assertThrows(
        () => new Compute("b", { ...base, preStop: { sleepSeconds: 20 }, terminationGracePeriodSeconds: 15 }),
        'Compute "b": preStop.sleepSeconds: 20s does not fit in the grace period of 15s: the kubelet kills the container when the grace period ends, hook or not; set terminationGracePeriodSeconds above 20 (e.g. 50)',
    );
    // podPatch merges last, so its grace period is the one the kubelet enforces.
    assertThrows(
        () =>
            new Compute("p", {
                ...base,
                preStop: { sleepSeconds: 40 },
                terminationGracePeriodSeconds: 60,
                podPatch: { terminationGracePeriodSeconds: 20 },
            }),
        'Compute "p": preStop.sleepSeconds: 40s does not fit in the grace period of 20s: the kubelet kills the container when the grace period ends, hook or not; set terminationGracePeriodSeconds above 40 (e.g. 70)',
    );
    assertThrows(
        () => new Compute("c", { ...base, preStop: { sleepSeconds: 5, command: ["x"] } }),
        'Compute "c": preStop: command and sleepSeconds are mutually exclusive; pick one',
    );
    assertThrows(
        () => new Compute("d", { ...base, preStop: {} }),
        'Compute "d": preStop: needs one of command (exec), sleepSeconds or path (HTTP GET)',
    );
    assertThrows(
        () => new Compute("e", { ...base, preStop: { path: "/drain" } }),
        'Compute "e": preStop.port: is required: the HTTP preStop hook needs a port and this workload has none',
    );
    assertThrows(
        () =>
            new Compute("n", {
                ...base,
                ports: [{ port: 80, name: "http" }],
                preStop: { path: "/drain", port: "htp" },
            }),
        'Compute "n": preStop.port: "htp" is not the name of a port of this Compute; use a port number or one of "http"',
    );
    assertThrows(
        () => new Compute("f", { ...base, preStop: { command: ["x"], port: 80 } }),
        'Compute "f": preStop.port: only applies with path (HTTP GET)',
    );
    assertThrows(
        () => new Compute("g", { ...base, startupProbe: { path: "/health" } }),
        'Compute "g": startupProbe.port: is required when the Compute has no ports',
    );
    assertThrows(
        () => new Compute("h", { ...base, terminationGracePeriodSeconds: -1 }),
        'Compute "h": terminationGracePeriodSeconds: must be at least 0',
    );
});

test("TrainJob: terminationGracePeriodSeconds on both backends (kubeflow: in mlkube's runtime patch); preStop on jobset, refused on kubeflow", async () => {
    const out = await emit(() => {
        new TrainJob("js", {
            ...base,
            terminationGracePeriodSeconds: 300,
            preStop: { command: ["/bin/save-checkpoint"] },
        });
        new TrainJob("kf", { ...base, backend: "kubeflow", terminationGracePeriodSeconds: 300 });
    });
    const js = out.get("JobSet", "js");
    const pod = js.spec.replicatedJobs[0].template.spec.template.spec;
    assert.equal(pod.terminationGracePeriodSeconds, 300);
    assert.deepEqual(pod.containers[0].lifecycle, { preStop: { exec: { command: ["/bin/save-checkpoint"] } } });
    assertConforms(js);
    const kf = out.get("TrainJob", "kf");
    assert.equal(
        kf.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec
            .terminationGracePeriodSeconds,
        300,
    );
    assertConforms(kf);
    assertThrows(
        () => new TrainJob("kp", { ...base, backend: "kubeflow", preStop: { sleepSeconds: 5 } }),
        'TrainJob "kp": preStop: a preStop hook (container lifecycle) is not supported with backend "kubeflow": spec.trainer takes image, command, args, env and resources, and a container patch only volumeMounts and securityContext; set it in the training runtime, or use backend "jobset"',
    );
});

test("extendedResources: requests and limits next to GPUs, on Compute and both TrainJob backends; names and counts validated", async () => {
    const out = await emit(() => {
        new Compute("c", {
            ...base,
            resources: { gpu: 8, extendedResources: { "vpc.amazonaws.com/efa": 4, "rdma/hca": 1 } },
        });
        new TrainJob("js", {
            ...base,
            numNodes: 2,
            resourcesPerNode: { gpu: 8, extendedResources: { "vpc.amazonaws.com/efa": 4 } },
        });
        new TrainJob("kf", {
            ...base,
            backend: "kubeflow",
            resourcesPerNode: { cpu: 4, extendedResources: { "rdma/hca": 1 } },
        });
    });
    const c = out.get("Deployment", "c");
    assert.deepEqual(c.spec.template.spec.containers[0].resources, {
        requests: { "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "4", "rdma/hca": "1" },
        limits: { "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "4", "rdma/hca": "1" },
    });
    assertConforms(c);
    const js = out.get("JobSet", "js");
    assert.equal(
        js.spec.replicatedJobs[0].template.spec.template.spec.containers[0].resources.limits["vpc.amazonaws.com/efa"],
        "4",
    );
    assertConforms(js);
    const kf = out.get("TrainJob", "kf");
    assert.deepEqual(kf.spec.trainer.resourcesPerNode, {
        requests: { cpu: "4", "rdma/hca": "1" },
        limits: { "rdma/hca": "1" },
    });
    assertConforms(kf);

    assertThrows(
        () => new Compute("n", { ...base, resources: { extendedResources: { efa: 1 } } }),
        'Compute "n": resources.extendedResources.efa: "efa" is not an extended resource name: those are domain-prefixed ("vpc.amazonaws.com/efa", "rdma/hca"); cpu, memory and ephemeral-storage have their own fields',
    );
    assertThrows(
        () => new Compute("k", { ...base, resources: { extendedResources: { "kubernetes.io/foo": 1 } } }),
        'Compute "k": resources.extendedResources["kubernetes.io/foo"]: "kubernetes.io/foo" is in the kubernetes.io domain, which is reserved for native resources',
    );
    assertThrows(
        () => new Compute("g", { ...base, resources: { extendedResources: { "nvidia.com/gpu": 1 } } }),
        'Compute "g": resources.extendedResources["nvidia.com/gpu"]: "nvidia.com/gpu" is a GPU resource; use gpu (and gpuVendor) instead',
    );
    assertThrows(
        () => new Compute("h", { ...base, resources: { extendedResources: { "rdma/hca": 0.5 } } }),
        'Compute "h": resources.extendedResources["rdma/hca"]: 0.5 is not a whole number: extended resources are counted in whole devices',
    );
    assertThrows(
        () => new TrainJob("t", { ...base, resourcesPerNode: { extendedResources: { "rdma/hca": -1 } } }),
        'TrainJob "t": resourcesPerNode.extendedResources["rdma/hca"]: must be at least 0',
    );
});

test("Compute: a PodDisruptionBudget by default for 2+ replicas or autoscaling (maxUnavailable 1), explicit budgets, none for 1 replica or with false", async () => {
    const out = await emit(() => {
        new Compute("two", { ...base, replicas: 2 });
        new Compute("one", { ...base });
        new Compute("hpa", { ...base, resources: { cpu: 1 }, autoscaling: { minReplicas: 3, maxReplicas: 10 } });
        new Compute("min", { ...base, replicas: 4, disruptionBudget: { minAvailable: "50%" } });
        new Compute("off", { ...base, replicas: 3, disruptionBudget: false });
        new Compute("pin", { ...base, disruptionBudget: { maxUnavailable: 0 } });
        new Compute("hpa1", { ...base, resources: { cpu: 1 }, autoscaling: { maxReplicas: 5 } });
    });
    const pdb = out.get("PodDisruptionBudget", "two");
    const d = out.get("Deployment", "two");
    assert.deepEqual(pdb.spec, {
        maxUnavailable: 1,
        selector: { matchLabels: d.spec.selector.matchLabels },
        unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
    assert.deepEqual(pdb.metadata.labels, d.metadata.labels);
    assert.equal(pdb.metadata.name, "two");
    assertConforms(pdb);
    assert.equal(
        out.resource("PodDisruptionBudget", "two").parent,
        out.resources.find((r) => r.type === "mlkube:index:Compute" && r.name === "two")!.urn,
    );
    assert.equal(out.get("PodDisruptionBudget", "hpa").spec.maxUnavailable, 1);
    assert.equal(out.get("PodDisruptionBudget", "min").spec.minAvailable, "50%");
    assert.equal(out.get("PodDisruptionBudget", "pin").spec.maxUnavailable, 0);
    const pdbs = out.resources
        .filter((r) => r.type.endsWith(":PodDisruptionBudget"))
        .map((r) => r.name)
        .sort();
    assert.deepEqual(
        pdbs,
        ["hpa", "hpa1", "min", "pin", "two"],
        "autoscaled Computes get one even with minReplicas 1; a single fixed replica does not",
    );

    assertThrows(
        () => new Compute("a", { ...base, replicas: 2, disruptionBudget: { minAvailable: 2 } }),
        'Compute "a": disruptionBudget.minAvailable: 2 with 2 replicas allows no eviction, so no node running one of these pods can be drained; use at most 1, maxUnavailable: 1, or maxUnavailable: 0 to block evictions on purpose',
    );
    assertThrows(
        () => new Compute("b", { ...base, replicas: 3, disruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }),
        'Compute "b": disruptionBudget: needs exactly one of minAvailable or maxUnavailable (Kubernetes allows one per budget)',
    );
    assertThrows(
        () => new Compute("c", { ...base, replicas: 2, disruptionBudget: { maxUnavailable: "150%" } }),
        'Compute "c": disruptionBudget.maxUnavailable: "150%" is neither a pod count nor a percentage; use a whole number such as 1 or a percentage such as "25%"',
    );
    assertThrows(
        () => new Compute("s", { ...base, disruptionBudget: { minAvailable: 1 } }),
        'Compute "s": disruptionBudget.minAvailable: 1 with 1 replica allows no eviction, so the node running the pod cannot be drained; a single pod cannot stay available while it moves: run 2+ replicas, remove the budget, or use maxUnavailable: 0 to block evictions on purpose',
    );
    assertThrows(
        () => new Compute("e", { ...base, replicas: 0, disruptionBudget: { maxUnavailable: 1 } }),
        'Compute "e": disruptionBudget: has nothing to protect with replicas: 0; remove it',
    );
});
