"""``ploteries.patch()``: send every TensorBoard writer of the process to ploteries, with no code change.

The writer classes themselves are patched, so a class bound under any name before ``patch()`` (SB3 and fastai
bind ``SummaryWriter`` when imported; HF's Trainer builds a fresh writer for ``evaluate()``) and every writer
made afterwards write a ploteries database:

- ``torch.utils.tensorboard.SummaryWriter`` and ``tensorboardX.SummaryWriter`` get the methods of
  :class:`ploteries.compat.SummaryWriter` (same signatures; tensorboardX's extras and its own
  ``add_scalars`` run names are kept);
- their ``FileWriter``, and tensorboard's and tensorboardX's ``EventFileWriter``, get those of
  :class:`ploteries.compat.file_writer.FileWriter`: summaries and events handed to them (``add_summary``,
  ``add_event``: Lightning's hparams, SB3's ``HParam``) are decoded by the import code.

Writers keep TensorBoard's run names: ``SummaryWriter("runs/exp1")`` writes ``runs/exp1/ploteries.h5``, run
``exp1``. While patched, no event file is written. ``unpatch()`` restores the classes; writers made while
patched keep writing to ploteries until closed. Writers made before ``patch()`` are left alone.

``python -m ploteries.patch train.py ARGS...`` runs a script patched (see ``ploteries/patch/__main__.py``).
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
import weakref
from typing import Any

__all__ = ["is_patched", "patch", "unpatch"]

_SKIP = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__module__",
        "__doc__",
        "__qualname__",
        "__annotations__",
        "__firstlineno__",
        "__static_attributes__",
    }
)
_MISSING = object()


@dataclasses.dataclass
class _Graft:
    """The members given to one foreign class, with what they replaced."""

    target: type
    members: dict[str, Any]
    saved: dict[str, Any]
    live: weakref.WeakSet = dataclasses.field(default_factory=weakref.WeakSet)

    def apply(self) -> None:
        for name, value in self.members.items():
            setattr(self.target, name, value)

    def restore(self) -> None:
        for name, old in self.saved.items():
            if old is _MISSING:
                delattr(self.target, name)
            else:
                setattr(self.target, name, old)
        kept: dict[type, type] = {}
        for obj in list(self.live):  # made while patched: keep them on ploteries until they are closed
            cls = type(obj)
            if cls not in kept:
                kept[cls] = type(cls.__name__, (cls,), {**self.members, "__module__": cls.__module__})
            obj.__class__ = kept[cls]


def _graft(target: type, source: type, extra: dict[str, Any] | None = None) -> _Graft:
    """Give ``target`` every member ``source`` defines (``source`` has no base class but ``object``)."""
    if source.__bases__ != (object,):
        raise TypeError(f"{source.__name__} must derive from object only to be grafted")
    members = {k: v for k, v in vars(source).items() if k not in _SKIP}
    members.update(extra or {})
    graft = _Graft(target, {}, {name: target.__dict__.get(name, _MISSING) for name in members})
    init = members["__init__"]

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        graft.live.add(self)

    __init__.__doc__ = init.__doc__
    members["__init__"] = __init__
    graft.members = members
    return graft


def _module(name: str):
    """The module ``name``, or None when it (or what it needs) is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _grafts() -> list[_Graft]:
    """What patch() changes in the TensorBoard writers installed here."""
    from ploteries.compat import runs
    from ploteries.compat.file_writer import FileWriter
    from ploteries.compat.writer import SummaryWriter

    out: list[_Graft] = []
    event_file = _module("tensorboard.summary.writer.event_file_writer")
    if event_file is not None:
        out.append(_graft(event_file.EventFileWriter, FileWriter))
    torch_writer = _module("torch.utils.tensorboard.writer")
    if torch_writer is not None:
        out.append(_graft(torch_writer.SummaryWriter, SummaryWriter))
        out.append(_graft(torch_writer.FileWriter, FileWriter))
    tbx_writer = _module("tensorboardX.writer")
    if tbx_writer is not None:
        tbx = {
            "_scalars_run": staticmethod(runs.tbx_scalars_run),
            "_comet_logger": None,  # tensorboardX-only methods (add_openvino_graph) still call it
            "_comet_config": {"disabled": True},
        }
        out.append(_graft(tbx_writer.SummaryWriter, SummaryWriter, tbx))
        out.append(_graft(tbx_writer.FileWriter, FileWriter))
        out.append(
            _graft(importlib.import_module("tensorboardX.event_file_writer").EventFileWriter, FileWriter)
        )
    return out


class _State:
    lock = threading.Lock()
    active: list[_Graft] | None = None


def patch() -> None:
    """Send every TensorBoard writer of this process to ploteries (torch's and tensorboardX's).

    Patches the classes, so names bound before the call and writers made after it are covered; calling it
    again does nothing. Imports ``torch.utils.tensorboard``, ``tensorboard`` and ``tensorboardX`` when they
    are installed (to patch them before anything uses them).

    Examples
    --------
    >>> import ploteries
    >>> ploteries.patch()                                              # doctest: +SKIP
    >>> from torch.utils.tensorboard import SummaryWriter              # doctest: +SKIP
    >>> SummaryWriter("runs/exp1").add_scalar("loss", 0.5, 1)         # runs/exp1/ploteries.h5  # doctest: +SKIP
    >>> ploteries.unpatch()                                            # doctest: +SKIP
    """
    with _State.lock:
        if _State.active is not None:
            return
        grafts = _grafts()
        for graft in grafts:
            graft.apply()
        _State.active = grafts


def unpatch() -> None:
    """Undo :func:`patch`: new writers write TensorBoard event files again.

    Writers made while patched keep writing to ploteries until they are closed. Does nothing when not
    patched.

    Examples
    --------
    >>> ploteries.unpatch()                                            # doctest: +SKIP
    """
    with _State.lock:
        grafts, _State.active = _State.active, None
        for graft in reversed(grafts or []):
            graft.restore()


def is_patched() -> bool:
    """True between :func:`patch` and :func:`unpatch`.

    Examples
    --------
    >>> import ploteries
    >>> ploteries.is_patched()
    False
    """
    return _State.active is not None
