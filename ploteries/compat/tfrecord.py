"""TFRecord framing of TensorBoard event files, read without TensorFlow.

A record is ``u64 length | u32 masked_crc32c(length bytes) | data | u32 masked_crc32c(data)``, all little
endian. CRCs use the native ``crc32c`` package when it is installed (TensorBoard's pure-Python CRC is where
``EventAccumulator`` spends most of its time); ``verify=False`` skips them.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from collections.abc import Iterator
from pathlib import Path

__all__ = ["RecordReport", "crc32c_function", "iter_records", "masked_crc32c", "record_bytes"]

_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8


def crc32c_function():
    """The CRC-32C function: the ``crc32c`` package's, else TensorBoard's pure-Python one (slow)."""
    try:
        from crc32c import crc32c

        return crc32c
    except ImportError:
        pass
    try:
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c
    except ImportError:
        raise ImportError(
            "verifying TensorBoard records needs a CRC-32C implementation: pip install crc32c "
            "(or pass verify=False / --no-verify)"
        ) from None
    return crc32c


_crc32c = None


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C of ``data``.

    Examples
    --------
    >>> hex(masked_crc32c(b""))
    '0xa282ead8'
    """
    global _crc32c
    if _crc32c is None:
        _crc32c = crc32c_function()
    crc = _crc32c(data) & 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def record_bytes(data: bytes) -> bytes:
    """``data`` framed as one TFRecord (for writing test logs).

    Examples
    --------
    >>> len(record_bytes(b"abc"))
    19
    """
    length = _LENGTH.pack(len(data))
    return length + _CRC.pack(masked_crc32c(length)) + data + _CRC.pack(masked_crc32c(data))


@dataclasses.dataclass
class RecordReport:
    """What reading one file found besides good records."""

    path: Path
    corrupt_at: int | None = None  # byte offset of the first record that failed its CRC
    truncated: bool = False  # a partial record at the end (a writer still running, or killed)
    end: int = 0  # byte offset just past the last record consumed: where to resume reading


def iter_records(
    path: str | os.PathLike, verify: bool = True, report: RecordReport | None = None, start: int = 0
) -> Iterator[bytes]:
    """Yield the data of each record of a TFRecord file, in order, from byte ``start`` (a record boundary).

    Reading stops at a record that fails its CRC (as TensorBoard does; ``report.corrupt_at`` says where)
    and at a partial record at the end of the file (``report.truncated``). ``report.end`` follows the end of
    the last record consumed, so that a file that grows can be read on from there.
    """
    with open(path, "rb") as f:
        f.seek(start)
        buf = f.read()
    if report is not None:
        report.end = start
    view = memoryview(buf)
    pos, end = 0, len(buf)
    unpack_length, unpack_crc = _LENGTH.unpack_from, _CRC.unpack_from
    crc = crc32c_function() if verify else None
    while pos < end:
        if pos + 12 > end:
            if report is not None:
                report.truncated = True
            return
        (length,) = unpack_length(buf, pos)
        stop = pos + 16 + length
        if stop > end:
            if report is not None:
                report.truncated = True
            return
        data = view[pos + 12 : stop - 4]
        if crc is not None:
            a, b = crc(view[pos : pos + 8]), crc(data)
            if (
                unpack_crc(buf, pos + 8)[0] != ((a >> 15 | a << 17) + _MASK_DELTA) & 0xFFFFFFFF
                or unpack_crc(buf, stop - 4)[0] != ((b >> 15 | b << 17) + _MASK_DELTA) & 0xFFFFFFFF
            ):
                if report is not None:
                    report.corrupt_at = start + pos
                return
        yield data
        pos = stop
        if report is not None:
            report.end = start + pos
