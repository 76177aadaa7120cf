"""A record refused for its tag leaves no media file behind (``media_dir=``), and the writer goes on."""

from __future__ import annotations

import numpy as np
import pytest

import ploteries
from ploteries.compat import SummaryWriter


@pytest.mark.parametrize(
    ("tag", "message"), [("", "tag must be a non-empty string"), ("a\x00b", "NUL character")]
)
def test_a_refused_image_or_video_leaves_no_file(tmp_path, tag, message):
    with SummaryWriter(str(tmp_path / "run"), media_dir="media") as w:
        with pytest.raises(ValueError, match=message):
            w.add_image(tag, np.zeros((3, 4, 4), np.uint8), 0)
        with pytest.raises(ValueError, match=message):
            w.add_video(tag, np.zeros((1, 2, 3, 4, 4), np.uint8), 0)
        w.add_image("ok", np.full((3, 4, 4), 0.5), 0)
        database = w.database
    assert [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*.png"))] == [
        "run/media/run/ok/0_0.png"
    ]
    assert not list(tmp_path.rglob("*.gif"))
    with ploteries.open(database) as db:
        assert db.tags("run") == ["ok"]
