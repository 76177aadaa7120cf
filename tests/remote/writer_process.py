"""A remote writer process: ``python writer_process.py URL RUN N [PAUSE_EVERY]``.

Writes N scalars (value == step, wall time 1000 + step) into run RUN, printing each step after its call
returned; every PAUSE_EVERY records it sleeps a millisecond (paces the run so a test can act meanwhile).
Closes with a generous close_timeout and prints ``closed``.
"""

import sys
import time

from ploteries.storage import DatabaseWriter


def main(url: str, run: str, n: int, pause_every: int) -> None:
    writer = DatabaseWriter(url, flush_secs=0.02, close_timeout=120)
    out = sys.stdout
    for step in range(n):
        writer.append_scalar(run, "loss", float(step), step=step, wall_time=1000.0 + step)
        out.write(f"{step}\n")
        if pause_every and step % pause_every == 0:
            out.flush()
            time.sleep(0.001)
    writer.close()
    out.write("closed\n")
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
