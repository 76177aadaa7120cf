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
