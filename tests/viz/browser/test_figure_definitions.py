"""Figure definitions edited from the command line while the viewer is open: added, changed, deleted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.viz.helpers import tensorboard_smoothing, write_scalars

pytestmark = pytest.mark.browser

PLOTERIES = [str(Path(sys.executable).with_name("ploteries"))]


def cli(*args: str) -> str:
    done = subprocess.run([*PLOTERIES, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_definition_added_from_the_cli_appears_changes_and_disappears(start_viewer, open_page, tmp_path):
    db = write_scalars(
        tmp_path / "runs" / "sweep.h5",
        {"seed=1": {"loss": [4.0, 2.0, 1.0]}, "seed=2": {"loss": [6.0, 4.0, 3.0]}},
    )
    page = open_page(start_viewer(db.parent, reload_interval=0.3).url)
    page.wait_for(lambda: page.card_titles() == ["loss"])

    cli(
        "figures",
        "add",
        str(db),
        "--template",
        "runs_band",
        "--tag",
        "loss",
        "--id",
        "band",
        "--tab",
        "summary",
        "--title",
        "loss over seeds",
    )
    page.wait_for(lambda: "summary" in page.page.locator(".tab").all_inner_texts())
    page.click_tab("summary")
    traces = page.wait_for(lambda: page.traces("loss over seeds"))
    low, high, mean = (t["y"] for t in traces)  # line traces are smoothed like scalar cards (0.6 by default)
    assert low == pytest.approx(tensorboard_smoothing([4.0, 2.0, 1.0], 0.6), rel=1e-6)
    assert high == pytest.approx(tensorboard_smoothing([6.0, 4.0, 3.0], 0.6), rel=1e-6)
    assert mean == pytest.approx(tensorboard_smoothing([5.0, 3.0, 2.0], 0.6), rel=1e-6)
    page.screenshot("figure-definition-band")

    cli("figures", "edit", str(db), "band", "--set", 'title="seeds, min to max"')
    page.wait_for(lambda: page.card_titles() == ["seeds, min to max"])

    definition = json.loads(cli("figures", "show", str(db), "band"))
    assert definition["series"]["runs"]["aggregate"] == "runs"

    cli("figures", "rm", str(db), "band")
    page.wait_for(lambda: "summary" not in page.page.locator(".tab").all_inner_texts())
    assert not page.errors
