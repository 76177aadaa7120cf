"""A readable layered drawing of a model graph (Sugiyama-like), and TensorBoard-style collapsing of name scopes.

Pure functions over plain data: a graph is ``{"nodes": [{"name", "op", "inputs", "attr"}]}`` as
``add_graph`` stores it. :func:`graph_edges` resolves inputs to edges, :func:`collapse_scopes` folds the nodes of
each name scope below a depth into one node (as TensorBoard's boxes), and :func:`layered_layout` places nodes:

1. cycles (possible once scopes are folded) are broken by reversing DFS back edges;
2. layers by longest path from the sources (every edge goes down at least one layer);
3. edges spanning several layers get a dummy node per layer crossed, so they bend around nodes;
4. order within layers by barycenter sweeps (down, then up), which reduces crossings;
5. x = position in the layer (centred), y = layer.

Everything is deterministic: ties are broken by the nodes' order in the input.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "CONSTANT_OPS",
    "GraphLayout",
    "collapse_scopes",
    "default_depth",
    "graph_edges",
    "layered_layout",
    "scope_depth",
]

CONSTANT_OPS = frozenset({"prim::Constant", "prim::GetAttr", "prim::ListConstruct", "onnx::Constant"})
"""Ops hidden by default: constants and parameter look-ups clutter a graph (their names stay in the hover)."""


@dataclasses.dataclass(frozen=True)
class GraphLayout:
    """Where each node (and each bend of a long edge) goes.

    ``positions[name] = (x, layer)``; ``edges`` are ``(source, target)`` pairs between real nodes, each drawn
    through the points ``paths[(source, target)]`` (its end points and its dummies' positions).
    """

    positions: dict[str, tuple[float, int]]
    edges: list[tuple[str, str]]
    paths: dict[tuple[str, str], list[tuple[float, int]]]
    layers: int


def graph_edges(nodes: Sequence[Mapping], *, hide: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """``(input, node)`` edges between the nodes present, each once, in input order.

    Inputs naming no node (torch's module objects) and nodes whose op is in ``hide`` are left out.

    Examples
    --------
    >>> graph_edges([{"name": "a", "op": "x", "inputs": []}, {"name": "b", "op": "y", "inputs": ["a", "a", "?"]}])
    [('a', 'b')]
    """
    names = {str(n.get("name")) for n in nodes if n.get("op") not in hide}
    seen: set[tuple[str, str]] = set()
    out = []
    for node in nodes:
        target = str(node.get("name"))
        if target not in names:
            continue
        for source in node.get("inputs") or []:
            edge = (str(source), target)
            if edge[0] in names and edge[0] != target and edge not in seen:
                seen.add(edge)
                out.append(edge)
    return out


def scope_depth(name: str) -> int:
    """How many scopes a node name is nested in: ``"Net/Linear[fc1]/input.1"`` -> 2.

    Examples
    --------
    >>> scope_depth("Net/Linear[fc1]/input.1"), scope_depth("x")
    (2, 0)
    """
    return name.count("/")


def collapse_scopes(
    nodes: Sequence[Mapping], depth: int | None, *, hide: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Fold every node nested deeper than ``depth`` scopes into the node of its scope at that depth.

    ``depth=None`` keeps every node. A folded node is ``{"name": scope, "op": "scope", "inputs": [...],
    "attr": {}, "members": n, "ops": {op: count}}``; inputs are the outer names of its members' inputs.
    Nodes whose op is in ``hide`` are left out (before folding). IO nodes (``input/...``, ``output/...``) are
    never folded.

    Examples
    --------
    >>> nodes = [{"name": "in/x", "op": "IO Node", "inputs": []},
    ...          {"name": "Net/A/a", "op": "aten::relu", "inputs": ["in/x"]},
    ...          {"name": "Net/A/b", "op": "aten::tanh", "inputs": ["Net/A/a"]},
    ...          {"name": "Net/c", "op": "aten::add", "inputs": ["Net/A/b"]}]
    >>> [(n["name"], n["inputs"]) for n in collapse_scopes(nodes, 1)]
    [('in/x', []), ('Net/A', ['in/x']), ('Net/c', ['Net/A'])]
    """
    kept = [n for n in nodes if n.get("op") not in hide]
    if depth is None:
        return [dict(n) for n in kept]

    def outer(name: str, op: Any) -> str:
        parts = name.split("/")
        if op == "IO Node" or len(parts) - 1 <= depth:
            return name
        return "/".join(parts[: depth + 1])

    group_of = {str(n.get("name")): outer(str(n.get("name")), n.get("op")) for n in kept}
    out: dict[str, dict[str, Any]] = {}
    for node in kept:
        name = str(node.get("name"))
        group = group_of[name]
        if group == name:
            entry = out.setdefault(group, {**node, "inputs": []})
        else:
            entry = out.setdefault(
                group, {"name": group, "op": "scope", "inputs": [], "attr": {}, "members": 0, "ops": {}}
            )
            entry["members"] += 1
            entry["ops"][str(node.get("op"))] = entry["ops"].get(str(node.get("op")), 0) + 1
        for source in node.get("inputs") or []:
            src = group_of.get(str(source))
            if src is not None and src != group and src not in entry["inputs"]:
                entry["inputs"].append(src)
    return list(out.values())


def default_depth(
    nodes: Sequence[Mapping], limit: int = 60, *, hide: frozenset[str] = frozenset()
) -> int | None:
    """The scope depth a graph is first shown at: None (every node) when it has at most ``limit`` nodes,
    else the deepest depth that keeps at most ``limit`` nodes and folds no cycle (a module called twice,
    such as a shared ReLU, folds into a box feeding itself), and at least 1.

    Examples
    --------
    >>> nodes = [{"name": f"Net/L{i}/op{j}", "op": "aten::add", "inputs": []} for i in range(3) for j in range(30)]
    >>> default_depth(nodes, 60), default_depth(nodes, 100)
    (1, None)
    """
    kept = [n for n in nodes if n.get("op") not in hide]
    if len(kept) <= limit:
        return None
    deepest = max((scope_depth(str(n.get("name"))) for n in kept), default=0)
    best = 1
    for depth in range(1, deepest):
        folded = collapse_scopes(kept, depth)
        if len(folded) > limit:
            break
        names = [str(n["name"]) for n in folded]
        edges = graph_edges(folded)
        if _acyclic(names, edges) == edges:
            best = depth
    return best


def _acyclic(order: list[str], edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The edges with DFS back edges reversed (iterative DFS in node order: deterministic)."""
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        succ[a].append(b)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[tuple[str, str]] = set()
    for root in order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    return [(b, a) if (a, b) in back else (a, b) for a, b in edges]


def _longest_path_layers(order: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Layer of each node: 0 for sources, else one more than its deepest predecessor (Kahn's order)."""
    preds: dict[str, list[str]] = defaultdict(list)
    succ: dict[str, list[str]] = defaultdict(list)
    indeg = Counter()
    for a, b in edges:
        preds[b].append(a)
        succ[a].append(b)
        indeg[b] += 1
    layer = {}
    ready = [n for n in order if indeg[n] == 0]
    pos = {n: i for i, n in enumerate(order)}
    while ready:
        ready.sort(key=pos.__getitem__, reverse=True)
        node = ready.pop()
        layer[node] = max((layer[p] + 1 for p in preds[node]), default=0)
        for nxt in succ[node]:
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    return layer


def _barycenter_sweeps(
    rows: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]], sweeps: int
) -> list[list[str]]:
    """Reorder each layer by the mean position of its neighbours in the layer above (then below)."""
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        indices = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for i in indices:
            ref = {n: k for k, n in enumerate(rows[i - 1 if downward else i + 1])}
            neighbours = up if downward else down
            current = {n: k for k, n in enumerate(rows[i])}

            def key(n: str, ref=ref, neighbours=neighbours, current=current) -> tuple[float, int]:
                ks = [ref[m] for m in neighbours[n] if m in ref]
                return (sum(ks) / len(ks) if ks else float(current[n]), current[n])

            rows[i] = sorted(rows[i], key=key)
    return rows


def layered_layout(names: Sequence[str], edges: Sequence[tuple[str, str]], *, sweeps: int = 8) -> GraphLayout:
    """Place the nodes ``names`` of a directed graph in layers, inputs at the top (layer 0).

    Examples
    --------
    >>> lay = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
    >>> [lay.positions[n][1] for n in "abc"], lay.layers
    ([0, 1, 2], 3)
    >>> len(lay.paths[("a", "c")])   # a long edge bends through one dummy point
    3
    """
    order = list(dict.fromkeys(str(n) for n in names))
    known = set(order)
    edges = [(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known and a != b]
    dag = _acyclic(order, edges)
    layer = _longest_path_layers(order, dag)
    # dummy nodes for edges spanning several layers
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    chains: dict[tuple[str, str], list[str]] = {}
    for (a, b), original in zip(dag, edges):
        chain = [a]
        for k in range(layer[a] + 1, layer[b]):
            dummy = f"\x00{a}\x00{b}\x00{k}"
            layer[dummy] = k
            chain.append(dummy)
        chain.append(b)
        for u, v in zip(chain, chain[1:]):
            down[u].append(v)
            up[v].append(u)
        chains[original] = chain if original == (a, b) else chain[::-1]
    n_layers = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(n_layers)]
    for node in order:
        rows[layer[node]].append(node)
    for chain in chains.values():
        for dummy in chain[1:-1]:
            if dummy not in rows[layer[dummy]]:
                rows[layer[dummy]].append(dummy)
    rows = _barycenter_sweeps(rows, up, down, sweeps)
    xy: dict[str, tuple[float, int]] = {}
    for i, row in enumerate(rows):
        for k, node in enumerate(row):
            xy[node] = (k - (len(row) - 1) / 2, i)
    return GraphLayout(
        positions={n: xy[n] for n in order},
        edges=list(edges),
        paths={e: [xy[n] for n in chain] for e, chain in chains.items()},
        layers=n_layers,
    )
