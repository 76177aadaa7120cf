import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ploteries.compat.tensors import is_torch_tensor, to_numpy, to_scalar


@pytest.mark.parametrize(
    "value, expected",
    [
        (3, np.array(3)),
        (2.5, np.array(2.5)),
        ([1, 2, 3], np.array([1, 2, 3])),
        ([[1.0, 2.0], [3.0, 4.0]], np.array([[1.0, 2.0], [3.0, 4.0]])),
        ((True, False), np.array([True, False])),
    ],
)
def test_python_values(value, expected):
    out = to_numpy(value, "x")
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == expected.dtype


def test_numpy_array_is_passed_through_without_copy():
    arr = np.arange(6.0).reshape(2, 3)
    assert to_numpy(arr, "x") is arr


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool", "float16"])
def test_torch_tensors(torch, dtype):
    t = torch.arange(6).reshape(2, 3).to(getattr(torch, dtype))
    out = to_numpy(t, "x")
    np.testing.assert_array_equal(out, t.numpy())
    assert out.dtype == t.numpy().dtype


def test_torch_requires_grad_and_bfloat16(torch):
    p = torch.nn.Parameter(torch.tensor([1.5, 2.5]))
    np.testing.assert_array_equal(to_numpy(p, "x"), [1.5, 2.5])
    b = torch.tensor([1.5, -2.0], dtype=torch.bfloat16)
    out = to_numpy(b, "x")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [1.5, -2.0])


def test_list_of_tensors(torch):
    np.testing.assert_array_equal(to_numpy([torch.tensor(1.0), torch.tensor(2.0)], "x"), [1.0, 2.0])


def test_is_torch_tensor(torch):
    assert is_torch_tensor(torch.zeros(1))
    assert not is_torch_tensor(np.zeros(1))
    assert not is_torch_tensor(torch.nn.Linear(1, 1))


def test_meta_tensor_rejected(torch):
    with pytest.raises(ValueError, match=r"img is a tensor on the 'meta' device"):
        to_numpy(torch.zeros(2, device="meta"), "img")


@pytest.mark.parametrize("bad", [[None, 1], [object()], np.array([1, "a", None], dtype=object)])
def test_object_arrays_rejected(bad):
    with pytest.raises(TypeError, match=r"values must hold numbers .* object array"):
        to_numpy(bad, "values")


def test_ragged_list_rejected():
    with pytest.raises(ValueError, match=r"img must be a rectangular array, got a ragged"):
        to_numpy([[1, 2], [3]], "img")


@pytest.mark.parametrize("bad", [["a", "b"], np.array([1 + 2j])])
def test_numeric_required(bad):
    with pytest.raises(TypeError, match=r"values must be real numbers .* got dtype"):
        to_numpy(bad, "values", numeric=True)


@pytest.mark.parametrize(
    "value, expected",
    [
        (3, 3.0),
        (2.5, 2.5),
        (True, 1.0),
        (False, 0.0),
        (np.float32(0.25), 0.25),
        (np.array([[7]]), 7.0),
        (np.bool_(True), 1.0),
        ([4], 4.0),
    ],
)
def test_to_scalar(value, expected):
    out = to_scalar(value, "scalar_value")
    assert type(out) is float and out == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_to_scalar_non_finite(value):
    out = to_scalar(value)
    assert math.isnan(out) if math.isnan(value) else out == value


def test_to_scalar_torch(torch):
    assert to_scalar(torch.tensor([[1.5]], requires_grad=True)) == 1.5
    assert to_scalar(torch.tensor(True)) == 1.0
    assert math.isnan(to_scalar(torch.tensor(float("nan"))))


@pytest.mark.parametrize(
    "value, shape", [([1, 2, 3], r"\(3,\)"), (np.zeros((2, 2)), r"\(2, 2\)"), ([], r"\(0,\)")]
)
def test_to_scalar_shape_error(value, shape):
    with pytest.raises(ValueError, match=rf"scalar_value must be a single number, got shape {shape}"):
        to_scalar(value, "scalar_value")


def test_to_scalar_type_error():
    with pytest.raises(TypeError, match=r"loss must be a real number, got 'abc'"):
        to_scalar("abc", "loss")


def test_compat_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import ploteries.compat, ploteries.compat.tensors, ploteries.compat.histogram, ploteries.compat.image\n"
        "import ploteries.compat.audio, ploteries.compat.video, ploteries.compat.pr_curve\n"
        "import ploteries.compat.hparams, ploteries.compat.mesh, ploteries.compat.embedding\n"
        "import ploteries.compat.graph, ploteries.compat.text, ploteries.compat.custom_scalars\n"
        "from ploteries.compat.tensors import to_scalar\n"
        "assert to_scalar([2]) == 2.0\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    root = str(Path(__file__).resolve().parents[2])  # this checkout, not an installed ploteries
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
