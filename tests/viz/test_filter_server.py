"""A catastrophic filter posted to a real viewer process answers at once, and the viewer keeps serving."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request

import pytest

from ploteries.viz.app import create_app
from ploteries.viz.library import Library
from tests.viz.dash_requests import callback_body, callback_key
from tests.viz.helpers import write_scalars

EVIL = "(.*.*)*Z"  # Python's re takes minutes on a 16-character tag: exponential backtracking


def post(url: str, body: dict, timeout: float) -> tuple[int, dict]:
    request = urllib.request.Request(
        url + "_dash-update-component",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


@pytest.mark.timeout(120)
def test_a_backtracking_filter_answers_at_once_and_the_viewer_keeps_serving(tmp_path):
    write_scalars(
        tmp_path / "db.h5",
        {"a_rather_long_run_name": {"loss/training_value_x": [1.0, 2.0], "accuracy/validation_x": [0.5]}},
    )
    body_for = create_app(Library([tmp_path]))  # the same app, to build the request from its callback map
    key = callback_key(body_for, "tag-filter-error", "children")
    body = callback_body(
        body_for,
        key,
        {("tag-filter", "value"): EVIL, ("run-filter", "value"): EVIL, ("tabs", "value"): "loss"},
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ploteries.viz", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = "http://127.0.0.1:" + line.split("http://localhost:")[1].split("/")[0] + "/"
        answers: list = []
        filtering = threading.Thread(target=lambda: answers.append(post(url, body, timeout=60)))
        filtering.start()
        with urllib.request.urlopen(url + "_dash-layout", timeout=30) as layout:  # while the filter runs
            assert layout.status == 200
        filtering.join(60)
        assert answers, "the filter request did not answer"
        status, data = answers[0]
        assert status == 200
        response = data["response"]
        assert response["tag-filter-error"]["children"] == ""  # a valid pattern, matched in linear time
        assert response["page-info"]["children"] == "page 1 of 1 · 0 cards"
        with urllib.request.urlopen(url, timeout=30) as index:
            assert "<title>ploteries</title>" in index.read().decode()
    finally:
        proc.terminate()
        proc.wait(10)
