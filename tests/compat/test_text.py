import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ploteries.compat.text import encode_text
from ploteries.storage.schema import array_to_json, array_to_text, json_to_array, text_to_array


@pytest.mark.parametrize("text", ["", "hello", "**bold** | table |\n|---|", "héllo wörld ✓ 日本", "\x00nul"])
def test_text_matches_torch(tb_summary, text):
    tensor = tb_summary.text("t", text).value[0].tensor
    out = encode_text(text)
    assert out.dtype == np.uint8 and out.ndim == 1
    assert out.tobytes() == tensor.string_val[0]
    assert array_to_text(out) == text


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_text_round_trip(text):
    arr = text_to_array(text)
    assert arr.dtype == np.uint8 and arr.ndim == 1
    assert array_to_text(arr) == text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(JSON)
def test_json_round_trip(obj):
    arr = json_to_array(obj)
    assert arr.dtype == np.uint8 and arr.ndim == 1
    assert array_to_json(arr) == obj


def test_json_keeps_order_and_non_finite():
    out = array_to_json(json_to_array({"b": float("inf"), "a": float("nan")}))
    assert list(out) == ["b", "a"] and out["b"] == float("inf") and np.isnan(out["a"])


@pytest.mark.parametrize("bad", [5, b"bytes", None, ["a"]])
def test_text_type_error(bad):
    with pytest.raises(TypeError, match=r"text_string must be a str, got"):
        encode_text(bad)


def test_schema_errors():
    with pytest.raises(TypeError, match=r"text must be a str, got int"):
        text_to_array(3)
    with pytest.raises(TypeError, match=r"array must be a 1-D uint8 array of UTF-8 bytes, got dtype float64"):
        array_to_text(np.zeros(3))
    with pytest.raises(TypeError, match=r"obj must be JSON-serializable"):
        json_to_array({"a": object()})
