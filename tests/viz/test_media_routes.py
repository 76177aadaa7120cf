"""The media routes: stored records served as PNG / WAV / GIF, media files, caching, and what is refused."""

from __future__ import annotations

import io
import shutil
import wave

import numpy as np
import pytest
from PIL import Image, ImageSequence

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from ploteries.viz.media import IMMUTABLE, encode_token, file_url, record_url
from ploteries.viz.services.image_transforms import parse_transform
from tests.viz.media_data import RATE, write_media


def client_for(*roots, **options):
    library = Library(list(roots), **options)
    library.refresh()
    return create_app(library).server.test_client(), library


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    root = tmp_path_factory.mktemp("routes") / "runs"
    return write_media(root)


@pytest.fixture(scope="module")
def client(stored):
    return client_for(stored.root)


def url(library, route, tag, row, part="", transform=None):
    key = ("exp/ploteries.h5", "exp", tag, part)
    return record_url(route, key, row, library.snapshot.info(key).fingerprint, transform)


def test_an_image_record_is_served_as_png_with_its_pixels(client, stored):
    c, lib = client
    resp = c.get(url(lib, "image", "img/rgb", 1))
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(resp.data))), stored.images[10])
    assert resp.headers["Cache-Control"] == IMMUTABLE and resp.headers["ETag"]
    again = c.get(url(lib, "image", "img/rgb", 1), headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_a_transform_is_applied_when_served(client, stored):
    c, lib = client
    t = parse_transform({"crop": [10, 5, 30, 25], "resize": [40, 40]})
    resp = c.get(url(lib, "image", "img/rgb", 0, transform=t))
    got = np.asarray(Image.open(io.BytesIO(resp.data)))
    np.testing.assert_array_equal(got, stored.images[0][5:25, 10:30].repeat(2, 0).repeat(2, 1))
    bad = url(lib, "image", "img/rgb", 0) + "&t=" + encode_token({"colormap": "nope"})
    assert c.get(bad).status_code == 404 and b"colormap must be one of" in c.get(bad).data


def test_an_old_fingerprint_is_served_but_not_cached(client, stored):
    c, lib = client
    resp = c.get(url(lib, "image", "img/rgb", 2).replace("?v=", "?v=0"))
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"


def test_audio_is_served_as_wav_that_decodes_to_the_logged_samples(client, stored):
    c, lib = client
    resp = c.get(url(lib, "audio", "sound/tone", 1))
    assert resp.mimetype == "audio/wav"
    with wave.open(io.BytesIO(resp.data)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    np.testing.assert_allclose(frames / 32767.0, stored.sounds[10], atol=1 / 32767)


def test_video_is_served_as_a_gif_with_every_frame_at_its_fps(client, stored):
    c, lib = client
    gif = Image.open(io.BytesIO(c.get(url(lib, "video", "clip", 2)).data))
    frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
    np.testing.assert_array_equal(np.stack(frames), stored.videos[20])
    assert gif.info["duration"] == 200


def test_video_frames_are_served_one_by_one_as_exact_png(client, stored, media_tree):
    c, lib = client
    for f in range(4):
        got = np.asarray(Image.open(io.BytesIO(c.get(url(lib, "frame", "clip", 1) + f"&f={f}").data)))
        np.testing.assert_array_equal(got, stored.videos[10][f])
    assert c.get(url(lib, "frame", "clip", 1) + "&f=4").status_code == 404
    assert c.get(url(lib, "frame", "clip", 1) + "&f=x").status_code == 404
    c, lib = client_for(media_tree.root)
    got = np.asarray(Image.open(io.BytesIO(c.get(url(lib, "frame", "clip", 1, part="file") + "&f=2").data)))
    np.testing.assert_array_equal(got, media_tree.videos[1][2])


@pytest.mark.parametrize(
    "path",
    [
        "/media/image/garbage.png",
        "/media/image/" + encode_token(["nope.h5", "exp", "img/rgb", "", 0]) + ".png",
        "/media/image/" + encode_token(["exp/ploteries.h5", "exp", "img/rgb", "", 99]) + ".png",
        "/media/image/" + encode_token(["exp/ploteries.h5", "exp", "img/rgb", "", -1]) + ".png",
        "/media/image/" + encode_token(["exp/ploteries.h5", "exp", "notes", "", 0]) + ".png",
        "/media/audio/" + encode_token({"a": 1}) + ".wav",
    ],
)
def test_unknown_or_malformed_records_are_404(client, path):
    c, _ = client
    assert c.get(path).status_code == 404


@pytest.fixture
def media_tree(tmp_path):
    root = tmp_path / "runs"
    stored = write_media(root, steps=(0, 1), media_dir="media")
    (tmp_path / "secret.png").write_bytes(b"secret-bytes")
    return stored


def test_media_files_are_served_and_traversal_is_refused(media_tree, tmp_path):
    c, lib = client_for(media_tree.root)
    ok = c.get(file_url("exp/ploteries.h5", "media/exp/img_rgb/1_0.png"))
    assert ok.status_code == 200 and ok.mimetype == "image/png"
    assert ok.headers["Cache-Control"] == "no-cache" and ok.headers["X-Content-Type-Options"] == "nosniff"
    again = c.get(
        file_url("exp/ploteries.h5", "media/exp/img_rgb/1_0.png"),
        headers={"If-None-Match": ok.headers["ETag"]},
    )
    assert again.status_code == 304
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(ok.data))), media_tree.images[1])
    for bad in [
        "/media/file/../../secret.png?db=exp/ploteries.h5",
        "/media/file/%2e%2e/%2e%2e/secret.png?db=exp/ploteries.h5",
        "/media/file/%2e%2e%2f%2e%2e%2fsecret.png?db=exp/ploteries.h5",
        "/media/file/" + str(tmp_path / "secret.png") + "?db=exp/ploteries.h5",
        "/media/file//" + str(tmp_path / "secret.png") + "?db=exp/ploteries.h5",
        "/media/file/ploteries.h5?db=exp/ploteries.h5",
        "/media/file/media/exp/img_rgb/1_0.png?db=other.h5",
        "/media/file/media/exp/img_rgb/1_0.png",
    ]:
        resp = c.get(bad)
        assert resp.status_code == 404, bad
        assert b"secret-bytes" not in resp.data and b"HDF" not in resp.data


def test_file_backed_images_and_videos_through_the_record_routes(media_tree):
    c, lib = client_for(media_tree.root)
    png = c.get(url(lib, "image", "img/rgb", 1, part="file", transform=parse_transform({"normalize": True})))
    assert png.status_code == 200
    assert np.asarray(Image.open(io.BytesIO(png.data))).shape == media_tree.images[1].shape
    gif = Image.open(io.BytesIO(c.get(url(lib, "video", "clip", 0, part="file")).data))
    assert [np.asarray(f.convert("RGB")).tolist() for f in ImageSequence.Iterator(gif)] == media_tree.videos[
        0
    ].tolist()


def test_media_root_serves_a_copied_media_folder(media_tree, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(media_tree.database, alone / "ploteries.h5")  # the database without its media folder
    copy = tmp_path / "images"
    shutil.copytree(media_tree.root / "exp" / "media", copy / "media")
    c, _ = client_for(alone)
    assert c.get(file_url("ploteries.h5", "media/exp/img_rgb/0_0.png")).status_code == 404
    c, _ = client_for(alone, media_root=copy)
    resp = c.get(file_url("ploteries.h5", "media/exp/img_rgb/0_0.png"))
    assert resp.status_code == 200
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(resp.data))), media_tree.images[0])
