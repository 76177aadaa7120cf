"""The one locking module: portalocker behind it, no fcntl anywhere else, Windows' sidecar locks."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ploteries
from ploteries.storage import DatabaseWriter
from ploteries.storage.hdf5 import locking

PACKAGE = Path(ploteries.__file__).parent


POSIX_ONLY = ("fcntl", "resource", "termios", "grp", "syslog")  # standard modules Windows does not have


def test_import_without_posix_only_modules():
    """What Windows lacks: importing the package, its compat layer, the viewer and the CLI needs none of them."""
    code = (
        f"import sys; sys.modules.update(dict.fromkeys({POSIX_ONLY!r}))\n"
        "import ploteries, ploteries.compat, ploteries.cli, ploteries.viz.app\n"
        "print(ploteries.__version__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ploteries.__version__


def test_only_the_locking_module_locks():
    """No module imports fcntl or msvcrt; only storage/hdf5/locking.py imports portalocker; resource only lazily."""
    importers: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                importers.setdefault(name.split(".")[0], set()).add(path.relative_to(PACKAGE).as_posix())
    assert "fcntl" not in importers and "msvcrt" not in importers
    assert {p.rsplit("/", 1)[-1] for p in importers["portalocker"]} == {"locking.py"}


def test_exclusive_lock_excludes(db_path):
    db_path.write_bytes(b"")
    with locking.file_lock(db_path, exclusive=True):
        assert locking.try_lock_exclusive(db_path) is None
    fd = locking.try_lock_exclusive(db_path)
    assert fd is not None
    os.close(fd)


def test_shared_locks_share(db_path):
    db_path.write_bytes(b"")
    with locking.file_lock(db_path, exclusive=False), locking.file_lock(db_path, exclusive=False):
        assert locking.try_lock_exclusive(db_path) is None


def test_missing_file_without_create(db_path):
    with pytest.raises(FileNotFoundError), locking.file_lock(db_path, exclusive=False):
        pass


@pytest.fixture
def sidecar(monkeypatch):
    """Windows' mode (mandatory locks, so a sidecar lock file), run here on flock."""
    monkeypatch.setattr(locking, "SIDECAR_LOCKS", True)


def test_sidecar_locks_stand_for_the_database(db_path, sidecar):
    with DatabaseWriter(db_path) as w:
        w.append_many("r", "loss", np.arange(5.0), range(5))
    assert (db_path.parent / "test.h5.lock").exists()
    with locking.file_lock(db_path, exclusive=True) as fd:
        assert os.fstat(fd).st_ino == os.stat(db_path).st_ino  # the caller still gets the database
        assert locking.try_lock_exclusive(locking.lock_path(db_path)) is None
        unlocked = locking.try_lock_exclusive(db_path)  # the database itself stays unlocked
        assert unlocked is not None
        os.close(unlocked)
    with ploteries.open(db_path) as db:
        np.testing.assert_array_equal(db.read("r", "loss")["value"], np.arange(5.0))
