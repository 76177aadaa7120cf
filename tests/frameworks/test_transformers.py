"""Hugging Face Trainer(report_to="tensorboard"): train, then evaluate (a fresh writer), with ploteries.patch()."""

from __future__ import annotations

import pytest
import torch
import transformers

import ploteries

from .conftest import event_files, only_database


class _Pairs(torch.utils.data.Dataset):
    """8 two-token sequences, label = first token is even."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        ids = torch.tensor([i % 16, (3 * i) % 16])
        return {"input_ids": ids, "attention_mask": torch.ones(2, dtype=torch.long), "labels": i % 2}


def test_trainer_train_then_evaluate(tmp_path, patched, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    config = transformers.BertConfig(
        vocab_size=16,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=8,
        max_position_embeddings=8,
        num_labels=2,
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        report_to="tensorboard",
        logging_steps=1,
        num_train_epochs=2,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=8,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = transformers.Trainer(model=model, args=args, train_dataset=_Pairs(), eval_dataset=_Pairs())
    trainer.train()
    metrics = trainer.evaluate()

    assert event_files(tmp_path) == []
    database = only_database(tmp_path / "out")
    run = database.parent.name
    assert database.parent.parent == tmp_path / "out" / "runs"
    with ploteries.open(database) as db:
        assert db.runs() == [run]
        tags = set(db.tags(run))
        assert {"args", "model_config", "train/loss", "train/learning_rate", "eval/loss"} <= tags
        loss = db.read(run, "train/loss")
        assert loss["step"].tolist() == [1, 2, 3, 4]  # 2 batches x 2 epochs, logging_steps=1
        evaluated = db.read(run, "eval/loss")
        assert evaluated["step"].tolist() == [4]
        assert evaluated["value"][0] == pytest.approx(metrics["eval_loss"], rel=1e-6)
        assert '"num_hidden_layers": 1' in db.read(run, "model_config").values[0].tobytes().decode()
