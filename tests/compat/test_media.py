"""media_dir=: images as PNG and videos as GIF files beside the database, relative paths recorded."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import ploteries
from ploteries.compat import SummaryWriter
from ploteries.compat.media import safe_component
from ploteries.storage import array_to_json, array_to_text


@pytest.mark.parametrize(
    "name, safe",
    [
        ("loss/train", "loss_train"),
        ("../../etc/passwd", "etc_passwd"),
        ("..", "_"),
        ("a..b", "a.b"),
        (".hidden", "hidden"),
        ("lr=0.1 seed:3", "lr_0.1_seed_3"),
        ("ünï", "n"),
    ],
)
def test_safe_component(name, safe):
    assert safe_component(name) == safe


def test_long_names_stay_distinct():
    a, b = safe_component("x" * 200 + "a"), safe_component("x" * 200 + "b")
    assert a != b and len(a) == len(b) == 80


def _records(db_path, run, tag, part):
    with ploteries.open(db_path) as db:
        return db.read_records(run, tag, part)


def test_images_as_files(tmp_path):
    w = SummaryWriter(tmp_path / "exp1", media_dir="media")
    img = np.random.default_rng(0).random((3, 6, 5), dtype=np.float32)
    w.add_image("../up/img", img, 3)
    w.add_image("../up/img", img, 3)  # same step again: a second file, not an overwrite
    w.add_image_with_boxes("det", img, np.array([[1, 1, 4, 4]]), 4, labels=["cat"])
    w.close()
    db_path = tmp_path / "exp1" / "ploteries.h5"
    with ploteries.open(db_path) as db:
        assert db.parts("exp1", "../up/img") == ["file", "shape"]
        assert db.parts("exp1", "det") == ["boxes", "file", "labels", "shape"]
    paths = [array_to_text(v) for v in _records(db_path, "exp1", "../up/img", "file").values]
    assert paths == ["media/exp1/up_img/3_0.png", "media/exp1/up_img/3_1.png"]
    pixels = np.asarray(Image.open(tmp_path / "exp1" / paths[0]))
    np.testing.assert_array_equal(pixels, (img.transpose(1, 2, 0) * 255).astype(np.uint8))
    assert _records(db_path, "exp1", "../up/img", "shape").values[0].tolist() == [6, 5, 3]
    assert array_to_json(_records(db_path, "exp1", "det", "labels").values[0]) == ["cat"]
    assert _records(db_path, "exp1", "det", "boxes").values[0].tolist() == [[1.0, 1.0, 4.0, 4.0]]


def test_video_as_gif_and_absolute_media_dir(tmp_path):
    media = tmp_path / "elsewhere"
    w = SummaryWriter(database=tmp_path / "db" / "sweep.h5", run="a/b", media_dir=media)
    frames = np.ones((1, 4, 3, 8, 8), np.float32) * np.linspace(0, 1, 4)[None, :, None, None, None]
    w.add_video("clip", frames, 2, fps=5)
    w.close()
    (path,) = [array_to_text(v) for v in _records(tmp_path / "db" / "sweep.h5", "a/b", "clip", "file").values]
    assert path == "../elsewhere/a_b/clip/2_0.gif"  # relative to the database's directory
    gif = Image.open(tmp_path / "db" / path)
    assert gif.n_frames == 4 and gif.info["duration"] == 200 and gif.size == (8, 8)
    records = _records(tmp_path / "db" / "sweep.h5", "a/b", "clip", "shape")
    assert records.values[0].tolist() == [4, 8, 8, 3]
    assert float(_records(tmp_path / "db" / "sweep.h5", "a/b", "clip", "fps").values[0]) == 5.0
