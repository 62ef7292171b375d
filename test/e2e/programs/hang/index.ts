// A waited TrainJob that fails in seconds while the provider still awaits another one that runs for a
// while (test/e2e/failure-while-waiting.test.ts). mlkube.test/* annotations drive the local cluster's
// fake pods (docs/cluster.md).
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const common = {
    image: "registry.example/train:1.0",
    numNodes: 1,
    resourcesPerNode: { cpu: "100m", memory: "64Mi" },
    securityContext: { runAsUser: 1000 },
    waitForCompletion: true,
    timeout: 300,
};

const fails = new mlkube.TrainJob("fails", { ...common, podAnnotations: { "mlkube.test/fail": "true" } });
const slow = new mlkube.TrainJob("slow", {
    ...common,
    podAnnotations: { "mlkube.test/run-for": config.get("slowRunFor") ?? "60s" },
});

export const failsState = fails.state;
export const slowState = slow.state;
