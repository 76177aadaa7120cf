"""Lightning's default TensorBoardLogger, save_hyperparameters() and log_graph, with ploteries.patch()."""

from __future__ import annotations

import lightning.pytorch as pl
import torch

import ploteries

from .conftest import event_files, hparams_record, only_database


class Tiny(pl.LightningModule):
    def __init__(self, lr: float = 0.1, hidden: int = 4, optimizer: str = "sgd"):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )
        self.example_input_array = torch.zeros(2, 3)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def _loader():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, generator=g)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    return torch.utils.data.DataLoader(data, batch_size=4)


def test_default_tensorboard_logger(tmp_path, patched):
    from lightning.pytorch.loggers import TensorBoardLogger

    logger = TensorBoardLogger(save_dir=tmp_path, log_graph=True)
    trainer = pl.Trainer(
        default_root_dir=tmp_path,
        logger=logger,
        max_epochs=2,
        log_every_n_steps=1,
        accelerator="cpu",
        devices=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    trainer.fit(Tiny(lr=0.05, hidden=4), _loader(), _loader())

    assert event_files(tmp_path) == []
    database = only_database(tmp_path)
    assert database == tmp_path / "lightning_logs" / "version_0" / "ploteries.h5"
    with ploteries.open(database) as db:
        assert db.runs() == ["version_0"]
        tags = set(db.tags("version_0"))
        assert {"train_loss", "val_loss", "epoch", "hp_metric", "_hparams_", "_graph_"} <= tags
        train = db.read("version_0", "train_loss")
        assert train["step"].tolist() == list(range(8))  # 4 batches x 2 epochs, logged every step
        assert db.read("version_0", "val_loss")["step"].tolist() == [3, 7]
        assert db.read("version_0", "hp_metric")["value"].tolist() == [-1.0]
        record = hparams_record(db, "version_0")
        assert record["hparams"] == {"lr": 0.05, "hidden": 4.0, "optimizer": "sgd"}
        assert record["metrics"] == {"hp_metric": None}
        graph = db.read("version_0", "_graph_")
        assert len(graph) == 1
