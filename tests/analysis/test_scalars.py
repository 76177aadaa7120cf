"""``ploteries.scalars``: one long DataFrame, equal to tbparse's on logs written by both writers."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ploteries
from ploteries.compat import SummaryWriter
from ploteries.storage import DatabaseWriter

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")  # inside tbparse
tbparse = pytest.importorskip("tbparse")
torch_tb = pytest.importorskip("torch.utils.tensorboard")

WALL = 1_700_000_000.0


def log(writer, seed: int) -> None:
    """The same calls for both writers: plain scalars, add_scalars sub-runs, and non-scalars to leave out."""
    rng = np.random.default_rng(seed)
    for step in range(0, 40, 3):
        writer.add_scalar("loss/train", float(rng.normal()), step, walltime=WALL + step)
        writer.add_scalar("lr", 0.1 / (step + 1), step, walltime=WALL + step)
        writer.add_scalars(
            "acc", {"train": float(rng.random()), "val": float(rng.random())}, step, WALL + step
        )
    writer.add_histogram("weights", rng.normal(size=50), 0, walltime=WALL)
    writer.add_text("note", "not a scalar", 0, walltime=WALL)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    for name, seed in (("exp1", 1), ("exp2", 2)):
        for make, folder in ((torch_tb.SummaryWriter, "tb"), (SummaryWriter, "ploteries")):
            with make(str(root / folder / name)) as writer:
                log(writer, seed)
    return root


def tbparse_frame(logdir) -> pd.DataFrame:
    df = tbparse.SummaryReader(str(logdir), extra_columns={"dir_name", "wall_time"}).scalars
    df = df.rename(columns={"dir_name": "run"})[["run", "tag", "step", "wall_time", "value"]]
    return df.sort_values(["run", "tag", "step"], kind="stable").reset_index(drop=True)


def test_equal_to_tbparse_on_logs_of_both_writers(both):
    ours = ploteries.scalars(both / "ploteries")
    assert list(ours.columns) == ["database", "run", "tag", "step", "wall_time", "value"]
    assert sorted(ours["database"].unique()) == ["exp1/ploteries.h5", "exp2/ploteries.h5"]
    theirs = tbparse_frame(both / "tb")
    assert len(theirs) == 2 * 4 * 14
    mine = ours.drop(columns="database").astype({"run": str, "tag": str})
    mine = mine.sort_values(["run", "tag", "step"], kind="stable").reset_index(drop=True)
    mine["value"] = mine["value"].astype(np.float32)  # TensorBoard stores float32, ploteries float64
    theirs = theirs.astype({"run": str, "tag": str, "value": np.float32})
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    assert ours.dtypes.astype(str).tolist() == ["category"] * 3 + ["int64", "float64", "float64"]


def test_runs_and_tags_select(both):
    df = ploteries.scalars(both / "ploteries", runs=["exp1", "exp2/acc_val"], tags="loss/train")
    assert sorted(df["run"].unique()) == ["exp1"] and sorted(df["tag"].unique()) == ["loss/train"]
    assert df["step"].tolist() == list(range(0, 40, 3))
    one = ploteries.scalars(both / "ploteries" / "exp2" / "ploteries.h5", tags=["lr"])
    assert one["database"].unique().tolist() == ["ploteries.h5"]
    np.testing.assert_allclose(one["value"], [0.1 / (s + 1) for s in range(0, 40, 3)])


def test_bad_arguments_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="path_or_root .* does not exist"):
        ploteries.scalars(tmp_path / "missing")
    with pytest.raises(TypeError, match="runs must be None, a name or a list of names"):
        ploteries.scalars(tmp_path, runs=3)
    with pytest.raises(TypeError, match="tags must be None"):
        ploteries.scalars(tmp_path, tags=["ok", 1])
    empty = ploteries.scalars(tmp_path)
    assert list(empty.columns) == ["database", "run", "tag", "step", "wall_time", "value"] and empty.empty
    (tmp_path / "foreign.h5").write_bytes(b"not hdf5")
    assert ploteries.scalars(tmp_path).empty  # left out below a directory, as find_databases does
    with pytest.raises(ploteries.NotADatabaseError, match="foreign.h5"):
        ploteries.scalars(tmp_path / "foreign.h5")  # named: an error


def test_without_pandas_the_error_says_what_to_install(tmp_path):
    code = (
        f"import sys; sys.modules['pandas'] = None\nimport ploteries\nploteries.scalars({str(tmp_path)!r})\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert out.returncode == 1
    assert "ImportError: ploteries.scalars returns a pandas DataFrame and needs pandas: " in out.stderr
    assert "pip install ploteries[pandas]" in out.stderr


_names = st.sampled_from(["a", "b", "run/x", "seed=1"])
_series = st.dictionaries(
    st.tuples(_names, st.sampled_from(["loss", "acc", "x/y"])),
    st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=20),
    max_size=5,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(series=_series)
def test_every_record_comes_back_once(tmp_path_factory, series):
    """Property: the rows are exactly the records written, grouped by run and tag, in step order."""
    path = tmp_path_factory.mktemp("db") / "db.h5"
    with DatabaseWriter(path) as w:
        for (run, tag), values in series.items():
            w.append_many(
                run,
                tag,
                np.asarray(values),
                np.arange(len(values)) * 2,
                np.arange(len(values)) + WALL,
                kind="scalar",
            )
    df = ploteries.scalars(path)
    expected = [
        (run, tag, 2 * i, WALL + i, v)
        for (run, tag), values in sorted(series.items())
        for i, v in enumerate(values)
    ]
    got = list(zip(df["run"], df["tag"], df["step"], df["wall_time"], df["value"]))
    assert got == expected
