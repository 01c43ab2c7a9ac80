"""CPU end to end: TRL GRPO with evalkit's reward on a tiny model, then `evalkit watch` evaluates the checkpoint."""

import json
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

from evalkit.cli.main import main
from evalkit.training.checkpoints import discover
from evalkit.training.rewards import trl_reward
from evalkit.training.smoke import completer, evaluate, reward_history, sum_problems, toy_sums, train_grpo


@pytest.mark.slow
def test_grpo_trains_logs_rewards_and_its_checkpoint_is_evaluated(
    tiny_model_dir: Path, data_dir: Path, tmp_path: Path
) -> None:
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    trainer = train_grpo(model, tmp_path / "run", toy_sums(8), max_steps=2, save_steps=2)

    history = reward_history(trainer)
    assert [step for step, _ in history] == [1, 2]
    assert all(0.0 <= reward <= 1.0 for _, reward in history)
    assert any("rewards/evalkit_correct/mean" in h for h in trainer.state.log_history)

    # The smoke run's evaluation on the trained model: greedy answers to every problem, against the best
    # constant answer (what a model that ignores the question scores).
    from transformers import AutoTokenizer

    result = evaluate(
        completer(trainer.model, AutoTokenizer.from_pretrained(model), 3), sum_problems(1), trl_reward()
    )
    assert set(result.answers) == {"0+0", "0+1", "1+0", "1+1"} and result.samples == 1
    assert 0.0 <= result.accuracy <= 1.0 and result.constant_accuracy == pytest.approx(1 / 3)

    (ckpt,) = discover(tmp_path / "run")
    assert (ckpt.trainer, ckpt.global_step) == ("trl", 2)

    out = tmp_path / "eval"
    argv = ["watch", str(tmp_path / "run"), "--output_path", str(out), "--once", "--settle", "0",
            "--python", sys.executable, "--backend", "transformers", "--n_sampling", "1", "--max_gen_tokens", "4",
            "--data_names", "aime24", "--data_dir", str(data_dir)]  # fmt: skip
    assert main(argv) == 0
    (row,) = json.loads((out / "watch_table.json").read_text())
    assert row["step"] == 2 and row["trainer"] == "trl"
    assert isinstance(row["aime24 greedy_acc"], float) and isinstance(row["aime24 sample_pass@1"], float)
