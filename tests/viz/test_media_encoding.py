"""PNG, WAV and GIF encoding of stored media: decoded back, they give the stored values."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageSequence

from ploteries.viz.services.media_encoding import gif_bytes, png_bytes, wav_bytes, wav_samples


def decode_wav(data: bytes) -> tuple[np.ndarray, int, int, int]:
    with wave.open(io.BytesIO(data)) as w:
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        return frames, w.getframerate(), w.getnchannels(), w.getsampwidth()


@given(arrays(np.float32, st.integers(0, 300), elements=st.floats(-2, 2, width=32)), st.integers(1, 96000))
@settings(max_examples=60, deadline=None)
def test_wav_decodes_to_the_samples_as_16_bit_pcm(samples, rate):
    frames, got_rate, channels, width = decode_wav(wav_bytes(samples, rate))
    assert (got_rate, channels, width) == (rate, 1, 2)
    want = np.round(np.clip(samples.astype(np.float64), -1, 1) * 32767)
    np.testing.assert_array_equal(frames, want.astype(np.int16))
    np.testing.assert_allclose(frames / 32767.0, np.clip(samples, -1, 1), atol=0.5 / 32767 + 1e-7)


def test_wav_edge_values_and_bad_rates():
    assert wav_samples(np.array([1.0, -1.0, np.inf, -np.inf, np.nan])).tolist() == [
        32767,
        -32767,
        32767,
        -32767,
        0,
    ]
    with pytest.raises(ValueError, match="sample_rate must be a positive number"):
        wav_bytes(np.zeros(3, np.float32), 0)


@given(arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3, 4]))))
@settings(max_examples=40, deadline=None)
def test_png_decodes_to_the_same_pixels(img):
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(img))))
    np.testing.assert_array_equal(decoded.reshape(img.shape), img)


def test_gif_has_every_frame_at_the_fps():
    palette = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], np.uint8)
    rng = np.random.default_rng(1)
    frames = palette[rng.integers(0, 4, (5, 6, 7))]  # 5 distinct frames of 4 colours: GIF keeps them exactly
    gif = Image.open(io.BytesIO(gif_bytes(frames, fps=5)))
    decoded = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
    assert len(decoded) == 5
    for got, want in zip(decoded, frames):
        np.testing.assert_array_equal(got, want)
    assert gif.info["duration"] == 200 and gif.info["loop"] == 0
    with pytest.raises(ValueError, match="fps must be a positive number"):
        gif_bytes(frames, 0)
