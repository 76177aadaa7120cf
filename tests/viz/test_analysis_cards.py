"""The hparams, mesh, embedding and model graph cards without a browser: data drawn, refresh, rewind, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ploteries.compat import SummaryWriter
from ploteries.viz.app import Viewer
from ploteries.viz.cards import builtin_card_types
from ploteries.viz.library import Library
from ploteries.viz.page import all_definitions
from ploteries.viz.settings import ViewSettings
from tests.viz.analysis_data import (
    ANIMALS,
    TETRA,
    TETRA_FACES,
    TRIALS,
    embedding_data,
    write_embedding,
    write_graph,
    write_meshes,
    write_trial,
    write_trials,
)


def context(lib: Library, title: str, settings: ViewSettings | None = None):
    viewer = Viewer(lib)
    snapshot = lib.refresh()
    (model,) = [m for m in viewer.models(snapshot, None, None, None, None) if m.title == title]
    return viewer.context(model, snapshot, settings or ViewSettings(), viewer.colors(snapshot))


# ------------------------------------------------------------------------------------------------ hparams


def test_hparams_rows_hold_hparams_metrics_and_last_scalar_values(tmp_path):
    lib = Library([write_trials(tmp_path)])
    ctx = context(lib, "hparams")
    assert ctx.definition["tab"] == "hparams"
    t = ctx.card_type.table(ctx, None)
    assert t["offered"] == ["acc/val", "loss/train"] and t["chosen"] == ["acc/val", "loss/train"]
    rows = sorted(t["rows"], key=lambda r: r["trial"])
    assert [r["trial"] for r in rows] == ["trial0/hp", "trial1/hp", "trial2/hp"]
    for i, row in enumerate(rows):
        hparams, metrics = TRIALS[i]
        assert row["h:lr"] == hparams["lr"] and row["h:bs"] == float(hparams["bs"])
        assert row["h:opt"] == hparams["opt"] and row["h:bn"] == float(hparams["bn"])
        assert row["m:hparam/accuracy"] == metrics["hparam/accuracy"]
        assert row["s:loss/train"] == pytest.approx(1.0 / 5 + i)  # the parent run's last value
        assert row["s:acc/val"] == pytest.approx(0.5 + 0.1 * i + 0.04)
    # each trial is alone in its parent run: it takes the parent's colour (its curves' colour)
    colors = ctx.colors
    assert {r["_color"] for r in rows} == {
        c for k, c in colors.items() if k.run in ("trial0", "trial1", "trial2")
    }
    scatter = ctx.card_type.scatter(t["rows"], t["columns"], "h:lr", "m:hparam/accuracy", None, "c")
    assert scatter["layout"]["xaxis"]["type"] == "log" and "type" not in scatter["layout"]["yaxis"]
    assert sorted(scatter["data"][0]["x"]) == [0.001, 0.01, 0.1]
    only = ctx.card_type.table(ctx, ["loss/train"])
    assert [c["id"] for c in only["columns"]][-1] == "s:loss/train"
    assert not any(c["id"] == "s:acc/val" for c in only["columns"])


def test_hparams_trials_of_one_writer_get_their_sub_run_colours(tmp_path):
    with SummaryWriter(str(tmp_path / "sweep")) as w:
        for i in range(3):
            w.add_hparams({"lr": 10.0**-i}, {"m": float(i)}, run_name=f"t{i}")
    ctx = context(Library([tmp_path]), "hparams")
    rows = ctx.card_type.table(ctx, None)["rows"]
    assert len({r["_color"] for r in rows}) == 3
    assert {r["_color"] for r in rows} == {c for k, c in ctx.colors.items() if k.run.startswith("sweep/")}


def test_hparams_refresh_is_quiet_until_a_trial_or_a_scalar_arrives(tmp_path):
    root = write_trials(tmp_path)
    lib = Library([root])
    ctx = context(lib, "hparams")
    state = ctx.card_type.render(ctx).state
    assert ctx.card_type.refresh(context(lib, "hparams"), state, live=True) is None
    with SummaryWriter(str(root / "trial0")) as w:  # training goes on: a new scalar row in a parent run
        w.add_scalar("loss/train", 0.01, 10)
    update = ctx.card_type.refresh(context(lib, "hparams"), state, live=True)
    assert update is not None and update.state["digest"] != state["digest"]
    ctx = context(lib, "hparams")
    row = next(r for r in ctx.card_type.table(ctx, None)["rows"] if r["trial"] == "trial0/hp")
    assert row["s:loss/train"] == 0.01


def test_hparams_rewind_hides_later_trials_and_later_scalars(tmp_path):
    root = write_trials(tmp_path)
    write_trial(root, 3, {"lr": 0.5, "bs": 8, "opt": "adam", "bn": True}, {"hparam/accuracy": 0.1}, steps=20)
    ctx = context(Library([root]), "hparams", ViewSettings(step=4))
    rows = ctx.card_type.table(ctx, None)["rows"]
    assert sorted(r["trial"] for r in rows) == ["trial0/hp", "trial1/hp", "trial2/hp"]
    ctx = context(Library([root]), "hparams", ViewSettings(step=2))
    assert ctx.card_type.table(ctx, None)["rows"] == []


# --------------------------------------------------------------------------------------------------- mesh


def test_mesh_tags_get_a_default_card_bound_to_their_vertices(tmp_path):
    lib = Library([write_meshes(tmp_path)])
    defs = {d["id"]: d for d in all_definitions(lib.refresh(), builtin_card_types())}
    assert defs["auto/mesh/mesh/tetra"]["series"]["y"]["part"] == "vertices"
    assert "auto/mesh/mesh/cloud" in defs and not any(k.startswith("auto/scalar/mesh") for k in defs)


def test_mesh_view_draws_faces_colours_batch_items_and_steps(tmp_path):
    lib = Library([write_meshes(tmp_path)])
    ctx = context(lib, "mesh/tetra")
    card = ctx.card_type
    v = card.view(ctx, None, None, None, None)
    (trace,) = v["figure"]["data"]
    assert trace["type"] == "mesh3d"
    np.testing.assert_allclose(np.c_[trace["x"], trace["y"], trace["z"]], TETRA * 3)  # latest step, item 0
    assert np.c_[trace["i"], trace["j"], trace["k"]].tolist() == TETRA_FACES.tolist()
    assert trace["vertexcolor"] == ["#ff0000", "#00ff00", "#0000ff", "#ffff00"]
    assert (v["min"], v["max"], v["value"], v["marks"]) == (0, 5, 5, {0: "0", 5: "5"})
    assert [o["value"] for o in v["batch_options"]] == [0, 1] and v["batch_style"] == {} and v["style"] == {}
    assert "4 vertices · 4 faces · item 0 of 2" in v["info"]
    item1 = card.view(ctx, None, 1, 0, None)["figure"]["data"][0]  # step 0, item 1
    np.testing.assert_allclose(np.c_[item1["x"], item1["y"], item1["z"]], TETRA * 2)
    assert item1["vertexcolor"][0] == "#ffff00"  # item 1's colours are reversed
    rewound = card.view(context(lib, "mesh/tetra", ViewSettings(step=3)), None, 0, None, None)
    assert rewound["figure"]["data"][0]["x"] == [0.0, 1.0, 0.0, 0.0] and rewound["style"] == {
        "display": "none"
    }
    follow = card.view(ctx, None, 0, 5, 5)
    assert follow["value"] == 5


def test_mesh_without_faces_is_a_point_cloud_in_the_run_colour(tmp_path):
    ctx = context(Library([write_meshes(tmp_path)]), "mesh/cloud")
    v = ctx.card_type.view(ctx, None, None, None, None)
    (trace,) = v["figure"]["data"]
    assert trace["type"] == "scatter3d" and len(trace["x"]) == 200
    assert trace["marker"]["color"] == ctx.color(ctx.series[0]) and trace["marker"]["size"] == 4.0
    assert v["figure"]["layout"]["scene"]["aspectmode"] == "data"


def test_bad_faces_are_reported_in_the_card(tmp_path):
    from ploteries.storage import DatabaseWriter

    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append("r", "m", TETRA[None], 0, kind="mesh", part="vertices", ragged=True)
        w.append("r", "m", np.array([[[0, 1, 9]]], np.int32), 0, kind="mesh", part="faces", ragged=True)
    ctx = context(Library([tmp_path]), "m")
    fig = ctx.card_type.view(ctx, None, None, None, None)["figure"]
    assert "cannot draw this mesh: faces index vertices in [0, 9]" in fig["layout"]["annotations"][0]["text"]


# ---------------------------------------------------------------------------------------------- embedding


def test_embedding_view_projects_and_colours_by_category(tmp_path):
    lib = Library([write_embedding(tmp_path)])
    ctx = context(lib, "default")
    assert ctx.definition["tab"] == "projector"
    v = ctx.card_type.view(ctx, None, "pca2", None, None, None)
    traces = v["figure"]["data"]
    assert [t["name"] for t in traces] == sorted(ANIMALS)  # coloured by the first column by default
    assert v["color"] == "animal" and [o["value"] for o in v["color_options"]] == ["animal", "score"]
    assert sum(len(t["x"]) for t in traces) == 120 and {t["type"] for t in traces} == {"scattergl"}
    assert len({t["marker"]["color"] for t in traces}) == 3
    mat, metadata, _ = embedding_data()
    for t in traces:
        assert {metadata[i][0] for i in t["customdata"]} == {t["name"]}
    # the clusters separate along the first two components of the latest record (mat * 2)
    assert "step 4" in v["info"] and "120 points × 16 dims" in v["info"]
    numeric = ctx.card_type.view(ctx, None, "pca3", "score", None, None)["figure"]["data"]
    assert len(numeric) == 1 and numeric[0]["type"] == "scatter3d" and numeric[0]["marker"]["showscale"]
    assert numeric[0]["marker"]["color"][:3] == [0.0, 0.1, 0.2]


def test_embedding_subsamples_large_sets_and_says_so(tmp_path):
    lib = Library([write_embedding(tmp_path, n=300)])
    ctx = context(lib, "default")
    card = ctx.card_type
    card.max_points_2d = 100
    try:
        v = card.view(ctx, None, "pca2", None, None, None)
    finally:
        del card.max_points_2d
    assert sum(len(t["x"]) for t in v["figure"]["data"]) == 100
    assert "showing 100 evenly spaced of 300 points" in v["info"]


def test_embedding_hover_and_label_image_route(tmp_path):
    lib = Library([write_embedding(tmp_path)])
    ctx = context(lib, "default")
    card = ctx.card_type
    src, lines = card.hover(ctx, None, 4, 7)
    assert src.startswith("/_ploteries/embedding/label_img?") and "index=7" in src and "step=4" in src
    assert "dog" in str(lines) and "0.7" in str(lines)
    from urllib.parse import parse_qsl, urlsplit

    args = dict(parse_qsl(urlsplit(src).query))
    png = card.label_image(lib, args)
    _, _, images = embedding_data()
    want = np.uint8(images[7].transpose(1, 2, 0) * 255)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), want)
    with pytest.raises(KeyError, match="no label images"):
        card.label_image(lib, {**args, "tag": "nope"})
    with pytest.raises(IndexError, match="no label image 500"):
        card.label_image(lib, {**args, "index": "500"})
    with pytest.raises(KeyError, match="no label images at step 3"):
        card.label_image(lib, {**args, "step": "3"})


# -------------------------------------------------------------------------------------------------- graph


def test_graph_card_draws_every_op_node_with_its_hover(tmp_path):
    lib = Library([write_graph(tmp_path)])
    ctx = context(lib, "model graph")
    assert ctx.definition["tab"] == "graphs"
    v = ctx.card_type.view(ctx, None, "auto", [])
    nodes = next(t for t in v["figure"]["data"] if t["name"] == "nodes")
    names = nodes["customdata"]
    assert "input/x" in names and "output/output.1" in names and "Net/Linear[fc1]/input.1" in names
    assert not any("Constant" in h for h in nodes["hovertext"])  # constants hidden by default
    texts = [a["text"] for a in v["figure"]["layout"]["annotations"]]
    assert "linear · fc1" in texts and "relu · act" in texts and "tanh · block.1" in texts
    assert "10 nodes" in v["info"] and "10 edges" in v["info"]
    folded = ctx.card_type.view(ctx, None, 1, [])
    names1 = next(t for t in folded["figure"]["data"] if t["name"] == "nodes")["customdata"]
    assert "Net/Sequential[block]" in names1 and "Net/Linear[fc1]" in names1
    every = ctx.card_type.view(ctx, None, "all", ["constants"])
    assert len(next(t for t in every["figure"]["data"] if t["name"] == "nodes")["customdata"]) > 20
    assert [o["value"] for o in v["depth_options"]] == ["auto", 1, 2, "all"]


def test_a_graph_record_that_is_not_a_graph_shows_a_message(tmp_path):
    from ploteries.storage import DatabaseWriter, json_to_array

    with DatabaseWriter(tmp_path / "db.h5") as w:
        w.append("r", "_graph_", json_to_array({"edges": []}), 0, kind="graph", ragged=True)
    ctx = context(Library([tmp_path]), "model graph")
    fig = ctx.card_type.view(ctx, None, "auto", [])["figure"]
    assert "cannot draw this graph" in fig["layout"]["annotations"][0]["text"]


def test_label_image_route_serves_png_and_only_series_of_the_library(tmp_path):
    from ploteries.viz.app import create_app

    lib = Library([write_embedding(tmp_path)])
    client = create_app(lib).server.test_client()
    ok = client.get(
        "/_ploteries/embedding/label_img?source=exp/ploteries.h5&run=exp&tag=default&step=0&index=3"
    )
    assert ok.status_code == 200 and ok.mimetype == "image/png"
    assert np.asarray(Image.open(io.BytesIO(ok.data))).shape == (8, 8, 3)
    for query in (
        "source=../../etc/passwd&run=exp&tag=default&step=0&index=3",
        "source=/etc/passwd&run=exp&tag=default&step=0&index=3",
        "source=exp/ploteries.h5&run=exp&tag=default&step=0&index=-1",
        "source=exp/ploteries.h5&run=exp&tag=default&step=x&index=1",
    ):
        bad = client.get(f"/_ploteries/embedding/label_img?{query}")
        assert bad.status_code == 404 and bad.mimetype == "text/plain", query


def test_the_embedding_cache_is_bounded_in_entries_and_bytes():
    from ploteries.viz.cards.embedding import EmbeddingCard

    cache = EmbeddingCard()._cache
    cache.max_entries, cache.max_bytes = 3, 10_000
    for i in range(5):
        cache.get_or_make(i, lambda: np.zeros(100))  # 800 bytes each
    assert cache.keys() == [2, 3, 4]
    cache.get_or_make("big", lambda: np.zeros(1100))  # 8,800 bytes: the older ones go until it all fits
    assert cache.keys() == [4, "big"] and cache.nbytes == 9600
    calls = []
    cache.get_or_make("big", lambda: calls.append(1))
    assert calls == []  # a hit computes nothing
