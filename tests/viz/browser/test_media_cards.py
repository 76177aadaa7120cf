"""Image, text, audio and video cards in a real browser: what the page shows, decoded from what it loads."""

from __future__ import annotations

import http.client
import io
import os
import shutil
import wave

import numpy as np
import pytest
from PIL import Image, ImageSequence

from ploteries.compat import SummaryWriter
from tests.viz.media_data import BOXES, LABELS, RATE, image, write_media

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return write_media(tmp_path_factory.mktemp("media") / "runs")


def card(page, title: str):
    return page.page.locator(".card", has=page.page.locator(".card-title", has_text=title)).first


def fetch(page, src: str) -> bytes:
    """The bytes behind a URL on the page, fetched with the page's own request context."""
    resp = page.page.request.get(page.page.url.rstrip("/") + src)
    assert resp.ok, (src, resp.status, resp.text()[:200])
    return resp.body()


def shown_images(page, title: str) -> list[dict]:
    """The <img> of each run block of a card: src, natural and drawn size, loaded or not."""
    return (
        card(page, title)
        .locator(".media-img")
        .evaluate_all(
            """els => els.map(e => ({src: e.getAttribute('src'), natural: [e.naturalWidth, e.naturalHeight],
                                 drawn: [e.getBoundingClientRect().width, e.getBoundingClientRect().height],
                                 loaded: e.complete && e.naturalWidth > 0,
                                 filter: getComputedStyle(e).filter}))"""
        )
    )


def pixels(page, src: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(fetch(page, src))).convert("RGB"))


def step_label(page, title: str) -> str:
    return card(page, title).locator(".media-step-label").inner_text()


def press_on(page, locator, *keys: str) -> None:
    locator.focus()
    for key in keys:
        page.page.keyboard.press(key)


def step_thumb(page, title: str):
    return card(page, title).locator(".media-step [role=slider]")


def open_tab(start_viewer, open_page, root, tab: str, **options):
    viewer = start_viewer(root, **options)
    page = open_page(viewer.url)
    page.click_tab(tab)
    return viewer, page


def test_images_show_the_stored_pixels_and_the_step_slider_moves_over_logged_steps(
    start_viewer, open_page, stored
):
    _, page = open_tab(start_viewer, open_page, stored.root, "img")
    page.wait_for(lambda: (imgs := shown_images(page, "img/rgb")) and imgs[0]["loaded"])
    assert step_label(page, "img/rgb") == "step 20 · 3 of 3"  # the latest by default
    (shown,) = shown_images(page, "img/rgb")
    assert shown["src"].startswith("/media/image/")  # a URL, not base64 in the page
    assert shown["natural"] == [40, 30]
    np.testing.assert_array_equal(pixels(page, shown["src"]), stored.images[20])
    press_on(page, step_thumb(page, "img/rgb"), "Home")
    page.wait_for(lambda: step_label(page, "img/rgb") == "step 0 · 1 of 3")
    page.wait_for(lambda: shown_images(page, "img/rgb")[0]["src"] != shown["src"])
    np.testing.assert_array_equal(pixels(page, shown_images(page, "img/rgb")[0]["src"]), stored.images[0])
    press_on(page, step_thumb(page, "img/rgb"), "ArrowRight")
    page.wait_for(lambda: step_label(page, "img/rgb") == "step 10 · 2 of 3")
    assert "step 10" in card(page, "img/rgb").locator(".media-run-head").inner_text()
    press_on(page, step_thumb(page, "img/rgb"), "End", "ArrowLeft", "ArrowLeft")  # quick keys are not undone
    page.wait_for(lambda: step_label(page, "img/rgb") == "step 0 · 1 of 3")
    page.wait_for(lambda: "step 0" in card(page, "img/rgb").locator(".media-run-head").inner_text())
    assert not page.errors
    page.screenshot("media-images")


def test_boxes_are_an_overlay_placed_from_the_stored_boxes(start_viewer, open_page, stored):
    _, page = open_tab(start_viewer, open_page, stored.root, "det")
    page.wait_for(lambda: (imgs := shown_images(page, "det/boxes")) and imgs[0]["loaded"])
    # the pixels are the stored image: no boxes burned in
    np.testing.assert_array_equal(pixels(page, shown_images(page, "det/boxes")[0]["src"]), stored.boxed[10])
    geometry = card(page, "det/boxes").evaluate(
        """c => { const img = c.querySelector('.media-img').getBoundingClientRect();
                  return Array.from(c.querySelectorAll('.media-box')).map(b => {
                      const r = b.getBoundingClientRect();
                      return {x0: r.left - img.left, y0: r.top - img.top, x1: r.right - img.left,
                              y1: r.bottom - img.top, w: img.width, h: img.height, label: b.innerText}; }); }"""
    )
    assert [g["label"] for g in geometry] == LABELS
    for g, box in zip(geometry, BOXES + 1.0):  # step 10 logged BOXES + 1
        scale = g["w"] / 48
        assert g["h"] == pytest.approx(32 * scale, abs=0.5)  # the image keeps its aspect ratio
        np.testing.assert_allclose([g["x0"], g["y0"], g["x1"], g["y1"]], box * scale, atol=1.0)
    assert geometry[0]["w"] > 300  # fitted to the card's width
    page.screenshot("media-boxes")
    boxes = card(page, "det/boxes").locator(".media-boxes").first
    card(page, "det/boxes").get_by_label("Boxes").uncheck()
    page.wait_for(lambda: not boxes.is_visible())
    card(page, "det/boxes").get_by_label("Actual size").check()
    page.wait_for(lambda: shown_images(page, "det/boxes")[0]["drawn"] == [48, 32])  # 1:1 pixels


def test_brightness_and_contrast_filter_the_image_and_reset(start_viewer, open_page, stored):
    _, page = open_tab(start_viewer, open_page, stored.root, "img")
    page.wait_for(lambda: shown_images(page, "img/rgb"))
    sliders = card(page, "img/rgb").locator(".media-control [role=slider]")
    press_on(page, sliders.nth(0), "ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight")
    press_on(page, sliders.nth(1), "ArrowLeft", "ArrowLeft")
    page.wait_for(lambda: shown_images(page, "img/rgb")[0]["filter"] == "brightness(1.2) contrast(0.9)")
    page.screenshot("media-brightness")
    card(page, "img/rgb").get_by_role("button", name="Reset").click()
    page.wait_for(lambda: shown_images(page, "img/rgb")[0]["filter"] == "brightness(1) contrast(1)")


def test_new_steps_extend_the_slider_and_keep_a_chosen_step(start_viewer, open_page, tmp_path):
    stored = write_media(tmp_path / "runs", steps=(0, 10))
    _, page = open_tab(start_viewer, open_page, stored.root, "img", reload_interval=0.3)
    page.wait_for(lambda: step_label(page, "img/rgb") == "step 10 · 2 of 2")
    with SummaryWriter(str(stored.root / "exp")) as w:
        w.add_image("img/rgb", image(30), 30, dataformats="HWC")
    live = 20.0  # seconds: a write, a poll and a redraw, on a busy machine
    page.wait_for(lambda: step_label(page, "img/rgb") == "step 30 · 3 of 3", live)  # at the latest: follows
    page.wait_for(
        lambda: np.array_equal(pixels(page, shown_images(page, "img/rgb")[0]["src"]), image(30)), live
    )
    press_on(page, step_thumb(page, "img/rgb"), "Home")
    page.wait_for(lambda: step_label(page, "img/rgb") == "step 0 · 1 of 3")
    with SummaryWriter(str(stored.root / "exp")) as w:
        w.add_image("img/rgb", image(40), 40, dataformats="HWC")
    page.wait_for(lambda: step_thumb(page, "img/rgb").get_attribute("aria-valuemax") == "3", live)
    assert step_label(page, "img/rgb") == "step 0 · 1 of 4"  # the chosen step stays
    np.testing.assert_array_equal(pixels(page, shown_images(page, "img/rgb")[0]["src"]), stored.images[0])


def test_the_global_rewind_caps_the_card_slider(start_viewer, open_page, stored):
    _, page = open_tab(start_viewer, open_page, stored.root, "notes")
    page.wait_for(lambda: step_label(page, "notes") == "step 20 · 3 of 3")
    global_thumb = page.page.locator("#step-slider [role=slider]")
    page.wait_for(lambda: global_thumb.get_attribute("aria-valuemax") == "20")  # the first tick set its range
    page.set_slider("step-slider", 12)
    page.wait_for(lambda: step_label(page, "notes") == "step 10 · 2 of 2")
    assert "0.0909" in card(page, "notes").locator(".markdown").inner_text()  # loss at step 10 = 1/11
    page.page.click("#live")
    page.wait_for(lambda: step_label(page, "notes") == "step 20 · 3 of 3")


def test_text_renders_markdown_tables_and_never_runs_html(start_viewer, open_page, stored):
    _, page = open_tab(start_viewer, open_page, stored.root, "notes")
    md = card(page, "notes").locator(".markdown")
    page.wait_for(lambda: md.locator("table").count() == 1)
    assert md.locator("th").all_inner_texts() == ["metric", "value"]
    assert md.locator("td").all_inner_texts() == ["loss", f"{1 / 21}", "acc", "0.920"]
    assert md.locator("h3").inner_text() == "Results at step 20"
    assert md.locator("script, img[onerror], iframe").count() == 0
    assert "<script>" in md.inner_text()  # shown as text
    link = md.locator("a")
    if link.count():
        assert "pwned" not in (link.get_attribute("href") or "")  # the sanitizer made it javascript:void(0)
        link.click()
    page.page.wait_for_timeout(300)
    assert page.page.evaluate("() => window.pwned") is None
    assert not page.errors
    page.screenshot("media-text")


def test_audio_player_plays_the_logged_samples(start_viewer, open_page, stored):
    _, page = open_tab(start_viewer, open_page, stored.root, "sound")
    audio = card(page, "sound/tone").locator("audio")
    page.wait_for(lambda: audio.count() == 1)
    assert audio.get_attribute("controls") is not None
    with wave.open(io.BytesIO(fetch(page, audio.get_attribute("src")))) as w:
        assert (w.getframerate(), w.getnchannels()) == (RATE, 1)
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0
    np.testing.assert_allclose(samples, stored.sounds[20], atol=1 / 32767)
    page.wait_for(lambda: audio.evaluate("a => a.readyState") >= 1)  # the browser reads it as audio
    assert audio.evaluate("a => a.duration") == pytest.approx(0.25, abs=1e-3)
    assert "0.25 s · 8000 Hz" in card(page, "sound/tone").inner_text()
    page.screenshot("media-audio")


def test_video_plays_every_logged_frame(start_viewer, open_page, stored):
    _, page = open_tab(start_viewer, open_page, stored.root, "clip")
    page.wait_for(lambda: (imgs := shown_images(page, "clip")) and imgs[0]["loaded"])
    gif = Image.open(io.BytesIO(fetch(page, shown_images(page, "clip")[0]["src"])))
    frames = np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)])
    np.testing.assert_array_equal(frames, stored.videos[20])
    assert gif.info["duration"] == 200  # 5 fps
    assert "4 frames · 16×12 · 5 fps" in card(page, "clip").inner_text()
    page.screenshot("media-video")
    card(page, "clip").get_by_label("Frames").check()  # one frame at a time, exact pixels
    frame_img = card(page, "clip").locator(".media-img")
    page.wait_for(lambda: "/media/frame/" in (frame_img.get_attribute("src") or ""))
    np.testing.assert_array_equal(pixels(page, frame_img.get_attribute("src")), stored.videos[20][0])
    press_on(page, card(page, "clip").locator(".media-frames [role=slider]"), "End")
    page.wait_for(lambda: frame_img.get_attribute("src").endswith("&f=3"))
    assert "frame 4 of 4" in card(page, "clip").locator(".media-frames").inner_text()
    np.testing.assert_array_equal(pixels(page, frame_img.get_attribute("src")), stored.videos[20][3])
    page.screenshot("media-video-frames")


def test_a_matplotlib_figure_is_shown_as_logged(start_viewer, open_page, tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    import ploteries

    fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
    ax.plot([0, 1, 2], [2, 0, 1])
    with SummaryWriter(str(tmp_path / "runs" / "fig")) as w:
        w.add_figure("plots/curve", fig, 0)
    stored = ploteries.open(tmp_path / "runs" / "fig" / "ploteries.h5").read("fig", "plots/curve")[0].value
    _, page = open_tab(start_viewer, open_page, tmp_path / "runs", "plots")
    page.wait_for(lambda: (imgs := shown_images(page, "plots/curve")) and imgs[0]["loaded"])
    np.testing.assert_array_equal(pixels(page, shown_images(page, "plots/curve")[0]["src"]), stored[..., :3])


@pytest.fixture
def media_dir_runs(tmp_path):
    root = tmp_path / "runs"
    stored = write_media(root, steps=(0, 10), media_dir="media")
    write_media(root, "inline", steps=(0, 10))
    return stored


def test_media_files_are_served_from_the_media_dir_and_a_missing_one_shows_a_placeholder(
    start_viewer, open_page, media_dir_runs
):
    stored = media_dir_runs
    (stored.root / "exp" / "media" / "exp" / "img_rgb" / "0_0.png").unlink()
    _, page = open_tab(start_viewer, open_page, stored.root, "img")
    page.wait_for(lambda: len(shown_images(page, "img/rgb")) == 2)
    names = card(page, "img/rgb").locator(".media-run-name").all_inner_texts()
    assert names == ["inline", "exp"]
    file_img = shown_images(page, "img/rgb")[1]
    assert file_img["src"] == "/media/file/media/exp/img_rgb/10_0.png?db=exp/ploteries.h5"
    np.testing.assert_array_equal(pixels(page, file_img["src"]), stored.images[10])
    press_on(page, step_thumb(page, "img/rgb"), "Home")
    placeholder = card(page, "img/rgb").locator(".media-placeholder")
    page.wait_for(lambda: placeholder.count() == 1)
    assert placeholder.inner_text() == "image file not found: media/exp/img_rgb/0_0.png"
    assert len(shown_images(page, "img/rgb")) == 1  # the other run still shows its image
    page.screenshot("media-placeholder")
    page.click_tab("clip")
    page.wait_for(lambda: len(shown_images(page, "clip")) == 2)
    gif_src = shown_images(page, "clip")[1]["src"]
    assert gif_src.startswith("/media/file/media/exp/clip/10_0.gif")
    gif = Image.open(io.BytesIO(fetch(page, gif_src)))
    frames = np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)])
    np.testing.assert_array_equal(frames, stored.videos[10])


def test_media_root_rebases_a_copied_media_folder(start_viewer, open_page, media_dir_runs, tmp_path):
    stored = media_dir_runs
    alone = tmp_path / "collaborator"
    alone.mkdir()
    shutil.copy(stored.database, alone / "ploteries.h5")  # the database alone...
    images = tmp_path / "images"
    shutil.copytree(stored.root / "exp" / "media", images / "media")  # ...and the images, elsewhere
    _, page = open_tab(start_viewer, open_page, alone, "img")
    page.wait_for(lambda: card(page, "img/rgb").locator(".media-placeholder").count() == 1)
    _, page = open_tab(start_viewer, open_page, alone, "img", media_root=images)
    page.wait_for(lambda: (imgs := shown_images(page, "img/rgb")) and imgs[0]["loaded"])
    np.testing.assert_array_equal(pixels(page, shown_images(page, "img/rgb")[0]["src"]), stored.images[10])


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as written (no client-side normalisation of ``..`` or ``%2e``)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def test_the_media_route_refuses_everything_outside_the_allowed_roots(start_viewer, media_dir_runs, tmp_path):
    stored = media_dir_runs
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"secret-bytes")
    os.symlink(secret, stored.root / "exp" / "media" / "exp" / "img_rgb" / "99_0.png")
    viewer = start_viewer(stored.root)
    ok, body = raw_get(viewer.port, "/media/file/media/exp/img_rgb/0_0.png?db=exp/ploteries.h5")
    assert ok == 200 and body.startswith(b"\x89PNG")
    db = "?db=exp/ploteries.h5"
    for path in [
        "/media/file/../../secret.png" + db,
        "/media/file/media/../../../secret.png" + db,
        "/media/file/%2e%2e/%2e%2e/secret.png" + db,
        "/media/file/%2e%2e%2f%2e%2e%2fsecret.png" + db,
        "/media/file/%2E%2E%2F%2E%2E%2Fsecret.png" + db,
        "/media/file/..%2f..%2fsecret.png" + db,
        "/media/file/" + str(secret) + db,
        "/media/file//" + str(secret) + db,
        "/media/file/%2f" + str(secret).lstrip("/") + db,
        "/media/file/media/exp/img_rgb/99_0.png" + db,  # a symlink pointing outside
        "/media/file/ploteries.h5" + db,  # not a media file
        "/media/../../secret.png",
    ]:
        status, body = raw_get(viewer.port, path)
        assert status in (403, 404), path
        assert b"secret-bytes" not in body and b"HDF" not in body, path


def test_a_figure_definition_transforms_the_served_image(start_viewer, open_page, tmp_path):
    from ploteries.storage import update_document
    from ploteries.viz.services.image_transforms import COLORMAPS

    grey = ((np.arange(16 * 24).reshape(16, 24) * 2) % 256).astype(np.uint8)
    with SummaryWriter(str(tmp_path / "runs" / "exp")) as w:
        w.add_image("scans/grey", grey, 0, dataformats="HW")
    definition = {
        "title": "grey in viridis",
        "tab": "views",
        "card": "image",
        "series": {"value": {"run": "*", "tag": "scans/grey", "part": ""}},
        "options": {"transform": {"crop": [4, 2, 12, 10], "colormap": "viridis", "resize": [24, 24]}},
    }
    update_document(tmp_path / "runs" / "exp" / "ploteries.h5", "figure/grey-viridis", lambda _: definition)
    _, page = open_tab(start_viewer, open_page, tmp_path / "runs", "views")
    page.wait_for(lambda: (imgs := shown_images(page, "grey in viridis")) and imgs[0]["loaded"])
    (shown,) = shown_images(page, "grey in viridis")
    assert shown["natural"] == [24, 24]
    want = COLORMAPS["viridis"][grey[2:10, 4:12]].repeat(3, axis=0).repeat(3, axis=1)
    np.testing.assert_array_equal(pixels(page, shown["src"]), want)
    page.screenshot("media-transform")
