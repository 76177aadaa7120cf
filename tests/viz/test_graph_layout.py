"""The model graph's layered layout and scope folding: properties on random graphs, values on small ones."""

from __future__ import annotations

import numpy as np
import pytest

from ploteries.viz.services.graph_layout import (
    CONSTANT_OPS,
    collapse_scopes,
    default_depth,
    graph_edges,
    layered_layout,
)


def random_graph(seed: int, n: int, p: float, cycles: bool = False):
    rng = np.random.default_rng(seed)
    names = [f"n{i}" for i in range(n)]
    edges = [(names[a], names[b]) for a in range(n) for b in range(a + 1, n) if rng.random() < p]
    if cycles:
        edges += [(names[b], names[a]) for a, b in [(0, n - 1), (2, n // 2)]]
    order = rng.permutation(n)
    return [names[i] for i in order], edges


def check(lay, names, edges):
    positions = [lay.positions[n] for n in names]
    assert len(set(positions)) == len(positions), "two nodes at the same position"
    bends = [p for e in lay.edges for p in lay.paths[e][1:-1]]
    assert not set(bends) & set(positions), "an edge bends through a node"
    for a, b in lay.edges:
        path = lay.paths[(a, b)]
        assert path[0] == lay.positions[a] and path[-1] == lay.positions[b]
        layers = [y for _, y in path]
        assert all(abs(y1 - y0) == 1 for y0, y1 in zip(layers, layers[1:])), (
            "a path skips or stays in a layer"
        )


@pytest.mark.parametrize("seed", range(8))
def test_every_edge_of_a_dag_goes_down_and_no_two_nodes_share_a_position(seed):
    names, edges = random_graph(seed, 40, 0.08)
    lay = layered_layout(names, edges)
    check(lay, names, edges)
    for a, b in edges:
        assert lay.positions[a][1] < lay.positions[b][1]
    sources = {b for _, b in edges}
    assert all(lay.positions[n][1] == 0 for n in names if n not in sources)  # longest path: sources on top


@pytest.mark.parametrize("seed", range(4))
def test_cycles_are_broken_and_every_other_edge_still_goes_down(seed):
    names, edges = random_graph(seed, 30, 0.1, cycles=True)
    lay = layered_layout(names, edges)
    check(lay, names, edges)
    assert all(lay.positions[a][1] != lay.positions[b][1] for a, b in edges)  # no edge within a layer
    down = sum(lay.positions[a][1] < lay.positions[b][1] for a, b in edges)
    assert down >= 0.8 * len(edges)  # only edges closing cycles point up


def test_layout_is_deterministic_and_does_not_depend_on_edge_duplicates():
    names, edges = random_graph(3, 50, 0.06)
    one = layered_layout(names, edges)
    two = layered_layout(list(names), list(edges) + edges[:5])
    assert one.positions == two.positions and one.paths == two.paths


def test_barycenter_ordering_removes_the_crossing_of_a_crossed_ladder():
    # a1 -> b2 and a2 -> b1: in input order the edges cross; one sweep uncrosses them
    lay = layered_layout(["a1", "a2", "b1", "b2"], [("a1", "b2"), ("a2", "b1")])
    xa1, xa2 = lay.positions["a1"][0], lay.positions["a2"][0]
    xb1, xb2 = lay.positions["b1"][0], lay.positions["b2"][0]
    assert (xa1 < xa2) == (xb2 < xb1)


def test_long_edges_bend_through_one_point_per_layer_crossed():
    lay = layered_layout(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")])
    assert [lay.positions[n][1] for n in "abcd"] == [0, 1, 2, 3]
    assert [y for _, y in lay.paths[("a", "d")]] == [0, 1, 2, 3]
    assert lay.layers == 4


TORCH_LIKE = [
    {"name": "input/x", "op": "IO Node", "inputs": []},
    {"name": "Net/Linear[fc1]/weight/w", "op": "prim::GetAttr", "inputs": ["Net/Linear[fc1]/weight/fc1"]},
    {
        "name": "Net/Linear[fc1]/input.1",
        "op": "aten::linear",
        "inputs": ["input/x", "Net/Linear[fc1]/weight/w"],
    },
    {"name": "Net/ReLU[act]/input.3", "op": "aten::relu", "inputs": ["Net/Linear[fc1]/input.1"]},
    {"name": "Net/Seq[block]/Linear[0]/y", "op": "aten::linear", "inputs": ["Net/ReLU[act]/input.3"]},
    {"name": "Net/Seq[block]/Tanh[1]/z", "op": "aten::tanh", "inputs": ["Net/Seq[block]/Linear[0]/y"]},
    {"name": "Net/5", "op": "prim::Constant", "inputs": []},
    {"name": "Net/6", "op": "aten::add", "inputs": ["Net/Seq[block]/Tanh[1]/z", "input/x", "Net/5"]},
    {"name": "output/output.1", "op": "IO Node", "inputs": ["Net/6"]},
]


def test_edges_skip_unknown_inputs_and_hidden_ops():
    edges = graph_edges(TORCH_LIKE, hide=CONSTANT_OPS)
    assert ("Net/5", "Net/6") not in edges
    assert ("Net/Linear[fc1]/weight/w", "Net/Linear[fc1]/input.1") not in edges
    assert ("input/x", "Net/6") in edges and len(edges) == 7


def test_folding_scopes_like_tensorboard():
    folded = collapse_scopes(TORCH_LIKE, 1, hide=CONSTANT_OPS)
    assert [n["name"] for n in folded] == [
        "input/x",
        "Net/Linear[fc1]",
        "Net/ReLU[act]",
        "Net/Seq[block]",
        "Net/6",
        "output/output.1",
    ]
    block = folded[3]
    assert block["op"] == "scope" and block["members"] == 2
    assert block["ops"] == {"aten::linear": 1, "aten::tanh": 1}
    assert block["inputs"] == ["Net/ReLU[act]"]
    assert folded[4]["inputs"] == ["Net/Seq[block]", "input/x"]
    depth2 = [n["name"] for n in collapse_scopes(TORCH_LIKE, 2, hide=CONSTANT_OPS)]
    assert "Net/Seq[block]/Linear[0]" in depth2 and "Net/Linear[fc1]/input.1" in depth2
    assert len(collapse_scopes(TORCH_LIKE, None)) == len(TORCH_LIKE)


def test_default_depth_folds_only_graphs_beyond_the_limit():
    assert default_depth(TORCH_LIKE, 60) is None
    assert default_depth(TORCH_LIKE, 6, hide=CONSTANT_OPS) == 1
    big = [
        {"name": f"Net/Block[{b}]/Layer[{i}]/op{j}", "op": "aten::add", "inputs": []}
        for b in range(4)
        for i in range(5)
        for j in range(10)
    ]
    assert default_depth(big, 30) == 2  # 20 layer boxes fit, 200 nodes do not
    assert default_depth(big, 10) == 1
    assert default_depth(big, 2) == 1  # never folds to less than the top-level modules


def test_default_depth_does_not_fold_a_module_called_twice_into_a_cycle():
    # Block/relu runs before and after Block/conv: folded to depth 2, relu would feed conv which feeds relu
    nodes = [{"name": "input/x", "op": "IO Node", "inputs": []}]
    for b in range(3):
        prev = nodes[-1]["name"]
        nodes += [
            {"name": f"Net/B[{b}]/ReLU[relu]/a", "op": "aten::relu", "inputs": [prev]},
            {"name": f"Net/B[{b}]/Conv[conv]/c", "op": "aten::conv", "inputs": [f"Net/B[{b}]/ReLU[relu]/a"]},
            {"name": f"Net/B[{b}]/ReLU[relu]/d", "op": "aten::relu", "inputs": [f"Net/B[{b}]/Conv[conv]/c"]},
        ]
    assert len(collapse_scopes(nodes, 2)) == 7  # would fit a limit of 8...
    assert default_depth(nodes, 8) == 1  # ...but folds relu into a cycle: depth 1 instead
