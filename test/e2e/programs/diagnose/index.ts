// The e2e suite's diagnosis scenarios (test/e2e/diagnose.test.ts, docs/diagnosis.md): deliberately broken
// workloads, one per cause, and a healthy 2-node TrainJob, all in one `pulumi up`. Stack config
// `scenarios` (comma-separated) picks them; `timeout` bounds each waited job.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const scenarios = new Set((config.get("scenarios") ?? "").split(",").filter(Boolean));
const timeout = config.getNumber("timeout") ?? 60;
// The real node (containers really run; docs/cluster.md) and its test program.
const REAL = {
    nodeSelector: { "mlkube.test/node-kind": "real" },
    tolerations: [{ key: "mlkube.test/real-node", operator: "Equal", value: "true", effect: "NoSchedule" }],
};
const IMAGE = "mlkube.local/testapp:v1";
const small = { cpu: "50m", memory: "64Mi" };
const base = { securityContext: { runAsUser: 1000 }, waitForCompletion: true, timeout };

// A Secret whose value must never appear in the output (the test's marker).
const marker = new mlkube.Secret("marker", { env: { MARKER: config.requireSecret("marker") } });

const jobs: Record<string, mlkube.TrainJob> = {};
if (scenarios.has("gpu")) {
    jobs.gpu = new mlkube.TrainJob("gpu", {
        ...base,
        image: IMAGE,
        command: ["/testapp", "pause"],
        resourcesPerNode: { gpu: 99, cpu: 1, memory: "1Gi" },
    });
}
if (scenarios.has("selector")) {
    jobs.selector = new mlkube.TrainJob("selector", {
        ...base,
        image: IMAGE,
        command: ["/testapp", "pause"],
        resourcesPerNode: small,
        nodeSelector: { "node.kubernetes.io/instance-type": "p5.48xlarge" },
    });
}
if (scenarios.has("taint")) {
    jobs.taint = new mlkube.TrainJob("taint", {
        ...base,
        image: IMAGE,
        command: ["/testapp", "pause"],
        resourcesPerNode: { gpu: 1, cpu: 1, memory: "1Gi" },
        gpuToleration: false,
    });
}
if (scenarios.has("image")) {
    jobs.image = new mlkube.TrainJob("image", {
        ...base,
        ...REAL,
        image: "registry.invalid/team/train:1.0",
        imagePullPolicy: "IfNotPresent",
        resourcesPerNode: small,
    });
}
if (scenarios.has("secret")) {
    jobs.secret = new mlkube.TrainJob("secret", {
        ...base,
        ...REAL,
        image: IMAGE,
        imagePullPolicy: "Never",
        command: ["/testapp", "pause"],
        resourcesPerNode: small,
        secrets: ["hf-token-missing"],
    });
}
if (scenarios.has("root")) {
    // An image that runs as root (as llama.cpp's and vLLM's do) under mlkube's default runAsNonRoot, with no
    // runAsUser: the kubelet refuses to start it (CreateContainerConfigError).
    jobs.root = new mlkube.TrainJob("root", {
        waitForCompletion: true,
        timeout,
        ...REAL,
        image: "mlkube.local/model-server:v1",
        imagePullPolicy: "Never",
        command: ["/testapp", "pause"],
        resourcesPerNode: small,
    });
}
if (scenarios.has("claim")) {
    // The claim `stuck` is created by the test (a class that does not exist); mounted by name.
    jobs.claim = new mlkube.TrainJob("claim", {
        ...base,
        ...REAL,
        image: IMAGE,
        imagePullPolicy: "Never",
        command: ["/testapp", "pause"],
        resourcesPerNode: small,
        volumes: [{ volume: "stuck", mountPath: "/data" }],
    });
}
if (scenarios.has("rank")) {
    // Rank 1 fails on purpose (exit 3, termination message); the Secret with the marker is in its env.
    jobs.rank = new mlkube.TrainJob("rank", {
        ...base,
        ...REAL,
        image: IMAGE,
        imagePullPolicy: "Never",
        command: ["/testapp", "rendezvous", "-timeout", "30s", "-fail-rank", "1"],
        numNodes: 2,
        resourcesPerNode: small,
        secrets: config.getBoolean("rankSecret") === false ? [] : [marker],
    });
}
if (scenarios.has("healthy")) {
    jobs.healthy = new mlkube.TrainJob("healthy", {
        ...base,
        image: IMAGE,
        command: ["/testapp", "pause"],
        numNodes: 2,
        maxRestarts: 1,
        resourcesPerNode: small,
        nodeSelector: { "mlkube.test/node-kind": "cpu" },
        podAnnotations: { "mlkube.test/run-for": "8s" },
    });
}
if (scenarios.has("crashloop")) {
    // A Compute whose process exits: CrashLoopBackOff with its log (the Deployment's await times out).
    new mlkube.Compute("crashloop", {
        ...REAL,
        image: IMAGE,
        imagePullPolicy: "Never",
        command: ["/testapp", "connect", "-tries", "1", "nowhere.invalid:1"],
        resources: small,
        securityContext: { runAsUser: 1000 },
        annotations: { "pulumi.com/timeoutSeconds": String(timeout) },
    });
}
if (scenarios.has("api")) {
    // A healthy Compute (the timing of a successful `up` with and without the watcher).
    new mlkube.Compute("api", {
        ...REAL,
        image: IMAGE,
        imagePullPolicy: "Never",
        command: ["/testapp", "serve"],
        resources: small,
        securityContext: { runAsUser: 1000 },
    });
}

// Each job's state as its own stack output (an object of Outputs, one of them rejected, made the Node.js
// SDK spin after a job failed: the program never ended).
export const gpuState = jobs.gpu?.state;
export const rankState = jobs.rank?.state;
export const healthyState = jobs.healthy?.state;
