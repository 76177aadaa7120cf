"""Media test data written through the compat SummaryWriter, as a user would, and the values it should show."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ploteries.compat import SummaryWriter

PALETTE = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25]], np.uint8)
BOXES = np.array([[4.0, 6.0, 20.0, 18.0], [24.0, 2.0, 38.0, 28.0]])
LABELS = ["cat", "dog"]
TEXT = """### Results at step {step}

| metric | value |
|--------|-------|
| loss   | {loss} |
| acc    | 0.9{step} |

<script>window.pwned = true</script><img src="x" onerror="window.pwned = true">
[click](javascript:window.pwned=true)
"""
RATE = 8000


@dataclasses.dataclass
class MediaRun:
    """What a run logged, by tag and step (the arrays a card must show)."""

    root: Path
    database: Path
    images: dict  # step -> HWC uint8 (tag "img/rgb")
    boxed: dict  # step -> HWC uint8 (tag "det/boxes"), boxes BOXES + step, labels LABELS
    texts: dict  # step -> str (tag "notes")
    sounds: dict  # step -> float32 samples (tag "sound/tone"), RATE Hz
    videos: dict  # step -> THWC uint8 (tag "clip"), 5 fps


def image(step: int, h: int = 30, w: int = 40) -> np.ndarray:
    rng = np.random.default_rng(step)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def clip(step: int, t: int = 4, h: int = 12, w: int = 16) -> np.ndarray:
    rng = np.random.default_rng(100 + step)
    return PALETTE[rng.integers(0, len(PALETTE), (t, h, w))]  # 4 colours: a GIF keeps them exactly


def tone(step: int) -> np.ndarray:
    t = np.arange(RATE // 4) / RATE
    return (0.5 * np.sin(2 * np.pi * (220 + 110 * step) * t)).astype(np.float32)


def write_media(
    root: Path, run: str = "exp", steps=(0, 10, 20), *, media_dir: str | None = None, boxes_steps=(0, 10)
) -> MediaRun:
    """Log images, boxed images, Markdown, audio and video at ``steps`` into ``root/<run>``."""
    w = SummaryWriter(str(root / run), media_dir=media_dir)
    out = MediaRun(root, root / run / "ploteries.h5", {}, {}, {}, {}, {})
    for step in steps:
        out.images[step] = image(step)
        w.add_image("img/rgb", out.images[step], step, dataformats="HWC")
        if step in boxes_steps:
            out.boxed[step] = image(step + 1, 32, 48)
            w.add_image_with_boxes(
                "det/boxes", out.boxed[step], BOXES + step / 10, step, dataformats="HWC", labels=LABELS
            )
        out.texts[step] = TEXT.format(step=step, loss=1.0 / (step + 1))
        w.add_text("notes", out.texts[step], step)
        out.sounds[step] = tone(step)
        w.add_audio("sound/tone", out.sounds[step], step, sample_rate=RATE)
        out.videos[step] = clip(step)
        w.add_video("clip", out.videos[step].transpose(0, 3, 1, 2)[None], step, fps=5)
    w.close()
    return out
