"""The ploteries database: crash-safe, multi-writer HDF5 storage (numpy and h5py only).

Write with :class:`DatabaseWriter`, read with :func:`open` (a read-only :class:`Database`).
See docs/format.md for the layout and docs/kinds.md for what each kind of series stores.
"""

from .backend import Backend, Capabilities, open_backend
from .discovery import find_databases, scan_databases
from .errors import (
    JournalDamageWarning,
    NotADatabaseError,
    PloteriesError,
    RecordsDroppedError,
    WriterClosedError,
)
from .maintenance import delete_run, purge_run, rename_run, update_document, update_documents
from .reader import Database, RaggedRecords, Record, SeriesInfo, open
from .recovery import recover
from .schema import (
    HIST_BUCKET_DTYPE,
    HIST_STATS_DTYPE,
    array_to_json,
    array_to_text,
    json_to_array,
    text_to_array,
)
from .writer import DatabaseWriter

__all__ = [
    "Backend",
    "Capabilities",
    "HIST_BUCKET_DTYPE",
    "HIST_STATS_DTYPE",
    "Database",
    "DatabaseWriter",
    "JournalDamageWarning",
    "NotADatabaseError",
    "PloteriesError",
    "RaggedRecords",
    "RecordsDroppedError",
    "Record",
    "SeriesInfo",
    "WriterClosedError",
    "array_to_json",
    "array_to_text",
    "delete_run",
    "find_databases",
    "json_to_array",
    "open",
    "open_backend",
    "purge_run",
    "recover",
    "rename_run",
    "scan_databases",
    "text_to_array",
    "update_document",
    "update_documents",
]
