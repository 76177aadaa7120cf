"""The catalog of a database: its series, their blocks and committed lengths, writers and documents.

Backend-neutral: every backend keeps one :class:`Catalog`; everything in it is JSON-able (``to_bytes``).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from .dtypes import dtype_from_text, dtype_to_text


@dataclasses.dataclass
class Block:
    """A run of records of one series sharing a dtype (and, for fixed blocks, a shape)."""

    name: str
    layout: str  # "fixed" or "ragged"
    dtype: str  # numpy descr text of the values
    shape: list[int] | None  # fixed blocks: the value shape
    ndim: int  # ragged blocks: the number of dimensions
    rows: int = 0  # committed records
    flat: int = 0  # ragged blocks: committed values in `flat`
    step_min: int | None = None
    step_max: int | None = None
    last_step: int | None = None
    sorted: bool = True  # steps never decrease inside the block
    limit: int | None = None  # a block holding this many rows takes no more (a backend's chunking hint)

    @property
    def numpy_dtype(self) -> np.dtype:
        return dtype_from_text(self.dtype)

    def note_steps(self, steps: np.ndarray) -> None:
        if len(steps) == 0:
            return
        lo, hi = int(steps.min()), int(steps.max())
        self.step_min = lo if self.step_min is None else min(self.step_min, lo)
        self.step_max = hi if self.step_max is None else max(self.step_max, hi)
        if self.sorted:
            first_ok = self.last_step is None or int(steps[0]) >= self.last_step
            self.sorted = bool(first_ok and (len(steps) < 2 or bool(np.all(steps[1:] >= steps[:-1]))))
        self.last_step = int(steps[-1])


@dataclasses.dataclass
class SeriesEntry:
    """One series of the catalog: (run, tag, part) with its kind, metadata and blocks."""

    id: str
    run: str
    tag: str
    part: str
    kind: str
    meta: dict = dataclasses.field(default_factory=dict)
    epoch: int = 0  # bumped whenever committed rows are removed or rewritten
    ragged: bool = False  # new blocks are ragged (shapes are known to vary)
    blocks: list[Block] = dataclasses.field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.run, self.tag, self.part)

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.blocks)


@dataclasses.dataclass
class Catalog:
    """Everything a reader needs to know without touching the data: series, committed lengths, documents."""

    uid: str
    generation: int = 0
    next_id: int = 0
    series: list[SeriesEntry] = dataclasses.field(default_factory=list)
    writers: dict[str, int] = dataclasses.field(
        default_factory=dict
    )  # writer id -> last committed journal seq
    documents: dict = dataclasses.field(default_factory=dict)
    crc: int = dataclasses.field(default=0, compare=False)  # of the slot it was read from (not stored)

    def __post_init__(self) -> None:
        self._by_key = {s.key: s for s in self.series}

    def get(self, run: str, tag: str, part: str = "") -> SeriesEntry | None:
        return self._by_key.get((run, tag, part))

    def add_series(self, run: str, tag: str, part: str, kind: str, meta: dict, ragged: bool) -> SeriesEntry:
        entry = SeriesEntry(f"s{self.next_id:06d}", run, tag, part, kind, dict(meta), ragged=ragged)
        self.next_id += 1
        self.series.append(entry)
        self._by_key[entry.key] = entry
        return entry

    def remove_series(self, entry: SeriesEntry) -> None:
        self.series.remove(entry)
        del self._by_key[entry.key]

    def rekey(self) -> None:
        self._by_key = {s.key: s for s in self.series}

    def to_bytes(self) -> bytes:
        data = {
            "uid": self.uid,
            "generation": self.generation,
            "next_id": self.next_id,
            "writers": self.writers,
            "documents": self.documents,
            "series": [dataclasses.asdict(s) for s in self.series],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Catalog:
        data = json.loads(raw.decode("utf-8"))
        series = []
        for s in data["series"]:
            blocks = [Block(**b) for b in s.pop("blocks")]
            series.append(SeriesEntry(**s, blocks=blocks))
        return cls(
            uid=data["uid"],
            generation=data["generation"],
            next_id=data["next_id"],
            series=series,
            writers=data["writers"],
            documents=data.get("documents", {}),
        )


def rename_in_catalog(catalog: Catalog, old: str, new: str, location: str) -> list[SeriesEntry]:
    """Rename run ``old`` to ``new`` in ``catalog`` (errors naming both); the renamed entries."""
    if any(e.run == new for e in catalog.series):
        raise ValueError(
            f"cannot rename run {old!r} to {new!r}: a run named {new!r} exists; delete it first."
        )
    renamed = [e for e in catalog.series if e.run == old]
    if not renamed:
        raise KeyError(f"no run named {old!r} in {location}")
    for entry in renamed:
        entry.run = new
        entry.epoch += 1
    catalog.rekey()
    return renamed


def target_block(entry: SeriesEntry, dtype: np.dtype, shape: tuple, shapes_equal: bool) -> tuple[Block, bool]:
    """The block that records of ``dtype`` and ``shape`` go to: (block, is_new).

    The last block takes them if its dtype and shape agree (a ragged block takes any shape of its dtype) and
    it is not full (``limit``); otherwise a new block is appended to ``entry.blocks``. A new block is ragged
    when the series is (or the records' shapes differ), and whenever a dimension is 0.
    """
    last = entry.blocks[-1] if entry.blocks else None
    same_dtype = last is not None and last.numpy_dtype == dtype and last.ndim == len(shape)
    if same_dtype and (last.limit is None or last.rows < last.limit):
        if last.layout == "ragged" or (shapes_equal and tuple(last.shape) == tuple(shape)):
            return last, False
    if same_dtype and last.layout == "fixed" and not (shapes_equal and tuple(last.shape) == tuple(shape)):
        entry.ragged = True  # the shape changed under the same dtype: shapes vary in this series
    ragged = ((entry.ragged or not shapes_equal) and len(shape) > 0) or 0 in shape
    block = Block(
        f"b{len(entry.blocks)}",
        "ragged" if ragged else "fixed",
        dtype_to_text(dtype),
        None if ragged else list(shape),
        len(shape),
    )
    entry.blocks.append(block)
    return block, True
