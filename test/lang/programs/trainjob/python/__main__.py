"""A TrainJob in Python (docs/python.md): a dataset Volume mounted read-only through a mount spec, a
scratch Volume deleted with the stack, a Secret injected whole and by key reference, a field reference,
and `pulumi up` waits until the job completes. `pulumi config set backend kubeflow` runs it on the
Kubeflow Trainer instead of a JobSet.

Positions that take one of several shapes (a volume, a secret, an env value) are `oneOf`s: write them
with the SDK's Args classes, or as dicts with the schema's camelCase keys (a dict's snake_case keys are
not translated there)."""
import pulumi
import pulumi_mlkube as mlkube

config = pulumi.Config()

# ReadWriteMany: every node reads it. Kept on destroy (the default).
data = mlkube.Volume("data", size="1Gi", access_mode="ReadWriteMany", storage_class="standard", mount_path="/data")
scratch = mlkube.Volume("scratch", size="1Gi", access_mode="ReadWriteMany", storage_class="standard", reclaim="Delete")
wandb = mlkube.Secret("wandb", env={"WANDB_API_KEY": config.require_secret("wandbApiKey")})

job = mlkube.TrainJob(
    "train",
    backend=config.get("backend") or "jobset",
    image="registry.example/train:1.0",
    command=["torchrun"],
    args=["/app/train.py", "--data", "/data"],
    num_nodes=2,
    resources_per_node={"cpu": 1, "memory": "1Gi"},
    volumes=[mlkube.VolumeMountSpecArgs(volume=data, read_only=True), scratch],
    secrets=[wandb],
    env={  # (env vars reach the pod sorted by name)
        # A dict in a oneOf position: camelCase keys (the schema's names).
        "POD_NAME": {"fieldRef": "metadata.name"},
        # TypeScript: wandb.ref("WANDB_API_KEY")
        "WANDB_KEY_COPY": mlkube.SecretKeyRefArgs(secret=wandb, key="WANDB_API_KEY"),
        "WANDB_PROJECT": "lang-test",
    },
    security_context={"runAsUser": 1000},
    wait_for_completion=True,
    timeout=300,
)

pulumi.export("jobName", job.job_name)
pulumi.export("jobState", job.state)
pulumi.export("masterAddress", job.master_address)
