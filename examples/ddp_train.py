"""torch.distributed (DDP) on CPU with gloo, logging to one ploteries database.

Two ways to log, both shown here:

- ``--log rank0`` (the usual one): only rank 0 writes, run ``ddp``;
- ``--log every-rank``: every rank writes its own run ``ddp/rank<N>`` (per-rank throughput, data skew).

The database is a local file (all ranks on one machine share it: several processes may write one file) or a
ploteries server's URL (ranks on many machines; token from ``PLOTERIES_TOKEN``)::

    torchrun --nproc-per-node 2 examples/ddp_train.py --database runs/ddp.h5
    torchrun --nnodes 4 ... examples/ddp_train.py --database http://login1:6006/ddp.h5 --log every-rank
    python examples/ddp_train.py --database runs/ddp.h5 --spawn 2        # no torchrun: spawns 2 processes
"""

from __future__ import annotations

import argparse
import os
import socket

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ploteries.compat import SummaryWriter


def train(rank: int, world: int, args: argparse.Namespace) -> None:
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        torch.manual_seed(rank)
        x = torch.randn(128, 8)
        y = x.sum(dim=1, keepdim=True)
        model = DistributedDataParallel(nn.Linear(8, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        logs = args.log == "every-rank" or rank == 0
        run = f"ddp/rank{rank}" if args.log == "every-rank" else "ddp"
        writer = SummaryWriter(database=args.database, run=run) if logs else None
        for step in range(args.steps):
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()  # gradients are averaged across ranks here
            opt.step()
            mean = loss.detach().clone()
            dist.all_reduce(mean)
            mean /= world
            if writer is not None:
                writer.add_scalar("loss/mean_over_ranks", mean.item(), step)
                if args.log == "every-rank":
                    writer.add_scalar("loss/this_rank", loss.item(), step)
        if writer is not None:
            writer.close()
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="a .h5 file or http://HOST:PORT/db.h5")
    parser.add_argument("--log", choices=("rank0", "every-rank"), default="rank0")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument(
        "--spawn", type=int, default=0, metavar="N", help="start N processes (without torchrun)"
    )
    args = parser.parse_args()
    if args.spawn:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        torch.multiprocessing.spawn(train, args=(args.spawn, args), nprocs=args.spawn)
    else:  # under torchrun
        train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), args)
    print(f"logged to {args.database} ({args.log})")


if __name__ == "__main__":
    main()
