"""The backend conformance suite (``ploteries.testing.backend``) against a real server on loopback."""

from __future__ import annotations

import atexit
import uuid

from hypothesis import settings

from ploteries.storage.remote import RemoteBackend
from ploteries.testing.backend import BackendStateMachine, BackendTests
from ploteries.testing.remote_server import TOKEN, ServerProcess

_SERVERS: list[ServerProcess] = []


def server() -> ServerProcess:
    """One server for this module's tests, started on first use, killed at exit."""
    if not _SERVERS:
        import tempfile
        from pathlib import Path

        root = Path(tempfile.mkdtemp(prefix="ploteries-conformance-"))
        _SERVERS.append(ServerProcess(root).start())
        atexit.register(_SERVERS[0].stop)
    return _SERVERS[0]


def new_backend(tmp_path) -> RemoteBackend:
    """A fresh database on the server, with this test's own spool."""
    return RemoteBackend(
        server().url(f"db-{uuid.uuid4().hex[:12]}.h5"), token=TOKEN, spool=tmp_path / "spool"
    )


class TestRemoteBackend(BackendTests):
    def make_backend(self, tmp_path):
        return new_backend(tmp_path)

    def reopen(self, backend):
        return RemoteBackend(backend.location, token=TOKEN, spool=backend.journal_dir.parent)


class RemoteMachine(BackendStateMachine):
    def make_backend(self, tmp_path):
        return new_backend(tmp_path)

    def reopen(self, backend):
        return RemoteBackend(backend.location, token=TOKEN, spool=backend.journal_dir.parent)


RemoteMachine.TestCase.settings = settings(max_examples=8, stateful_step_count=15, deadline=None)
test_remote_writer_matches_model = RemoteMachine.TestCase
