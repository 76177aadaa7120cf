import numpy as np
import pytest

from ploteries.viz.services.outliers import outlier_range, y_domain


def test_outlier_range_ignores_far_values():
    values = list(range(20)) + [1e9]
    assert outlier_range(values) == (1.0, 19.0)


def test_outlier_range_interpolates_like_d3_quantile():
    # d3.quantile([0, 10], 0.05) = 0.5; numpy's default "linear" method is the same rule.
    assert outlier_range([10.0, 0.0]) == pytest.approx((0.5, 9.5))
    assert outlier_range([1.0, 2.0, 3.0, 4.0], 0.25, 0.5) == pytest.approx((1.75, 2.5))


def test_outlier_range_skips_non_finite():
    assert outlier_range([np.nan, np.inf, 3.0, -np.inf]) == (3.0, 3.0)
    assert outlier_range([np.nan, np.inf]) is None
    assert outlier_range([]) is None


@pytest.mark.parametrize(("lo", "hi"), [(-0.1, 0.9), (0.6, 0.4), (0.1, 1.5)])
def test_outlier_range_rejects_bad_quantiles(lo, hi):
    with pytest.raises(ValueError, match=r"need 0 <= lo <= hi <= 1"):
        outlier_range([1.0], lo, hi)


@pytest.mark.parametrize(
    ("values", "ignore", "expected"),
    [
        ([], False, (-0.1, 1.1)),
        ([np.nan], True, (-0.1, 1.1)),
        ([1.0, 2.0, 3.0], False, (-0.3, 3.4)),  # 0 <= min < span: lower end just below 0
        ([5.0, 6.0], False, (4.8, 6.2)),  # span padded by 20%
        ([-5.0, -4.0], False, (-5.2, -3.8)),
        ([2.0, 2.0], False, (-1.3, 5.3)),  # zero span: pad by 1.1*|a| + 1.1
        ([-2.0], False, (-5.3, 1.3)),
        (list(range(20)) + [1e9], True, (-1.9, 22.6)),
    ],
)
def test_y_domain_matches_tensorboard_compute_domain(values, ignore, expected):
    assert y_domain(values, ignore) == pytest.approx(expected)
