import sys

import numpy as np
import pytest

from ploteries.compat.image import (
    convert_to_hwc,
    encode_box_labels,
    encode_boxes,
    encode_figure,
    encode_image,
    encode_images,
    figure_to_image,
    make_grid,
)

RNG = np.random.default_rng(0)

CASES = {
    "chw_float32": (RNG.random((3, 8, 6), dtype=np.float32), "CHW"),
    "chw_float64_out_of_range": (RNG.normal(0.5, 1, size=(3, 5, 7)), "CHW"),
    "hwc_uint8": (RNG.integers(0, 256, size=(6, 9, 3), dtype=np.uint8), "HWC"),
    "hw_float": (RNG.random((4, 5)), "HW"),
    "wh_float": (RNG.random((5, 4)), "WH"),
    "one_channel": (RNG.random((1, 7, 7), dtype=np.float32), "CHW"),
    "rgba": (RNG.random((4, 6, 6), dtype=np.float32), "CHW"),
    "int64_trap": (np.full((3, 2, 2), 100, dtype=np.int64), "CHW"),
    "lowercase": (RNG.random((6, 6, 3), dtype=np.float32), "hwc"),
    "nchw_batch_1ch": (RNG.random((5, 1, 4, 3), dtype=np.float32), "NCHW"),
    "nhwc_batch_10": (RNG.integers(0, 256, size=(10, 3, 4, 3), dtype=np.uint8), "NHWC"),
    "nchw_batch_16": (RNG.random((16, 3, 2, 2)), "NCHW"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_png(tb_summary, decode_png, name):
    img, fmt = CASES[name]
    expected = decode_png(tb_summary.image("x", img, dataformats=fmt).value[0].image.encoded_image_string)
    out = encode_image(img, fmt)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] in (3, 4)
    np.testing.assert_array_equal(out, expected)


def test_torch_tensor_input(tb_summary, decode_png, torch):
    t = torch.rand(2, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    expected = decode_png(tb_summary.image("x", t, dataformats="NCHW").value[0].image.encoded_image_string)
    np.testing.assert_array_equal(encode_images(t), expected)


def test_int64_trap_value():
    assert encode_image(np.full((3, 1, 1), 100, dtype=np.int64)).tolist() == [[[255, 255, 255]]]
    assert encode_image(np.full((3, 1, 1), 100, dtype=np.uint8)).tolist() == [[[100, 100, 100]]]


@pytest.mark.parametrize("n, shape", [(1, (4, 4, 3)), (3, (4, 12, 3)), (8, (4, 32, 3)), (9, (8, 32, 3))])
def test_grid_shape(n, shape):
    assert encode_images(np.zeros((n, 1, 4, 4))).shape == shape


def test_grid_matches_torch_make_grid(torch):
    from torch.utils.tensorboard._utils import convert_to_HWC
    from torch.utils.tensorboard._utils import make_grid as torch_make_grid

    batch = RNG.random((11, 3, 3, 2))
    for ncols in (1, 3, 8, 20):
        np.testing.assert_array_equal(make_grid(batch, ncols), torch_make_grid(batch, ncols))
    np.testing.assert_array_equal(convert_to_hwc(batch, "NCHW"), convert_to_HWC(batch, "NCHW"))


@pytest.mark.parametrize("rescale", [1, 0.5, 2, 1.5])
def test_rescale_matches_image_boxes(tb_summary, decode_png, rescale):
    img = RNG.random((3, 10, 12), dtype=np.float32)
    no_boxes = np.zeros((0, 4))
    summary = tb_summary.image_boxes("x", img, no_boxes, rescale=rescale)
    expected = decode_png(summary.value[0].image.encoded_image_string)
    np.testing.assert_array_equal(encode_image(img, "CHW", rescale=rescale), expected)


@pytest.mark.parametrize(
    "img, fmt, exc, match",
    [
        (
            np.zeros((3, 4, 4)),
            "CCH",
            ValueError,
            r"dataformats='CCH' uses the same dimension shorthand twice",
        ),
        (
            np.zeros((3, 4, 4)),
            "HW",
            ValueError,
            r"dataformats='HW' has 2 letters but img_tensor has shape \(3, 4, 4\)",
        ),
        (np.zeros((3, 4, 4)), "XYZ", ValueError, r"dataformats='XYZ' must be a permutation"),
        (np.zeros((3, 4, 4)), 3, TypeError, r"dataformats must be a str"),
        (np.zeros((2, 4, 4)), "CHW", ValueError, r"img_tensor must have 1, 3 or 4 channels, got 2"),
        (np.zeros((5, 2, 4, 4)), "NCHW", ValueError, r"img_tensor batch must have 1, 3 or 4 channels, got 2"),
        (np.zeros((0, 3, 4, 4)), "NCHW", ValueError, r"img_tensor batch is empty"),
        (np.zeros((3, 0, 4)), "CHW", ValueError, r"img_tensor has no pixels"),
        (np.array([["a"]]), "HW", TypeError, r"img_tensor must be real numbers"),
    ],
)
def test_errors(img, fmt, exc, match):
    with pytest.raises(exc, match=match):
        encode_image(img, fmt)


def test_boxes():
    out = encode_boxes(np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.int32), rescale=0.5)
    assert out.dtype == np.float64 and out.tolist() == [[0.5, 1.0, 1.5, 2.0], [2.5, 3.0, 3.5, 4.0]]
    assert encode_boxes([1, 2, 3, 4]).shape == (1, 4)
    assert encode_boxes(np.zeros((0, 4))).shape == (0, 4)


def test_boxes_torch(torch):
    assert encode_boxes(torch.tensor([[0.0, 1.0, 2.0, 3.0]])).tolist() == [[0.0, 1.0, 2.0, 3.0]]


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.zeros((2, 4, 1)), np.zeros(5)])
def test_boxes_shape_error(bad):
    with pytest.raises(ValueError, match=r"box_tensor must have shape \(N, 4\)"):
        encode_boxes(bad)


def test_labels():
    assert encode_box_labels(None, 2) is None
    assert encode_box_labels("cat", 1) == ["cat"]
    assert encode_box_labels(["a", 3], 2) == ["a", "3"]
    with pytest.warns(UserWarning, match=r"labels has 3 entries for 2 boxes; labels dropped"):
        assert encode_box_labels(["a", "b", "c"], 2) is None
    with pytest.warns(UserWarning, match=r"labels has 1 entries for 2 boxes"):
        assert encode_box_labels("cat", 2) is None


def _figure(color):
    import matplotlib.figure

    fig = matplotlib.figure.Figure(figsize=(2, 1.5), dpi=20)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [2, 0, 1], color=color)
    return fig


def test_figure_matches_torch(torch):
    pytest.importorskip("matplotlib")
    from torch.utils.tensorboard._utils import figure_to_image as torch_figure_to_image

    expected = torch_figure_to_image(_figure("red"), close=False)
    out = figure_to_image(_figure("red"), close=False)
    assert out.dtype == np.uint8 and out.shape == (3, 30, 40)
    np.testing.assert_array_equal(out, expected)
    batch = figure_to_image([_figure("red"), _figure("blue")], close=False)
    assert batch.shape == (2, 3, 30, 40)
    np.testing.assert_array_equal(batch[0], expected)


def test_encode_figure_matches_add_figure_pixels(tb_summary, decode_png):
    pytest.importorskip("matplotlib")
    figs = [_figure("red"), _figure("green"), _figure("blue")]
    chw = figure_to_image(figs, close=False)
    expected = decode_png(tb_summary.image("x", chw, dataformats="NCHW").value[0].image.encoded_image_string)
    np.testing.assert_array_equal(encode_figure(figs), expected)
    assert expected.shape == (30, 120, 3)
    np.testing.assert_array_equal(encode_figure(figs[0]), expected[:, :40])


def test_figure_closes():
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = plt.figure(figsize=(1, 1), dpi=10)
    figure_to_image(fig, close=True)
    assert not plt.fignum_exists(fig.number)


def test_figure_type_error():
    pytest.importorskip("matplotlib")
    with pytest.raises(TypeError, match=r"figure must be a matplotlib Figure or a list of them, got ndarray"):
        figure_to_image(np.zeros(3))


def test_figure_without_matplotlib(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(
        ImportError, match=r"add_figure/figure_to_image needs matplotlib: pip install matplotlib"
    ):
        figure_to_image(object())
