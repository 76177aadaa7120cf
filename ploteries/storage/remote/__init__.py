"""Remote databases: writers and readers of a database on a ploteries server (``http://HOST:PORT/db.h5``).

``DatabaseWriter(url)`` / ``SummaryWriter(database=url)`` give a :class:`RemoteWriter` (spool + sender),
``ploteries.open(url)`` a ``Database`` over a :class:`RemoteBackend`; ``ploteries serve ROOT --accept-writes`` is
the server (its routes: ``ploteries.viz.remote_api``). See docs/remote.md.
"""

from .backend import RemoteBackend
from .push import push
from .transport import RemoteAuthError, RemoteUnavailable
from .wire import is_url, parse_url
from .writer import RemoteWriter

__all__ = [
    "RemoteAuthError",
    "RemoteBackend",
    "RemoteUnavailable",
    "RemoteWriter",
    "is_url",
    "parse_url",
    "push",
]
