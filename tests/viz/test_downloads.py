"""``POST /download``: a card's rows streamed as CSV/JSON, in bounded memory, with formula cells neutralised."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc

import numpy as np
import pytest

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from tests.viz.helpers import write_scalars


def request(card: str, fmt: str = "csv", view=None) -> dict:
    return {"request": json.dumps({"card": card, "fmt": fmt, "view": view or [None, None, None, None, None]})}


@pytest.fixture
def app(tmp_path):
    write_scalars(tmp_path / "db.h5", {"=HYPERLINK(1)": {"loss": [1.0, 0.5]}, "-lr": {"loss": [2.0]}})
    return create_app(Library([tmp_path]))


def test_a_card_downloads_as_csv_with_formula_cells_neutralised(app):
    response = app.server.test_client().post("/download", data=request("auto/scalar/loss"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="loss.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["run", "tag", "step", "wall_time", "value"]
    assert sorted((r[0], r[2], r[4]) for r in rows[1:]) == [
        ("'-lr", "0", "2.0"),
        ("'=HYPERLINK(1)", "0", "1.0"),
        ("'=HYPERLINK(1)", "1", "0.5"),
    ]


def test_a_card_downloads_as_json_with_the_names_as_they_are(app):
    response = app.server.test_client().post("/download", data=request("auto/scalar/loss", "json"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    got = sorted((r["run"], r["step"], r["value"]) for r in json.loads(response.data))
    assert got == [("-lr", 0, 2.0), ("=HYPERLINK(1)", 0, 1.0), ("=HYPERLINK(1)", 1, 0.5)]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({}, 400, "a download needs a 'request' field"),
        ({"request": "{"}, 400, "a download needs a 'request' field"),
        ({"request": json.dumps({"card": 3, "fmt": "csv"})}, 400, "download card must be a card id"),
        (request("auto/scalar/loss", "xlsx"), 400, "download fmt must be one of ['csv', 'json']"),
        (
            {"request": json.dumps({"card": "c", "fmt": "csv", "view": "x"})},
            400,
            "download view must be a list",
        ),
        (request("auto/scalar/nope"), 404, "no card 'auto/scalar/nope' on this page"),
        (request("auto/scalar/loss", view=[None, None, "zzz", None, None]), 404, "no card"),
    ],
)
def test_bad_download_requests_are_4xx_with_a_message(app, data, status, message):
    response = app.server.test_client().post("/download", data=data)
    assert response.status_code == status and message in response.get_data(as_text=True)


def test_a_download_beyond_the_heavy_slots_is_503(app):
    app.heavy.wait = 0.0
    with app.heavy.slot(), app.heavy.slot():
        response = app.server.test_client().post("/download", data=request("auto/scalar/loss"))
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert app.server.test_client().post("/download", data=request("auto/scalar/loss")).status_code == 200


def test_a_long_card_streams_in_less_memory_than_its_text(tmp_path):
    n = 300_000
    write_scalars(tmp_path / "db.h5", {"run": {"loss": np.linspace(0.0, 1.0, n)}})
    app = create_app(Library([tmp_path]))
    client = app.server.test_client()
    tracemalloc.start()
    try:
        response = client.post("/download", data=request("auto/scalar/loss"), buffered=False)
        size = lines = 0
        for chunk in response.response:
            size += len(chunk)
            lines += chunk.count(b"\n")
        response.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines == n + 1
    assert peak < 0.75 * size, (peak, size)  # the rows were never all in memory as objects, nor as text
    assert app.heavy.acquire()  # the stream gave its slot back
