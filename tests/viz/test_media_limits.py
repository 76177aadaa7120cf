"""Media requests are bounded: output pixels per request, memory of a resize, heavy requests at once."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from ploteries.viz.media import encode_token, record_url
from ploteries.viz.services.image_transforms import MAX_PIXELS, parse_transform, resize
from tests.viz.media_data import write_media


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    stored = write_media(tmp_path_factory.mktemp("limits") / "runs")
    library = Library([stored.root])
    library.refresh()
    app = create_app(library)
    key = ("exp/ploteries.h5", "exp", "img/rgb", "")
    url = record_url("image", key, 0, library.snapshot.info(key).fingerprint)
    return app, url, stored


@pytest.mark.parametrize("size", [[8192, 8192], [8192, 2049], [4097, 4097]])
def test_a_resize_beyond_the_pixel_budget_is_refused_naming_the_limit(served, size):
    app, url, _ = served
    with pytest.raises(
        ValueError, match=rf"is {size[0] * size[1]} pixels; at most {MAX_PIXELS} \(4096 x 4096\)"
    ):
        parse_transform({"resize": size})
    response = app.server.test_client().get(url + "&t=" + encode_token({"resize": size}))
    assert response.status_code == 404 and b"at most 16777216" in response.data


def test_the_largest_resize_allowed_stays_within_a_few_times_its_output_in_memory():
    image = np.random.default_rng(0).integers(0, 256, (16, 16, 4), dtype=np.uint8)
    tracemalloc.start()
    try:
        out = resize(image, 4096, 4093)  # not a whole multiple: the general path
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (4093, 4096, 4) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, :256, 0], np.full(256, image[0, 0, 0]))
    assert peak < 3 * out.nbytes  # float64 of the whole image was 8 bytes per value, several times over


def test_heavy_requests_beyond_the_slots_are_answered_503_with_retry_after(served):
    app, url, stored = served
    client = app.server.test_client()
    transformed = url + "&t=" + encode_token({"resize": [64, 64]})
    app.heavy.wait = 0.0
    try:
        with app.heavy.slot(), app.heavy.slot():  # both slots taken by other requests
            response = client.get(transformed)
            assert response.status_code == 503 and response.headers["Retry-After"] == "2"
            assert b"busy with 2 heavy request(s) at once; try again" in response.data
        response = client.get(transformed)  # the slots are free again
    finally:
        app.heavy.wait = 10.0
    assert response.status_code == 200
    got = np.asarray(Image.open(io.BytesIO(response.data)))
    np.testing.assert_array_equal(got, resize(stored.images[0], 64, 64))
