"""Text summaries (Markdown) as 1-D ``uint8`` arrays of UTF-8 bytes.

The conversions themselves live in :mod:`ploteries.storage.schema` (both layers use them) and are
re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ploteries.storage.schema import array_to_json, array_to_text, json_to_array, text_to_array

__all__ = ["array_to_json", "array_to_text", "encode_text", "json_to_array", "text_to_array"]


def encode_text(text_string: Any) -> np.ndarray:
    """Encode the Markdown of ``add_text`` as ``uint8`` UTF-8 bytes.

    Examples
    --------
    >>> encode_text("**hi**").tobytes()
    b'**hi**'
    """
    if not isinstance(text_string, str):
        raise TypeError(
            f"text_string must be a str, got {type(text_string).__name__}: {text_string!r:.60}; "
            "pass str(value) or an f-string"
        )
    return text_to_array(text_string)
