"""How any non-object numpy dtype is stored in HDF5 and recovered exactly.

A dtype that h5py maps to an HDF5 type and back unchanged is stored natively, so plain h5py users see
their data. Anything else (unicode ``U``, ``datetime64``, structured dtypes holding those, ...) is stored as
an opaque byte blob of the same itemsize and viewed back as the original dtype. The original dtype is
always recorded as a numpy ``descr`` string, parsed with ``ast.literal_eval`` (never ``eval``).
"""

from __future__ import annotations

import ast
import functools

import h5py
import numpy as np


def check_storable(dtype: np.dtype, argname: str = "value") -> None:
    """Raise ``TypeError`` if ``dtype`` cannot be stored (object dtype anywhere, or zero itemsize)."""
    if dtype.hasobject:
        raise TypeError(
            f"{argname} has dtype {dtype!r}, which holds Python objects; ploteries stores numeric, bool, "
            "string, datetime and structured dtypes. Convert it first, e.g. np.asarray(x, dtype=float), "
            "or encode text with ploteries.storage.text_to_array."
        )
    if dtype.itemsize == 0:
        raise TypeError(
            f"{argname} has dtype {dtype!r} of zero size; give strings and voids a length, e.g. 'S8'."
        )


def dtype_to_text(dtype: np.dtype) -> str:
    """The numpy ``descr`` of ``dtype`` as text (what ``.npy`` headers hold)."""
    return repr(np.lib.format.dtype_to_descr(dtype))


@functools.lru_cache(maxsize=1024)
def dtype_from_text(text: str) -> np.dtype:
    """Inverse of :func:`dtype_to_text`; safe on untrusted input (``ast.literal_eval``)."""
    return np.lib.format.descr_to_dtype(ast.literal_eval(text))


@functools.lru_cache(maxsize=1024)
def is_native(dtype: np.dtype) -> bool:
    """True when h5py stores ``dtype`` natively and reads it back unchanged."""
    try:
        return h5py.h5t.py_create(dtype, logical=True).dtype == dtype
    except (TypeError, ValueError):
        return False


def stored_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype written to HDF5 for values of ``dtype``: itself, or opaque bytes of the same size."""
    return dtype if is_native(dtype) else np.dtype(("V", dtype.itemsize))
