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


MAX_NDIM = 32  # HDF5's H5S_MAX_RANK: dimensions of a dataset and of an array type
MAX_TYPE_BYTES = 65535  # an HDF5 object header message (here: the datatype) is at most 64 kiB
MAX_VALUE_BYTES = 2**32 - 1  # one value is one HDF5 array element (its size is a 32-bit field)


def check_hdf5_limits(dtype: np.dtype, shape: tuple, argname: str = "value") -> None:
    """Raise ``ValueError`` at the call for a value HDF5 cannot hold (so it never reaches a commit).

    The limits: at most 32 dimensions (values and array fields), a datatype description of at most 64 kiB
    (field names and field counts: about 1,000 fields of short names, or one name of 65,000 characters),
    and at most 4 GiB per value.
    """
    if len(shape) > MAX_NDIM:
        raise ValueError(
            f"{argname} has {len(shape)} dimensions (shape {shape}); HDF5 stores at most {MAX_NDIM}. "
            f"Reshape it first, e.g. {argname}.reshape(-1), or drop unit axes with np.squeeze({argname})."
        )
    nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.float64))
    if nbytes > MAX_VALUE_BYTES:
        raise ValueError(
            f"{argname} takes {nbytes:,} bytes; HDF5 stores at most {MAX_VALUE_BYTES:,} bytes per value. "
            "Split it over several tags or steps."
        )
    _check_type_size(dtype, len(shape), argname)


@functools.lru_cache(maxsize=1024)
def _check_type_size(dtype: np.dtype, ndim: int, argname: str) -> None:
    if not is_native(dtype):
        return  # stored as opaque bytes: the type description is a few bytes
    row = np.dtype([("step", "<i8"), ("wall_time", "<f8"), ("value", dtype, (1,) * ndim)])
    try:
        size = len(h5py.h5t.py_create(row, logical=True).encode())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{argname} has dtype {dtype!r}, which HDF5 cannot describe ({exc}).") from None
    if size > MAX_TYPE_BYTES:
        fields = f" ({len(dtype.names)} field{'s' * (len(dtype.names) > 1)})" if dtype.names else ""
        raise ValueError(
            f"{argname} has a dtype{fields} whose HDF5 description takes {size:,} bytes; HDF5 allows at most "
            f"{MAX_TYPE_BYTES:,}. Use shorter or fewer field names, e.g. split the record over several tags."
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
