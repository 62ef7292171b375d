import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
// A small model in GGUF form, downloaded from Hugging Face at start (llama.cpp's `-hf repo:quant`).
const model = config.get("model") ?? "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M";
// llama.cpp's OpenAI-compatible server, CPU build: this pod has no GPU, so no CUDA image. Pin a release
// tag (server-b<N>) for production; `pulumi config set image ...` swaps it (the real-node test uses a local one).
const image = config.get("image") ?? "ghcr.io/ggml-org/llama.cpp:server";
const resources = config.getObject<mlkube.Resources>("resources") ?? { cpu: "2", memory: "8Gi" };

// A claim for downloaded weights; kept when the stack is destroyed.
const cache = new mlkube.Volume("model-cache", { size: "20Gi" });

// An API token from stack config (`pulumi config set --secret apiToken ...`), injected as env.
const token = new mlkube.Secret("api-token", { env: { API_TOKEN: config.requireSecret("apiToken") } });

// Plain @pulumi/kubernetes resources render too. No metadata.name: Pulumi auto-names it. Its namespace
// follows `mlkube:namespace` like the components' (mlkube's defaults only apply to mlkube components).
const settings = new k8s.core.v1.ConfigMap("server-settings", {
    metadata: { namespace: new pulumi.Config("mlkube").get("namespace") },
    data: { MODEL: model, MAX_MODEL_LEN: "4096" },
});

new mlkube.Compute("server", {
    image,
    args: ["-hf", model, "--host", "0.0.0.0", "--port", "8000"],
    resources,
    volumes: [cache],
    secrets: [token],
    // llama.cpp keeps downloaded models in LLAMA_CACHE: on the claim, so a restart does not download again.
    env: { SETTINGS_CONFIGMAP: settings.metadata.name, LLAMA_CACHE: "/mnt/model-cache" },
    ports: [{ port: 8000 }],
    // 503 while the model loads: the Service sends traffic only once it answers.
    readinessProbe: { path: "/health", port: 8000, periodSeconds: 5 },
    // The image runs as root, which mlkube's secure defaults (runAsNonRoot) refuse: run it as uid 1000
    // (mlkube then sets fsGroup 1000, so the claim is writable for it).
    securityContext: { runAsUser: 1000 },
});
