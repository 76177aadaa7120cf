import numpy as np
import pytest

from ploteries.compat.pr_curve import encode_pr_curve, encode_pr_curve_raw

RNG = np.random.default_rng(0)


def tb_curve(summary, labels, predictions, num_thresholds, weights=None):
    tensor = summary.pr_curve("x", labels, predictions, num_thresholds, weights).value[0].tensor
    shape = [d.size for d in tensor.tensor_shape.dim]
    return np.array(tensor.float_val, dtype=np.float32).reshape(shape)


CASES = {
    "float32": (RNG.integers(0, 2, 200), RNG.random(200, dtype=np.float32)),
    "float64_bool": (RNG.random(300) > 0.5, RNG.random(300)),
    "edges": (np.array([1, 0, 1, 0]), np.array([0.0, 1.0, 1.0, 0.5], dtype=np.float32)),
    "all_positive": (np.ones(50, dtype=int), RNG.random(50, dtype=np.float32)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("num_thresholds", [2, 10, 127])
def test_matches_torch(tb_summary, name, num_thresholds):
    labels, predictions = CASES[name]
    expected = tb_curve(tb_summary, labels, predictions, num_thresholds)
    out = encode_pr_curve(labels, predictions, num_thresholds=num_thresholds)
    assert out.dtype == np.float64 and out.shape == (6, num_thresholds)
    np.testing.assert_allclose(out.astype(np.float32), expected, rtol=1e-6, atol=0)


@pytest.mark.parametrize("weights", [0.5, RNG.random(200)])
def test_weights_match_torch(tb_summary, weights):
    labels, predictions = CASES["float32"]
    expected = tb_curve(tb_summary, labels, predictions, 50, weights)
    np.testing.assert_allclose(
        encode_pr_curve(labels, predictions, 50, weights).astype(np.float32), expected, rtol=1e-6
    )


def test_torch_tensors(tb_summary, torch):
    g = torch.Generator().manual_seed(0)
    labels, predictions = torch.randint(0, 2, (100,), generator=g), torch.rand(100, generator=g)
    from torch.utils.tensorboard._convert_np import make_np

    expected = tb_curve(tb_summary, make_np(labels), make_np(predictions), 127)
    np.testing.assert_allclose(encode_pr_curve(labels, predictions).astype(np.float32), expected, rtol=1e-6)


def test_values():
    out = encode_pr_curve([1, 0, 1], [0.9, 0.2, 0.6], num_thresholds=3)
    assert out.tolist() == [
        [2.0, 2.0, 0.0],  # buckets floor(p * 2): 0.9 -> 1, 0.2 -> 0, 0.6 -> 1; nothing reaches threshold 1.0
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 1.0],
        [0.0, 0.0, 2.0],
        [2 / 3, 1.0, 0.0],
        [1.0, 1.0, 0.0],
    ]


def test_more_than_127_thresholds():
    assert encode_pr_curve([1, 0], [0.9, 0.1], num_thresholds=200).shape == (6, 200)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(num_thresholds=1), ValueError, r"num_thresholds must be at least 2, got 1"),
        (dict(num_thresholds=10.0), TypeError, r"num_thresholds must be an int, got 10.0"),
        (
            dict(predictions=[0.1, 0.2]),
            ValueError,
            r"labels and predictions must have the same shape, got \(3,\) and \(2,\)",
        ),
        (
            dict(weights=[1.0, 2.0]),
            ValueError,
            r"weights of shape \(2,\) cannot broadcast to predictions of shape \(3,\)",
        ),
        (dict(labels=["a", "b", "c"]), TypeError, r"labels must be real numbers"),
    ],
)
def test_errors(kwargs, exc, match):
    args = dict(labels=[1, 0, 1], predictions=[0.9, 0.2, 0.6]) | kwargs
    with pytest.raises(exc, match=match):
        encode_pr_curve(**args)


def test_raw_matches_torch(tb_summary):
    rows = [RNG.random(7) for _ in range(6)]
    tensor = tb_summary.pr_curve_raw("x", *rows, num_thresholds=7).value[0].tensor
    expected = np.array(tensor.float_val, dtype=np.float32).reshape(6, 7)
    out = encode_pr_curve_raw(*rows)
    assert out.dtype == np.float64 and out.shape == (6, 7)
    np.testing.assert_array_equal(out.astype(np.float32), expected)


def test_raw_length_mismatch():
    with pytest.raises(
        ValueError, match=r"the six PR curve rows must be 1-D and of one length.*'recall': \(3,\)"
    ):
        encode_pr_curve_raw([1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2, 3])
