// Fine-tune an LLM with torchrun on 4 nodes x 8 GPUs. The same program runs on a JobSet (default), on
// the Kubeflow Trainer (`pulumi config set backend kubeflow`) or on a plain Indexed Job with a headless
// Service, which needs nothing installed (`pulumi config set backend job`): the training script sees the
// same rendezvous environment (PET_*, MASTER_ADDR, ...) on all three.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const backend = (config.get("backend") ?? "jobset") as mlkube.TrainJobBackend;
const numNodes = config.getNumber("numNodes") ?? 4;
const gpusPerNode = config.getNumber("gpusPerNode") ?? 8;
// Your training image (torchrun + /app/train.py); `pulumi config set image ...` swaps it.
const image = config.get("image") ?? "ghcr.io/acme/llm-finetune:1.4.0";
const resources = config.getObject<mlkube.Resources>("resourcesPerNode") ?? { cpu: 96, memory: "1000Gi" };
// /dev/shm for the dataloader workers and NCCL; memory-backed, so it counts against `resourcesPerNode.memory`.
const sharedMemory = config.get("sharedMemory") ?? "64Gi";

// Checkpoints are written by every node, so the claim must be ReadWriteMany; kept on destroy.
const checkpoints = new mlkube.Volume("checkpoints", {
    size: "2Ti",
    accessMode: "ReadWriteMany",
    mountPath: "/checkpoints",
});
// The dataset, read by every node.
const dataset = new mlkube.Volume("dataset", { size: "500Gi", accessMode: "ReadWriteMany", mountPath: "/data" });

// Tokens reach the pods as env vars HF_TOKEN and WANDB_API_KEY; their values stay Pulumi secrets.
const hf = new mlkube.Secret("hf-token", { env: { HF_TOKEN: config.requireSecret("hfToken") } });
const wandb = new mlkube.Secret("wandb", { env: { WANDB_API_KEY: config.requireSecret("wandbApiKey") } });

const job = new mlkube.TrainJob("llm-finetune", {
    backend,
    image,
    command: ["torchrun"],
    args: [
        "/app/train.py",
        "--model",
        "meta-llama/Llama-3.1-8B",
        "--data",
        "/data/sft",
        "--output",
        "/checkpoints/llama-sft",
    ],
    numNodes,
    resourcesPerNode: { ...resources, gpu: gpusPerNode },
    volumes: [checkpoints, { volume: dataset, readOnly: true }],
    secrets: [hf, wandb],
    sharedMemory,
    env: { NCCL_DEBUG: "WARN", HF_HOME: "/checkpoints/hf", WANDB_PROJECT: "llama-sft" },
    // The image runs as root by default; the secure defaults (runAsNonRoot) need a user id.
    securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
    nodeSelector: { "node.kubernetes.io/instance-type": "p5.48xlarge" },
    activeDeadlineSeconds: 48 * 3600,
    // A team-wide patch of the JobSet, applied the same way on the jobset and kubeflow backends (strategic
    // merge, later managers win); a plain Job has no JobSet to patch.
    runtimePatches:
        backend === "job"
            ? undefined
            : [
                  {
                      manager: "acme.com/ml-platform",
                      trainingRuntimeSpec: {
                          template: {
                              spec: {
                                  replicatedJobs: [
                                      {
                                          name: "node",
                                          template: {
                                              spec: {
                                                  template: {
                                                      metadata: { labels: { "acme.com/cost-center": "research" } },
                                                  },
                                              },
                                          },
                                      },
                                  ],
                              },
                          },
                      },
                  },
              ],
});

export const jobName = job.jobName;
export const masterAddress = job.masterAddress;
export const trainingBackend = job.backend;
