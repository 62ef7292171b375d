// The e2e upgrade scenario (test/e2e/upgrade.test.ts, docs/operations.md "Upgrading mlkube"): what the
// issue's operator ran — two Volumes, a Secret, a 2-replica Compute with a Service and a waited JobSet
// TrainJob — written against the API the previous release (0.1.0) and the checkout share.
"use strict";
const pulumi = require("@pulumi/pulumi");
const mlkube = require("mlkube");

const config = new pulumi.Config();
const data = new mlkube.Volume("data", { size: "1Gi" });
const ckpt = new mlkube.Volume("ckpt", { size: "2Gi" });
const keys = new mlkube.Secret("keys", { env: { API_TOKEN: config.requireSecret("token") } });
new mlkube.Compute("api", {
    image: "registry.example/api:1.0",
    resources: { cpu: "100m", memory: "128Mi" },
    replicas: 2,
    ports: [{ port: 8080 }],
    secrets: [keys],
    securityContext: { runAsUser: 1000 },
});
const train = new mlkube.TrainJob("train", {
    image: "registry.example/train:1.0",
    command: ["python", "/app/train.py"],
    numNodes: 1,
    resourcesPerNode: { cpu: "100m", memory: "128Mi" },
    volumes: [data, ckpt],
    secrets: [keys],
    securityContext: { runAsUser: 1000 },
    waitForCompletion: true,
    timeout: 300,
});
exports.jobName = train.jobName;
exports.jobState = train.state;
