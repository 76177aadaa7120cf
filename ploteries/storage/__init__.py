"""The ploteries database: format, journal, writer, reader (numpy and h5py only)."""

from ploteries.storage.schema import (
    HIST_BUCKET_DTYPE,
    HIST_STATS_DTYPE,
    array_to_json,
    array_to_text,
    json_to_array,
    text_to_array,
)

__all__ = [
    "HIST_BUCKET_DTYPE",
    "HIST_STATS_DTYPE",
    "array_to_json",
    "array_to_text",
    "json_to_array",
    "text_to_array",
]
