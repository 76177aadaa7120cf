"""Notebooks: a real kernel runs ``%load_ext ploteries`` / ``%ploteries`` and ``ploteries.notebook.show``."""

from __future__ import annotations

import json
import os
import re
import urllib.request

import pytest

from tests.viz.helpers import write_scalars

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def html_outputs(cell) -> list[str]:
    return [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]


def iframe_url(html: str) -> str:
    match = re.search(r'<iframe\s[^>]*src="(http://127\.0\.0\.1:\d+/)"', html)
    assert match, html
    return match.group(1)


def layout_text(url: str) -> str:
    raw = urllib.request.urlopen(url + "_dash-layout", timeout=60).read()
    return json.dumps(json.loads(raw), ensure_ascii=False)


def test_magic_and_show_put_a_live_viewer_in_the_notebook(tmp_path):
    write_scalars(tmp_path / "runs" / "exp1" / "ploteries.h5", {"exp1": {"loss/train": [1.0, 0.5]}})
    write_scalars(tmp_path / "other" / "sweep.h5", {"seed=1": {"acc": [0.25]}})
    cache = tmp_path / "cache"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext ploteries"),
        nbformat.v4.new_code_cell(
            f"%ploteries {tmp_path / 'runs'} --port 0 --height 500 --cache-dir {cache}"
        ),
        nbformat.v4.new_code_cell(
            "import ploteries.notebook\n"
            f"ploteries.notebook.show({str(tmp_path / 'other')!r}, port=0, cache_dir={str(cache)!r})"
        ),
        nbformat.v4.new_code_cell(f"%ploteries {tmp_path / 'missing'}"),
    ]
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])),
    }
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells[:3]):
            client.execute_cell(cell, index)
        with pytest.raises(
            nbclient.exceptions.CellExecutionError,
            match="UsageError: %ploteries: ROOT .*missing does not exist",
        ):
            client.execute_cell(nb.cells[3], 3)
        [magic_html] = html_outputs(nb.cells[1])
        [show_html] = html_outputs(nb.cells[2])
        assert 'height="500"' in magic_html and 'width="100%"' in magic_html
        magic_url, show_url = iframe_url(magic_html), iframe_url(show_html)
        assert magic_url != show_url  # two roots, two viewers
        page = urllib.request.urlopen(magic_url, timeout=60).read().decode()  # served by the kernel
        assert "<title>ploteries</title>" in page
        assert "exp1/ploteries.h5" in layout_text(magic_url)
        assert "sweep.h5" in layout_text(show_url)


def test_start_reuses_a_running_viewer_and_names_bad_options(tmp_path):
    import ploteries.notebook as notebook

    write_scalars(tmp_path / "runs" / "db.h5", {"r": {"loss": [1.0]}})
    first = notebook.start(tmp_path / "runs", port=0, cache_dir=tmp_path / "cache")
    try:
        again = notebook.start(tmp_path / "runs", port=0, cache_dir=tmp_path / "cache")
        assert again is first  # a cell run twice shows the same viewer
        assert "db.h5" in layout_text(first.url)
    finally:
        first.stop()
    assert notebook.start(tmp_path / "runs", port=0).port != 0
    with pytest.raises(TypeError, match="unknown option colour=1; options: .*reload_interval"):
        notebook.start(tmp_path / "runs", colour=1)
    with pytest.raises(ValueError, match="serves on 127.0.0.1 only"):
        notebook.start(tmp_path / "runs", bind_all=True)
    with pytest.raises(ValueError, match="--reload-interval must be a positive number"):
        notebook.start(tmp_path / "runs", reload_interval=0)
    for handle in list(notebook._RUNNING.values()):
        handle.stop()
