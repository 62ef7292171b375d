"""A small real DDP training run for the real-node tests (test/cluster/torch.test.ts), started by
torchrun from the environment mlkube gives the pods (PET_*). CPU, gloo, data from a fixed seed.

Prints one JSON line per event (the test reads them from the pods' logs):
  start       the worker's torchrun environment (WORLD_SIZE, RANK, LOCAL_RANK, GROUP_RANK, ...)
  allreduce   the all-reduce of a known tensor: every rank must see the same checksum
  resume      the step the run continues from when a checkpoint exists
  loss        the loss averaged over all ranks, every step
  checkpoint  rank 0 wrote the checkpoint (model, optimizer, step) to $CKPT_DIR/model.pt
  fail        FAIL_RANK's worker exits 3 at FAIL_AT_STEP, once per $CKPT_DIR (marker file)
  done        the run finished
"""
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

STEPS = int(os.environ.get("STEPS", "30"))
CKPT_EVERY = int(os.environ.get("CKPT_EVERY", "10"))
CKPT_DIR = os.environ["CKPT_DIR"]
FAIL_RANK = int(os.environ.get("FAIL_RANK", "-1"))
FAIL_AT_STEP = int(os.environ.get("FAIL_AT_STEP", "-1"))
FEATURES = 8


def log(event, **fields):
    # One write(2) per line (< PIPE_BUF): the workers of a node share the pod's stdout, and print()
    # may write the text and the newline separately, interleaving lines.
    os.write(1, (json.dumps({"event": event, **fields}) + "\n").encode())


def data():
    """The same 256 samples on every rank: y = X w + noise, from seed 0. Also the target at x = ones."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, FEATURES, generator=g)
    w = torch.randn(FEATURES, 1, generator=g)
    y = x @ w + 0.01 * torch.randn(256, 1, generator=g)
    return x, y, float(w.sum())


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    keys = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RESTART_COUNT")
    log("start", host=socket.gethostname(), torch=torch.__version__, **{k: os.environ.get(k) for k in keys})

    # Each rank contributes (rank + 1) * [1..8]; the sum over ranks is known: 36 * world * (world + 1) / 2.
    t = torch.arange(1, 9, dtype=torch.float64) * (rank + 1)
    dist.all_reduce(t)
    log("allreduce", rank=rank, checksum=float(t.sum()), expected=36.0 * world * (world + 1) / 2)

    x, y, target = data()
    xs, ys = x[rank::world], y[rank::world]
    torch.manual_seed(1)
    model = torch.nn.Linear(FEATURES, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    os.makedirs(CKPT_DIR, exist_ok=True)
    path = os.path.join(CKPT_DIR, "model.pt")
    start = 0
    if os.path.exists(path):
        ckpt = torch.load(path)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        start = ckpt["step"]
        log("resume", rank=rank, step=start)
    ddp = DistributedDataParallel(model)

    for step in range(start + 1, STEPS + 1):
        if rank == FAIL_RANK and step == FAIL_AT_STEP:
            marker = os.path.join(CKPT_DIR, f"failed-once-rank-{rank}")
            if not os.path.exists(marker):
                open(marker, "w").close()
                log("fail", rank=rank, step=step)
                print(f"rank {rank} failed on purpose at step {step}", file=sys.stderr, flush=True)
                sys.exit(3)
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(ddp(xs), ys)
        loss.backward()
        opt.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        if rank == 0:
            log("loss", step=step, loss=float(mean) / world)
        if rank == 0 and (step % CKPT_EVERY == 0 or step == STEPS):
            tmp = path + ".tmp"
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "target": target}, tmp)
            os.replace(tmp, path)
            log("checkpoint", step=step, path=path)
        dist.barrier()
    log("done", rank=rank, step=STEPS, target=target)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
