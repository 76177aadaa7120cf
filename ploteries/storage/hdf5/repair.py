"""Whole files built aside and swapped in: a new database, repair after a crash, conversion of versions 1, 2 to 3.

HDF5 does not order its metadata writes, so a writer killed inside a flush can leave structures that later
transactions trip over ("addr overflow", "name already exists") although every committed row is readable
through the catalog. ``rebuild`` copies exactly what the catalog says is committed into a fresh file (newest version)
and swaps it in atomically (``os.replace``); lockers notice the swap (see ``locking.file_lock``).

The new file is built unnamed (``O_TMPFILE``) and given a name only to be renamed over the old one at once,
so a rebuild killed half-way leaves nothing behind; leftovers of older versions (``.<name>.rebuild``) are
removed. A new database is laid out the same way (``create_laid_out``): a writer killed while HDF5 wrote the
empty layout in place left a few kB that no later writer or reader could open.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import h5py

from ..catalog import Catalog
from . import layout
from .format import FORMAT_ATTR, open_h5, read_catalog
from .locking import file_lock


def rebuild(path: Path) -> None:
    """Copy the committed content of ``path`` (any format version) into a new file (newest version) in its place."""
    path = Path(path)

    def copy(fileobj) -> None:
        with h5py.File(fileobj, "w") as dst:  # a version-0 superblock: no open-file flags
            dst.attrs[FORMAT_ATTR] = 0
        with open_h5(path, "r") as src, h5py.File(fileobj, "r+", libver=layout.LIBVER) as dst:
            copy_committed(src, dst, path)

    with file_lock(path, exclusive=True):
        _remove_leftovers(path)
        _swap_in(path, copy, fsync=True)


def create_laid_out(path: Path) -> None:
    """Replace the empty file at ``path`` with an empty database, laid out aside and renamed over it in one step.

    The caller holds the exclusive lock on the empty file; the lock stays on that (now unnamed) file, so the
    caller must lock ``path`` again before using the database (``file_lock`` notices the swap).
    """

    def lay_out(fileobj) -> None:
        with h5py.File(fileobj, "w") as h5:  # a version-0 superblock: no open-file flags
            layout.initialize(h5)

    _swap_in(Path(path), lay_out, fsync=False)


def _swap_in(path: Path, build, *, fsync: bool) -> None:
    """Build a file with ``build(file object)`` unnamed beside ``path``, then rename it over ``path`` in one step."""
    fd, named = _unnamed_file(path.parent)
    try:
        with os.fdopen(os.dup(fd), "w+b") as fileobj:
            build(fileobj)
            fileobj.flush()
        if fsync:
            os.fsync(fd)
        _link_over(fd, path)
    finally:
        os.close(fd)
        if named is not None:
            named.unlink(missing_ok=True)


def committed_catalog(src: h5py.File, path: Path) -> tuple[Catalog, object]:
    """The committed catalog of an open file of any version, and how to find a block's node."""
    if int(src.attrs.get(FORMAT_ATTR, 0)) in layout.READABLE:
        stat = os.stat(path)
        catalog = layout.load(src, path, (stat.st_dev, stat.st_ino), None).catalog
        data = src["data"]
        return catalog, lambda entry, block: data[block.name]
    catalog = read_catalog(src, path)
    return catalog, lambda entry, block: src["series"][entry.id][block.name]


def copy_committed(src: h5py.File, dst: h5py.File, path: Path) -> None:
    """Write the committed content of ``src`` into the empty file ``dst`` as a database of the newest version."""
    catalog, node = committed_catalog(src, path)
    layout.initialize(dst, uid=catalog.uid)
    data = dst["data"]
    ops: list[dict] = [{"op": "docs", "docs": catalog.documents}]
    states: dict[int, tuple] = {}
    key = 0
    for entry in catalog.series:
        ops.append(layout.series_op(entry))
        for block in entry.blocks:
            new = dataclasses.replace(block, name=str(key))
            layout.create_block(data, new)
            old = node(entry, block)
            if block.layout == "fixed":
                _copy_rows(old, data[new.name], block.rows)
            else:
                _copy_rows(old["index"], data[new.name]["index"], block.rows)
                _copy_rows(old["flat"], data[new.name]["flat"], block.flat)
            ops.append(layout.block_op(entry, new))
            states[key] = layout.slot_row(new, 2)
            key += 1
    for writer, seq in catalog.writers.items():
        ops.append({"op": "writer", "w": writer, "k": key})
        states[key] = layout.slot_row(None, 2, seq)
        key += 1
    view = layout.load(dst, path, (0, 0), None)
    dst.flush()
    layout.write_head(dst, layout.commit_state(dst, view, ops, states, key))


def _copy_rows(src: h5py.Dataset, dst: h5py.Dataset, rows: int) -> None:
    step = 1 << 20
    dst.resize((rows,))
    for lo in range(0, rows, step):
        hi = min(rows, lo + step)
        dst[lo:hi] = src[lo:hi]


def _unnamed_file(directory: Path) -> tuple[int, Path | None]:
    """A new file in ``directory`` without a name (it vanishes if we die); a hidden named one if unsupported."""
    try:
        return os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o644), None
    except (OSError, AttributeError):
        name = directory / f".ploteries-{os.getpid()}.rebuild"
        return os.open(name, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644), name


def _link_over(fd: int, path: Path) -> None:
    """Give the file open at ``fd`` the name ``path``, replacing the old file in one step."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.rebuild")
    tmp.unlink(missing_ok=True)
    proc = os.open("/proc/self/fd", os.O_RDONLY)
    try:  # linkat(..., AT_SYMLINK_FOLLOW): gives the unnamed file a name (os.link alone would call link())
        os.link(str(fd), tmp, src_dir_fd=proc, follow_symlinks=True)
    finally:
        os.close(proc)
    os.replace(tmp, path)


def _remove_leftovers(path: Path) -> None:
    """Delete ``.rebuild`` files that rebuilds killed by older versions left beside ``path``."""
    for leftover in path.parent.glob(f".{path.name}*.rebuild"):
        leftover.unlink(missing_ok=True)
