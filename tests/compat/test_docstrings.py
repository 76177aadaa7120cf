"""Run the examples in the encoder docstrings."""

import doctest
import importlib

import pytest

MODULES = [
    "ploteries.storage.schema",
    "ploteries.storage.kinds",
    "ploteries.compat.tensors",
    "ploteries.compat.histogram",
    "ploteries.compat.image",
    "ploteries.compat.audio",
    "ploteries.compat.video",
    "ploteries.compat.pr_curve",
    "ploteries.compat.hparams",
    "ploteries.compat.mesh",
    "ploteries.compat.embedding",
    "ploteries.compat.graph",
    "ploteries.compat.text",
    "ploteries.compat.custom_scalars",
    "ploteries.compat.runs",
    "ploteries.compat.media",
    "ploteries.compat.from_tensorboard",
    "ploteries.compat.tfrecord",
    "ploteries.testing.parity",
    "ploteries.testing.dual",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    if name in ("ploteries.compat.graph",):
        pytest.importorskip("torch")
    if name == "ploteries.compat.image":
        pytest.importorskip("matplotlib")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
