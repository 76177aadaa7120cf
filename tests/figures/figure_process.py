"""Figure changes from another process: ``python figure_process.py DB N``.

For i < N: add figure f<i>, update it twice, and delete it again when i is even. Prints ``done``.
"""

import sys

from ploteries.figures import FigureStore


def main(path: str, n: int) -> None:
    store = FigureStore(path)
    for i in range(n):
        fid = f"f{i}"
        store.add(id=fid, series={"l": {"tag": "loss"}}, figure={"data": [{"y": "$l.value"}]})
        store.update(fid, {"title": f"title {i}"})
        store.update(fid, {"figure": {"layout": {"yaxis": {"type": "log"}}}})
        if i % 2 == 0:
            store.delete(fid)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
