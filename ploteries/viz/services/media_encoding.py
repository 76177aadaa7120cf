"""Stored media turned into the files a browser plays: PNG images, WAV sound, animated GIF video.

Pure functions: numpy arrays in, bytes out (Pillow encodes PNG and GIF; WAV is written with :mod:`wave`).
"""

from __future__ import annotations

import io
import wave

import numpy as np
from PIL import Image

__all__ = ["gif_bytes", "png_bytes", "wav_bytes", "wav_samples"]


def png_bytes(hwc: np.ndarray, *, compress_level: int = 3) -> bytes:
    """A ``uint8`` ``(H, W, C)`` image (C in 1, 3, 4) as PNG.

    Examples
    --------
    >>> png_bytes(np.zeros((2, 3, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    img = np.ascontiguousarray(hwc)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (1, 3, 4):
        raise ValueError(f"png_bytes takes uint8 (H, W, C) with C in 1, 3, 4; got {img.dtype} {img.shape}")
    buf = io.BytesIO()
    Image.fromarray(img[..., 0] if img.shape[2] == 1 else img).save(
        buf, format="PNG", compress_level=compress_level
    )
    return buf.getvalue()


def wav_samples(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as 16-bit PCM (clipped, rounded to nearest; NaN becomes silence).

    Examples
    --------
    >>> wav_samples(np.array([0.0, 0.5, -1.0, 2.0, np.nan], np.float32)).tolist()
    [0, 16384, -32767, 32767, 0]
    """
    x = np.nan_to_num(np.asarray(samples, np.float64).reshape(-1), nan=0.0, posinf=1.0, neginf=-1.0)
    return np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")


def wav_bytes(samples: np.ndarray, sample_rate: float) -> bytes:
    """A mono clip of float samples as a 16-bit PCM WAV file at ``sample_rate`` (rounded to whole Hz).

    Examples
    --------
    >>> data = wav_bytes(np.zeros(8, np.float32), 8000)
    >>> data[:4], data[8:12], len(data)
    (b'RIFF', b'WAVE', 60)
    """
    rate = float(sample_rate)
    if not np.isfinite(rate) or not 1 <= rate <= 4_294_967_295:
        raise ValueError(f"sample_rate must be a positive number of samples per second, got {sample_rate!r}")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(round(rate)))
        w.writeframes(wav_samples(samples).tobytes())
    return buf.getvalue()


def gif_bytes(thwc: np.ndarray, fps: float) -> bytes:
    """``uint8`` ``(T, H, W, C)`` frames as a looping animated GIF at ``fps`` frames per second.

    GIF holds 256 colours per frame: frames with more are quantized (Pillow's adaptive palette). The frame
    duration is rounded to GIF's 10 ms units (browsers play at most 50 frames per second).

    Examples
    --------
    >>> gif_bytes(np.zeros((2, 4, 4, 3), np.uint8), fps=4)[:6]
    b'GIF89a'
    """
    frames = np.asarray(thwc)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] not in (1, 3, 4) or len(frames) == 0:
        raise ValueError(
            f"gif_bytes takes uint8 (T, H, W, C) frames, T >= 1; got {frames.dtype} {frames.shape}"
        )
    rate = float(fps)
    if not np.isfinite(rate) or rate <= 0:
        raise ValueError(f"fps must be a positive number of frames per second, got {fps!r}")
    if frames.shape[3] == 1:
        frames = np.repeat(frames, 3, axis=3)
    images = [Image.fromarray(np.ascontiguousarray(f[..., :3])) for f in frames]
    duration = max(20, int(round(100.0 / rate)) * 10)
    buf = io.BytesIO()
    images[0].save(
        buf, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0, disposal=1
    )
    return buf.getvalue()
