import pytest

from ploteries.testing.remote_server import TOKEN, ServerProcess


@pytest.fixture
def spool(tmp_path, monkeypatch):
    """Writers of this test spool into a folder of their own and use the test server's token."""
    path = tmp_path / "spool"
    monkeypatch.setenv("PLOTERIES_SPOOL", str(path))
    monkeypatch.setenv("PLOTERIES_TOKEN", TOKEN)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server accepting writes into a fresh ROOT, shared by a module's tests (each uses its own database)."""
    proc = ServerProcess(tmp_path_factory.mktemp("root")).start()
    yield proc
    proc.stop()
