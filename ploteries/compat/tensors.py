"""Turn user input (torch tensors, numpy arrays, Python numbers and lists) into numpy.

torch is optional: it is never imported here. A torch tensor is recognised by the module of its type and
converted with ``.detach().cpu().numpy()``, so CPU and CUDA tensors (and ``nn.Parameter``) all work.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["is_torch_tensor", "to_numpy", "to_scalar"]


def is_torch_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor (checked without importing torch).

    Examples
    --------
    >>> is_torch_tensor(np.zeros(3))
    False
    """
    return type(x).__module__.startswith("torch") and hasattr(x, "detach") and hasattr(x, "cpu")


def _torch_to_numpy(x: Any, argname: str) -> np.ndarray:
    if getattr(x.device, "type", "cpu") == "meta":
        raise ValueError(
            f"{argname} is a tensor on the 'meta' device, which holds no data; pass a real tensor"
        )
    x = x.detach()
    if getattr(x, "is_sparse", False):
        x = x.to_dense()
    name = str(x.dtype)
    if name == "torch.bfloat16":  # numpy has no bfloat16; float32 holds every bfloat16 exactly
        x = x.float()
    try:
        return x.cpu().resolve_conj().resolve_neg().numpy()
    except (TypeError, RuntimeError) as exc:
        raise TypeError(f"{argname}: cannot convert a tensor of dtype {x.dtype} to numpy ({exc})") from None


def to_numpy(x: Any, argname: str = "value", *, numeric: bool = False) -> np.ndarray:
    """Convert ``x`` to a numpy array.

    Parameters
    ----------
    x : torch.Tensor, numpy.ndarray, number, bool, str or (nested) list/tuple of those
        The value to convert. torch tensors may live on any device; ``bfloat16`` becomes ``float32``.
    argname : str
        Name of the argument, used in error messages.
    numeric : bool
        If true, require a real numeric dtype (bool, integer or float).

    Returns
    -------
    numpy.ndarray
        Never of object dtype. Numpy arrays are returned as they are (no copy).

    Raises
    ------
    TypeError
        For objects numpy can only hold as ``dtype=object`` (None, mixed objects) or, with ``numeric``, for
        strings and complex numbers.
    ValueError
        For ragged nested lists.

    Examples
    --------
    >>> to_numpy([[1, 2], [3, 4]], "img").shape
    (2, 2)
    """
    if isinstance(x, np.ndarray):
        arr = x
    elif is_torch_tensor(x):
        arr = _torch_to_numpy(x, argname)
    else:
        if isinstance(x, (list, tuple)) and any(
            is_torch_tensor(e) or isinstance(e, (list, tuple)) for e in x
        ):
            x = [to_numpy(e, argname) for e in x]
        try:
            arr = np.asarray(x)
        except ValueError as exc:
            raise ValueError(
                f"{argname} must be a rectangular array, got a ragged nested sequence ({exc}); "
                "make every row the same length"
            ) from None
    if arr.dtype == object:
        raise TypeError(
            f"{argname} must hold numbers (or strings), got an object array of shape {arr.shape} "
            f"(first element {arr.flat[0] if arr.size else None!r:.60}); convert it to a numeric array"
        )
    if numeric and arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{argname} must be real numbers (bool, int or float), got dtype {arr.dtype}; "
            "convert it, e.g. with .astype(float)"
        )
    return arr


def to_scalar(x: Any, argname: str = "scalar_value") -> float:
    """Convert a single number (Python, numpy or a one-element tensor of any shape) to a Python float.

    Like TensorBoard, the value is squeezed; anything with more than one element is an error. Booleans give
    1.0/0.0; NaN and infinities are kept.

    Examples
    --------
    >>> to_scalar(np.array([[2]]))
    2.0
    >>> to_scalar(True)
    1.0
    """
    if isinstance(x, bool | numbers.Real) and not isinstance(x, np.ndarray):
        return float(x)
    arr = to_numpy(x, argname)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{argname} must be a real number, got {x!r:.60} of dtype {arr.dtype}")
    arr = arr.squeeze()
    if arr.ndim != 0:
        raise ValueError(
            f"{argname} must be a single number, got shape {tuple(np.shape(x))}; "
            "log one value per call or use add_histogram/add_tensor for arrays"
        )
    return float(arr)
