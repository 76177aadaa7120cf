"""Image transforms (crop, normalize, colour map, resize) and boxes that follow them: values and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ploteries.viz.services.image_transforms import (
    COLORMAPS,
    ImageTransform,
    apply_transform,
    colormap,
    crop,
    normalize,
    parse_transform,
    resize,
    transform_boxes,
    transformed_size,
)


@st.composite
def images(draw, channels=(3, 4)):
    h = draw(st.integers(1, 12))
    w = draw(st.integers(1, 12))
    c = draw(st.sampled_from(channels))
    return draw(arrays(np.uint8, (h, w, c)))


@given(images(), st.data())
@settings(max_examples=60, deadline=None)
def test_crop_is_slicing_and_its_size_is_predicted(img, data):
    h, w = img.shape[:2]
    x0 = data.draw(st.integers(0, w - 1))
    y0 = data.draw(st.integers(0, h - 1))
    x1 = data.draw(st.integers(x0 + 1, w + 5))
    y1 = data.draw(st.integers(y0 + 1, h + 5))
    out = crop(img, (x0, y0, x1, y1))
    np.testing.assert_array_equal(out, img[y0:y1, x0:x1])
    assert transformed_size(w, h, ImageTransform(crop=(x0, y0, x1, y1))) == (out.shape[1], out.shape[0])


def test_a_crop_outside_the_image_says_so():
    with pytest.raises(ValueError, match=r"crop \[20, 0, 30, 5\] is outside the 10x8 image"):
        crop(np.zeros((8, 10, 3), np.uint8), (20, 0, 30, 5))


@given(images())
@settings(max_examples=60, deadline=None)
def test_normalize_stretches_colour_to_the_full_range_keeping_order_and_alpha(img):
    out = normalize(img)
    colour, got = img[..., :3].astype(int), out[..., :3].astype(int)
    if colour.min() == colour.max():
        np.testing.assert_array_equal(out, img)  # nothing to stretch
    else:
        assert got.min() == 0 and got.max() == 255
        flat_in, flat_out = colour.ravel(), got.ravel()
        order = np.argsort(flat_in, kind="stable")
        assert np.all(np.diff(flat_out[order]) >= 0)  # monotone: brighter stays brighter
    if img.shape[2] == 4:
        np.testing.assert_array_equal(out[..., 3], img[..., 3])


@given(images(), st.sampled_from(sorted(COLORMAPS)))
@settings(max_examples=60, deadline=None)
def test_colormap_maps_equal_grey_levels_to_equal_colours(img, name):
    grey = np.repeat(img[..., :1], 3, axis=2)
    if img.shape[2] == 4:
        grey = np.concatenate([grey, img[..., 3:]], axis=2)
    out = colormap(grey, name)
    assert out.shape == grey.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., :3], COLORMAPS[name][grey[..., 0]])
    if img.shape[2] == 4:
        np.testing.assert_array_equal(out[..., 3], img[..., 3])


def test_gray_colormap_is_the_identity_on_grey_images_and_viridis_has_its_ends():
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    np.testing.assert_array_equal(colormap(levels, "gray"), levels)
    assert COLORMAPS["viridis"][0].tolist() == [0x44, 0x01, 0x54]
    assert COLORMAPS["viridis"][255].tolist() == [0xFD, 0xE7, 0x25]
    assert COLORMAPS["magma"][0].tolist() == [0, 0, 4]


@given(images(), st.integers(1, 4), st.integers(1, 4))
@settings(max_examples=60, deadline=None)
def test_integer_upscaling_repeats_pixels(img, fx, fy):
    h, w = img.shape[:2]
    out = resize(img, w * fx, h * fy)
    np.testing.assert_array_equal(out, img.repeat(fy, axis=0).repeat(fx, axis=1))


@given(images(), st.integers(1, 20), st.integers(1, 20))
@settings(max_examples=80, deadline=None)
def test_resize_has_the_asked_size_stays_in_range_and_keeps_the_mean(img, w, h):
    out = resize(img, w, h)
    assert out.shape == (h, w, img.shape[2]) and out.dtype == np.uint8
    assert out.min() >= img.min() and out.max() <= img.max()
    # area resampling preserves the mean up to the rounding of each output pixel
    assert abs(out.astype(float).mean() - img.astype(float).mean()) <= 0.5 + 1e-9


def test_downscaling_averages_blocks():
    img = np.array([[0, 100, 200, 200], [100, 100, 0, 0]], np.uint8)[..., None].repeat(3, axis=2)
    np.testing.assert_array_equal(resize(img, 2, 1)[..., 0], [[75, 100]])


def test_apply_transform_runs_crop_normalize_colormap_resize_in_order():
    img = np.zeros((4, 6, 3), np.uint8)
    img[1:3, 2:4] = [[[10] * 3, [20] * 3], [[30] * 3, [40] * 3]]
    t = parse_transform({"crop": [2, 1, 4, 3], "normalize": True, "colormap": "gray", "resize": [4, 4]})
    out = apply_transform(img, t)
    assert out.shape == (4, 4, 3)
    want = [[0, 0, 85, 85], [0, 0, 85, 85], [170, 170, 255, 255], [170, 170, 255, 255]]
    np.testing.assert_array_equal(out[..., 0], want)
    assert apply_transform(img, ImageTransform()) is not img  # a copy, never the stored array
    np.testing.assert_array_equal(apply_transform(img, ImageTransform()), img)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("crop", "transform must be an object"),
        ({"rotate": 90}, r"unknown keys \['rotate'\]"),
        ({"crop": [0, 0, 5]}, r"crop must be a list of 4 whole numbers like \[x0, y0, x1, y1\]"),
        ({"crop": [5, 0, 5, 5]}, "0 <= x0 < x1 and 0 <= y0 < y1"),
        ({"crop": [0, 0, 2.5, 5]}, "whole numbers"),
        ({"resize": [10, 99999]}, "between 1 and 8192 pixels"),
        ({"resize": [True, 3]}, "whole numbers"),
        ({"normalize": "yes"}, "normalize must be true or false"),
        ({"colormap": "rainbow"}, "colormap must be one of"),
    ],
)
def test_bad_transforms_are_refused_with_a_message_naming_the_field(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_transform(spec)


def test_parse_transform_round_trips_and_defaults_to_identity():
    spec = {"crop": [1, 2, 3, 4], "normalize": True, "colormap": "Viridis", "resize": [8, 8]}
    t = parse_transform(spec)
    assert t.to_json() == {**spec, "colormap": "viridis"}
    assert parse_transform(None).identity and parse_transform({}).identity


@given(st.data())
@settings(max_examples=80, deadline=None)
def test_boxes_follow_crop_and_resize_like_the_pixels(data):
    w, h = data.draw(st.integers(2, 40)), data.draw(st.integers(2, 40))
    x0, y0 = data.draw(st.integers(0, w - 2)), data.draw(st.integers(0, h - 2))
    x1, y1 = data.draw(st.integers(x0 + 1, w)), data.draw(st.integers(y0 + 1, h))
    nw, nh = data.draw(st.integers(1, 80)), data.draw(st.integers(1, 80))
    t = ImageTransform(crop=(x0, y0, x1, y1), resize=(nw, nh))
    # a box that is exactly the crop window covers the whole transformed image
    boxes, keep = transform_boxes(np.array([[x0, y0, x1, y1], [0, 0, w, h]], float), w, h, t)
    assert keep.all()
    np.testing.assert_allclose(boxes, [[0, 0, nw, nh], [0, 0, nw, nh]], atol=1e-9)
    # a marked pixel lands inside its box in the transformed image
    px, py = data.draw(st.integers(x0, x1 - 1)), data.draw(st.integers(y0, y1 - 1))
    ((bx0, by0, bx1, by1),), _ = transform_boxes(np.array([[px, py, px + 1, py + 1]], float), w, h, t)
    img = np.zeros((h, w, 3), np.uint8)
    img[py, px] = 255
    out = apply_transform(img, t)[..., 0]
    lit = np.argwhere(out > 0)
    if len(lit):
        assert lit[:, 1].min() >= np.floor(bx0) - 1e-9 and lit[:, 1].max() <= np.ceil(bx1)
        assert lit[:, 0].min() >= np.floor(by0) - 1e-9 and lit[:, 0].max() <= np.ceil(by1)


def test_boxes_outside_a_crop_are_dropped_and_partial_ones_clipped():
    boxes = np.array([[0, 0, 2, 2], [3, 3, 20, 20], [6, 1, 4, 9]], float)  # the last is given x1 < x0
    moved, keep = transform_boxes(boxes, 10, 10, ImageTransform(crop=(2, 2, 8, 8)))
    assert keep.tolist() == [False, True, True]
    assert moved[1].tolist() == [1, 1, 6, 6]
    assert moved[2].tolist() == [2, 0, 4, 6]
