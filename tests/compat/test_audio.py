import io
import wave

import numpy as np
import pytest

from ploteries.compat.audio import encode_audio

RNG = np.random.default_rng(0)


def tb_samples(summary, snd, rate):
    audio = summary.audio("x", snd, sample_rate=rate).value[0].audio
    with wave.open(io.BytesIO(audio.encoded_audio_string)) as w:
        assert w.getnchannels() == 1 and w.getframerate() == rate
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), audio


@pytest.mark.parametrize(
    "snd",
    [
        RNG.uniform(-1, 1, size=1000).astype(np.float32),
        RNG.uniform(-3, 3, size=(1, 500)).astype(np.float32),  # clipped
        RNG.uniform(-1, 1, size=(300, 1)),
        np.sin(np.linspace(0, 20, 800, dtype=np.float32))[None, None],
    ],
)
@pytest.mark.parametrize("rate", [8000, 44100])
def test_matches_torch_wav(tb_summary, snd, rate):
    expected, audio = tb_samples(tb_summary, snd, rate)
    out = encode_audio(snd, sample_rate=rate)
    assert out.dtype == np.float32 and out.ndim == 1
    assert out.size == audio.length_frames
    assert out.min() >= -1 and out.max() <= 1
    # TensorBoard quantises the same clipped samples to int16 (x * 32767, truncated); float32 vs float64
    # rounding may move a truncation by one step.
    np.testing.assert_allclose((out.astype(np.float64) * 32767).astype(np.int16), expected, atol=1, rtol=0)
    np.testing.assert_allclose(out, np.clip(np.asarray(snd).squeeze(), -1, 1), rtol=1e-6)


def test_torch_tensor(torch):
    t = torch.tensor([[0.25, -2.0, 0.5]])
    assert encode_audio(t).tolist() == [0.25, -1.0, 0.5]


@pytest.mark.parametrize(
    "snd, rate, match",
    [
        (
            np.zeros((2, 100)),
            44100,
            r"snd_tensor must be one mono clip that squeezes to 1-D, got shape \(2, 100\)",
        ),
        (np.zeros(1), 44100, r"snd_tensor must be one mono clip .* \(0-D after squeeze\)"),
        (np.zeros(0), 44100, r"snd_tensor is empty; pass at least one sample"),
        (np.zeros(10), 0, r"sample_rate must be a positive number of samples per second, got 0"),
        (np.zeros(10), float("nan"), r"sample_rate must be a positive number"),
    ],
)
def test_errors(snd, rate, match):
    with pytest.raises(ValueError, match=match):
        encode_audio(snd, sample_rate=rate)
