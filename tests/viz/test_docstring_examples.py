"""The examples in the services' docstrings are part of their contract: keep them true."""

import doctest
import importlib

import pytest

MODULES = ["checksum", "downsampling", "export", "histogram_layout", "outliers", "smoothing", "tags", "xaxis"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"ploteries.viz.services.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
