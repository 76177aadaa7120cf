"""Rebuilding a database whose HDF5 structure a crash left damaged.

HDF5 does not order its metadata writes, so a writer killed inside a flush can leave structures that later
transactions trip over ("addr overflow", "name already exists") although every committed row is readable
through the catalog. ``rebuild`` copies exactly what the catalog says is committed into a fresh file and
swaps it in atomically (``os.replace``); lockers notice the swap (see ``locking.file_lock``).
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py

from .format import CATALOG_SLOTS, FORMAT_ATTR, FORMAT_VERSION, open_h5, read_catalog, write_catalog
from .locking import file_lock


def _copy_dataset(src: h5py.Dataset, dst_group: h5py.Group, name: str, rows: int) -> None:
    data = src[:rows]
    ds = dst_group.create_dataset(name, data=data, maxshape=(None,), chunks=src.chunks)
    ds.attrs.update(dict(src.attrs))


def rebuild(path: Path) -> None:
    """Copy the committed content of ``path`` into a new file and put it in its place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.rebuild")
    with file_lock(path, exclusive=True):
        with open_h5(path, "r") as src, h5py.File(tmp, "w", locking=False) as dst:
            catalog = read_catalog(src, path)
            dst.attrs[FORMAT_ATTR] = FORMAT_VERSION
            for slot in CATALOG_SLOTS:
                dst.create_dataset(slot, shape=(0,), maxshape=(None,), dtype="u1", chunks=(4096,))
            series = dst.create_group("series")
            for entry in catalog.series:
                group = series.create_group(entry.id)
                group.attrs.update(
                    {"run": entry.run, "tag": entry.tag, "part": entry.part, "kind": entry.kind}
                )
                old = src["series"][entry.id]
                for block in entry.blocks:
                    if block.layout == "fixed":
                        _copy_dataset(old[block.name], group, block.name, block.rows)
                    else:
                        sub = group.create_group(block.name)
                        sub.attrs.update(dict(old[block.name].attrs))
                        _copy_dataset(old[block.name]["index"], sub, "index", block.rows)
                        _copy_dataset(old[block.name]["flat"], sub, "flat", block.flat)
            write_catalog(dst, catalog)
        tmp_fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(tmp_fd)
        finally:
            os.close(tmp_fd)
        os.replace(tmp, path)
