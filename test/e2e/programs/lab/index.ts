// The e2e suite's update scenarios (test/e2e/updates.test.ts): each knob is stack config, so a test
// changes one value and runs `pulumi up` again.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const volumeSize = config.get("volumeSize") ?? "1Gi";
const memory = config.get("memory") ?? "256Mi";
const withJob = config.getBoolean("job") ?? true;

// Kept on destroy (the default), and one that opted into deletion. `data` is shared by the job's nodes:
// ReadWriteMany (a ReadWriteOnce claim on numNodes > 1 is refused), on the cluster's RWX-capable class.
const data = new mlkube.Volume("data", {
    size: volumeSize,
    mountPath: "/data",
    accessMode: "ReadWriteMany",
    storageClass: "standard",
});
const scratch = new mlkube.Volume("scratch", { size: "1Gi", reclaim: "Delete" });
const token = new mlkube.Secret("token", { env: { TOKEN: config.requireSecret("token") } });

const api = new mlkube.Compute("api", {
    image: config.get("apiImage") ?? "registry.example/api:1.0",
    resources: { cpu: "100m", memory },
    volumes: [data, scratch],
    secrets: [token],
    ports: [{ port: 8080 }],
    securityContext: { runAsUser: 1000 },
});

export const deployment = api.deploymentName;
export const claim = data.claimName;

function trainJob(): mlkube.TrainJob {
    // mlkube.test/* annotations drive the local cluster's fake pods (docs/cluster.md): fail, or keep running.
    const podAnnotations: Record<string, string> = {};
    if (config.getBoolean("jobFails")) podAnnotations["mlkube.test/fail"] = "true";
    const runFor = config.get("jobRunFor");
    if (runFor) podAnnotations["mlkube.test/run-for"] = runFor;
    const wait = config.getBoolean("waitForCompletion") ?? false;
    return new mlkube.TrainJob("train", {
        backend: (config.get("backend") ?? "jobset") as mlkube.TrainJobBackend,
        // kubeflow: a namespaced TrainingRuntime (the suite's copy of torch-distributed without Job retries).
        ...(config.get("runtime")
            ? { runtime: { name: config.require("runtime"), kind: "TrainingRuntime" as const } }
            : {}),
        image: config.get("jobImage") ?? "registry.example/train:1.0",
        command: ["python", "/app/train.py"],
        numNodes: config.getNumber("numNodes") ?? 2,
        resourcesPerNode: { cpu: 1, memory: "1Gi" },
        volumes: [data],
        secrets: [token],
        securityContext: { runAsUser: 1000 },
        podAnnotations,
        suspend: config.getBoolean("suspend") ?? false,
        waitForCompletion: wait,
        ...(wait ? { timeout: config.getNumber("timeout") ?? 600 } : {}),
    });
}

const job = withJob ? trainJob() : undefined;
export const jobName = job?.jobName;
export const jobState = job?.state;
