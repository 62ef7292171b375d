"""The quickstart in Python (docs/python.md): a model cache Volume, an API token Secret from stack
config (`pulumi config set --secret apiToken ...`) and a small inference server."""
import pulumi
import pulumi_mlkube as mlkube

config = pulumi.Config()
# A small model in GGUF form, downloaded from Hugging Face at start (llama.cpp's `-hf repo:quant`).
model = config.get("model") or "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"

# A claim for downloaded weights; kept when the stack is destroyed.
cache = mlkube.Volume("model-cache", size="20Gi")

# The token reaches the pods as the env var API_TOKEN; its value stays a Pulumi secret.
token = mlkube.Secret("api-token", env={"API_TOKEN": config.require_secret("apiToken")})

server = mlkube.Compute(
    "server",
    # llama.cpp's OpenAI-compatible server, CPU build (this pod has no GPU, so no CUDA image).
    image="ghcr.io/ggml-org/llama.cpp:server",
    args=["-hf", model, "--host", "0.0.0.0", "--port", "8000"],
    resources={"cpu": "2", "memory": "8Gi"},
    volumes=[cache],
    secrets=[token],
    env={"LLAMA_CACHE": "/mnt/model-cache", "MODEL": model},
    ports=[{"port": 8000}],
    readiness_probe={"path": "/health", "port": 8000, "period_seconds": 5},
    # The image runs as root, which the secure defaults (runAsNonRoot) refuse: run it as uid 1000.
    security_context={"runAsUser": 1000},
)

pulumi.export("endpoint", server.endpoint)
pulumi.export("claim", cache.claim_name)
