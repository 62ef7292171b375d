"""The quickstart in Python (docs/python.md): a model cache Volume, an API token Secret from stack
config (`pulumi config set --secret apiToken ...`) and a small inference server."""
import pulumi
import pulumi_mlkube as mlkube

config = pulumi.Config()
model = config.get("model") or "Qwen/Qwen2.5-0.5B-Instruct"

# A claim for downloaded weights; kept when the stack is destroyed.
cache = mlkube.Volume("model-cache", size="20Gi")

# The token reaches the pods as the env var API_TOKEN; its value stays a Pulumi secret.
token = mlkube.Secret("api-token", env={"API_TOKEN": config.require_secret("apiToken")})

server = mlkube.Compute(
    "server",
    image="vllm/vllm-openai:v0.6.3",
    args=["--model", model, "--download-dir", "/mnt/model-cache"],
    resources={"cpu": "2", "memory": "8Gi"},
    volumes=[cache],
    secrets=[token],
    env={"MODEL": model},
    ports=[{"port": 8000}],
)

pulumi.export("endpoint", server.endpoint)
pulumi.export("claim", cache.claim_name)
