"""What client and server agree on: URLs, routes, headers and how series and arrays travel.

- A remote database is named by a URL ``http[s]://HOST:PORT/<path inside the server's ROOT>``, e.g.
  ``http://node1:6006/sweep.h5``; the routes of that database are ``/api/v1/db/<path>/<action>``.
- Writes travel as journal frames (``ploteries.storage.journal``): the same CRC-framed bytes the writer
  spooled, so the server checks them and builds its batch exactly as crash recovery does.
- The catalog travels as its own JSON (``Catalog.to_bytes``); read results as one ``.npz`` (any non-object dtype,
  exact; records of several shapes value by value), loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import dataclasses
import io
import os
from urllib.parse import quote, urlsplit

import numpy as np

from .. import journal as jn
from ..assemble import RaggedRecords
from ..dtypes import dtype_to_text

API = "/api/v1"
WRITER_HEADER = "X-Ploteries-Writer"
BATCH_HEADER = "X-Ploteries-Batch"  # a whole batch (Backend.commit): the writer's sequence number after it
TOKEN_ENV = "PLOTERIES_TOKEN"
SCHEMES = ("http", "https")

__all__ = [
    "API",
    "TOKEN_ENV",
    "WRITER_HEADER",
    "BATCH_HEADER",
    "Target",
    "batch_frames",
    "decode_results",
    "encode_results",
    "frame_bytes",
    "is_url",
    "parse_url",
]


def is_url(value) -> bool:
    """True when ``value`` names a remote database (``http://`` or ``https://``).

    Examples
    --------
    >>> is_url("http://node1:6006/sweep.h5"), is_url("runs/sweep.h5")
    (True, False)
    """
    return isinstance(value, str) and value.split("://", 1)[0].lower() in SCHEMES and "://" in value


@dataclasses.dataclass(frozen=True)
class Target:
    """A database on a ploteries server: ``base`` (scheme, host and port) and ``database`` (its path there)."""

    scheme: str
    host: str
    port: int
    database: str

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/{self.database}"

    def route(self, action: str) -> str:
        """The path of one of this database's routes, e.g. ``/api/v1/db/sweep.h5/commit``."""
        return f"{API}/db/{quote(self.database)}/{action}"


def parse_url(url: str, argname: str = "database") -> Target:
    """The :class:`Target` of a remote database URL; ``ValueError`` naming ``argname`` for a malformed one.

    Examples
    --------
    >>> parse_url("http://node1:6006/sweeps/a.h5")
    Target(scheme='http', host='node1', port=6006, database='sweeps/a.h5')
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(
            f"{argname}={url!r} is not a valid URL ({exc}); e.g. http://HOST:6006/sweep.h5"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise ValueError(
            f"{argname}={url!r} must be an http:// or https:// URL such as http://HOST:6006/sweep.h5"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(
            f"{argname}={url!r} must not carry a query, fragment or credentials; pass the token in "
            f"the {TOKEN_ENV} environment variable"
        )
    database = parts.path.lstrip("/")
    if not database or database.endswith("/"):
        raise ValueError(
            f"{argname}={url!r} names no database file; add its path on the server, e.g. {url.rstrip('/')}/sweep.h5"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return Target(scheme, host, port or (443 if scheme == "https" else 80), database)


def encode_results(results: list) -> bytes:
    """Several read results (structured arrays, ``RaggedRecords`` or None) as one ``.npz``.

    Entries: ``layout`` (0 none, 1 array, 2 records), then ``<i>`` for an array and ``<i>.step``,
    ``<i>.wall_time``, ``<i>.<j>`` for records.
    """
    arrays = {"layout": np.array([_layout(r) for r in results], np.uint8)}
    for i, result in enumerate(results):
        if isinstance(result, RaggedRecords):
            arrays[f"{i}.step"], arrays[f"{i}.wall_time"] = result.step, result.wall_time
            arrays.update({f"{i}.{j}": np.asarray(v) for j, v in enumerate(result.values)})
        elif result is not None:
            arrays[str(i)] = np.asarray(result)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _layout(result) -> int:
    return 0 if result is None else 2 if isinstance(result, RaggedRecords) else 1


def decode_results(data: bytes) -> list:
    """Inverse of :func:`encode_results` (never unpickles)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        files = set(npz.files)
        out = []
        for i, layout in enumerate(npz["layout"].tolist()):
            if layout == 1:
                out.append(npz[str(i)])
            elif layout == 2:
                count = sum(1 for f in files if f.startswith(f"{i}.")) - 2
                values = [npz[f"{i}.{j}"] for j in range(count)]
                out.append(RaggedRecords(npz[f"{i}.step"], npz[f"{i}.wall_time"], values))
            else:
                out.append(None)
        return out


def frame_bytes(fr: jn.Declared | jn.Records) -> bytes:
    """A decoded journal frame framed again: the bytes a writer sends for it (inverse of ``jn.scan``)."""
    if isinstance(fr, jn.Declared):
        return jn.frame(jn.text_body(fr.kind.encode(), fr.seq, fr.ident, fr.text))
    if fr.tid == jn.SCALAR_TID:
        value = np.frombuffer(fr.raw, "<f8")[0]
        return jn.frame(jn.scalar_body(fr.seq, fr.sid, int(fr.steps[0]), float(fr.walls[0]), float(value)))
    raw = np.frombuffer(fr.raw, np.uint8)  # values as they are: records_body only needs their bytes
    return jn.frame(jn.records_body(fr.seq, fr.sid, fr.tid, fr.steps, fr.walls, raw, fr.shape))


def batch_frames(batch) -> bytes:
    """A :class:`~ploteries.storage.batch.Batch` as journal frames numbered from 1 (see ``BATCH_HEADER``)."""
    frames: list[bytes] = []
    dtypes: dict[np.dtype, int] = {}
    for sid, ps in batch.series.items():
        ps.seal_scalars()
        decl = {
            "run": ps.run,
            "tag": ps.tag,
            "part": ps.part,
            "kind": ps.kind,
            "meta": ps.meta,
            "ragged": ps.ragged,
        }
        frames.append(jn.frame(jn.text_body(b"D", len(frames) + 1, sid, jn.json_text(decl))))
        for chunk in ps.chunks:
            values = np.ascontiguousarray(chunk.values)
            if values.dtype not in dtypes:
                dtypes[values.dtype] = len(dtypes)
                text = dtype_to_text(values.dtype)
                frames.append(jn.frame(jn.text_body(b"T", len(frames) + 1, dtypes[values.dtype], text)))
            tid = dtypes[values.dtype]
            body = jn.records_body(
                len(frames) + 1, sid, tid, chunk.steps, chunk.walls, values, values.shape[1:]
            )
            frames.append(jn.frame(body))
    return b"".join(frames)


def token_from_env(token: str | None = None) -> str | None:
    """``token`` if given, else ``$PLOTERIES_TOKEN`` (None when neither is set or it is empty)."""
    return token if token else (os.environ.get(TOKEN_ENV) or None)
