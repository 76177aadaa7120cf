"""Meshes and point clouds as ``add_mesh`` takes them: vertices, colors and faces of shape ``(B, N, 3)``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ploteries.compat.tensors import to_numpy

__all__ = ["encode_mesh", "encode_mesh_config"]


def _batched_triples(x: Any, argname: str, what: str) -> np.ndarray:
    arr = to_numpy(x, argname, numeric=True)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(
            f"{argname} must have shape (B, N, 3) with {what}, got shape {arr.shape}; "
            "add a batch axis with x[None] for one mesh"
        )
    return arr


def encode_mesh(vertices: Any, colors: Any = None, faces: Any = None) -> dict[str, np.ndarray]:
    """Validate and convert the parts of a mesh to the stored dtypes.

    Returns
    -------
    dict
        ``{"vertices": float32 (B, N, 3)}`` plus ``"colors": uint8 (B, N, 3)`` (clipped to [0, 255]) and
        ``"faces": int32 (B, F, 3)`` (vertex indices) when given.

    Examples
    --------
    >>> parts = encode_mesh([[[0, 0, 0], [1, 0, 0], [0, 1, 0]]], faces=[[[0, 1, 2]]])
    >>> sorted(parts), parts["faces"].dtype
    (['faces', 'vertices'], dtype('int32'))
    """
    verts = _batched_triples(vertices, "vertices", "x, y, z per vertex").astype(np.float32)
    parts = {"vertices": verts}
    if colors is not None:
        cols = _batched_triples(colors, "colors", "r, g, b in [0, 255] per vertex")
        if cols.shape[:2] != verts.shape[:2]:
            raise ValueError(
                f"colors must give one color per vertex: shape {cols.shape} does not match vertices {verts.shape}"
            )
        with np.errstate(invalid="ignore"):
            parts["colors"] = np.clip(cols, 0, 255).astype(np.uint8)
    if faces is not None:
        fcs = _batched_triples(faces, "faces", "three vertex indices per triangle")
        if fcs.shape[0] != verts.shape[0]:
            raise ValueError(
                f"faces batch size {fcs.shape[0]} differs from vertices batch size {verts.shape[0]}"
            )
        if fcs.size and (
            not np.array_equal(fcs, np.round(fcs)) or fcs.min() < 0 or fcs.max() >= verts.shape[1]
        ):
            raise ValueError(
                f"faces must hold integer vertex indices in [0, {verts.shape[1] - 1}], "
                f"got values in [{fcs.min()}, {fcs.max()}]"
            )
        parts["faces"] = fcs.astype(np.int32)
    return parts


def encode_mesh_config(config_dict: dict[str, Any] | None) -> dict[str, Any] | None:
    """Check that ``config_dict`` (three.js classes and settings) is JSON-serializable and return a copy.

    Examples
    --------
    >>> encode_mesh_config({"camera": {"cls": "PerspectiveCamera", "fov": 75}})
    {'camera': {'cls': 'PerspectiveCamera', 'fov': 75}}
    """
    if config_dict is None:
        return None
    if not isinstance(config_dict, dict):
        raise TypeError(f"config_dict must be a dict or None, got {type(config_dict).__name__}")
    try:
        return json.loads(json.dumps(config_dict, sort_keys=True))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"config_dict must be JSON-serializable: {exc}") from None
