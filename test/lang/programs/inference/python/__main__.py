"""examples/inference in Python (docs/python.md): vLLM's OpenAI-compatible server, 2 replicas behind a
Service, a model cache shared by the replicas (ReadWriteMany), a Hugging Face token and shared memory
for NCCL. The node selector, GPU toleration, labels and /dev/shm come from the stack's
`mlkube:profiles.h100` (see examples/inference/Pulumi.dev.yaml)."""
import pulumi
import pulumi_mlkube as mlkube

config = pulumi.Config()
model = config.get("model") or "meta-llama/Llama-3.1-8B-Instruct"
gpus = config.get_int("gpusPerReplica") or 1
hf_token = config.get_secret("hfToken")

# Downloaded weights survive restarts and are shared by every replica.
cache = mlkube.Volume("model-cache", size="200Gi", access_mode="ReadWriteMany", mount_path="/models")

# The token reaches the pods as the env var HF_TOKEN; its value is a Pulumi secret throughout.
hf = mlkube.Secret("hf-token", env={"HF_TOKEN": hf_token}) if hf_token else mlkube.Secret("hf-token", provider="huggingface")

server = mlkube.Compute(
    "llm",
    image="vllm/vllm-openai:v0.6.3",
    args=["--model", model, "--tensor-parallel-size", str(gpus), "--port", "8000"],
    profile="h100",
    # 2 replicas: mlkube adds a PodDisruptionBudget (maxUnavailable: 1).
    replicas=2,
    resources={"cpu": 8, "memory": "32Gi", "gpu": gpus},
    volumes=[cache],
    secrets=[hf],
    env={"HF_HOME": "/models/hf"},
    ports=[{"port": 80, "target_port": 8000, "name": "http"}],
    # Loading the weights takes minutes: the startup probe allows 10 minutes.
    startup_probe={"path": "/health", "port": 8000, "period_seconds": 10, "failure_threshold": 60},
    readiness_probe={"path": "/health", "port": 8000, "period_seconds": 10},
    pre_stop={"sleep_seconds": 10},
    termination_grace_period_seconds=60,
    # The image runs as root by default; the secure defaults (runAsNonRoot) need a user id.
    security_context={"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000},
)

pulumi.export("endpoint", server.endpoint)
pulumi.export("claim", cache.claim_name)
