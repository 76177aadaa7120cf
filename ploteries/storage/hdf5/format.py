"""Block-level reads and writes shared by both format versions, and the version-1 catalog (read only).

A block is a fixed dataset of rows (step <i8, wall_time <f8, value <dtype, shape>) or a ragged group with
`index` (step, wall_time, offset, shape) and `flat` values; readers never look past its committed rows.
Version 1 kept a JSON catalog in two slots, ``/catalog_a`` and ``/catalog_b`` (see docs/format.md); versions 2
and 3 are in ``layout``. Version-1 files are read here and converted to version 3 by their first write.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from pathlib import Path

import h5py
import numpy as np

from ..catalog import Block, Catalog
from ..dtypes import is_native, stored_dtype
from ..errors import NotADatabaseError

FORMAT_VERSION = 1  # of the JSON catalog read here
NEWEST_FORMAT = 3  # what this ploteries reads (versions 2 and 3: layout.py)
FORMAT_ATTR = "ploteries_format"
CATALOG_SLOTS = ("catalog_a", "catalog_b")
SLOT_HEAD = struct.Struct("<QQI")  # generation, length, crc32 of the JSON bytes


# --------------------------------------------------------------------------------------------- file level


def _not_a_database(path: Path, why: str) -> NotADatabaseError:
    return NotADatabaseError(f"{path} is not a ploteries database: {why}")


def open_h5(path: Path, mode: str) -> h5py.File:
    """Open ``path`` with HDF5's own locking off (our ``flock`` serializes access)."""
    try:
        return h5py.File(path, mode, locking=False)
    except OSError as exc:
        if os.path.exists(path) and not h5py.is_hdf5(path):
            raise _not_a_database(
                path,
                "it is not an HDF5 file (wrong signature). Point ploteries at a .h5 "
                "file written by ploteries, or import TensorBoard logs with `ploteries import`.",
            ) from exc
        raise OSError(exc.errno, f"cannot open ploteries database {path}: {exc}") from exc


def read_catalog(h5: h5py.File, path: Path, cached: Catalog | None = None) -> Catalog:
    """The newest valid catalog slot of an open database file.

    ``cached`` (a catalog read earlier from the same file) is returned as is when the newest slot still holds
    it (same generation and CRC): a poller then reads 40 bytes instead of the whole catalog.
    """
    version = h5.attrs.get(FORMAT_ATTR)
    if version is None:
        raise _not_a_database(
            path,
            f"the HDF5 file has no '{FORMAT_ATTR}' attribute (a foreign HDF5 file). "
            "ploteries only reads files it wrote.",
        )
    if int(version) > NEWEST_FORMAT:
        raise _not_a_database(
            path,
            f"format version {int(version)} is newer than this ploteries "
            f"(reads up to {NEWEST_FORMAT}); upgrade ploteries.",
        )
    heads = []
    for slot in CATALOG_SLOTS:
        ds = h5.get(slot)
        if ds is None or ds.shape[0] < SLOT_HEAD.size:
            continue
        generation, length, crc = SLOT_HEAD.unpack(ds[: SLOT_HEAD.size].tobytes())
        heads.append((generation, length, crc, ds))
    for generation, length, crc, ds in sorted(heads, key=lambda head: head[0], reverse=True):
        if cached is not None and cached.generation == generation and cached.crc == crc:
            return cached
        body = ds[SLOT_HEAD.size :].tobytes()[:length]
        if len(body) == length and zlib.crc32(body) == crc:
            catalog = Catalog.from_bytes(body)
            catalog.crc = crc
            return catalog
    raise _not_a_database(path, "its catalog is damaged (no valid catalog slot).")


def _file_size_limit() -> int | None:
    """The process's file-size limit (``ulimit -f``) in bytes, or None if unlimited or unknown (Windows)."""
    try:
        import resource  # POSIX only: imported here so that importing ploteries works on Windows
    except ImportError:
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if limit == resource.RLIM_INFINITY else limit


def check_space(path: Path, nbytes: int) -> None:
    """Raise a clear ``OSError`` before writing if ``nbytes`` more would not fit (disk full or file-size limit).

    HDF5 leaves a file it failed to extend unopenable ("truncated file"), so the check comes first.
    The file itself is not touched (growing it here would leave space HDF5 does not account for).
    """
    size = os.stat(path).st_size
    limit = _file_size_limit()
    if limit is not None and size + nbytes > limit:
        raise OSError(
            errno.EFBIG,
            f"writing about {nbytes} more bytes into ploteries database {path} would exceed the file-size limit "
            f"of {limit} bytes; raise the limit (ulimit -f) or free space. Nothing was written; the database "
            "is intact and your records are kept in the journal.",
        )
    stat = os.statvfs(path)
    if stat.f_bavail * stat.f_frsize < nbytes:
        raise OSError(
            errno.ENOSPC,
            f"not enough free disk space to write about {nbytes} bytes into ploteries database {path}; free disk "
            "space. Nothing was written; the database is intact and your records are kept in the journal.",
        )


# ------------------------------------------------------------------------------------------- block level


def fixed_row_dtype(block: Block, stored: bool) -> np.dtype:
    """Row dtype of a fixed block, with the stored (possibly opaque) or the original value dtype."""
    value = block.numpy_dtype
    if stored:
        value = stored_dtype(value)
    return np.dtype([("step", "<i8"), ("wall_time", "<f8"), ("value", value, tuple(block.shape))])


def ragged_index_dtype(ndim: int) -> np.dtype:
    return np.dtype([("step", "<i8"), ("wall_time", "<f8"), ("offset", "<i8"), ("shape", "<i8", (ndim,))])


def _as_stored(values: np.ndarray) -> np.ndarray:
    values = np.ascontiguousarray(values)
    if is_native(values.dtype):
        return values
    return values.view(stored_dtype(values.dtype))


def append_fixed(
    ds: h5py.Dataset, block: Block, steps: np.ndarray, walls: np.ndarray, values: np.ndarray
) -> None:
    """Write ``len(steps)`` rows after the committed ones (overwriting any uncommitted tail); the caller
    advances ``block.rows``."""
    n = len(steps)
    rows = np.empty(n, fixed_row_dtype(block, stored=True))
    rows["step"] = steps
    rows["wall_time"] = walls
    rows["value"] = _as_stored(values).reshape((n, *block.shape))
    ds.resize((block.rows + n,))
    ds[block.rows : block.rows + n] = rows


def append_ragged(
    group: h5py.Group, block: Block, steps: np.ndarray, walls: np.ndarray, values: list[np.ndarray]
) -> None:
    """Write records of varying shape after the committed ones: values concatenated into `flat`, offsets and
    shapes into `index`; the caller advances ``block.rows`` and ``block.flat``."""
    n = len(steps)
    sizes = np.array([v.size for v in values], dtype=np.int64)
    index = np.empty(n, ragged_index_dtype(block.ndim))
    index["step"] = steps
    index["wall_time"] = walls
    index["offset"] = block.flat + np.concatenate(([0], np.cumsum(sizes)[:-1]))
    index["shape"] = np.array([v.shape for v in values], dtype=np.int64).reshape(n, block.ndim)
    flat = np.concatenate([_as_stored(v).reshape(-1) for v in values]) if n else np.empty(0)
    group["index"].resize((block.rows + n,))
    group["index"][block.rows : block.rows + n] = index
    total = int(sizes.sum())
    if total:
        group["flat"].resize((block.flat + total,))
        group["flat"][block.flat : block.flat + total] = flat


def read_fixed(
    ds: h5py.Dataset, block: Block, start: int, stop: int, fields: tuple[str, ...] | None = None
) -> np.ndarray:
    """Committed rows ``[start, stop)`` of a fixed block as a structured array of the original dtype."""
    stop = min(stop, block.rows)
    if start >= stop:
        return np.empty(0, fixed_row_dtype(block, stored=False))
    if is_native(block.numpy_dtype):
        out = _read_rows(ds, start, stop, fixed_row_dtype(block, stored=False))
    else:
        out = ds[start:stop].view(fixed_row_dtype(block, stored=False))
    if fields is not None:
        return out[list(fields)] if len(fields) > 1 else out[fields[0]]
    return out


def _read_rows(ds: h5py.Dataset, start: int, stop: int, dtype: np.dtype) -> np.ndarray:
    """Rows ``[start, stop)`` of a one-dimensional dataset whose rows are ``dtype``, read by h5py's low-level API.

    The same read as ``ds[start:stop]`` (checksums verified alike) without the high-level layer's per-call work
    (looking up the dataset's type, building selection objects): a page of 1,200 short series reads in about
    half the time.
    """
    rows = stop - start
    out = np.empty(rows, dtype)
    file_space = ds.id.get_space()
    file_space.select_hyperslab((start,), (rows,))
    ds.id.read(h5py.h5s.create_simple((rows,)), file_space, out)
    return out


def read_fixed_steps(ds: h5py.Dataset, block: Block) -> np.ndarray:
    """Only the committed step column of a fixed block."""
    if block.rows == 0:
        return np.empty(0, np.int64)
    return ds.fields("step")[: block.rows]


def read_ragged(
    group: h5py.Group, block: Block, start: int, stop: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Committed records ``[start, stop)`` of a ragged block: (index rows, list of value arrays)."""
    stop = min(stop, block.rows)
    if start >= stop:
        return np.empty(0, ragged_index_dtype(block.ndim)), []
    index = group["index"][start:stop]
    lo = int(index["offset"][0])
    last_shape = index["shape"][-1]
    hi = int(index["offset"][-1]) + int(np.prod(last_shape))
    dtype = block.numpy_dtype
    flat = group["flat"][lo:hi] if hi > lo else np.empty(0, stored_dtype(dtype))
    if not is_native(dtype):
        flat = flat.view(dtype)
    values = []
    for off, shape in zip(index["offset"], index["shape"]):
        size = int(np.prod(shape))
        values.append(flat[int(off) - lo : int(off) - lo + size].reshape(tuple(int(d) for d in shape)))
    return index, values


def read_ragged_steps(group: h5py.Group, block: Block) -> np.ndarray:
    if block.rows == 0:
        return np.empty(0, np.int64)
    return group["index"].fields("step")[: block.rows]
