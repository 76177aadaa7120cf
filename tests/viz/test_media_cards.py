"""Image, text, audio and video cards without a browser: default cards, state, steps, boxes, placeholders."""

from __future__ import annotations

import numpy as np
import pytest
from dash import dcc, html

from ploteries.compat import SummaryWriter
from ploteries.viz.app import Viewer
from ploteries.viz.cards.image import ImageCard
from ploteries.viz.cards.stepped import pick_row, pick_step, union_steps
from ploteries.viz.library import Library
from ploteries.viz.settings import ViewSettings
from tests.viz.media_data import BOXES, write_media


def contexts(lib: Library, settings: ViewSettings | None = None) -> dict:
    viewer = Viewer(lib)
    snapshot = lib.refresh()
    models = viewer.models(snapshot, None, None, None, None)
    return {
        m.title: viewer.context(m, snapshot, settings or ViewSettings(), viewer.colors(snapshot))
        for m in models
    }


def find(component, predicate) -> list:
    """Every component below ``component`` (Dash tree) for which ``predicate`` holds, in page order."""
    if isinstance(component, (list, tuple)):
        return [found for c in component for found in find(c, predicate)]
    if component is None or isinstance(component, (str, int, float)):
        return []
    here = [component] if predicate(component) else []
    return here + find(getattr(component, "children", None), predicate)


def classes(component, name: str) -> list:
    return find(component, lambda c: name in (getattr(c, "className", "") or "").split())


@pytest.fixture
def stored(tmp_path):
    return write_media(tmp_path / "runs")


@pytest.fixture
def lib(stored):
    return Library([stored.root])


def test_every_media_tag_gets_its_card_in_both_storage_modes(tmp_path):
    write_media(tmp_path / "runs", "inline")
    write_media(tmp_path / "runs", "files", media_dir="media")
    ctx = contexts(Library([tmp_path / "runs"]))
    assert {t: c.card_type.name for t, c in ctx.items()} == {
        "clip": "video",
        "det/boxes": "image",
        "img/rgb": "image",
        "notes": "text",
        "sound/tone": "audio",
    }
    refs = ImageCard().refs(ctx["img/rgb"])
    assert [(r.run, r.part) for r in refs] == [("inline", ""), ("files", "file")]


def test_state_lists_each_runs_steps_and_a_tick_without_new_rows_sends_nothing(lib, stored):
    ctx = contexts(lib)["img/rgb"]
    card = ctx.card_type
    state = card.render(ctx).state
    assert state["steps"] == [0, 10, 20]
    assert [(e["key"][1], e["n"], e["steps"]) for e in state["runs"]] == [("exp", 3, [0, 10, 20])]
    assert card.refresh(contexts(lib)["img/rgb"], state, live=True) is None


def test_new_steps_extend_the_state(lib, stored):
    ctx = contexts(lib)["img/rgb"]
    state = ctx.card_type.render(ctx).state
    with SummaryWriter(str(stored.root / "exp")) as w:
        w.add_image("img/rgb", np.zeros((4, 4, 3), np.uint8), 30, dataformats="HWC")
    update = ctx.card_type.refresh(contexts(lib)["img/rgb"], state, live=True)
    assert update.figure is None and update.state["steps"] == [0, 10, 20, 30]
    assert update.state["runs"][0]["n"] == 4


def test_rewind_caps_the_steps_and_holds_still(lib):
    ctx = contexts(lib, ViewSettings(step=12))["notes"]
    state = ctx.card_type.render(ctx).state
    assert state["steps"] == [0, 10]
    assert ctx.card_type.refresh(ctx, state, live=True) is None
    children, top, index, label, bar = ctx.card_type.blocks(ctx, state, None)
    assert (top, index, label, bar) == (1, 1, "step 10 · 2 of 2", "media-step")
    state = ctx.card_type.render(contexts(lib, ViewSettings(step=5))["notes"]).state
    assert ctx.card_type.blocks(ctx, state, None)[1:] == (0, 0, "step 0 · 1 of 1", "media-step single")


def test_step_picking():
    assert union_steps([[0, 5], [5, 7]], None) == [0, 5, 7]
    assert pick_step([0, 5, 7], 6) == 5 and pick_step([], None) is None
    assert pick_row([0, 10, 10], 10) == 2 and pick_row([3, 1, 2], 2) == 2


def test_image_block_links_the_png_route_and_draws_the_boxes_over_it(lib):
    ctx = contexts(lib)["det/boxes"]
    body = ctx.card_type.render(ctx).body
    (img,) = find(body, lambda c: isinstance(c, html.Img))
    assert img.src.startswith("/media/image/") and (img.width, img.height) == (48, 32)
    boxes = classes(body, "media-box")
    assert len(boxes) == 2
    want = BOXES[0] + 1.0  # step 10's boxes, shown at the latest step
    assert boxes[0].style["left"] == f"{round(100 * want[0] / 48, 4)}%"
    assert boxes[0].style["width"] == f"{round(100 * (want[2] - want[0]) / 48, 4)}%"
    assert [find(b, lambda c: isinstance(c, html.Span))[0].children for b in boxes] == ["cat", "dog"]


def test_a_transform_moves_the_boxes_and_goes_into_the_url(lib):
    ctx = contexts(lib)["det/boxes"]
    ctx.definition = {
        **ctx.definition,
        "options": {"transform": {"crop": [0, 0, 24, 32], "resize": [48, 64]}},
    }
    body = ctx.card_type.render(ctx).body
    (img,) = find(body, lambda c: isinstance(c, html.Img))
    assert "&t=" in img.src and (img.width, img.height) == (48, 64)
    (box,) = classes(body, "media-box")  # the dog box is cropped away
    assert box.style["left"] == f"{round(100 * 5.0 / 24, 4)}%"


def test_a_bad_transform_is_shown_in_the_card(lib):
    viewer = Viewer(lib)
    snapshot = lib.refresh()
    (model,) = [m for m in viewer.models(snapshot, None, None, None, None) if m.title == "img/rgb"]
    model.definition = {**model.definition, "options": {"transform": {"colormap": "rainbow"}}}
    frame = viewer.render_card(model, snapshot, ViewSettings(), viewer.colors(snapshot))
    (error,) = classes(frame, "card-error")
    assert "colormap must be one of" in error.children


def test_a_missing_media_file_shows_a_placeholder(tmp_path):
    stored = write_media(tmp_path / "runs", media_dir="media")
    (stored.root / "exp" / "media" / "exp" / "img_rgb" / "20_0.png").unlink()
    ctx = contexts(Library([stored.root]))
    (placeholder,) = classes(ctx["img/rgb"].card_type.render(ctx["img/rgb"]).body, "media-placeholder")
    assert placeholder.children == "image file not found: media/exp/img_rgb/20_0.png"
    (img,) = find(ctx["clip"].card_type.render(ctx["clip"]).body, lambda c: isinstance(c, html.Img))
    assert img.src == "/media/file/media/exp/clip/20_0.gif?db=exp/ploteries.h5"


def test_text_is_markdown_without_raw_html(lib, stored):
    ctx = contexts(lib)["notes"]
    (md,) = find(ctx.card_type.render(ctx).body, lambda c: isinstance(c, dcc.Markdown))
    assert md.children == stored.texts[20] and md.dangerously_allow_html is False


def test_audio_and_video_captions(lib):
    ctx = contexts(lib)
    audio = ctx["sound/tone"].card_type.render(ctx["sound/tone"]).body
    (player,) = find(audio, lambda c: isinstance(c, html.Audio))
    assert player.src.startswith("/media/audio/") and player.controls
    assert classes(audio, "media-run-info")[0].children == "0.25 s · 8000 Hz"
    video = ctx["clip"].card_type.render(ctx["clip"]).body
    assert classes(video, "media-run-info")[0].children == "4 frames · 16×12 · 5 fps"
