import csv
import io
import json

import numpy as np
import pytest

from ploteries.cli import main as cli_main
from ploteries.storage import DatabaseWriter


@pytest.fixture
def db(db_path):
    with DatabaseWriter(db_path) as w:
        w.append_scalar("a", "loss", 0.5, step=1, wall_time=10.0)
        w.append_scalar("a", "loss", float("nan"), step=2, wall_time=11.0)
        w.append_scalar("b", "acc", 0.25, step=1, wall_time=12.0)
        w.append("a", "img", np.zeros((2, 2), np.uint8), step=1)
        w.append("a", "img", np.ones((3, 2), np.uint8), step=2)
    return db_path


def test_csv_export_of_scalars(db, tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert cli_main(["export", str(db), str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["run", "tag", "step", "wall_time", "value"]
    assert rows[1:] == [
        ["a", "loss", "1", "10.0", "0.5"],
        ["a", "loss", "2", "11.0", "nan"],
        ["b", "acc", "1", "12.0", "0.25"],
    ]


def test_json_export_to_stdout_with_filters(db, capsys):
    assert cli_main(["export", str(db), "-", "--format", "json", "--run", "^a$"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records == [
        {"run": "a", "tag": "loss", "step": 1, "wall_time": 10.0, "value": 0.5},
        {"run": "a", "tag": "loss", "step": 2, "wall_time": 11.0, "value": None},
    ]


def test_npz_export_keeps_every_series(db, tmp_path):
    out = tmp_path / "all.npz"
    assert cli_main(["export", str(db), str(out)]) == 0
    data = np.load(out)
    assert data["a|loss|"]["step"].tolist() == [1, 2]
    assert data["a|img||1"].tolist() == [[1, 1], [1, 1], [1, 1]]
    assert data["a|img||step"].tolist() == [1, 2]


def test_export_errors(db, capsys):
    assert cli_main(["export", str(db), "out.xyz"]) == 2
    assert "pass --format" in capsys.readouterr().err
    assert cli_main(["export", str(db), "-", "--run", "("]) == 2
    assert "--run '(' is not a valid regular expression" in capsys.readouterr().err
