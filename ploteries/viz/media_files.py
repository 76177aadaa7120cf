"""Where the media files a database records are found, and which of them the viewer may serve.

``SummaryWriter(media_dir=...)`` writes images and videos as files and records each file's path relative to
the database's directory (``media/exp/img/3_0.png``, or ``../media/...`` when the media directory is outside
it). The viewer looks a recorded path up, in this order:

1. with ``--media-root M``: ``M/<recorded path>`` with leading ``../`` removed (a copy of the database's folder
   tree), then ``M/<recorded path without its first component>`` (``M`` is a copy of the media directory itself);
2. ``<database's directory>/<recorded path>``.

The first candidate that is a file is used. A file is served only if, with every symlink resolved, it lies
inside an allowed folder -- a root the viewer was started on (a database file's folder for a file root), or
the media root -- and its extension is a media type. Absolute recorded paths, ``..`` climbing out of those
folders and symlinks pointing outside them are refused, whatever the database says.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

__all__ = ["MEDIA_TYPES", "MediaLookup", "allowed_roots", "candidates", "find_media"]

MEDIA_TYPES = {
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
}
"""File extensions the media route serves, with their content types; anything else is never served."""


@dataclasses.dataclass(frozen=True)
class MediaLookup:
    """The result of looking up a recorded path: ``path`` to serve, or ``error`` saying why not."""

    recorded: str
    path: Path | None
    error: str | None  # "not found" or "refused: ..."

    @property
    def found(self) -> bool:
        return self.path is not None


def _relative_parts(recorded: str) -> tuple[str, ...] | None:
    """The components of a recorded path, or None if it is not a plain relative path."""
    if not isinstance(recorded, str) or not recorded or "\x00" in recorded or "\\" in recorded:
        return None
    pure = PurePosixPath(recorded)
    if pure.is_absolute() or recorded.startswith("~") or (len(recorded) > 1 and recorded[1] == ":"):
        return None
    parts = tuple(p for p in pure.parts if p not in ("", "."))
    return parts or None


def candidates(recorded: str, db_dir: Path, media_root: Path | None) -> list[Path]:
    """The places a recorded path may be, in lookup order (see the module docs); [] if it is not relative.

    Examples
    --------
    >>> [p.as_posix() for p in candidates("../media/exp/a.png", Path("/d/runs/x"), Path("/m"))]
    ['/m/media/exp/a.png', '/m/exp/a.png', '/d/runs/x/../media/exp/a.png']
    >>> candidates("/etc/passwd", Path("/d"), None)
    []
    """
    parts = _relative_parts(recorded)
    if parts is None:
        return []
    out: list[Path] = []
    if media_root is not None:
        rebased = list(parts)
        while rebased and rebased[0] == "..":
            rebased.pop(0)
        if rebased:
            out.append(media_root.joinpath(*rebased))
        if len(rebased) > 1:
            out.append(media_root.joinpath(*rebased[1:]))
    out.append(db_dir.joinpath(*parts))
    return out


def allowed_roots(roots: Sequence[Path], media_root: Path | None) -> list[Path]:
    """The folders media may be served from: the viewer's roots (a file root's folder) and the media root."""
    out = []
    for root in [*roots, *([media_root] if media_root is not None else [])]:
        real = Path(os.path.realpath(root))
        out.append(real.parent if real.is_file() else real)
    return out


def _inside(path: Path, folders: Sequence[Path]) -> bool:
    return any(path == f or path.is_relative_to(f) for f in folders)


def find_media(recorded: str, db_dir: Path, roots: Sequence[Path], media_root: Path | None) -> MediaLookup:
    """Look up a recorded media path; the file to serve, or why there is none.

    Examples
    --------
    >>> find_media("/etc/passwd", Path("/d"), [Path("/d")], None).error
    'refused: not a relative path'
    """
    if _relative_parts(recorded) is None:
        return MediaLookup(str(recorded), None, "refused: not a relative path")
    folders = allowed_roots(roots, media_root)
    refused = None
    for candidate in candidates(recorded, db_dir, media_root):
        real = Path(os.path.realpath(candidate))
        if not real.is_file():
            continue
        if not _inside(real, folders):
            refused = "refused: outside the folders this viewer serves"
            continue
        if real.suffix.lower() not in MEDIA_TYPES:
            refused = f"refused: {real.suffix or 'no extension'} is not a media file type"
            continue
        return MediaLookup(recorded, real, None)
    return MediaLookup(recorded, None, refused or "not found")
