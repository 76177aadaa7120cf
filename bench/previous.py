"""Load another git revision of ploteries beside the current one, as the package ``ploteries_previous``
(or extract it to run in a subprocess: :func:`extract_revision`).

The benches time the current code against a previous revision in the same process, batch by batch, so that
load from other processes hits both alike. The revision's ``ploteries/`` tree is extracted with ``git archive``
into a temporary directory and its absolute imports (``ploteries.x``) are renamed.
"""

from __future__ import annotations

import atexit
import importlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAME = "ploteries_previous"


def extract_revision(rev: str) -> Path:
    """The ``ploteries/`` tree of revision ``rev``, extracted into a temporary directory (removed at exit).

    Put the returned directory first on ``PYTHONPATH`` to run that revision in a subprocess.
    """
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "ploteries"], check=True, capture_output=True
    ).stdout
    root = Path(tempfile.mkdtemp(prefix="ploteries-previous-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def load_previous(rev: str):
    """Import revision ``rev`` (e.g. ``main`` or a commit) of the ``ploteries`` package as ``ploteries_previous``."""
    root = extract_revision(rev)
    (root / "ploteries").rename(root / NAME)
    for py in (root / NAME).rglob("*.py"):
        text = py.read_text()
        py.write_text(re.sub(r"^(\s*)(from|import) ploteries\b", rf"\1\2 {NAME}", text, flags=re.M))
    sys.path.insert(0, str(root))
    return importlib.import_module(NAME)
