import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const model = config.get("model") ?? "Qwen/Qwen2.5-0.5B-Instruct";

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
    image: "vllm/vllm-openai:v0.6.3",
    args: ["--model", model, "--download-dir", "/mnt/model-cache"],
    resources: { cpu: "2", memory: "8Gi" },
    volumes: [cache],
    secrets: [token],
    env: { SETTINGS_CONFIGMAP: settings.metadata.name },
    ports: [{ port: 8000 }],
});
