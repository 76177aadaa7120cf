"""PyTorch-Ignite's TensorboardLogger handlers (it prefers tensorboardX), with ploteries.patch()."""

from __future__ import annotations

import torch

import ploteries

from .conftest import event_files, only_database


def test_ignite_tensorboard_logger(tmp_path, patched):
    from ignite.engine import Engine, Events
    from ignite.handlers.tensorboard_logger import (
        OptimizerParamsHandler,
        TensorboardLogger,
        WeightsHistHandler,
        WeightsScalarHandler,
    )

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(engine, batch):
        optimizer.zero_grad()
        loss = (model(batch) ** 2).mean()
        loss.backward()
        optimizer.step()
        return {"loss": loss.item()}

    trainer = Engine(step)
    tb = TensorboardLogger(log_dir=tmp_path / "ignite")
    tb.attach_output_handler(
        trainer, event_name=Events.ITERATION_COMPLETED, tag="training", output_transform=lambda out: out
    )
    tb.attach(trainer, OptimizerParamsHandler(optimizer), Events.ITERATION_STARTED)
    tb.attach(trainer, WeightsScalarHandler(model), Events.EPOCH_COMPLETED)
    tb.attach(trainer, WeightsHistHandler(model), Events.EPOCH_COMPLETED)
    data = [torch.ones(4, 2) * i for i in range(3)]
    trainer.run(data, max_epochs=2)
    tb.close()

    assert event_files(tmp_path) == []
    database = only_database(tmp_path)
    assert database == tmp_path / "ignite" / "ploteries.h5"
    with ploteries.open(database) as db:
        assert db.runs() == ["ignite"]
        tags = set(db.tags("ignite"))
        assert {"training/loss", "lr/group_0", "weights_norm/weight", "weights/weight"} <= tags
        assert db.read("ignite", "training/loss")["step"].tolist() == [1, 2, 3, 4, 5, 6]
        assert db.read("ignite", "lr/group_0")["value"].tolist() == [0.1] * 6
        assert db.read("ignite", "weights/bias").step.tolist() == [1, 2]
