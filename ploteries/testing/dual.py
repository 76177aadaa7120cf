"""A writer that sends every call to torch's ``SummaryWriter`` and to ploteries', for parity tests.

Both writers see the same clock during a call (``time.time`` is held for its duration), so wall times and
default ``add_hparams`` run names agree exactly. If exactly one of them raises, :class:`ParityError` says
so; if both raise, ploteries' error is raised (it must be a ``TypeError``, ``ValueError`` or ``ImportError``,
whatever TensorBoard raised: often an ``AssertionError`` or ``NotImplementedError``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from ploteries.compat import SummaryWriter
from ploteries.compat.runs import default_log_dir
from ploteries.testing.parity import ParityError, Tolerances, assert_parity

__all__ = ["DualSession", "DualWriter", "check_errors"]

_CLOCK = threading.Lock()
_ALLOWED = (TypeError, ValueError, ImportError)


@contextlib.contextmanager
def _frozen_time(now: float):
    with _CLOCK:
        real = time.time
        time.time = lambda: now
        try:
            yield
        finally:
            time.time = real


def _attempt(method, args, kwargs) -> tuple[Any, BaseException | None]:
    try:
        return method(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - compared below
        return None, exc


def check_errors(name: str, tb_error: BaseException | None, our_error: BaseException | None) -> None:
    """Raise :class:`ParityError` unless both writers accepted the call, or both refused it compatibly.

    Examples
    --------
    >>> check_errors("add_scalar", None, None)
    >>> check_errors("add_text", AssertionError("x"), TypeError("text_string must be a str"))
    """
    if tb_error is None and our_error is None:
        return
    if tb_error is None:
        raise ParityError(
            f"{name}: ploteries raised {our_error!r} but TensorBoard accepted the call"
        ) from our_error
    if our_error is None:
        raise ParityError(
            f"{name}: TensorBoard raised {tb_error!r} but ploteries accepted the call"
        ) from tb_error
    if not isinstance(our_error, _ALLOWED):
        raise ParityError(
            f"{name}: ploteries raised {our_error!r}; expected a TypeError or ValueError"
        ) from our_error


class DualWriter:
    """Has every method of ``SummaryWriter``; each call goes to torch's writer, then to ploteries'.

    Parameters
    ----------
    tensorboard_dir, ploteries_dir : path
        Roots under which the two writers' ``log_dir`` is created.
    log_dir : str
        The run folder (relative), as given to ``SummaryWriter``.
    **kwargs
        Constructor arguments of torch's ``SummaryWriter`` (``purge_step``, ``flush_secs``, ...).
    ploteries_kwargs : dict, optional
        Extra keyword-only arguments for ploteries' writer only (``media_dir=``, ...).

    Examples
    --------
    >>> w = DualWriter("tmp/tb", "tmp/pl", "exp1")   # doctest: +SKIP
    >>> w.add_scalar("loss", 0.5, 1)                 # doctest: +SKIP
    >>> w.errors                                     # doctest: +SKIP
    []
    """

    def __init__(
        self,
        tensorboard_dir: str | Path,
        ploteries_dir: str | Path,
        log_dir: str = "run",
        *,
        ploteries_kwargs: dict | None = None,
        **kwargs: Any,
    ):
        from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter

        self.torch = TorchSummaryWriter(os.path.join(tensorboard_dir, log_dir), **kwargs)
        self.ploteries = SummaryWriter(
            os.path.join(ploteries_dir, log_dir), **kwargs, **(ploteries_kwargs or {})
        )
        self.errors: list[tuple[str, BaseException, BaseException]] = []

    def __getattr__(self, name: str):
        if name in ("torch", "ploteries", "errors"):
            raise AttributeError(name)
        ours = getattr(self.ploteries, name)
        theirs = getattr(self.torch, name, None)
        if not callable(ours) or name.startswith("_") or theirs is None:
            return ours  # attributes, and tensorboardX extras torch lacks (use_metadata, ...)

        def call(*args, **kwargs):
            with _frozen_time(time.time()):
                _, tb_error = _attempt(theirs, args, kwargs)
                result, our_error = _attempt(ours, args, kwargs)
            check_errors(name, tb_error, our_error)
            if our_error is not None:
                self.errors.append((name, tb_error, our_error))
                raise our_error
            return result

        call.__name__ = name
        return call

    def close(self) -> None:
        self.torch.close()
        self.ploteries.close()

    def __enter__(self) -> DualWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DualSession:
    """Dual writers under one temporary root, and the parity check over all of them.

    ``session.SummaryWriter`` can replace ``SummaryWriter`` in the code under test (``monkeypatch.setattr``):
    it takes torch's constructor arguments and puts each ``log_dir``'s last component under both roots.

    Examples
    --------
    >>> session = DualSession(tmp_path)               # doctest: +SKIP
    >>> w = session.writer("exp1")                    # doctest: +SKIP
    >>> w.add_scalar("loss", 0.5, 1)                  # doctest: +SKIP
    >>> session.assert_parity()                       # doctest: +SKIP
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.tensorboard_dir = self.root / "tensorboard"
        self.ploteries_dir = self.root / "ploteries"
        self.writers: list[DualWriter] = []
        self.tolerances = Tolerances()

    def writer(self, log_dir: str = "run", **kwargs: Any) -> DualWriter:
        """A new :class:`DualWriter` for run ``log_dir`` (keyword arguments as :class:`DualWriter`)."""
        w = DualWriter(self.tensorboard_dir, self.ploteries_dir, log_dir, **kwargs)
        self.writers.append(w)
        return w

    def SummaryWriter(self, log_dir=None, comment="", **kwargs: Any) -> DualWriter:  # noqa: N802 - mimics the class
        """Stand-in for the ``SummaryWriter`` class: torch's constructor arguments, dual writing."""
        name = os.path.basename(os.path.normpath(os.fspath(log_dir))) if log_dir else None
        return self.writer(name or os.path.basename(default_log_dir(comment)), **kwargs)

    def close(self) -> None:
        for w in self.writers:
            w.close()

    def assert_parity(self, tolerances: Tolerances | None = None) -> None:
        """Close every writer, read both sides back and raise :class:`ParityError` on the first difference."""
        self.close()
        assert_parity(self.tensorboard_dir, self.ploteries_dir, tolerances or self.tolerances)
