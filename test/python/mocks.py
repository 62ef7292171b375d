"""Instantiates every mlkube resource through the generated Python SDK (sdk/python) under Pulumi's
mocks, with the wire forms of the schema (ExistingVolume, ExistingSecret, SecretKeyRef with a Secret
resource, env and volumes oneOf, TypedDict dicts), and prints what reached the (mock) engine as JSON:
the SDK's version and one record per registration {type, name, inputs}, resources as {"$resource": name}, secrets as
{"$secret": value}. Run by test/sdk-python.test.ts, which asserts on the JSON.

Importing the SDK alone does not catch import-order bugs (the _inputs.py cycle shows at the first
registration), so every resource is registered.
"""
import json
import sys

import pulumi

# Pulumi's wire marker of a secret value (pulumi.runtime.rpc: _special_sig_key / _special_secret_sig).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

records = []


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        records.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        return [args.name + "_id", args.inputs]

    def call(self, args):
        return {}


pulumi.runtime.set_mocks(Mocks(), preview=False)

import pulumi_mlkube as mlkube  # noqa: E402  (after set_mocks, as Pulumi's testing guide does)


def plain(v):
    if isinstance(v, pulumi.Resource):
        return {"$resource": v._name}
    if isinstance(v, dict):
        if v.get(SIG_KEY) == SECRET_SIG:
            return {"$secret": plain(v.get("value"))}
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


@pulumi.runtime.test
def program():
    data = mlkube.Volume("data", size="10Gi", access_mode=mlkube.AccessMode.READ_WRITE_MANY, reclaim=mlkube.VolumeReclaim.DELETE)
    hf = mlkube.Secret("hf", env={"HF_TOKEN": "tok"})
    git = mlkube.Secret("git", git_ssh=mlkube.GitSshArgs(private_key="-----BEGIN KEY-----"), mount=mlkube.SecretMount.FILES)
    api = mlkube.Compute(
        "api",
        image="vllm/vllm-openai:v0.6.3",
        env={
            "MODE": "serve",
            "HF_TOKEN": mlkube.SecretKeyRefArgs(secret=hf, key="HF_TOKEN"),
            "OTHER": mlkube.SecretKeyRefArgs(secret_name="elsewhere", key="K", optional=True),
            "POD_IP": mlkube.FieldRefArgs(field_ref="status.podIP"),
        },
        volumes=[
            data,
            mlkube.ExistingVolumeArgs(claim_name="datasets", mount_path="/data", read_only=True),
            "scratch",
            mlkube.VolumeMountSpecArgs(volume=data, mount_path="/models", sub_path="models"),
        ],
        secrets=[hf, mlkube.ExistingSecretArgs(secret_name="tls", mount=mlkube.SecretMount.FILES), "plain-name"],
        image_pull_secrets=["regcred"],
        # A TypedDict in a typed (not oneOf) position: snake_case keys.
        resources={"cpu": 2, "memory": "4Gi", "ephemeral_storage": "10Gi"},
        ports=[mlkube.PortSpecArgs(port=8000)],
        readiness_probe=mlkube.ProbeSpecArgs(path="/health"),
        disruption_budget=mlkube.DisruptionBudgetSpecArgs(max_unavailable=1),
        tolerations=[{"key": "gpu", "operator": "Exists"}],
        node_selector={"pool": "gpu"},
    )
    train = mlkube.TrainJob(
        "train",
        image="pytorch/pytorch:2.5.1",
        command=["torchrun", "train.py"],
        backend=mlkube.TrainJobBackend.JOBSET,
        num_nodes=2,
        resources_per_node=mlkube.ResourcesArgs(gpu=1, cpu="500m"),
        volumes=[mlkube.VolumeMountSpecArgs(volume=mlkube.ExistingVolumeArgs(claim_name="ckpt"), mount_path="/ckpt")],
        secrets=[git],
        initializer=mlkube.InitializersArgs(dataset=mlkube.InitializerSourceArgs(storage_uri="hf://org/data", secret=hf), volume=data),
        runtime_patches=[
            mlkube.RuntimePatchArgs(
                manager="example.com/team",
                training_runtime_spec=mlkube.TrainingRuntimeSpecPatchArgs(
                    template=mlkube.JobSetTemplatePatchArgs(metadata=mlkube.PatchMetadataArgs(labels={"team": "ml"}))
                ),
            )
        ],
        queue=False,
        suspend=pulumi.Output.from_input(False),
    )
    return pulumi.Output.all(data.urn, hf.urn, git.urn, api.urn, train.urn).apply(
        lambda _: print("MLKUBE-MOCKS " + json.dumps({"version": mlkube._utilities.get_version(), "records": plain(records)}, sort_keys=True))
    )


program()
