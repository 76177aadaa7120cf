"""Shared helpers for the compat encoder tests: decode what torch's TensorBoard summaries hold."""

from __future__ import annotations

import io

import numpy as np
import pytest


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="session")
def tb_summary():
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import summary

    return summary


def _decode_png(encoded: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(encoded)))


@pytest.fixture(scope="session")
def decode_png():
    """Decode the PNG bytes of a TensorBoard ``Summary.Image`` into an ``(H, W, C)`` uint8 array."""
    return _decode_png
