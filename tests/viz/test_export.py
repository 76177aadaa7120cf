import csv
import io
import json

import numpy as np
import pytest

from ploteries.viz.services.export import ExportRow, rows_from_records, series_to_csv, series_to_json

ROWS = [
    ExportRow("exp1", "loss", 0, 1700000000.123456, 0.1),
    ("exp1", "loss", 10, 1700000001.5, float("nan")),
    {"run": "exp,2", "tag": 'a"b', "step": 20, "wall_time": 1700000002.0, "value": float("-inf")},
]


def test_csv_text():
    assert series_to_csv(ROWS) == (
        "run,tag,step,wall_time,value\n"
        "exp1,loss,0,1700000000.123456,0.1\n"
        "exp1,loss,10,1700000001.5,nan\n"
        '"exp,2","a""b",20,1700000002.0,-inf\n'
    )


def test_csv_round_trips_exactly():
    value = 0.1 + 0.2
    rows = list(csv.DictReader(io.StringIO(series_to_csv([("r", "t", 3, 1.0 / 3.0, value)]))))
    assert float(rows[0]["value"]) == value and float(rows[0]["wall_time"]) == 1.0 / 3.0


def test_csv_of_no_rows_is_the_header():
    assert series_to_csv([]) == "run,tag,step,wall_time,value\n"


def test_json_is_strict_with_nulls_for_non_finite():
    parsed = json.loads(series_to_json(ROWS), parse_constant=pytest.fail)
    assert parsed == [
        {"run": "exp1", "tag": "loss", "step": 0, "wall_time": 1700000000.123456, "value": 0.1},
        {"run": "exp1", "tag": "loss", "step": 10, "wall_time": 1700000001.5, "value": None},
        {"run": "exp,2", "tag": 'a"b', "step": 20, "wall_time": 1700000002.0, "value": None},
    ]


def test_json_of_no_rows():
    assert series_to_json([]) == "[]"


def test_numpy_scalars_are_accepted():
    row = ("r", "t", np.int64(5), np.float64(2.0), np.float32(0.5))
    assert series_to_csv([row]).splitlines()[1] == "r,t,5,2.0,0.5"
    assert json.loads(series_to_json([row]))[0]["step"] == 5


def test_rows_from_records():
    rec = np.zeros(3, dtype=[("step", "<i8"), ("wall_time", "<f8"), ("value", "<f8")])
    rec["step"] = [0, 1, 2]
    rec["wall_time"] = [10.0, 11.0, 12.0]
    rec["value"] = [0.5, np.nan, 1.5]
    rows = rows_from_records("r", "acc", rec)
    assert rows[2] == ExportRow("r", "acc", 2, 12.0, 1.5)
    assert series_to_csv(rows).splitlines()[2] == "r,acc,1,11.0,nan"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("r", "t", 1), r"has 3 fields; rows need \['run', 'tag', 'step', 'wall_time', 'value'\]"),
        ({"run": "r", "tag": "t", "step": 1}, r"lacks the columns \['wall_time', 'value'\]"),
    ],
)
def test_bad_rows(row, message):
    with pytest.raises(ValueError, match=message):
        series_to_csv([row])
