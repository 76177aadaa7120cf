"""Exceptions raised by the storage layer.

Every error names the file (or argument) concerned and says how to fix it.
"""

from __future__ import annotations


class PloteriesError(Exception):
    """Base class of ploteries' own errors."""


class NotADatabaseError(PloteriesError, ValueError):
    """A file exists but is not a ploteries database (foreign HDF5, not HDF5, or damaged)."""


class WriterClosedError(PloteriesError, ValueError):
    """A record was given to a writer after ``close()``."""


class RecordsDroppedError(PloteriesError, ValueError):
    """Records that the database cannot hold were dropped; everything else was committed.

    ``dropped`` lists ``(run, tag, part, reason)`` for each series concerned.
    """

    def __init__(self, message: str, dropped: list[tuple[str, str, str, str]]):
        super().__init__(message)
        self.dropped = dropped


class JournalDamageWarning(UserWarning):
    """Replaying a crashed writer's journal met damaged or unusable frames; what was lost is named."""
