"""Model graphs as TensorBoard's graph plugin sees them, as a JSON-ready dict of nodes.

``graph_from_model`` traces the model with torch's own ``torch.utils.tensorboard._pytorch_graph.graph`` so
node names, ops and scopes are exactly TensorBoard's. ``graph_from_onnx`` follows torch's ONNX parser.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["graph_from_model", "graph_from_onnx", "graph_to_dict", "onnx_graph_to_dict"]


def _attr_to_json(value: Any) -> Any:
    """One ``AttrValue`` proto as plain JSON data."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "s":
        return value.s.decode("utf-8", errors="replace")
    if kind == "shape":
        return [d.size for d in value.shape.dim]
    if kind == "list":
        lst = value.list
        if len(lst.shape):
            return [[d.size for d in shape.dim] for shape in lst.shape]
        if len(lst.s):
            return [s.decode("utf-8", errors="replace") for s in lst.s]
        for field in ("i", "f", "b", "type"):
            if len(getattr(lst, field)):
                return list(getattr(lst, field))
        return []
    if kind in ("i", "f", "b", "type"):
        return getattr(value, kind)
    return str(getattr(value, kind))


def graph_to_dict(graph_def: Any) -> dict[str, list[dict[str, Any]]]:
    """Convert a TensorBoard ``GraphDef`` proto to ``{"nodes": [{"name", "op", "inputs", "attr"}]}``.

    ``attr`` maps each attribute to plain data: ``"_output_shapes"`` to a list of shapes (lists of ints),
    ``"attr"`` (torch's attribute string) to str, ``"dtype"`` to its enum number.
    """
    return {
        "nodes": [
            {
                "name": node.name,
                "op": node.op,
                "inputs": list(node.input),
                "attr": {key: _attr_to_json(node.attr[key]) for key in sorted(node.attr)},
            }
            for node in graph_def.node
        ]
    }


def graph_from_model(
    model: Any, input_to_model: Any = None, verbose: bool = False, use_strict_trace: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Trace ``model`` with ``torch.jit.trace`` (through TensorBoard's own graph builder) and list its nodes.

    Parameters
    ----------
    model : torch.nn.Module
        The model; it is put in eval mode while traced, then restored.
    input_to_model : torch.Tensor or tuple of torch.Tensor
        Example input(s) for the trace.
    verbose : bool
        Print the traced graph.
    use_strict_trace : bool
        Passed as ``strict`` to ``torch.jit.trace``.

    Returns
    -------
    dict
        ``{"nodes": [{"name": str, "op": str, "inputs": [str], "attr": {...}}]}``, see :func:`graph_to_dict`.

    Examples
    --------
    >>> import torch
    >>> g = graph_from_model(torch.nn.Linear(3, 2), torch.zeros(1, 3))
    >>> [n["op"] for n in g["nodes"]][:2]
    ['IO Node', 'IO Node']
    """
    if input_to_model is None:
        raise ValueError("input_to_model is None; pass an example input (tensor or tuple) to trace the model")
    try:
        from torch.utils.tensorboard._pytorch_graph import graph
    except ImportError as exc:
        raise ImportError(
            f"add_graph needs torch and tensorboard: pip install torch tensorboard ({exc})"
        ) from None
    graph_def, _ = graph(model, input_to_model, verbose, use_strict_trace)
    return graph_to_dict(graph_def)


def onnx_graph_to_dict(graph: Any) -> dict[str, list[dict[str, Any]]]:
    """Nodes of an ``onnx.GraphProto`` as torch's ``_onnx_graph.parse`` builds them, without printing.

    Inputs and outputs become ``"Variable"`` nodes with ``dtype`` and ``shape`` attributes; operators are
    named by their first output and carry a ``"parameters"`` string.
    """
    nodes = []
    for node in list(graph.input) + list(graph.output):
        tensor_type = node.type.tensor_type
        nodes.append(
            {
                "name": node.name,
                "op": "Variable",
                "inputs": [],
                "attr": {
                    "dtype": int(tensor_type.elem_type),
                    "shape": [d.dim_value for d in tensor_type.shape.dim],
                },
            }
        )
    for node in graph.node:
        params = ", ".join(" = ".join(str(f[1]) for f in s.ListFields()) for s in node.attribute)
        nodes.append(
            {
                "name": node.output[0],
                "op": node.op_type,
                "inputs": list(node.input),
                "attr": {"parameters": params},
            }
        )
    return {"nodes": nodes}


def graph_from_onnx(path: str | os.PathLike[str]) -> dict[str, list[dict[str, Any]]]:
    """Load an ONNX model file and list its nodes (see :func:`onnx_graph_to_dict`), as ``add_onnx_graph``.

    Examples
    --------
    >>> graph_from_onnx("model.onnx")["nodes"][0]["op"]  # doctest: +SKIP
    'Variable'
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("add_onnx_graph/graph_from_onnx needs the onnx package: pip install onnx") from None
    return onnx_graph_to_dict(onnx.load(os.fspath(path)).graph)
