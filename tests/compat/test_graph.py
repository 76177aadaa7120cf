import sys
from types import SimpleNamespace

import pytest

from ploteries.compat.graph import graph_from_model, graph_from_onnx, graph_to_dict, onnx_graph_to_dict


@pytest.fixture(scope="module")
def net(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 4)
            self.seq = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(4, 2))

        def forward(self, x):
            return self.seq(self.fc(x))

    return Net()


def test_matches_torch_graphdef(tb_summary, torch, net):
    from torch.utils.tensorboard._pytorch_graph import graph

    x = torch.zeros(2, 3)
    graph_def, _ = graph(net, x)
    out = graph_from_model(net, x)
    assert out == graph_to_dict(graph_def)
    assert [n["name"] for n in out["nodes"]] == [n.name for n in graph_def.node]
    by_name = {n["name"]: n for n in out["nodes"]}
    assert by_name["input/x"] == {
        "name": "input/x",
        "op": "IO Node",
        "inputs": [],
        "attr": {"_output_shapes": [[2, 3]], "attr": ""},
    }
    assert by_name["output/output.1"]["attr"]["_output_shapes"] == [[2, 2]]
    linear = by_name["Net/Linear[fc]/input.1"]
    assert linear["op"] == "aten::linear"
    assert linear["inputs"] == ["input/x", "Net/Linear[fc]/weight/weight.1", "Net/Linear[fc]/bias/bias.1"]
    assert linear["attr"]["_output_shapes"] == [[2, 4]]
    assert any(
        n["op"] == "aten::relu" and n["name"].startswith("Net/Sequential[seq]/ReLU[0]/") for n in out["nodes"]
    )
    assert net.training  # restored after tracing


def test_missing_input(torch, net):
    with pytest.raises(ValueError, match=r"input_to_model is None; pass an example input"):
        graph_from_model(net)


def _fake_onnx_graph():
    def value(name, elem_type, dims):
        shape = SimpleNamespace(dim=[SimpleNamespace(dim_value=d) for d in dims])
        return SimpleNamespace(
            name=name, type=SimpleNamespace(tensor_type=SimpleNamespace(elem_type=elem_type, shape=shape))
        )

    def attribute(*fields):
        return SimpleNamespace(ListFields=lambda: [(None, f) for f in fields])

    node = SimpleNamespace(
        output=["y"],
        op_type="Gemm",
        input=["x", "w"],
        attribute=[attribute("alpha", 1.0), attribute("transB", 1)],
    )
    relu = SimpleNamespace(output=["z"], op_type="Relu", input=["y"], attribute=[])
    return SimpleNamespace(input=[value("x", 1, [1, 3])], output=[value("z", 1, [1, 4])], node=[node, relu])


def test_onnx_matches_torch_parser(tb_summary, capsys):
    from torch.utils.tensorboard._onnx_graph import parse

    fake = _fake_onnx_graph()
    expected = parse(fake)
    capsys.readouterr()  # torch's parser prints node names
    out = onnx_graph_to_dict(fake)
    assert capsys.readouterr().out == ""
    assert [n["name"] for n in out["nodes"]] == [n.name for n in expected.node]
    assert [n["op"] for n in out["nodes"]] == [n.op for n in expected.node]
    assert [n["inputs"] for n in out["nodes"]] == [list(n.input) for n in expected.node]
    assert out["nodes"][0]["attr"] == {"dtype": 1, "shape": [1, 3]}
    assert out["nodes"][2]["attr"] == {"parameters": "alpha = 1.0, transB = 1"}
    assert graph_to_dict(expected)["nodes"][2]["attr"] == {"parameters": "alpha = 1.0, transB = 1"}


def test_onnx_missing(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"graph_from_onnx needs the onnx package: pip install onnx"):
        graph_from_onnx(tmp_path / "model.onnx")
