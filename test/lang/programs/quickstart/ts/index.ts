// The TypeScript twin of ../yaml/Pulumi.yaml and ../python/__main__.py (test/lang): the renderer's
// objects for this program are what the YAML and Python programs must create on the cluster.
import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";

const config = new pulumi.Config();
const model = config.get("model") ?? "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M";

const cache = new mlkube.Volume("model-cache", { size: "20Gi" });
const token = new mlkube.Secret("api-token", { env: { API_TOKEN: config.requireSecret("apiToken") } });

const server = new mlkube.Compute("server", {
    image: "ghcr.io/ggml-org/llama.cpp:server",
    args: ["-hf", model, "--host", "0.0.0.0", "--port", "8000"],
    resources: { cpu: "2", memory: "8Gi" },
    volumes: [cache],
    secrets: [token],
    env: { LLAMA_CACHE: "/mnt/model-cache", MODEL: model },
    ports: [{ port: 8000 }],
    readinessProbe: { path: "/health", port: 8000, periodSeconds: 5 },
    securityContext: { runAsUser: 1000 },
});

export const endpoint = server.endpoint;
export const claim = cache.claimName;
