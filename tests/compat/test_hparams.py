import numpy as np
import pytest

from ploteries.compat.hparams import encode_hparams
from ploteries.storage.schema import array_to_json, json_to_array


def tb_hparams(hparam_dict, metric_dict, domains=None):
    """Decode torch's three hparams summaries into (hparams, metric names, domains)."""
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
    from torch.utils.tensorboard.summary import hparams

    exp, ssi, _ = hparams(hparam_dict, metric_dict, domains)
    start = HParamsPluginData.FromString(ssi.value[0].metadata.plugin_data.content).session_start_info
    values = {}
    for key, value in start.hparams.items():
        kind = value.WhichOneof("kind")
        values[key] = value.string_value if kind == "string_value" else float(getattr(value, kind))
    experiment = HParamsPluginData.FromString(exp.value[0].metadata.plugin_data.content).experiment
    metrics = [m.name.tag for m in experiment.metric_infos]
    tb_domains = {}
    for info in experiment.hparam_infos:
        if info.HasField("domain_discrete"):
            tb_domains[info.name] = [
                v.string_value
                if v.WhichOneof("kind") == "string_value"
                else float(getattr(v, v.WhichOneof("kind")))
                for v in info.domain_discrete.values
            ]
    return values, metrics, tb_domains


CASES = [
    (
        {"lr": 0.1, "bs": 32, "opt": "adam", "bn": True, "off": False, "skip": None},
        {"acc": 0.9, "loss": 1},
        None,
    ),
    ({"lr": 1e-3, "layers": 4}, {"m": 0.5}, {"layers": [2, 4, 8]}),
    ({"opt": "sgd", "flag": True}, {}, {"opt": ["sgd", "adam"], "flag": [True, False]}),
    ({"big": 2**40, "neg": -3.5, "nan": float("nan")}, {"hp_metric": -1.0}, None),
]


@pytest.mark.parametrize("hparam_dict, metric_dict, domains", CASES)
def test_matches_torch(tb_summary, hparam_dict, metric_dict, domains):
    tb_values, tb_metrics, tb_domains = tb_hparams(hparam_dict, metric_dict, domains)
    out = encode_hparams(hparam_dict, metric_dict, domains)
    np.testing.assert_equal(out["hparams"], tb_values)
    assert list(out["metrics"]) == tb_metrics
    assert out["domains"] == tb_domains
    assert out["metrics"] == {k: float(v) for k, v in metric_dict.items()}
    assert list(out["hparams"]) == [k for k, v in hparam_dict.items() if v is not None]  # order kept
    np.testing.assert_equal(array_to_json(json_to_array(out)), out)


def test_values():
    out = encode_hparams(
        {"lr": 0.1, "bs": 32, "opt": "adam", "bn": True, "off": False, "x": None}, {"acc": 0.9}
    )
    assert out == {
        "hparams": {"lr": 0.1, "bs": 32.0, "opt": "adam", "bn": 1.0, "off": 0.0},
        "metrics": {"acc": 0.9},
        "domains": {},
    }
    assert all(type(v) is float for k, v in out["hparams"].items() if k != "opt")


def test_tensor_and_numpy_values(torch):
    out = encode_hparams(
        {"a": torch.tensor([0.5]), "b": np.int64(3), "c": np.float32(0.25)}, {"m": torch.tensor(2.0)}
    )
    assert out["hparams"] == {"a": 0.5, "b": 3.0, "c": 0.25}
    assert out["metrics"] == {"m": 2.0}


@pytest.mark.parametrize(
    "args, exc, match",
    [
        (([1], {}), TypeError, r"hparam_dict must be a dict of name -> value, got list"),
        (({}, None), TypeError, r"metric_dict must be a dict of name -> number, got NoneType"),
        (
            ({"a": [1, 2]}, {}),
            ValueError,
            r"hparam_dict\['a'\] must be an int, float, str, bool or a one-element tensor, got list",
        ),
        (({"a": {"x": 1}}, {}), ValueError, r"hparam_dict\['a'\] must be .* got dict"),
        (({1: 2}, {}), TypeError, r"hparam_dict keys must be str, got 1"),
        (({}, {"acc": "high"}), TypeError, r"metric_dict\['acc'\] must be a real number"),
        (
            ({}, {"acc": [1, 2]}),
            ValueError,
            r"metric_dict\['acc'\] must be a single number, got shape \(2,\)",
        ),
        (({"a": 1}, {}, {"b": [1]}), TypeError, r"hparam_domain_discrete\['b'\] names no hyperparameter"),
        (
            ({"a": 1}, {}, {"a": [1, 2.5]}),
            TypeError,
            r"hparam_domain_discrete\['a'\] should be a list of same type as hparam_dict\['a'\] \(int\)",
        ),
        (({"a": 1}, {}, {"a": (1, 2)}), TypeError, r"hparam_domain_discrete\['a'\] should be a list"),
        (({"a": 1}, {}, [1]), TypeError, r"hparam_domain_discrete must be a dict"),
    ],
)
def test_errors(args, exc, match):
    with pytest.raises(exc, match=match):
        encode_hparams(*args)
