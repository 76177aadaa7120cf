import numpy as np
import pytest

from ploteries.compat.video import encode_video, prepare_video

RNG = np.random.default_rng(0)


def torch_video_frames(vid):
    """The frames torch's ``video()`` hands to moviepy: ``_prepare_video`` then its scaling."""
    from torch.utils.tensorboard._convert_np import make_np
    from torch.utils.tensorboard._utils import _prepare_video
    from torch.utils.tensorboard.summary import _calc_scale_factor

    tensor = _prepare_video(make_np(vid))
    scale_factor = _calc_scale_factor(tensor)
    return (tensor.astype(np.float32) * scale_factor).clip(0, 255).astype(np.uint8)


VIDEOS = {
    "float_b1": RNG.random((1, 4, 3, 5, 6), dtype=np.float32),
    "float_b3_padded": RNG.random((3, 2, 3, 4, 4), dtype=np.float32),
    "float64_b5": RNG.normal(0.5, 0.5, size=(5, 2, 3, 3, 2)),
    "uint8_b2": RNG.integers(0, 256, size=(2, 3, 3, 4, 4), dtype=np.uint8),
    "uint8_b6_padded": RNG.integers(0, 256, size=(6, 2, 1, 3, 3), dtype=np.uint8),
    "float_b16": RNG.random((16, 1, 3, 2, 2), dtype=np.float32),
}


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_matches_torch(torch, name):
    vid = VIDEOS[name]
    expected = torch_video_frames(vid)
    out = encode_video(vid)
    assert out.dtype == np.uint8 and out.ndim == 4
    np.testing.assert_array_equal(out, expected)


def test_torch_tensor(torch):
    t = torch.rand(3, 2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(encode_video(t), torch_video_frames(t))


@pytest.mark.parametrize(
    "n, grid", [(1, (1, 1)), (2, (1, 2)), (3, (1, 4)), (4, (2, 2)), (5, (2, 4)), (16, (4, 4))]
)
def test_grid_layout(n, grid):
    vid = np.zeros((n, 2, 3, 5, 7), dtype=np.float32)
    assert prepare_video(vid).shape == (2, 5 * grid[0], 7 * grid[1], 3)


def test_tile_positions():
    vid = np.zeros((2, 1, 1, 1, 1), dtype=np.float32)
    vid[1] = 1.0
    assert encode_video(vid)[0, :, :, 0].tolist() == [[0, 255]]


def test_uint8_round_trip_matches_tensorboard():
    vid = np.arange(256, dtype=np.uint8).reshape(1, 1, 1, 16, 16)
    out = encode_video(vid)[0, :, :, 0].ravel()
    # x / 255 * 255 in float32, truncated: TensorBoard loses a step on some values; so do we
    expected = ((np.arange(256, dtype=np.float32) / np.float32(255)) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    "vid, match",
    [
        (np.zeros((2, 3, 4, 4)), r"vid_tensor must be 5-D \(N, T, C, H, W\), got shape \(2, 3, 4, 4\)"),
        (np.zeros((0, 2, 3, 4, 4)), r"vid_tensor is empty"),
    ],
)
def test_errors(vid, match):
    with pytest.raises(ValueError, match=match):
        encode_video(vid)
