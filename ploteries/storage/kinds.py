"""What each kind of series means: its parts, reserved tags, whether it is ragged, its default card (stdlib only).

The one registry of kinds, read by the writer (:mod:`ploteries.compat`), the TensorBoard import, the parity
read-back (:mod:`ploteries.testing`) and the viewer; docs/kinds.md describes the same kinds (a test keeps them
equal). Storage itself accepts any kind name: a kind missing here is stored as given and shown by the viewer's
generic card.

>>> KINDS["histogram"].parts, KINDS["histogram"].ragged, KINDS["graph"].tags, KINDS["graph"].card
(('', 'stats'), True, ('_graph_', '_onnx_graph_'), 'model_graph')
>>> kind_of_tag("_hparams_")
'hparams'
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

HPARAMS_TAG = "_hparams_"
"""The tag of the hparams record (one per ``add_hparams`` call, in its sub-run)."""
GRAPH_TAG = "_graph_"
"""The tag of the model graph of ``add_graph`` (and of a TensorBoard log's ``graph_def``)."""
ONNX_GRAPH_TAG = "_onnx_graph_"
"""The tag of the model graph of ``add_onnx_graph``."""
CUSTOM_SCALARS_TAG = "_custom_scalars_"
"""The tag of the custom-scalars layout."""


@dataclasses.dataclass(frozen=True)
class Kind:
    """The meaning of one kind of series (see docs/kinds.md for the dtype and shape of each part).

    Attributes
    ----------
    name : str
        The kind, as stored in the catalog (``SeriesInfo.kind``).
    parts : tuple of str
        Every part a logged object of this kind may have; ``""`` is the main value.
    ragged : bool
        Whether records of one series may differ in shape (stored as variable-length records).
    card : str
        The viewer's card type that shows its tags by default (a name of ``ploteries.figures.cards``).
    tags : tuple of str
        The reserved tags it is logged under, if any (it is logged under no other tag then).
    encoding : str
        What the main value holds: ``"array"`` (numbers), ``"text"`` (uint8 UTF-8) or ``"json"`` (uint8 UTF-8
        JSON, read with ``ploteries.storage.array_to_json``).
    """

    name: str
    parts: tuple[str, ...]
    ragged: bool
    card: str
    tags: tuple[str, ...] = ()
    encoding: str = "array"


_KINDS = (
    Kind("scalar", ("",), ragged=False, card="scalar"),
    Kind("tensor", ("",), ragged=False, card="tensor"),
    Kind("histogram", ("", "stats"), ragged=True, card="histogram"),
    Kind("image", ("", "boxes", "labels", "file", "shape"), ragged=True, card="image"),
    Kind("audio", ("", "sample_rate"), ragged=True, card="audio"),
    Kind("video", ("", "fps", "file", "shape"), ragged=True, card="video"),
    Kind("text", ("",), ragged=True, card="text", encoding="text"),
    Kind("pr_curve", ("",), ragged=False, card="pr_curve"),
    Kind("mesh", ("vertices", "colors", "faces"), ragged=True, card="mesh"),
    Kind("embedding", ("", "metadata", "label_img"), ragged=True, card="embedding"),
    Kind("hparams", ("",), ragged=True, card="hparams", tags=(HPARAMS_TAG,), encoding="json"),
    Kind("graph", ("",), ragged=True, card="model_graph", tags=(GRAPH_TAG, ONNX_GRAPH_TAG), encoding="json"),
    Kind(
        "custom_scalars",
        ("",),
        ragged=True,
        card="custom_scalars",
        tags=(CUSTOM_SCALARS_TAG,),
        encoding="json",
    ),
)

KINDS: MappingProxyType[str, Kind] = MappingProxyType({k.name: k for k in _KINDS})
"""Every kind ploteries writes, by name, in the order of docs/kinds.md."""

RESERVED_TAGS: MappingProxyType[str, str] = MappingProxyType({t: k.name for k in _KINDS for t in k.tags})
"""The reserved tags and the kind logged under each."""


def kind_of_tag(tag: str) -> str | None:
    """The kind logged under a reserved tag, or None for any other tag.

    Examples
    --------
    >>> kind_of_tag("_custom_scalars_"), kind_of_tag("loss")
    ('custom_scalars', None)
    """
    return RESERVED_TAGS.get(tag)


def kinds_encoded_as(encoding: str) -> frozenset[str]:
    """The kinds whose main value has this encoding (``"array"``, ``"text"`` or ``"json"``).

    Examples
    --------
    >>> sorted(kinds_encoded_as("json"))
    ['custom_scalars', 'graph', 'hparams']
    """
    return frozenset(k.name for k in _KINDS if k.encoding == encoding)


__all__ = [
    "CUSTOM_SCALARS_TAG",
    "GRAPH_TAG",
    "HPARAMS_TAG",
    "KINDS",
    "ONNX_GRAPH_TAG",
    "RESERVED_TAGS",
    "Kind",
    "kind_of_tag",
    "kinds_encoded_as",
]
