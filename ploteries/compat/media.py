"""Images and videos stored as files beside the database (``SummaryWriter(media_dir=...)``).

Files are ``<media_dir>/<run>/<tag>/<step>_<index>.png`` (``.gif`` for videos), with run and tag reduced to
safe names (letters, digits, ``.``, ``-``, ``_``; no ``..``, no leading dot). ``index`` makes each name unique
per (run, tag, step): files are created exclusively, so several writers never overwrite each other. The
database records the path relative to its own directory, with ``/`` separators.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

import numpy as np

__all__ = ["MediaStore", "safe_component"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_COMPONENT = 80


def safe_component(name: str) -> str:
    """A file-name-safe version of a run or tag name (a short hash keeps distinct long names distinct).

    Examples
    --------
    >>> safe_component("loss/train"), safe_component("../../etc"), safe_component("")
    ('loss_train', 'etc', '_')
    """
    safe = re.sub(r"\.{2,}", ".", _UNSAFE.sub("_", name)).strip("._") or "_"
    if len(safe) > _MAX_COMPONENT:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe[: _MAX_COMPONENT - 9]}_{digest}"
    return safe


class MediaStore:
    """Writes media files under ``root`` and returns their paths relative to ``base`` (the database's folder).

    Parameters
    ----------
    root : path
        The media directory; relative paths are taken relative to ``base``.
    base : path
        The directory of the database.

    Examples
    --------
    >>> store = MediaStore("media", "/tmp/db")                                     # doctest: +SKIP
    >>> store.write_png("exp1", "img", 3, np.zeros((4, 4, 3), np.uint8))          # doctest: +SKIP
    'media/exp1/img/3_0.png'
    """

    def __init__(self, root: str | os.PathLike, base: str | os.PathLike):
        self.base = Path(os.path.abspath(base))
        root = Path(root)
        self.root = root if root.is_absolute() else self.base / root

    def _create(self, run: str, tag: str, step: int, suffix: str, data: bytes) -> str:
        folder = self.root / safe_component(run) / safe_component(tag)
        folder.mkdir(parents=True, exist_ok=True)
        index = 0
        while True:
            path = folder / f"{step}_{index}{suffix}"
            try:
                with open(path, "xb") as f:
                    f.write(data)
                break
            except FileExistsError:
                index += 1
        return Path(os.path.relpath(path, self.base)).as_posix()

    def discard(self, path: str) -> None:
        """Remove a file this store wrote (``path`` as returned), when its record was refused."""
        try:
            (self.base / path).unlink()
        except FileNotFoundError:
            pass

    def write_png(self, run: str, tag: str, step: int, hwc: np.ndarray) -> str:
        """Write a ``uint8`` ``(H, W, C)`` image as PNG; returns its path relative to the database's folder."""
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(hwc).save(buf, format="PNG", compress_level=1)
        return self._create(run, tag, step, ".png", buf.getvalue())

    def write_gif(self, run: str, tag: str, step: int, thwc: np.ndarray, fps: float) -> str:
        """Write ``uint8`` ``(T, H, W, C)`` frames as an animated GIF (looping) at ``fps`` frames per second."""
        from PIL import Image

        frames = [Image.fromarray(np.ascontiguousarray(f[..., :3])) for f in thwc]
        buf = io.BytesIO()
        duration = max(1, int(round(1000.0 / fps)))
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=duration, loop=0)
        return self._create(run, tag, step, ".gif", buf.getvalue())
