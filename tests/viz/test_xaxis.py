import numpy as np
import pytest

from ploteries.viz.services.xaxis import X_MODES, x_title, x_values

STEPS = [0, 10, 20]
WALL = [1_700_000_000.0, 1_700_001_800.0, 1_699_999_100.0]  # the last one went back in time


def test_step_mode():
    x = x_values(STEPS, WALL, "step")
    assert x.dtype == np.int64 and x.tolist() == STEPS


def test_relative_mode_is_hours_since_the_first_record():
    np.testing.assert_allclose(x_values(STEPS, WALL, "relative"), [0.0, 0.5, -0.25])


def test_relative_mode_with_shared_origin():
    np.testing.assert_allclose(x_values(STEPS, WALL, "relative", origin=WALL[0] - 3600), [1.0, 1.5, 0.75])


def test_wall_mode_is_datetime_ms():
    x = x_values([0, 1, 2], [0.0015, 86400.25, np.nan], "wall")
    assert x.dtype == np.dtype("datetime64[ms]")
    assert str(x[0]) == "1970-01-01T00:00:00.002"
    assert str(x[1]) == "1970-01-02T00:00:00.250"
    assert np.isnat(x[2])


@pytest.mark.parametrize("mode", X_MODES)
def test_empty_series(mode):
    assert x_values([], [], mode).size == 0


def test_unknown_mode():
    with pytest.raises(ValueError, match=r"mode must be one of \('step', 'relative', 'wall'\), got 'time'"):
        x_values(STEPS, WALL, "time")


@pytest.mark.parametrize(
    ("mode", "title"), [("step", "step"), ("relative", "relative time (hours)"), ("wall", "wall time")]
)
def test_titles(mode, title):
    assert x_title(mode) == title
