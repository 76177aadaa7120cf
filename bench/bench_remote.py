"""Remote writes: rows per second through a ploteries server vs local writes, and add_scalar's caller cost.

1. Throughput: 8 writer processes each append N scalars (10 tags) and close; rows per second from the first
   append to the last close (every row committed and acknowledged), through ``ploteries serve --accept-writes``
   on loopback vs straight into a local database (the same 8 processes, one file).
2. Caller cost of ``add_scalar`` with ``database="http://..."`` vs torch's writer (goal: >= 20x faster), and
   ploteries with a local database beside them; the writers take turns batch by batch (see bench_compat).

Run: python bench/bench_remote.py [--rows 50000] [--writers 8]
"""

from __future__ import annotations

import this_tree  # noqa: F401  (first: the ploteries of this tree, see this_tree.py)

# isort: split

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_compat import per_call

from ploteries.testing.remote_server import REPO, TOKEN, ServerProcess


def writer(target: str, run: str, rows: int) -> None:
    """One writer process: opens, says ``ready``, waits for a line on stdin, appends ``rows`` scalars over 10
    tags and closes; prints its first and last wall clock (process start-up is not measured)."""
    from ploteries.storage import DatabaseWriter

    w = DatabaseWriter(target, **({"close_timeout": 600} if target.startswith("http") else {}))
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.time()
    for i in range(rows):
        w.append_scalar(run, f"tag{i % 10}", float(i), step=i // 10)
    w.close()
    print(json.dumps({"start": start, "end": time.time()}))


def throughput(target: str, writers: int, rows: int, env: dict) -> float:
    """Rows per second of ``writers`` processes writing ``rows`` each into ``target``."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--writer", target, f"w{k}", str(rows)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for k in range(writers)
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:  # all at once
        p.stdin.write("go\n")
        p.stdin.flush()
    spans = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return writers * rows / (max(s["end"] for s in spans) - min(s["start"] for s in spans))


def caller_cost(url: str, root: Path) -> list[float]:
    """Seconds per add_scalar: remote database, torch, local database."""
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from ploteries.compat import SummaryWriter

    remote = SummaryWriter(database=url, run="caller", close_timeout=600)
    theirs = TorchWriter(str(root / "torch"))
    local = SummaryWriter(root / "local")
    times = per_call([lambda i, w=w: w.add_scalar("loss", 0.5, i) for w in (remote, theirs, local)], 5_000)
    for w in (remote, theirs, local):
        w.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000, help="scalars per writer")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writer", nargs=3, metavar=("TARGET", "RUN", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer(args.writer[0], args.writer[1], int(args.writer[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "root").mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "PLOTERIES_TOKEN": TOKEN,
            "PLOTERIES_SPOOL": str(tmp / "spool"),
        }
        os.environ.update({k: env[k] for k in ("PLOTERIES_TOKEN", "PLOTERIES_SPOOL")})
        server = ServerProcess(tmp / "root").start()
        try:
            remote = throughput(server.url("bench.h5"), args.writers, args.rows, env)
            local = throughput(str(tmp / "local.h5"), args.writers, args.rows, env)
            cost = caller_cost(server.url("caller.h5"), tmp)
        finally:
            server.stop()
    print(f"{args.writers} writers x {args.rows:,} scalars")
    print(f"  through the server : {remote:>12,.0f} rows/s")
    print(f"  local database     : {local:>12,.0f} rows/s   (server/local {remote / local:.2f}x)")
    print("add_scalar caller cost (fastest of 9 batches of 5,000)")
    print(
        f"  ploteries, remote  : {cost[0] * 1e6:8.2f} us   torch/remote {cost[1] / cost[0]:5.1f}x (goal >= 20x)"
    )
    print(f"  torch              : {cost[1] * 1e6:8.2f} us")
    print(f"  ploteries, local   : {cost[2] * 1e6:8.2f} us   torch/local {cost[1] / cost[2]:5.1f}x")


if __name__ == "__main__":
    main()
