"""/app/train.py of the mlkube.local/torch image: a small, real stand-in for the fine-tuning script of
examples/llm-finetune, so that the example's exact pod spec (command, args, env, Secrets, volumes, shared
memory, user) runs on the real node under the real torchrun (test/cluster/examples-realnode.test.ts).

    torchrun /app/train.py --model <name> --data <dir of *.jsonl> --output <dir>

Every rank reads the dataset (JSON lines with a "text" field) from --data, takes its shard, and trains a
byte-level next-token model (an embedding and a linear layer, CPU, gloo, DistributedDataParallel); rank 0
writes the checkpoint and a summary to --output. One JSON line per event on stdout (the test reads them):
  start   the worker's view: torchrun's environment, uid, which tokens are set (never their values),
          HF_HOME, whether /dev/shm is a memory filesystem and its size
  loss    the loss averaged over all ranks (rank 0, every step)
  saved   rank 0 wrote <output>/model.pt and <output>/summary.json
  done    the run finished
It exits non-zero when the dataset is missing or empty, or --output or HF_HOME is not writable.
"""
import argparse
import glob
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

VOCAB = 256  # bytes
CONTEXT = 8


def log(event, **fields):
    # One write(2) per line: the workers of a node share the pod's stdout.
    os.write(1, (json.dumps({"event": event, **fields}) + "\n").encode())


def shm():
    """(filesystem type, size in bytes) of /dev/shm."""
    kind = None
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[1] == "/dev/shm":
                kind = parts[2]
    st = os.statvfs("/dev/shm")
    return kind, st.f_blocks * st.f_frsize


def dataset(path):
    files = sorted(glob.glob(os.path.join(path, "*.jsonl")))
    if not files:
        sys.exit(f"no *.jsonl files in --data {path}")
    texts = []
    for name in files:
        with open(name) as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    if not texts:
        sys.exit(f"--data {path}: the dataset is empty")
    return texts


def windows(texts):
    """(context, next byte) pairs of every text."""
    xs, ys = [], []
    for t in texts:
        b = list(t.encode())
        for i in range(len(b) - CONTEXT):
            xs.append(b[i : i + CONTEXT])
            ys.append(b[i + CONTEXT])
    return torch.tensor(xs), torch.tensor(ys)


class TinyLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(VOCAB, 16)
        self.out = torch.nn.Linear(16 * CONTEXT, VOCAB)

    def forward(self, x):
        return self.out(self.emb(x).flatten(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--steps", type=int, default=int(os.environ.get("STEPS", "25")))
    a = p.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    hf_home = os.environ.get("HF_HOME")
    if hf_home:
        os.makedirs(hf_home, exist_ok=True)  # as Hugging Face libraries do: it must be writable
    kind, size = shm()
    keys = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT")
    log(
        "start",
        host=socket.gethostname(),
        uid=os.getuid(),
        gid=os.getgid(),
        model=a.model,
        hfTokenSet=bool(os.environ.get("HF_TOKEN")),
        wandbKeySet=bool(os.environ.get("WANDB_API_KEY")),
        wandbProject=os.environ.get("WANDB_PROJECT"),
        hfHome=hf_home,
        shmType=kind,
        shmBytes=size,
        **{k: os.environ.get(k) for k in keys},
    )

    texts = dataset(a.data)
    x, y = windows(texts)
    xs, ys = x[rank::world], y[rank::world]
    torch.manual_seed(0)
    model = TinyLM()
    ddp = DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=0.01)
    first = last = None
    for step in range(1, a.steps + 1):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(ddp(xs), ys)
        loss.backward()
        opt.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        mean = float(mean) / world
        first = mean if first is None else first
        last = mean
        if rank == 0:
            log("loss", step=step, loss=mean)

    if rank == 0:
        os.makedirs(a.output, exist_ok=True)
        tmp = os.path.join(a.output, "model.pt.tmp")
        torch.save({"model": model.state_dict(), "base": a.model, "steps": a.steps}, tmp)
        os.replace(tmp, os.path.join(a.output, "model.pt"))
        summary = {"model": a.model, "world": world, "samples": len(texts), "steps": a.steps, "first": first, "last": last}
        with open(os.path.join(a.output, "summary.json"), "w") as f:
            json.dump(summary, f)
        log("saved", output=a.output, **summary)
    dist.barrier()
    log("done", rank=rank)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
