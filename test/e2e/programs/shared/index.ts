// The e2e suite's ownership scenarios (test/e2e/shared-namespace.test.ts, docs/operations.md): two stacks
// of this program in one namespace (same names), and a retained claim that is destroyed, re-adopted and
// changed. Every knob is stack config.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const jobRunFor = config.get("jobRunFor");

/**
 * `solo`: only Computes with no Volume, Secret, Service or PodDisruptionBudget of their own name beside the
 * Deployment (whose applies are forced): one replica, and two replicas with `disruptionBudget: false`.
 */
function solo(): void {
    const pod = {
        image: "registry.example/api:1.0",
        resources: { cpu: "100m", memory: "128Mi" },
        securityContext: { runAsUser: 1000 },
    };
    new mlkube.Compute("solo", pod);
    new mlkube.Compute("nobudget", { ...pod, replicas: 2, disruptionBudget: false });
}

function full(): pulumi.Output<string> {
    const data = new mlkube.Volume("data", {
        size: config.get("dataSize") ?? "1Gi",
        storageClass: config.get("storageClass"),
    });

    if (config.getBoolean("workloads") ?? true) {
        const keys = new mlkube.Secret("keys", { env: { API_TOKEN: config.requireSecret("token") } });
        new mlkube.Compute("api", {
            image: "registry.example/api:1.0",
            resources: { cpu: "100m", memory: "128Mi" },
            replicas: config.getNumber("replicas") ?? 2,
            ports: [{ port: 8080 }],
            secrets: [keys],
            securityContext: { runAsUser: 1000 },
        });
        new mlkube.TrainJob("train", {
            image: "registry.example/train:1.0",
            command: ["python", "/app/train.py"],
            numNodes: 1,
            resourcesPerNode: { cpu: "100m", memory: "128Mi" },
            volumes: [data],
            securityContext: { runAsUser: 1000 },
            // `jobRunFor` (e.g. "60s"): the job's pods run that long on the KWOK nodes and `up` waits for it, so
            // that a fault injected mid-update (test/e2e/faults.test.ts) hits an update still in flight.
            ...(jobRunFor
                ? { waitForCompletion: true, timeout: 600, podAnnotations: { "mlkube.test/run-for": jobRunFor } }
                : {}),
        });
    }
    return data.claimName;
}

const soloOnly = config.getBoolean("solo") ?? false;
if (soloOnly) solo();
export const claim = soloOnly ? undefined : full();
