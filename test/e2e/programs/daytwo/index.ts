// The e2e suite's day-two scenarios (test/e2e/day-two.test.ts, docs/operations.md): a Compute whose replica
// count or autoscaling a test changes, and a TrainJob that pulumi up waits for. Every knob is stack config.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();

export let deployment: pulumi.Output<string> | undefined;
if (config.getBoolean("compute") ?? true) {
    const max = config.getNumber("autoscaleMax");
    const api = new mlkube.Compute("api", {
        image: config.get("apiImage") ?? "registry.example/api:1.0",
        resources: { cpu: "100m", memory: "128Mi" },
        ...(max === undefined
            ? { replicas: config.getNumber("replicas") ?? 2 }
            : { autoscaling: { minReplicas: config.getNumber("autoscaleMin"), maxReplicas: max } }),
        securityContext: { runAsUser: 1000 },
    });
    deployment = api.deploymentName;
}

export let jobState: pulumi.Output<string | undefined> | undefined;
if (config.getBoolean("job") ?? false) {
    // mlkube.test/run-for keeps the cluster's fake pods running that long (docs/cluster.md).
    const job = new mlkube.TrainJob("train", {
        backend: (config.get("backend") ?? "jobset") as mlkube.TrainJobBackend,
        image: "registry.example/train:1.0",
        command: ["python", "/app/train.py"],
        numNodes: 1,
        resourcesPerNode: { cpu: "100m", memory: "128Mi" },
        securityContext: { runAsUser: 1000 },
        podAnnotations: { "mlkube.test/run-for": config.get("jobRunFor") ?? "1s" },
        waitForCompletion: true,
        timeout: 300,
    });
    jobState = job.state;
}
