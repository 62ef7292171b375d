// A GPU LLM server: vLLM's OpenAI-compatible server, 2 replicas behind a Service, with a model cache
// shared by the replicas (ReadWriteMany), a Hugging Face token, and shared memory for NCCL.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const model = config.get("model") ?? "meta-llama/Llama-3.1-8B-Instruct";
const gpus = config.getNumber("gpusPerReplica") ?? 1;
const hfToken = config.getSecret("hfToken");
// vLLM's CUDA image, for GPU replicas; with gpusPerReplica 0 set a CPU image (`pulumi config set image ...`;
// the real-node test sets a local one).
const image = config.get("image") ?? "vllm/vllm-openai:v0.6.3";
if (gpus === 0 && !config.get("image"))
    throw new Error("gpusPerReplica 0: vLLM's image needs a GPU; set a CPU image with `pulumi config set image ...`");
const resources = config.getObject<mlkube.Resources>("resources") ?? { cpu: 8, memory: "32Gi" };

// Downloaded weights survive restarts and are shared by every replica.
const cache = new mlkube.Volume("model-cache", {
    size: "200Gi",
    accessMode: "ReadWriteMany",
    mountPath: "/models",
});

// The token reaches the pods as the env var HF_TOKEN; its value is a Pulumi secret throughout.
const hf = new mlkube.Secret("hf-token", hfToken ? { env: { HF_TOKEN: hfToken } } : { provider: "huggingface" });

const server = new mlkube.Compute("llm", {
    image,
    args: ["--model", model, "--tensor-parallel-size", String(Math.max(gpus, 1)), "--port", "8000"],
    // Node selector, GPU toleration, labels and /dev/shm come from the stack's `mlkube:profiles.h100`.
    profile: "h100",
    // 2 replicas: mlkube adds a PodDisruptionBudget (maxUnavailable: 1), so node drains keep one serving.
    replicas: 2,
    resources: { ...resources, gpu: gpus },
    volumes: [cache],
    secrets: [hf],
    env: { HF_HOME: "/models/hf" },
    ports: [{ port: 80, targetPort: 8000, name: "http" }],
    // Loading the weights takes minutes: the startup probe allows 10 minutes before liveness/readiness count.
    startupProbe: { path: "/health", port: 8000, periodSeconds: 10, failureThreshold: 60 },
    readinessProbe: { path: "/health", port: 8000, periodSeconds: 10 },
    // On shutdown, keep serving for 10 s while the Service drops the endpoint, then stop.
    preStop: { sleepSeconds: 10 },
    terminationGracePeriodSeconds: 60,
    // The image runs as root by default; the secure defaults (runAsNonRoot) need a user id.
    securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
});

export const endpoint = server.endpoint;
export const claim = cache.claimName;
