"""Test data of the hparams, mesh, embedding and graph cards, written through the compat SummaryWriter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ploteries.compat import SummaryWriter

TRIALS = [
    ({"lr": 0.1, "bs": 32, "opt": "adam", "bn": True}, {"hparam/accuracy": 0.7, "hparam/loss": 0.9}),
    ({"lr": 0.01, "bs": 64, "opt": "sgd", "bn": False}, {"hparam/accuracy": 0.8, "hparam/loss": 0.5}),
    ({"lr": 0.001, "bs": 32, "opt": "adam", "bn": False}, {"hparam/accuracy": 0.9, "hparam/loss": 0.2}),
]


def write_trial(root: Path, i: int, hparams: dict, metrics: dict, *, steps: int = 5) -> None:
    """One training run ``trial<i>`` logging scalars, then its hparams (sub-run ``trial<i>/hp``)."""
    with SummaryWriter(str(root / f"trial{i}")) as w:
        for s in range(steps):
            w.add_scalar("loss/train", 1.0 / (s + 1) + i, s)
            w.add_scalar("acc/val", 0.5 + 0.1 * i + 0.01 * s, s)
        w.add_hparams(hparams, metrics, run_name="hp", global_step=steps - 1)


def write_trials(root: Path) -> Path:
    for i, (h, m) in enumerate(TRIALS):
        write_trial(root, i, h, m)
    return root


TETRA = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
TETRA_FACES = np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]], np.int32)
TETRA_COLORS = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]], np.uint8)


def write_meshes(root: Path) -> Path:
    """``mesh/tetra``: 2 steps, batch of 2, colours and faces; ``mesh/cloud``: 200 points, no faces, no colours."""
    with SummaryWriter(str(root / "exp")) as w:
        batch = np.stack([TETRA, TETRA * 2])
        for step, scale in ((0, 1.0), (5, 3.0)):
            w.add_mesh(
                "mesh/tetra",
                batch * scale,
                colors=np.stack([TETRA_COLORS, TETRA_COLORS[::-1]]),
                faces=np.stack([TETRA_FACES, TETRA_FACES]),
                global_step=step,
            )
        cloud = np.random.default_rng(0).normal(size=(1, 200, 3)).astype(np.float32)
        w.add_mesh("mesh/cloud", cloud, config_dict={"material": {"cls": "PointsMaterial", "size": 4}})
    return root


ANIMALS = ("cat", "dog", "bird")


def embedding_data(n: int = 120, seed: int = 0):
    """Three clusters in 16-D, metadata rows (animal, score) and 8x8 label images (N, C, H, W) in [0, 1]."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    mat = np.eye(3, 16)[labels] * 8 + rng.normal(size=(n, 16))
    metadata = [[ANIMALS[k], str(i / 10)] for i, k in enumerate(labels)]
    images = np.zeros((n, 3, 8, 8), np.float32)
    for i, k in enumerate(labels):
        images[i, k] = 1.0
        images[i, :, i % 8, :] = 0.5  # a row that tells the images apart
    return mat, metadata, images


def write_embedding(root: Path, n: int = 120) -> Path:
    mat, metadata, images = embedding_data(n)
    with SummaryWriter(str(root / "exp")) as w:
        w.add_embedding(
            mat, metadata=metadata, label_img=images, metadata_header=["animal", "score"], global_step=0
        )
        w.add_embedding(
            mat * 2, metadata=metadata, label_img=images, metadata_header=["animal", "score"], global_step=4
        )
    return root


def small_model():
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 8)
            self.act = torch.nn.ReLU()
            self.fc2 = torch.nn.Linear(8, 2)
            self.block = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh())

        def forward(self, x):
            return self.block(self.fc2(self.act(self.fc1(x)))) + x[:, :2]

    return Net(), torch.zeros(1, 4)


def write_graph(root: Path) -> Path:
    model, x = small_model()
    with SummaryWriter(str(root / "exp")) as w:
        w.add_graph(model, x)
    return root
