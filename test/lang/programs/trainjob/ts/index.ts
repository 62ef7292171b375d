// The TypeScript twin of ../yaml/Pulumi.yaml and ../python/__main__.py (test/lang): a dataset Volume
// mounted read-only through a mount spec, a scratch Volume deleted with the stack, a Secret injected
// whole and by key reference, a field reference, and a TrainJob that `pulumi up` waits for.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();

// ReadWriteMany: every node reads it. Kept on destroy (the default).
const data = new mlkube.Volume("data", {
    size: "1Gi",
    accessMode: "ReadWriteMany",
    storageClass: "standard",
    mountPath: "/data",
});
const scratch = new mlkube.Volume("scratch", {
    size: "1Gi",
    accessMode: "ReadWriteMany",
    storageClass: "standard",
    reclaim: "Delete",
});
const wandb = new mlkube.Secret("wandb", { env: { WANDB_API_KEY: config.requireSecret("wandbApiKey") } });

const job = new mlkube.TrainJob("train", {
    backend: (config.get("backend") ?? "jobset") as mlkube.TrainJobBackend,
    image: "registry.example/train:1.0",
    command: ["torchrun"],
    args: ["/app/train.py", "--data", "/data"],
    numNodes: 2,
    resourcesPerNode: { cpu: 1, memory: "1Gi" },
    volumes: [{ volume: data, readOnly: true }, scratch],
    secrets: [wandb],
    // Sorted keys: a map crosses the provider boundary (protobuf Struct) sorted by key, so the YAML and
    // Python programs' env comes out in this order whatever order they write (docs/python.md).
    env: {
        POD_NAME: { fieldRef: "metadata.name" },
        WANDB_KEY_COPY: wandb.ref("WANDB_API_KEY"),
        WANDB_PROJECT: "lang-test",
    },
    securityContext: { runAsUser: 1000 },
    waitForCompletion: true,
    timeout: 300,
});

export const jobName = job.jobName;
export const jobState = job.state;
export const masterAddress = job.masterAddress;
