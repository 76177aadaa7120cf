"""One task of a sweep: train a tiny model and log to a database on a ploteries server.

    python examples/slurm_train.py --database http://login1:6006/sweep.h5 --lr 0.01

``PLOTERIES_TOKEN`` must hold the server's token. Every ``add_scalar`` returns in microseconds: records go to
a local spool first and a background thread ships them; if the server is unreachable the task keeps training
and the records follow when it is back (see examples/slurm_array.sh and docs/remote.md).
"""

from __future__ import annotations

import argparse
import os

import torch
from torch import nn

from ploteries.compat import SummaryWriter


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="http://HOST:PORT/sweep.h5")
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.randn(256, 8)
    y = x @ torch.randn(8, 1) + 0.1 * torch.randn(256, 1)
    model = nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    run = f"lr={args.lr:g}"
    job = os.environ.get("SLURM_ARRAY_JOB_ID")
    with SummaryWriter(database=args.database, run=run, close_timeout=60) as writer:
        for step in range(args.steps):
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            writer.add_scalar("loss/train", loss.item(), step)
            if step % 50 == 0:
                writer.add_histogram("weights", model.weight.detach(), step)
        writer.add_hparams(
            {"lr": args.lr, "job": job or "local"}, {"hparam/loss": loss.item()}, run_name="hparams"
        )
    print(f"{run}: final loss {loss.item():.4f}, logged to {args.database}")


if __name__ == "__main__":
    main()
