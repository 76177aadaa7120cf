"""The backend conformance suite (``ploteries.testing.backend``) run against every backend we ship.

A Hypothesis state machine drives the real writer and reader over each backend and a dict-of-lists model side
by side: after every flush, reopen or purge, everything the database returns must equal the model.
"""

from hypothesis import settings

from ploteries.storage.hdf5.backend import HDF5Backend
from ploteries.storage.memory import MemoryBackend
from ploteries.testing.backend import BackendStateMachine, BackendTests

MACHINE_SETTINGS = settings(max_examples=25, stateful_step_count=25, deadline=None)


class TestMemoryBackend(BackendTests):
    def make_backend(self, tmp_path):
        return MemoryBackend(tmp_path)


class TestHDF5Backend(BackendTests):
    def make_backend(self, tmp_path):
        return HDF5Backend(tmp_path / "db.h5", create=True)

    def reopen(self, backend):
        return HDF5Backend(backend.path)


class MemoryMachine(BackendStateMachine):
    def make_backend(self, tmp_path):
        return MemoryBackend(tmp_path)


class HDF5Machine(BackendStateMachine):
    def make_backend(self, tmp_path):
        return HDF5Backend(tmp_path / "db.h5", create=True)

    def reopen(self, backend):
        return HDF5Backend(backend.path, create=True)


MemoryMachine.TestCase.settings = MACHINE_SETTINGS
HDF5Machine.TestCase.settings = MACHINE_SETTINGS
test_memory_writer_matches_model = MemoryMachine.TestCase
test_hdf5_writer_matches_model = HDF5Machine.TestCase
