"""Record layouts shared by the storage and compat layers (numpy only).

The histogram dtypes and the text/JSON <-> ``uint8`` conversions are the stored representation described in
``docs/kinds.md``. Text and JSON documents are stored as 1-D ``uint8`` arrays of UTF-8 bytes, never as object
arrays.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

__all__ = [
    "HIST_BUCKET_DTYPE",
    "HIST_STATS_DTYPE",
    "text_to_array",
    "array_to_text",
    "json_to_array",
    "array_to_json",
]

HIST_BUCKET_DTYPE = np.dtype([("left", "<f8"), ("right", "<f8"), ("count", "<f8")])
"""One histogram bucket as TensorBoard displays it: ``[left, right, count]``."""

HIST_STATS_DTYPE = np.dtype(
    [("min", "<f8"), ("max", "<f8"), ("num", "<f8"), ("sum", "<f8"), ("sum_squares", "<f8")]
)
"""Summary statistics of one histogram (the scalar fields of TensorBoard's ``HistogramProto``)."""


def text_to_array(text: str) -> np.ndarray:
    """Encode a string as a 1-D ``uint8`` array of its UTF-8 bytes.

    Parameters
    ----------
    text : str
        Any Unicode string (an empty string gives an empty array).

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(len(text.encode('utf-8')),)``.

    Examples
    --------
    >>> text_to_array("hé")
    array([104, 195, 169], dtype=uint8)
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, got {type(text).__name__}: {text!r:.80}; pass str(value) for other types"
        )
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()


def array_to_text(array: np.ndarray) -> str:
    """Decode a 1-D ``uint8`` array of UTF-8 bytes made by :func:`text_to_array`.

    Examples
    --------
    >>> array_to_text(text_to_array("hé"))
    'hé'
    """
    arr = np.asarray(array)
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise TypeError(
            f"array must be a 1-D uint8 array of UTF-8 bytes, got dtype {arr.dtype} and shape {arr.shape}; "
            "use text_to_array() to make one"
        )
    return arr.tobytes().decode("utf-8")


def json_to_array(obj: Any) -> np.ndarray:
    """Serialize a JSON-compatible object to a 1-D ``uint8`` array (UTF-8 JSON text).

    Key order is kept. NaN and infinity are written as Python's ``json`` does (``NaN``, ``Infinity``) so that
    they read back unchanged.

    Examples
    --------
    >>> array_to_json(json_to_array({"lr": 0.1, "opt": "adam"}))
    {'lr': 0.1, 'opt': 'adam'}
    """
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"obj must be JSON-serializable (dict, list, str, int, float, bool, None), got {obj!r:.80}: {exc}"
        ) from None
    return text_to_array(text)


def array_to_json(array: np.ndarray) -> Any:
    """Parse a 1-D ``uint8`` array made by :func:`json_to_array` back into Python objects.

    Examples
    --------
    >>> array_to_json(json_to_array([1, "a", None]))
    [1, 'a', None]
    """
    return json.loads(array_to_text(array))
