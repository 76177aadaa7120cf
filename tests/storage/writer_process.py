"""A writer process for crash and concurrency tests: ``python writer_process.py DB RUN N FLUSH_SECS [GATE]``.

Writes N records (a scalar with value == step, and every 7th step an array whose entries == step) and
prints each step on stdout right after the call that wrote it returned. With GATE, after step GATE it
commits, creates ``DB.RUN.at-gate`` and waits for a line on stdin before writing on.
"""

import sys
from pathlib import Path

import numpy as np

from ploteries.storage import DatabaseWriter


def main(path: str, run: str, n: int, flush_secs: float, gate: int | None = None) -> None:
    writer = DatabaseWriter(path, flush_secs=flush_secs)
    out = sys.stdout
    for step in range(n):
        writer.append_scalar(run, "loss", float(step), step=step, wall_time=1000.0 + step)
        if step % 7 == 0:
            writer.append(run, "weights", np.full((step % 5 + 1, 3), step, np.int32), step=step, ragged=True)
        out.write(f"{step}\n")
        out.flush()
        if step == gate:
            writer.flush()
            Path(f"{path}.{run}.at-gate").touch()
            sys.stdin.readline()
    writer.close()
    out.write("closed\n")
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), *map(int, sys.argv[5:]))
