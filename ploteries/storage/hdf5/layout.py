"""Format versions 2 and 3: a catalog whose every update costs what changed, never what the file holds.

```
/                     attrs: ploteries_format = 3 (or 2), uid
/head                 2 x 64 bytes: two slots (generation, log_len, state_len, changes_epoch, changes_len, crc32)
/log                  uint8, append-only: one CRC frame of JSON operations per transaction that changed structure
/state_a, /state_b    one row per key (a block or a writer): gen, rows, flat, step_min, step_max, last_step, flags
/changes              (gen, key) rows: which keys a transaction changed (a reader's "what is new")
/data/<key>           a fixed block (rows of step, wall_time, value) or a ragged block (group: index + flat)
```

A transaction at generation ``G + 1`` appends data past the committed rows, appends its structural operations
to ``/log``, writes the new committed state of each key it changed into the state slot (a or b) that does
*not* hold the state valid at ``G``, appends ``(G + 1, key)`` rows to ``/changes``, flushes, and only then writes
head slot ``(G + 1) % 2``. A key's state at generation ``G`` is its slot with the larger ``gen <= G``. A crash at
any point leaves head ``G`` valid and everything it points to untouched; readers never need a lock to be
correct (they validate what they read and retry). Every chunked dataset carries HDF5's fletcher32 checksum.
Version 3 differs from 2 only in how a series' first blocks are chunked (``block_limit``): its files must not be
written by a ploteries that knows only version 2 (it would append past a first block's fixed capacity).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import struct
import uuid
import warnings
import zlib

import h5py
import numpy as np

from ..catalog import Block, Catalog, SeriesEntry
from ..dtypes import stored_dtype
from ..errors import NotADatabaseError
from .format import fixed_row_dtype, ragged_index_dtype

FORMAT_VERSION = 3  # written; version 2 (the same layout, unlimited first blocks) is read as it is
READABLE = (2, 3)
FORMAT_ATTR = "ploteries_format"
LIBVER = (
    "v110",
    "latest",
)  # v2 object headers and chunk indexes on a version-0 superblock (no open-file flags)
HEAD = struct.Struct("<QQQQQ")  # generation, log_len, state_len, changes_epoch, changes_len
HEAD_SLOT = 64
FRAME = struct.Struct("<II")  # length, crc32 of the JSON body
SLOT_FIELDS = ("gen", "rows", "flat", "step_min", "step_max", "last_step", "flags")
SLOT_DTYPE = np.dtype([(name, "<i8") for name in SLOT_FIELDS])
CHANGE_DTYPE = np.dtype([("gen", "<i8"), ("key", "<i8")])
SORTED, HAS_STEPS = 1, 2  # flags
EMPTY_SLOT = (-1, 0, 0, 0, 0, 0, 0)  # never valid
CHANGES_MIN = 65536  # the changes table restarts (a new epoch) past max(this, 2 x keys) rows
# A series' first fixed blocks hold a bounded number of rows (their ``limit``) in LIMITED_CHUNKS chunks: their
# HDF5 chunk index is then a fixed array (a few bytes per chunk) instead of an extensible array (~420 bytes), so
# short series cost little. Tier t holds LIMITED_CHUNKS chunks of at least TIER_CHUNK_BYTES[t] bytes (scalars:
# 256 rows in 16-row chunks, then 2,048 rows in 128-row chunks); later blocks are unlimited, with big chunks.
LIMITED_CHUNKS = 16
TIER_CHUNK_BYTES = (384, 3072)
BIG_CHUNK_BYTES = 64 * 1024
RAGGED_CHUNK_BYTES = 8 * 1024


def not_a_database(path, why: str) -> NotADatabaseError:
    return NotADatabaseError(f"{path} is not a ploteries database: {why}")


@dataclasses.dataclass(frozen=True)
class Head:
    generation: int = 0
    log_len: int = 0
    state_len: int = 0
    changes_epoch: int = 0
    changes_len: int = 0

    def pack(self) -> bytes:
        body = HEAD.pack(*dataclasses.astuple(self))
        return (body + struct.pack("<I", zlib.crc32(body))).ljust(HEAD_SLOT, b"\0")

    @classmethod
    def unpack(cls, raw: bytes) -> Head | None:
        body = raw[: HEAD.size]
        (crc,) = struct.unpack_from("<I", raw, HEAD.size)
        if zlib.crc32(body) != crc or not any(raw):
            return None
        return cls(*HEAD.unpack(body))


@dataclasses.dataclass
class View:
    """What one process knows of a version-2 file: a published (never mutated) catalog and where it read to."""

    catalog: Catalog
    head: Head
    file_id: tuple  # (st_dev, st_ino): a rebuilt file is a new file
    entries: dict  # series id -> SeriesEntry, in creation order
    block_keys: dict  # key -> (series id, position in entry.blocks)
    writer_keys: dict  # writer id -> key
    valid_slot: dict  # key -> "a" or "b": the slot holding the state at head.generation


# ------------------------------------------------------------------------------------------------ layout


def initialize(h5: h5py.File, uid: str | None = None) -> None:
    """Lay out an empty database in a new file (created with the default, version-0 superblock)."""
    h5.attrs[FORMAT_ATTR] = FORMAT_VERSION
    h5.attrs["uid"] = uid or uuid.uuid4().hex
    h5.create_dataset("head", data=np.zeros(2 * HEAD_SLOT, np.uint8))
    h5.create_dataset("log", (0,), maxshape=(None,), dtype=np.uint8, chunks=(16384,), fletcher32=True)
    for name in ("state_a", "state_b"):
        h5.create_dataset(name, (0,), maxshape=(None,), dtype=SLOT_DTYPE, chunks=(256,), fletcher32=True)
    h5.create_dataset("changes", (0,), maxshape=(None,), dtype=CHANGE_DTYPE, chunks=(1024,), fletcher32=True)
    h5.create_group("data")
    write_head(h5, Head(generation=1))


def write_head(h5: h5py.File, head: Head) -> None:
    start = (head.generation % 2) * HEAD_SLOT
    h5["head"][start : start + HEAD_SLOT] = np.frombuffer(head.pack(), np.uint8)


def read_head(h5: h5py.File, path, *, racing: bool = False) -> Head:
    """The valid head slot with the higher generation; warns when the newer slot is damaged (a fallback).

    ``racing``: the reader holds no lock, so a damaged slot may be a write in flight: raise ``_Torn`` (read
    again) instead of warning.
    """
    raw = h5["head"][()].tobytes()
    slots = [raw[:HEAD_SLOT], raw[HEAD_SLOT:]]
    heads = [Head.unpack(s) for s in slots]
    valid = [h for h in heads if h is not None]
    if not valid and racing:  # read while a writer held the lock: HDF5 may have shown us anything; read again
        raise _Torn(f"{path}: no head slot passes its checksum")
    if not valid:
        raise not_a_database(path, "both copies of its head are damaged (checksum mismatch).")
    best = max(valid, key=lambda h: h.generation)
    damaged = [s for s, h in zip(slots, heads) if h is None and any(s)]
    if damaged and racing:
        raise _Torn(f"{path}: a head slot fails its checksum")
    if damaged:
        warnings.warn(
            f"ploteries database {path}: the newest copy of its head is damaged; reading the previous "
            f"committed state (generation {best.generation}). The last transaction may be lost.",
            stacklevel=4,
        )
    return best


def create_block(data: h5py.Group, block: Block) -> None:
    """Create the datasets of ``block`` under ``/data`` (replacing the leftover of an uncommitted transaction).

    A fixed block with a ``limit`` can hold ``max(limit, rows)`` rows (a rebuild copies version-2 blocks that
    went past their limit) in chunks of ``ceil(limit / LIMITED_CHUNKS)`` rows; other fixed blocks are unlimited
    with big chunks, so that long series read fast.
    """
    if block.name in data:
        del data[block.name]
    dtype = block.numpy_dtype
    if block.layout == "ragged":
        sub = data.create_group(block.name)
        index = ragged_index_dtype(block.ndim)
        flat = stored_dtype(dtype)
        for name, dt in (("index", index), ("flat", flat)):
            rows = max(1, RAGGED_CHUNK_BYTES // max(1, dt.itemsize))
            sub.create_dataset(name, (0,), maxshape=(None,), dtype=dt, chunks=(rows,), fletcher32=True)
        return
    row = fixed_row_dtype(block, stored=True)
    if block.limit is None:
        chunk, maxshape = max(1, BIG_CHUNK_BYTES // max(1, row.itemsize)), None
    else:
        chunk, maxshape = -(-block.limit // LIMITED_CHUNKS), max(block.limit, block.rows)
    data.create_dataset(block.name, (0,), maxshape=(maxshape,), dtype=row, chunks=(chunk,), fletcher32=True)


def tier_limit(tier: int, itemsize: int) -> int:
    """Rows a limited fixed block of tier ``tier`` holds, for rows of ``itemsize`` bytes."""
    return LIMITED_CHUNKS * max(1, TIER_CHUNK_BYTES[tier] // max(1, itemsize))


def block_limit(entry: SeriesEntry, block: Block, rows: int) -> None:
    """Give a new fixed block (the last of ``entry``, started by ``rows`` rows) a row limit when it is one of
    the series' first blocks: the first tier after the limited blocks before it whose limit exceeds ``rows``.
    Blocks after the tiers (and blocks started by more rows than the tiers hold) stay unlimited."""
    if block.layout != "fixed" or block.limit is not None:
        return
    itemsize = fixed_row_dtype(block, stored=True).itemsize
    before = sum(b.limit is not None for b in entry.blocks[:-1])
    for tier in range(before, len(TIER_CHUNK_BYTES)):
        limit = tier_limit(tier, itemsize)
        if rows < limit:
            block.limit = limit
            return


# --------------------------------------------------------------------------------------------- the log


def append_frame(h5: h5py.File, log_len: int, ops: list[dict]) -> int:
    """Append one CRC frame holding ``ops`` at ``log_len`` (past it: an uncommitted tail); the new length."""
    body = json.dumps(ops, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw = np.frombuffer(FRAME.pack(len(body), zlib.crc32(body)) + body, np.uint8)
    log = h5["log"]
    log.resize((log_len + len(raw),))
    log[log_len : log_len + len(raw)] = raw
    return log_len + len(raw)


def read_frames(h5: h5py.File, start: int, stop: int, path) -> list[dict]:
    """The operations of the frames in ``log[start:stop]``."""
    if stop <= start:
        return []
    raw = h5["log"][start:stop].tobytes()
    ops, pos = [], 0
    while pos < len(raw):
        length, crc = FRAME.unpack_from(raw, pos)
        body = raw[pos + FRAME.size : pos + FRAME.size + length]
        if len(body) != length or zlib.crc32(body) != crc:
            raise _Torn(f"{path}: a catalog log frame at byte {start + pos} fails its checksum")
        ops += json.loads(body.decode("utf-8"))
        pos += FRAME.size + length
    return ops


class _Torn(Exception):
    """What was read does not match its checksum or generation: read again (a writer may be mid-transaction)."""


# ------------------------------------------------------------------------------------------- loading


def _entry_copy(entry: SeriesEntry) -> SeriesEntry:
    return dataclasses.replace(
        entry, meta=copy.deepcopy(entry.meta), blocks=[dataclasses.replace(b) for b in entry.blocks]
    )


class _Builder:
    """Applies log operations and state rows to a copy of a view (the published one is never touched)."""

    def __init__(self, view: View | None, uid: str):
        if view is None:
            self.catalog = Catalog(uid=uid)
            self.entries, self.block_keys, self.writer_keys, self.valid_slot = {}, {}, {}, {}
            self.by_key = {}
            self.writer_of = {}
            self.owned: set[str] = set()
            return
        else:
            old = view.catalog
            self.catalog = Catalog(
                uid=old.uid,
                generation=old.generation,
                next_id=old.next_id,
                writers=dict(old.writers),
                documents=old.documents,
            )
            self.entries = dict(view.entries)
            self.block_keys = dict(view.block_keys)
            self.writer_keys = dict(view.writer_keys)
            self.valid_slot = dict(view.valid_slot)
            self.by_key = dict(old._by_key)
        self.writer_of = {k: w for w, k in self.writer_keys.items()}
        self.owned: set[str] = set()

    def own(self, sid: str) -> SeriesEntry:
        if sid not in self.owned:
            entry = self.entries[sid] = _entry_copy(self.entries[sid])
            self.by_key[entry.key] = entry
            self.owned.add(sid)
        return self.entries[sid]

    def apply(self, op: dict) -> None:
        kind = op["op"]
        if kind == "series":
            entry = SeriesEntry(
                op["id"], op["run"], op["tag"], op["part"], op["kind"], op["meta"], ragged=op["ragged"]
            )
            self.entries[entry.id] = entry
            self.by_key[entry.key] = entry
            self.owned.add(entry.id)
            self.catalog.next_id = max(self.catalog.next_id, int(entry.id[1:]) + 1)
        elif kind == "block":
            entry = self.own(op["s"])
            block = Block(
                str(op["k"]), op["layout"], op["dtype"], op["shape"], op["ndim"], limit=op.get("limit")
            )
            self.block_keys[op["k"]] = (entry.id, len(entry.blocks))
            entry.blocks.append(block)
            entry.ragged = op["ragged"]
        elif kind == "meta":
            self.own(op["s"]).meta = op["meta"]
        elif kind == "reset":  # purge: the series' blocks are replaced by the block ops that follow
            entry = self.own(op["s"])
            for block in entry.blocks:
                self.block_keys.pop(int(block.name), None)
            entry.blocks = []
            entry.epoch = op["epoch"]
        elif kind == "rename":
            for sid in op["s"]:
                entry = self.own(sid)
                del self.by_key[entry.key]
                entry.run = op["run"]
                entry.epoch += 1
                self.by_key[entry.key] = entry
        elif kind == "drop":
            for sid in op["s"]:
                entry = self.entries.pop(sid)
                self.by_key.pop(entry.key, None)
                for block in entry.blocks:
                    self.block_keys.pop(int(block.name), None)
        elif kind == "docs":
            self.catalog.documents = op["docs"]
        elif kind == "writer":
            self.writer_keys[op["w"]] = op["k"]
            self.writer_of[op["k"]] = op["w"]

    def set_state(self, key: int, slot: str, row) -> None:
        self.valid_slot[key] = slot
        where = self.block_keys.get(key)
        if where is not None:
            sid, pos = where
            block = self.own(sid).blocks[pos]
            flags = int(row["flags"])
            has_steps = bool(flags & HAS_STEPS)
            block.rows, block.flat = int(row["rows"]), int(row["flat"])
            block.step_min = int(row["step_min"]) if has_steps else None
            block.step_max = int(row["step_max"]) if has_steps else None
            block.last_step = int(row["last_step"]) if has_steps else None
            block.sorted = bool(flags & SORTED)
            return
        writer = self.writer_of.get(key)
        if writer is not None:
            self.catalog.writers[writer] = int(row["rows"])

    def view(self, head: Head, file_id: tuple) -> View:
        catalog = self.catalog
        catalog.generation = head.generation
        catalog.series = list(self.entries.values())
        catalog._by_key = self.by_key
        return View(catalog, head, file_id, self.entries, self.block_keys, self.writer_keys, self.valid_slot)


def _pick_slots(a: np.ndarray, b: np.ndarray, generation: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: True where slot a holds the state at ``generation``; and whether either slot is valid."""
    ga, gb = a["gen"], b["gen"]
    va = (ga >= 0) & (ga <= generation)
    vb = (gb >= 0) & (gb <= generation)
    use_a = va & (~vb | (ga >= gb))
    return use_a, va | vb


def load(h5: h5py.File, path, file_id: tuple, view: View | None, *, racing: bool = False) -> View:
    """The catalog of a version-2 file: ``view`` itself when nothing changed, else a new view built from
    ``view`` plus what changed (or from scratch when the file was replaced or the changes table restarted)."""
    head = read_head(h5, path, racing=racing)
    if view is not None and view.file_id == file_id and view.head == head:
        return view
    incremental = (
        view is not None
        and view.file_id == file_id
        and view.head.changes_epoch == head.changes_epoch
        and view.head.log_len <= head.log_len
        and view.head.state_len <= head.state_len
        and view.head.changes_len <= head.changes_len
        and view.head.generation <= head.generation
    )
    if not incremental:
        view = None
    builder = _Builder(view, str(h5.attrs.get("uid", "")))
    start = view.head.log_len if view else 0
    for op in read_frames(h5, start, head.log_len, path):
        builder.apply(op)
    if view is None:
        keys = np.arange(head.state_len)
    else:
        changes = h5["changes"][view.head.changes_len : head.changes_len]
        if len(changes) and (
            changes["gen"].min() <= view.head.generation or changes["gen"].max() > head.generation
        ):
            raise _Torn(f"{path}: the changes table does not match its head")
        new_keys = np.arange(view.head.state_len, head.state_len)
        keys = np.union1d(changes["key"], new_keys).astype(np.int64)
    if len(keys):
        a, b = _state_rows(h5, keys, head.state_len)
        use_a, valid = _pick_slots(a, b, head.generation)
        for i, key in enumerate(keys.tolist()):
            if not valid[i]:
                continue  # a key whose first state is not committed yet
            builder.set_state(key, "a" if use_a[i] else "b", a[i] if use_a[i] else b[i])
    return builder.view(head, file_id)


def _state_rows(h5: h5py.File, keys: np.ndarray, state_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Slots a and b of ``keys`` (sorted): the whole table when many, else just those rows."""
    if len(keys) > 256 or len(keys) * 8 > state_len:
        lo, hi = int(keys[0]), int(keys[-1]) + 1
        return h5["state_a"][lo:hi][keys - lo], h5["state_b"][lo:hi][keys - lo]
    return h5["state_a"][keys.tolist()], h5["state_b"][keys.tolist()]


# ------------------------------------------------------------------------------------------- writing


def slot_row(block: Block | None, generation: int, seq: int = 0) -> tuple:
    """The state slot of a block (or, with ``block=None``, of a writer at ``seq``) at ``generation``."""
    if block is None:
        return (generation, seq, 0, 0, 0, 0, 0)
    has = block.step_min is not None
    flags = (SORTED if block.sorted else 0) | (HAS_STEPS if has else 0)
    return (
        generation,
        block.rows,
        block.flat,
        block.step_min if has else 0,
        block.step_max if has else 0,
        block.last_step if has and block.last_step is not None else 0,
        flags,
    )


INTENT = "intent"
"""A one-element dataset: the generation a transaction is about to write state slots for (flushed first)."""


def announce(h5: h5py.File, view: View) -> dict[int, str]:
    """Before a transaction writes state slots: the slots a killed transaction left behind, then the intent.

    A transaction at committed generation ``G`` writes its slots with ``gen = G + 1``; killed before its head,
    those slots stay, and the next transaction to commit ``G + 1`` without touching those keys made them valid
    (rows that were never written, seen in the kill -9 soak). So each transaction first records ``G + 1`` in
    ``/intent`` and flushes; one that finds an intent past ``G`` scans the slots (``O(keys)``, after a kill only)
    and returns ``{key: slot}`` of those with ``gen > G``, which :func:`commit_state` invalidates.
    """
    generation = view.head.generation
    intent = h5.get(INTENT)
    leftovers: dict[int, str] = {}
    if intent is not None and int(intent[0]) > generation:
        n = view.head.state_len
        for slot in ("a", "b"):
            gens = h5[f"state_{slot}"].fields("gen")[:n]
            leftovers.update((int(k), slot) for k in np.flatnonzero(gens > generation))
    if intent is None:
        intent = h5.create_dataset(INTENT, data=np.zeros(1, np.int64))
    intent[0] = generation + 1
    h5.flush()
    return leftovers


def commit_state(
    h5: h5py.File,
    view: View,
    ops: list[dict],
    states: dict[int, tuple],
    new_keys: int,
    leftovers: dict[int, str] | None = None,
) -> Head:
    """Write a transaction's catalog part: log frame, state slots, change rows; return the head to write.

    ``states`` maps every changed key to its new slot tuple (generation already set); ``new_keys`` is how many
    keys the transaction allocated past ``view.head.state_len``; ``leftovers`` (:func:`announce`): slots a
    killed transaction wrote, marked invalid unless this one writes them anyway.
    """
    head = view.head
    generation = head.generation + 1
    log_len = append_frame(h5, head.log_len, ops) if ops else head.log_len
    state_len = head.state_len + new_keys
    for name in ("state_a", "state_b"):
        if h5[name].shape[0] < state_len:
            h5[name].resize((state_len,))
    by_slot: dict[str, list] = {"a": [], "b": []}
    for key, slot in (leftovers or {}).items():
        if key not in states:  # (a changed key's leftover is its free slot: overwritten below)
            by_slot[slot].append((key, EMPTY_SLOT))
    for key in sorted(states):
        if key >= head.state_len:  # a new key: slot a holds it, slot b is marked invalid
            by_slot["a"].append((key, states[key]))
            by_slot["b"].append((key, EMPTY_SLOT))
        else:
            by_slot["b" if view.valid_slot.get(key) == "a" else "a"].append((key, states[key]))
    for slot, items in by_slot.items():
        if items:
            items.sort(key=lambda item: item[0])
            keys = [k for k, _ in items]
            rows = np.array([r for _, r in items], SLOT_DTYPE)
            _write_rows(h5[f"state_{slot}"], keys, rows)
    epoch, changes_len = head.changes_epoch, head.changes_len
    changed = sorted(k for k in states if k < head.state_len)
    if changed:
        if changes_len + len(changed) > max(CHANGES_MIN, 2 * state_len):
            epoch, changes_len = epoch + 1, 0  # readers of the old epoch reload the whole state table
        table = h5["changes"]
        end = changes_len + len(changed)
        if table.shape[0] < end:
            table.resize((end,))
        rows = np.empty(len(changed), CHANGE_DTYPE)
        rows["gen"], rows["key"] = generation, changed
        table[changes_len:end] = rows
        changes_len = end
    return Head(generation, log_len, state_len, epoch, changes_len)


def _write_rows(ds: h5py.Dataset, keys: list[int], rows: np.ndarray) -> None:
    """Write ``rows`` at sorted ``keys``: one contiguous write when they are adjacent."""
    lo, hi = keys[0], keys[-1] + 1
    if hi - lo == len(keys):
        ds[lo:hi] = rows
    elif len(keys) <= 64:
        for key, row in zip(keys, rows):
            ds[key] = row
    else:
        span = ds[lo:hi]
        span[np.asarray(keys) - lo] = rows
        ds[lo:hi] = span


def series_op(entry: SeriesEntry) -> dict:
    return {
        "op": "series",
        "id": entry.id,
        "run": entry.run,
        "tag": entry.tag,
        "part": entry.part,
        "kind": entry.kind,
        "meta": entry.meta,
        "ragged": entry.ragged,
    }


def block_op(entry: SeriesEntry, block: Block) -> dict:
    return {
        "op": "block",
        "s": entry.id,
        "k": int(block.name),
        "layout": block.layout,
        "dtype": block.dtype,
        "shape": block.shape,
        "ndim": block.ndim,
        "limit": block.limit,
        "ragged": entry.ragged,
    }


__all__ = ["FORMAT_VERSION", "Head", "View", "initialize", "load", "commit_state"]
