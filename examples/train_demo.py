"""A small CPU training loop that logs through every SummaryWriter method into ploteries databases.

A tiny CNN learns to tell three kinds of synthetic 12x12 images apart (a horizontal bar, a vertical bar,
a diagonal). The main run uses every method of torch's SummaryWriter API; a short learning-rate sweep
adds more runs, all in one database file, so the viewer has several runs to compare.

    python examples/train_demo.py --log-dir runs/demo          # then: python -m ploteries.viz runs
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ploteries.compat import SummaryWriter

SIZE = 12
CLASSES = ("horizontal", "vertical", "diagonal")


def make_data(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images (n, 1, SIZE, SIZE), labels (n,) and each image's bar box (n, 4) in xyxy pixels."""
    labels = torch.randint(0, 3, (n,), generator=generator)
    pos = torch.randint(2, SIZE - 2, (n,), generator=generator)
    images = 0.9 * torch.rand(n, 1, SIZE, SIZE, generator=generator)
    boxes = torch.zeros(n, 4)
    idx = torch.arange(SIZE)
    for i in range(n):
        p = int(pos[i])
        if labels[i] == 0:
            images[i, 0, p - 1 : p + 1, :] += 0.35
            boxes[i] = torch.tensor([0, p - 1, SIZE, p + 1])
        elif labels[i] == 1:
            images[i, 0, :, p - 1 : p + 1] += 0.35
            boxes[i] = torch.tensor([p - 1, 0, p + 1, SIZE])
        else:
            images[i, 0, idx, (idx + p) % SIZE] += 0.35
            boxes[i] = torch.tensor([0, 0, SIZE, SIZE])
    return images.clamp(0, 1), labels, boxes


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc1 = nn.Linear(8 * (SIZE // 2) ** 2, 16)
        self.fc2 = nn.Linear(16, len(CLASSES))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv(x))
        x = nn.functional.max_pool2d(x, 2)
        return torch.relu(self.fc1(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.features(x))


def confusion_figure(confusion: np.ndarray):
    """A matplotlib figure of the confusion matrix, or None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(3, 3), dpi=80)
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks(range(3), CLASSES, rotation=45)
    ax.set_yticks(range(3), CLASSES)
    for (i, j), v in np.ndenumerate(confusion):
        ax.text(j, i, int(v), ha="center", va="center")
    ax.set_xlabel("predicted")
    fig.tight_layout()
    return fig


def log_once(writer: SummaryWriter, model: nn.Module, images: torch.Tensor) -> None:
    """What is logged once per run: graph, layout, configuration text."""
    writer.add_graph(model, images[:1])
    writer.add_custom_scalars(
        {
            "training": {
                "loss": ["Multiline", ["loss/train", "loss/val"]],
                "accuracy with 95% interval": ["Margin", ["acc/val", "acc/val_low", "acc/val_high"]],
            }
        }
    )
    writer.add_custom_scalars_multilinechart(["lr"], category="optimizer", title="learning rate")
    writer.add_text(
        "config", "| setting | value |\n|---|---|\n| model | TinyCNN |\n| data | synthetic bars |", 0
    )


def evaluate(model, images, labels):
    with torch.no_grad():
        logits = model(images)
        probs = torch.softmax(logits, 1)
        loss = nn.functional.cross_entropy(logits, labels).item()
        predicted = probs.argmax(1)
        acc = (predicted == labels).float().mean().item()
    confusion = np.zeros((3, 3), np.int64)
    np.add.at(confusion, (labels.numpy(), predicted.numpy()), 1)
    return loss, acc, probs, confusion


def log_evaluation(writer, model, step, data, epoch):
    """Per-epoch logging of the validation set: every remaining method."""
    images, labels, boxes = data
    loss, acc, probs, confusion = evaluate(model, images, labels)
    half = 1.96 * math.sqrt(max(acc * (1 - acc), 1e-6) / len(labels))
    writer.add_scalar("loss/val", loss, step)
    writer.add_scalar("acc/val", acc, step)
    writer.add_scalar("acc/val_low", acc - half, step)
    writer.add_scalar("acc/val_high", acc + half, step)
    writer.add_scalars("loss", {"val": loss}, step)
    writer.add_tensor("confusion", torch.tensor(confusion), step)
    writer.add_pr_curve("pr/horizontal", labels == 0, probs[:, 0], step)
    counts = np.histogram(probs[:, 1].numpy(), bins=10, range=(0, 1))[0]
    edges = np.linspace(0.1, 1.0, 10)
    p = probs[:, 1].numpy()
    writer.add_histogram_raw(
        "prob/vertical", p.min(), p.max(), len(p), p.sum(), (p * p).sum(), edges, counts, step
    )
    big = nn.functional.interpolate(images[:16], scale_factor=4, mode="nearest")
    writer.add_images("val/batch", big, step)
    writer.add_image("val/first", big[0], step)
    writer.add_image_with_boxes(
        "val/boxes", big[0], boxes[:1] * 4, step, labels=[f"{CLASSES[labels[0]]} ({probs[0].max():.2f})"]
    )
    fig = confusion_figure(confusion)
    if fig is not None:
        writer.add_figure("val/confusion", fig, step)
    frames = torch.stack(
        [torch.roll(big[:4], shifts=k, dims=3) for k in range(0, 48, 4)], 1
    )  # (4, T, 1, H, W)
    writer.add_video("val/scroll", frames.expand(-1, -1, 3, -1, -1), step, fps=6)
    t = torch.arange(8000) / 8000.0
    tone = 0.5 * torch.sin(2 * math.pi * (220 + 440 * acc) * t)  # higher pitch as accuracy grows
    writer.add_audio("accuracy_tone", tone, step, sample_rate=8000)
    writer.add_text("summary", f"epoch **{epoch}**: val loss {loss:.3f}, accuracy {acc:.1%}", step)
    with torch.no_grad():
        feats = model.features(images[:100])
    writer.add_embedding(
        feats,
        metadata=[CLASSES[i] for i in labels[:100]],
        label_img=images[:100],
        global_step=step,
        tag="features",
    )
    centered = feats - feats.mean(0)
    cloud = (centered @ torch.linalg.svd(centered, full_matrices=False).Vh[:3].T)[None]  # first 3 components
    colors = torch.tensor([[230, 60, 60], [60, 160, 60], [60, 90, 230]])[labels[:100]][None]
    writer.add_mesh("features_3d", vertices=cloud, colors=colors, global_step=step)
    return loss, acc


def train(writer, *, lr, steps, seed, eval_every, full=True):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    train_data = make_data(2000, generator)
    val_data = make_data(300, generator)
    model = TinyCNN()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    if full:
        log_once(writer, model, val_data[0])
    loss = acc = float("nan")
    for step in range(steps):
        idx = torch.randint(0, len(train_data[1]), (64,), generator=generator)
        x, y = train_data[0][idx], train_data[1][idx]
        logits = model(x)
        loss_t = nn.functional.cross_entropy(logits, y)
        opt.zero_grad()
        loss_t.backward()
        opt.step()
        sched.step()
        writer.add_scalar("loss/train", loss_t, step)  # a 0-d tensor, as training code passes it
        writer.add_scalar("acc/train", (logits.argmax(1) == y).float().mean(), step)
        writer.add_scalar("lr", sched.get_last_lr()[0], step)
        if step % 10 == 0:
            writer.add_scalars("loss", {"train": loss_t.item()}, step)
        if full and step % eval_every == 0:
            for name, param in model.named_parameters():
                writer.add_histogram(f"weights/{name}", param, step)
                writer.add_histogram(f"grads/{name}", param.grad, step)
        if step % eval_every == 0 or step == steps - 1:
            if full:
                loss, acc = log_evaluation(writer, model, step, val_data, step // eval_every)
            else:
                loss, acc, _, _ = evaluate(model, *val_data[:2])
                writer.add_scalar("loss/val", loss, step)
                writer.add_scalar("acc/val", acc, step)
    writer.add_hparams(
        {"lr": lr, "seed": seed, "optimizer": "sgd", "momentum": 0.9},
        {"hparam/accuracy": acc, "hparam/loss": loss},
        run_name="hparams",
        global_step=steps,
    )
    return acc


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--log-dir", default="runs/demo", help="where the databases go (default runs/demo)")
    parser.add_argument("--steps", type=int, default=600, help="training steps per run (default 600)")
    parser.add_argument(
        "--sweep", default="0.03,0.3", help="extra learning rates, comma separated ('' for none)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    log_dir = Path(args.log_dir)
    eval_every = max(args.steps // 10, 1)
    t0 = time.perf_counter()
    # purge_step=0: running the demo again replaces the previous run instead of appending to it
    with SummaryWriter(log_dir, purge_step=0) as writer:
        acc = train(writer, lr=0.1, steps=args.steps, seed=0, eval_every=eval_every)
    print(f"{writer.run}: accuracy {acc:.1%} -> {writer.database}")
    for lr in [float(x) for x in args.sweep.split(",") if x.strip()]:
        with SummaryWriter(database=log_dir / "sweep.h5", run=f"lr={lr}", purge_step=0) as writer:
            acc = train(writer, lr=lr, steps=args.steps, seed=1, eval_every=eval_every, full=False)
        print(f"{writer.run}: accuracy {acc:.1%} -> {writer.database}")
    print(f"done in {time.perf_counter() - t0:.1f} s; view with: python -m ploteries.viz {log_dir.parent}")


if __name__ == "__main__":
    main()
