"""hparams, mesh, embedding and model graph cards in a real browser: values on the page, live, rewind."""

from __future__ import annotations

import io
import urllib.request

import numpy as np
import pytest
from PIL import Image

from ploteries.compat import SummaryWriter
from tests.viz.analysis_data import (
    ANIMALS,
    TETRA,
    TETRA_COLORS,
    TETRA_FACES,
    TRIALS,
    embedding_data,
    write_embedding,
    write_graph,
    write_meshes,
    write_trial,
    write_trials,
)

pytestmark = pytest.mark.browser

GRAPH_DATA = """([title, cls]) => {
    const card = Array.from(document.querySelectorAll('.card')).find(
        c => c.querySelector('.card-title').textContent === title);
    if (card) card.scrollIntoView({block: 'nearest'});  // a card is drawn when it comes into view
    const gd = card && card.querySelector(cls + ' .js-plotly-plot, .js-plotly-plot' + cls);
    if (!gd || !gd.data) return null;
    return JSON.parse(JSON.stringify(gd.data));
}"""


def graph_data(page, title: str, cls: str = ""):
    return page.page.evaluate(GRAPH_DATA, [title, cls])


def card(page, title: str):
    return page.page.locator(".card", has=page.page.locator(".card-title", has_text=title)).first


# ------------------------------------------------------------------------------------------------ hparams


def table_rows(page) -> list[list[str]]:
    return page.page.evaluate(
        """() => Array.from(document.querySelectorAll('.hparams-table tr')).map(
            tr => Array.from(tr.querySelectorAll('td.dash-cell')).map(td => td.innerText.trim())
        ).filter(r => r.length)"""
    )


def table_row(page, trial: str) -> list[str] | None:
    """The cells of one trial's row, None while the table does not show it (e.g. being redrawn)."""
    return next((r for r in table_rows(page) if r[0] == trial), None)


def parcoords(page):
    """The hparams card's parallel-coordinates trace, once drawn (the card loads plotly.js's full build first)."""
    return page.wait_for(
        lambda: page.page.evaluate(
            """() => { const gd = document.querySelector('.card-hparams .js-plotly-plot');
                       return gd && gd.data && gd.data[0] ? JSON.parse(JSON.stringify(gd.data[0])) : null; }"""
        ),
        timeout=30,
    )


def test_hparams_table_and_parallel_coordinates_show_every_trial(start_viewer, open_page, tmp_path):
    root = write_trials(tmp_path / "runs")
    viewer = start_viewer(root, reload_interval=0.4)
    page = open_page(viewer.url)
    page.click_tab("hparams")
    rows = page.wait_for(lambda: len(r := table_rows(page)) == 3 and r, timeout=30)  # lazy-loaded table
    header = page.page.locator(".hparams-table th.dash-header").all_inner_texts()
    assert [h.strip() for h in header if h.strip()][-8:] == [
        "trial",
        "lr",
        "bs",
        "opt",
        "bn",
        "hparam/accuracy",
        "hparam/loss",
        "acc/val",
        "loss/train",
    ][-8:]
    by_trial = {r[0]: r for r in rows}
    assert by_trial["trial0/hp"][1:] == ["0.1", "32", "adam", "1", "0.7", "0.9", "0.54", "0.2"]
    assert by_trial["trial2/hp"][1:] == ["0.001", "32", "adam", "0", "0.9", "0.2", "0.74", "2.2"]
    trace = parcoords(page)
    dims = {d["label"]: d for d in trace["dimensions"]}
    order = [r[0] for r in rows]
    assert dims["opt"]["ticktext"] == ["adam", "sgd"]
    assert [dims["opt"]["ticktext"][v] for v in dims["opt"]["values"]] == [
        TRIALS[int(t[5])][0]["opt"] for t in order
    ]
    np.testing.assert_allclose(
        dims["lr (log)"]["values"], [np.log10(TRIALS[int(t[5])][0]["lr"]) for t in order]
    )
    assert dims["bn"]["values"] == [float(TRIALS[int(t[5])][0]["bn"]) for t in order]
    assert dims["loss/train"]["values"] == pytest.approx([0.2 + int(t[5]) for t in order])
    # the trials' colours are their runs' colours in the explorer
    swatches = page.page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('.runs label')).map(
            l => [l.innerText.trim(), getComputedStyle(l.querySelector('.swatch')).backgroundColor]))"""
    )
    scale = trace["line"]["colorscale"]
    for i, name in enumerate(order):
        r, g, b = (int(scale[2 * i][1][k : k + 2], 16) for k in (1, 3, 5))
        assert swatches[name.split("/")[0]] == f"rgb({r}, {g}, {b})"
    page.screenshot("hparams-card")

    # selecting a row keeps its line in colour and fades the others
    page.page.locator(".hparams-table tr", has_text="trial1/hp").locator("input[type=checkbox]").check()
    faded = page.wait_for(
        lambda: (s := parcoords(page)["line"]["colorscale"]) and s[0][1] == "#d5d9df" and s, timeout=30
    )
    assert faded[2 * order.index("trial1/hp")][1] != "#d5d9df"
    page.page.locator(".hparams-table tr", has_text="trial1/hp").locator("input[type=checkbox]").uncheck()
    page.wait_for(lambda: "#d5d9df" not in str(parcoords(page)["line"]["colorscale"]), timeout=30)

    # brushing an axis greys the table rows outside the brush
    acc = [d["label"] for d in trace["dimensions"]].index("hparam/accuracy")
    page.page.evaluate(
        f"""() => Plotly.restyle(document.querySelector('.card-hparams .js-plotly-plot'),
                {{'dimensions[{acc}].constraintrange': [[0.85, 1.0]]}}, [0])"""
    )
    grey = page.wait_for(
        lambda: page.page.evaluate(
            """() => Array.from(document.querySelectorAll('.hparams-table tr')).filter(
                tr => tr.querySelector('td.dash-cell') &&
                      getComputedStyle(tr.querySelector('td.dash-cell')).color === 'rgb(170, 178, 189)'
            ).map(tr => tr.querySelector('td.dash-cell').innerText.trim())"""
        ),
        timeout=30,
    )
    assert sorted(grey) == ["trial0/hp", "trial1/hp"]
    page.screenshot("hparams-card-brushed")
    assert not page.errors


def test_hparams_new_trials_appear_live_and_rewind_hides_them(start_viewer, open_page, tmp_path):
    root = write_trials(tmp_path / "runs")
    page = open_page(start_viewer(root, reload_interval=0.4).url)
    page.click_tab("hparams")
    page.wait_for(lambda: len(table_rows(page)) == 3, timeout=30)
    write_trial(
        root, 3, {"lr": 0.3, "bs": 16, "opt": "rmsprop", "bn": True}, {"hparam/accuracy": 0.95}, steps=12
    )
    rows = page.wait_for(lambda: len(r := table_rows(page)) == 4 and r, timeout=30)
    new = next(r for r in rows if r[0] == "trial3/hp")
    assert new[1:5] == ["0.3", "16", "rmsprop", "1"] and new[5] == "0.95"
    dims = {d["label"]: d for d in parcoords(page)["dimensions"]}
    assert dims["opt"]["ticktext"] == ["adam", "rmsprop", "sgd"]
    # training goes on in a trial's run: its scalar column follows
    with SummaryWriter(str(root / "trial0")) as w:
        w.add_scalar("loss/train", 0.125, 8)
    page.wait_for(lambda: (table_row(page, "trial0/hp") or [None])[-1] == "0.125", timeout=30)
    page.set_slider("step-slider", 6)  # trial3's hparams were logged at step 11
    page.wait_for(lambda: page.page.locator("#status").inner_text() == "rewound to step 6", timeout=30)
    page.wait_for(
        lambda: sorted(r[0] for r in table_rows(page)) == ["trial0/hp", "trial1/hp", "trial2/hp"], timeout=30
    )
    assert table_row(page, "trial0/hp")[-1] == "0.2"  # last value up to step 6
    page.page.click("#live")
    page.wait_for(lambda: len(table_rows(page)) == 4, timeout=30)


# --------------------------------------------------------------------------------------------------- mesh


def mesh_trace(page, title):
    data = graph_data(page, title)
    return data[0] if data else None


def mesh_x(page, title) -> list:
    """The x of the mesh card's vertices ([] until the card is drawn)."""
    return (mesh_trace(page, title) or {}).get("x", [])


def test_mesh_card_draws_vertices_faces_colours_with_step_and_batch(start_viewer, open_page, tmp_path):
    root = write_meshes(tmp_path / "runs")
    page = open_page(start_viewer(root, reload_interval=0.4).url)
    page.click_tab("mesh")
    page.wait_for(lambda: page.card_titles() == ["mesh/cloud", "mesh/tetra"])
    tetra = page.wait_for(lambda: mesh_trace(page, "mesh/tetra"))
    assert tetra["type"] == "mesh3d"
    np.testing.assert_allclose(np.c_[tetra["x"], tetra["y"], tetra["z"]], TETRA * 3)
    assert np.c_[tetra["i"], tetra["j"], tetra["k"]].tolist() == TETRA_FACES.tolist()
    assert tetra["vertexcolor"] == ["#" + bytes(c).hex() for c in TETRA_COLORS]
    cloud = mesh_trace(page, "mesh/cloud")
    assert cloud["type"] == "scatter3d" and len(cloud["x"]) == 200 and "i" not in cloud
    assert "4 vertices · 4 faces · item 0 of 2" in card(page, "mesh/tetra").locator(".card-info").inner_text()
    page.screenshot("mesh-cards")
    # the card's own step slider, then the batch index
    box = card(page, "mesh/tetra").locator(".card-step input[type=number]").first
    box.fill("2")
    box.press("Tab")
    page.wait_for(lambda: mesh_x(page, "mesh/tetra") == [0.0, 1.0, 0.0, 0.0])  # step 0 (<= 2)
    card(page, "mesh/tetra").locator(".card-batch-select").click()
    page.page.get_by_role("option", name="batch item 1").click()
    t = page.wait_for(lambda: (t := mesh_trace(page, "mesh/tetra"))["x"] == [0.0, 2.0, 0.0, 0.0] and t)
    assert t["vertexcolor"][0] == "#ffff00"
    assert not page.errors


def test_mesh_card_follows_live_steps_and_the_global_rewind(start_viewer, open_page, tmp_path):
    root = write_meshes(tmp_path / "runs")
    page = open_page(start_viewer(root, reload_interval=0.4).url)
    page.click_tab("mesh")
    page.wait_for(lambda: mesh_x(page, "mesh/tetra")[1:2] == [3.0])
    with SummaryWriter(str(root / "exp")) as w:
        w.add_mesh("mesh/tetra", TETRA[None] * 7, faces=TETRA_FACES[None], global_step=9)
    t = page.wait_for(lambda: (t := mesh_trace(page, "mesh/tetra"))["x"][1] == 7.0 and t, timeout=15)
    assert "vertexcolor" not in t  # no colours at step 9: the run's colour
    assert "step 9" in card(page, "mesh/tetra").locator(".card-info").inner_text()
    page.set_slider("step-slider", 3)
    page.wait_for(lambda: mesh_x(page, "mesh/tetra")[1:2] == [1.0])
    page.page.click("#live")
    page.wait_for(lambda: mesh_x(page, "mesh/tetra")[1:2] == [7.0])


# ---------------------------------------------------------------------------------------------- embedding


def test_embedding_points_coloured_by_metadata_and_the_label_image_on_hover(
    start_viewer, open_page, tmp_path
):
    root = write_embedding(tmp_path / "runs")
    viewer = start_viewer(root)
    page = open_page(viewer.url)
    page.click_tab("projector")
    data = page.wait_for(lambda: graph_data(page, "default"))
    assert [t["name"] for t in data] == sorted(ANIMALS)
    assert sum(len(t["x"]) for t in data) == 120 and all(t["type"] == "scattergl" for t in data)
    assert len({t["marker"]["color"] for t in data}) == 3
    _, metadata, images = embedding_data()
    for t in data:
        assert {metadata[i][0] for i in t["customdata"]} == {t["name"]}
    # hover point 7 (a dog): its metadata and label image appear beside the plot
    dog = next(i for i, t in enumerate(data) if t["name"] == "dog")
    k = data[dog]["customdata"].index(7)
    x, y = page.page.evaluate(
        f"""() => {{ const gd = document.querySelector('.card-embedding .js-plotly-plot');
                     const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
                     const fl = gd._fullLayout, t = gd.data[{dog}];
                     return [box.left + fl.xaxis.l2p(t.x[{k}]), box.top + fl.yaxis.l2p(t.y[{k}])]; }}"""
    )
    page.page.mouse.move(x, y)
    side = card(page, "default").locator(".embedding-side")
    page.wait_for(lambda: "point 7" in side.inner_text())
    assert "animal dog" in side.inner_text() and "score 0.7" in side.inner_text()
    src = page.wait_for(lambda: card(page, "default").locator("img.embedding-image").get_attribute("src"))
    with urllib.request.urlopen(viewer.url.rstrip("/") + src) as resp:
        assert resp.headers["Content-Type"] == "image/png"
        got = np.asarray(Image.open(io.BytesIO(resp.read())))
    np.testing.assert_array_equal(got, np.uint8(images[7].transpose(1, 2, 0) * 255))
    page.screenshot("embedding-card")
    # colour by the numeric column: one trace on a colour scale; 3-D projection
    card(page, "default").locator(".card-color-select").click()
    page.page.get_by_role("option", name="score").click()
    numeric = page.wait_for(lambda: len(d := graph_data(page, "default")) == 1 and d)
    assert numeric[0]["marker"]["showscale"] is True
    np.testing.assert_allclose(
        [numeric[0]["marker"]["color"][numeric[0]["customdata"].index(i)] for i in (0, 5)], [0.0, 0.5]
    )
    card(page, "default").get_by_label("PCA 3-D").check()
    three = page.wait_for(lambda: (d := graph_data(page, "default")) and d[0]["type"] == "scatter3d" and d)
    assert len(three[0]["z"]) == 120
    assert not page.errors


# -------------------------------------------------------------------------------------------------- graph


def test_model_graph_shows_the_traced_nodes(start_viewer, open_page, tmp_path):
    root = write_graph(tmp_path / "runs")
    page = open_page(start_viewer(root).url)
    page.click_tab("graphs")
    data = page.wait_for(lambda: graph_data(page, "model graph"))
    nodes = next(t for t in data if t["name"] == "nodes")
    assert len(nodes["customdata"]) == 10
    assert {"input/x", "output/output.1", "Net/Linear[fc1]/input.1", "Net/ReLU[act]/input.3"} <= set(
        nodes["customdata"]
    )
    boxes = page.page.eval_on_selector_all(
        ".card-model_graph .annotation-text", "els => els.map(e => e.textContent)"
    )
    assert sorted(boxes) == sorted(
        ["input: x", "output: output.1", "linear · fc1", "relu · act", "linear · fc2", "linear · block.0",
         "tanh · block.1", "slice", "slice", "add"]
    )  # fmt: skip
    edges = next(t for t in data if t["name"] == "edges")
    assert edges["x"].count(None) == 10
    page.screenshot("model-graph-card")
    card(page, "model graph").locator(".card-axis-select").click()
    page.page.get_by_role("option", name="scopes to depth 1").click()
    folded = page.wait_for(
        lambda: (
            len(n := next(t for t in graph_data(page, "model graph") if t["name"] == "nodes")["customdata"])
            == 9
            and n
        )
    )
    assert "Net/Sequential[block]" in folded
    assert not page.errors
