"""Hyperparameters and their metrics, with TensorBoard's value rules, as a JSON-ready dict."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ploteries.compat.tensors import is_torch_tensor, to_scalar

__all__ = ["encode_hparams"]


def _hparam_value(key: str, value: Any) -> float | str:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool | np.bool_ | numbers.Real) or is_torch_tensor(value):
        return to_scalar(value, f"hparam_dict[{key!r}]")
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return to_scalar(value, f"hparam_dict[{key!r}]")
    raise ValueError(
        f"hparam_dict[{key!r}] must be an int, float, str, bool or a one-element tensor, got "
        f"{type(value).__name__}: {value!r:.60}; convert it, e.g. with str()"
    )


def _check_keys(d: dict, argname: str) -> None:
    for key in d:
        if not isinstance(key, str):
            raise TypeError(f"{argname} keys must be str, got {key!r} ({type(key).__name__})")


def encode_hparams(
    hparam_dict: dict[str, Any],
    metric_dict: dict[str, Any],
    hparam_domain_discrete: dict[str, list[Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Validate and normalise ``add_hparams`` arguments the way TensorBoard does.

    Hyperparameter values: int, float and bool become float (bool as 1.0/0.0, as TensorBoard's
    ``number_value``), str is kept, None is skipped; one-element tensors and numpy numbers become float.
    Metric values must be single numbers (each is also logged as a scalar by the writer).
    ``hparam_domain_discrete[k]`` must be a list of values of the same type as ``hparam_dict[k]``.

    Returns
    -------
    dict
        ``{"hparams": {name: float | str}, "metrics": {name: float}, "domains": {name: [float | str]}}``,
        ready for :func:`ploteries.storage.schema.json_to_array`.

    Examples
    --------
    >>> encode_hparams({"lr": 0.1, "bs": 32, "opt": "adam", "bn": True, "x": None}, {"acc": 0.9})
    {'hparams': {'lr': 0.1, 'bs': 32.0, 'opt': 'adam', 'bn': 1.0}, 'metrics': {'acc': 0.9}, 'domains': {}}
    """
    if type(hparam_dict) is not dict:
        raise TypeError(f"hparam_dict must be a dict of name -> value, got {type(hparam_dict).__name__}")
    if type(metric_dict) is not dict:
        raise TypeError(f"metric_dict must be a dict of name -> number, got {type(metric_dict).__name__}")
    domain = hparam_domain_discrete or {}
    if not isinstance(domain, dict):
        raise TypeError(
            f"hparam_domain_discrete must be a dict of name -> list of values, got {type(domain).__name__}"
        )
    _check_keys(hparam_dict, "hparam_dict")
    _check_keys(metric_dict, "metric_dict")

    for key, values in domain.items():
        if key not in hparam_dict:
            raise TypeError(
                f"hparam_domain_discrete[{key!r}] names no hyperparameter of hparam_dict; "
                f"use one of {sorted(hparam_dict)}"
            )
        if not isinstance(values, list) or not all(isinstance(d, type(hparam_dict[key])) for d in values):
            raise TypeError(
                f"hparam_domain_discrete[{key!r}] should be a list of same type as hparam_dict[{key!r}] "
                f"({type(hparam_dict[key]).__name__}), got {values!r:.80}"
            )

    hparams: dict[str, float | str] = {}
    domains: dict[str, list[float | str]] = {}
    for key, value in hparam_dict.items():
        if value is None:
            continue
        hparams[key] = _hparam_value(key, value)
        if key in domain:
            domains[key] = [_hparam_value(key, d) for d in domain[key]]

    metrics = {key: to_scalar(value, f"metric_dict[{key!r}]") for key, value in metric_dict.items()}
    return {"hparams": hparams, "metrics": metrics, "domains": domains}
