#!/usr/bin/env python3
"""Longer CPU smoke run (not in CI): TRL GRPO with evalkit's reward on a small random model and easy sums,
plotting the reward per step. ``--stages 1,2,4`` makes a curriculum (operands up to 1, then 2, then 4).

    python scripts/train_smoke.py --steps 200 --out runs/train_smoke   # -> runs/train_smoke/reward.png
"""

import argparse
import json
import sys
from pathlib import Path

from evalkit.graders import ExtractionPolicy
from evalkit.reporting.plots import plot_curves
from evalkit.sampling.tiny_model import build_tiny_model
from evalkit.training.rewards import trl_reward
from evalkit.training.smoke import reward_history, toy_sums, train_grpo


def widen(path: Path, hidden: int) -> Path:
    """Re-initialise the tiny model at ``path`` with ``hidden`` units (tokenizer unchanged)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(path)
    config.hidden_size, config.intermediate_size = hidden, 2 * hidden
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    return path


def moving_average(values: list[float], window: int) -> list[float]:
    return [sum(values[max(0, i - window + 1) : i + 1]) / len(values[max(0, i - window + 1) : i + 1])
            for i in range(len(values))]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--out", default="runs/train_smoke")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--stages", default="1", help="largest operand of each curriculum stage, e.g. 1,2,4")
    args = parser.parse_args(argv)

    out = Path(args.out)
    model = widen(build_tiny_model(out / "model"), args.hidden)
    prompts_per_step, group = 2, 8
    stages = [int(top) for top in args.stages.split(",")]
    per_stage = args.steps * prompts_per_step // len(stages) + 1
    rows = [
        row for stage, top in enumerate(stages) for row in toy_sums(per_stage, max_operand=top, seed=stage)
    ]
    # The random model cannot write \boxed{} yet: accept the last number of the completion as its answer.
    reward = trl_reward("answer", policy=ExtractionPolicy(last_number_fallback=True))
    trainer = train_grpo(
        model, out / "run", rows, reward=reward, max_steps=args.steps, learning_rate=args.lr,
        per_device_train_batch_size=prompts_per_step * group, num_generations=group, max_completion_length=3, shuffle_dataset=False,
        save_steps=args.steps, logging_steps=1, disable_tqdm=True,
    )  # fmt: skip
    steps, rewards = map(list, zip(*reward_history(trainer), strict=True))
    (out / "rewards.json").write_text(json.dumps({"step": steps, "reward": rewards}))
    png = plot_curves(out / "reward.png", steps, {"reward": rewards, "reward (10-step mean)": moving_average(rewards, 10)},
                      xlabel="step", title=f"TRL GRPO, evalkit reward, sums (stages {args.stages})")  # fmt: skip
    first, last = sum(rewards[:20]) / 20, sum(rewards[-20:]) / 20
    print(f"mean reward: first 20 steps {first:.3f}, last 20 steps {last:.3f}; curve: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
