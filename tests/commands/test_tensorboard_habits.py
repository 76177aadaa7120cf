"""TensorBoard's command-line habits: --version, --logdir, --logdir_spec, --bind_all, --reload_interval,
several paths for ls and export."""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ploteries
from ploteries.cli import main as cli_main
from ploteries.viz.server import add_arguments, apply_tensorboard_flags, parse_logdir_spec
from tests.viz.helpers import write_scalars


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return apply_tensorboard_flags(parser.parse_args(list(argv)))


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ploteries {ploteries.__version__}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("a:runs/a,b:runs/b", [("a", Path("runs/a")), ("b", Path("runs/b"))]),
        ("runs", [(None, Path("runs"))]),
        ("base:runs/base,runs/new,", [("base", Path("runs/base")), (None, Path("runs/new"))]),
        ("/data/a:b", [(None, Path("/data/a:b"))]),  # an absolute path with a colon, not a name
        ("gs://bucket/logs", [(None, Path("gs://bucket/logs"))]),  # a URL, not a name
        ("old:/abs/path:with:colons", [("old", Path("/abs/path:with:colons"))]),
    ],
)
def test_logdir_spec(spec, expected):
    assert parse_logdir_spec(spec) == expected


@pytest.mark.parametrize("spec", [":runs", "name:"])
def test_logdir_spec_errors(spec):
    with pytest.raises(ValueError, match="--logdir_spec part .* must be PATH or NAME:PATH"):
        parse_logdir_spec(spec)


_name = st.text(st.characters(categories=["L", "N"], include_characters="_-."), min_size=2, max_size=8)
_path = st.text(st.characters(categories=["L", "N"], include_characters="_-/"), min_size=1, max_size=12)


@given(st.lists(st.tuples(st.one_of(st.none(), _name), _path), min_size=1, max_size=4))
def test_logdir_spec_round_trip(roots):
    """Writing roots as TensorBoard spells them and parsing that back gives the roots."""
    roots = [(name, p) for name, p in roots if name is not None or ":" not in p]
    spec = ",".join(p if name is None else f"{name}:{p}" for name, p in roots)
    assert parse_logdir_spec(spec) == [(name, Path(p)) for name, p in roots]


def test_tensorboard_flags_fold_into_ours():
    args = parse(
        "runs", "--logdir", "more", "--logdir", "again", "--logdir_spec", "a:x,y", "--reload_interval", "5"
    )
    assert args.roots == [Path("runs"), Path("more"), Path("again"), Path("x"), Path("y")]
    assert args.root_names == [None, None, None, "a", None]
    assert args.reload_interval == 5.0 and args.host == "127.0.0.1" and args.port == 6006
    assert apply_tensorboard_flags(args).roots == [
        Path("runs"),
        Path("more"),
        Path("again"),
        Path("x"),
        Path("y"),
    ]
    assert parse("--logdir", "runs", "--bind_all", "--port", "7007").host == "0.0.0.0"
    assert parse("runs", "--reload-interval", "3", "--host", "::1").host == "::1"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "no ROOT given; pass a directory"),
        (("runs", "--bind_all", "--host", "10.0.0.1"), "--bind_all and --host 10.0.0.1 both choose"),
    ],
)
def test_tensorboard_flag_errors(argv, message):
    with pytest.raises(ValueError, match=message):
        parse(*argv)


def test_serve_errors_name_the_flag(tmp_path, capsys):
    assert cli_main(["serve", "--logdir", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli_main(["serve", "--logdir", str(tmp_path), "--reload_interval", "0"]) == 2
    assert "--reload-interval must be a positive number" in capsys.readouterr().err


def test_a_server_started_with_tensorboard_flags_shows_named_roots(tmp_path):
    write_scalars(tmp_path / "base" / "db.h5", {"r": {"loss": [1.0, 2.0]}})
    write_scalars(tmp_path / "new" / "db.h5", {"r": {"loss": [3.0]}})
    spec = f"base:{tmp_path / 'base'},new:{tmp_path / 'new'}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ploteries.viz",
            "--logdir_spec",
            spec,
            "--port",
            "0",
            "--reload_interval",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://localhost:")[1].split("/")[0])
        raw = urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=30).read()
        layout = json.dumps(json.loads(raw), ensure_ascii=False)  # Dash escapes '/' as '\\/'
        assert "base/db.h5" in layout and "new/db.h5" in layout  # the names prefix the databases' labels
        assert "base/db.h5: r" in layout and "new/db.h5: r" in layout  # and the runs that share a name
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def two_roots(tmp_path):
    a = write_scalars(tmp_path / "a" / "exp1" / "ploteries.h5", {"exp1": {"loss": [1.0, 0.5]}})
    b = write_scalars(tmp_path / "b.h5", {"r": {"acc": [0.25]}})
    return a, b


def test_ls_takes_several_paths(two_roots, tmp_path, capsys):
    a, b = two_roots
    assert cli_main(["ls", str(tmp_path / "a"), str(b)]) == 0
    out = capsys.readouterr().out
    assert f"{a}: 1 runs, 1 series" in out and f"{b}: 1 runs, 1 series" in out
    assert cli_main(["ls", str(b), str(tmp_path / "nope")]) == 2
    assert f"no such file or directory: {tmp_path / 'nope'}" in capsys.readouterr().err


def test_export_takes_several_paths(two_roots, tmp_path, capsys):
    a, b = two_roots
    assert cli_main(["export", str(tmp_path / "a"), str(b), "-"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        ["database", "run", "tag", "step", "wall_time", "value"],
        [str(a), "exp1", "loss", "0", "1700000000.0", "1.0"],
        [str(a), "exp1", "loss", "1", "1700000001.0", "0.5"],
        [str(b), "r", "acc", "0", "1700000000.0", "0.25"],
    ]
    assert cli_main(["export", str(a), str(b), "-", "--format", "json", "--tag", "acc"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"database": str(b), "run": "r", "tag": "acc", "step": 0, "wall_time": 1700000000.0, "value": 0.25}
    ]
    out = tmp_path / "all.npz"
    assert cli_main(["export", str(a), str(b), str(out)]) == 0
    import numpy as np

    data = np.load(out)
    assert data[f"{a}|exp1|loss|"]["value"].tolist() == [1.0, 0.5]
    assert data[f"{b}|r|acc|"]["value"].tolist() == [0.25]
    assert cli_main(["export", str(tmp_path / "empty_dir_that_is_missing"), "-"]) == 2


def test_serve_mirrors_the_event_files_of_each_directory_root(tmp_path):
    from ploteries.commands.serve import event_mirrors

    write_scalars(tmp_path / "one.h5", {"r": {"loss": [1.0]}})
    (tmp_path / "logs").mkdir()
    args = parse(
        "--logdir_spec", f"a:{tmp_path / 'logs'},{tmp_path / 'one.h5'},{tmp_path}", "--cache-dir", "c"
    )
    mirrors = event_mirrors(args)
    assert [(m.root, m.label, m.folder.parent) for m in mirrors] == [
        (tmp_path / "logs", "a/tfevents", Path("c")),
        (tmp_path, f"{tmp_path.name}/tfevents", Path("c")),
    ]
