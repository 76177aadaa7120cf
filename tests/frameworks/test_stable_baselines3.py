"""Stable-Baselines3 PPO with tensorboard_log= and an HParam, with ploteries.patch()."""

from __future__ import annotations

import stable_baselines3 as sb3

import ploteries

from .conftest import event_files, hparams_record, only_database


def test_ppo_cartpole_with_hparam(tmp_path, patched):
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.logger import HParam

    class HParamCallback(BaseCallback):
        def _on_training_start(self) -> None:
            hparams = {
                "algorithm": "PPO",
                "learning rate": self.model.learning_rate,
                "gamma": self.model.gamma,
            }
            metrics = {"rollout/ep_len_mean": 0, "train/value_loss": 0.0}
            self.logger.record("hparams", HParam(hparams, metrics), exclude=("stdout", "log", "json", "csv"))

        def _on_step(self) -> bool:
            return True

    model = sb3.PPO(
        "MlpPolicy",
        "CartPole-v1",
        n_steps=32,
        batch_size=16,
        n_epochs=1,
        learning_rate=1e-3,
        policy_kwargs={"net_arch": [8]},
        tensorboard_log=str(tmp_path),
        device="cpu",
        seed=0,
    )
    model.learn(total_timesteps=64, callback=HParamCallback(), tb_log_name="PPO")
    # a second run: SB3 numbers it from the folders it finds
    model.learn(total_timesteps=32, tb_log_name="PPO")

    assert event_files(tmp_path) == []
    found = sorted(ploteries.find_databases(tmp_path))
    assert [p.parent.name for p in found] == ["PPO_1", "PPO_2"]
    database = only_database(tmp_path / "PPO_1")
    with ploteries.open(database) as db:
        assert db.runs() == ["PPO_1"]
        tags = set(db.tags("PPO_1"))
        assert {"time/fps", "train/value_loss", "train/entropy_loss", "_hparams_"} <= tags
        assert db.read("PPO_1", "time/fps")["step"].tolist() == [32, 64]
        record = hparams_record(db, "PPO_1")
        assert record["hparams"] == {"algorithm": "PPO", "learning rate": 0.001, "gamma": 0.99}
        assert record["metrics"] == {"rollout/ep_len_mean": None, "train/value_loss": None}
