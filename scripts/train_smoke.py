#!/usr/bin/env python3
"""Longer CPU smoke run (not in CI): TRL GRPO with evalkit's reward on a small random model and easy sums,
with the greedy accuracy before and after training next to the best constant answer's.

    python scripts/train_smoke.py --out runs/train_smoke   # -> runs/train_smoke/{reward.png,smoke.json}

The sums are drawn so that every answer is equally likely (``balanced_sums``): a model that gives one answer
to every question scores at most the best constant answer's accuracy (1/3 on sums of 0 and 1), sampled or
greedy. Accuracy is reported greedy and sampled (``--samples`` a problem, temperature 1 as in training):
the random model's greedy completion repeats the prompt's last token, which alone scores 0.5 here. With
``--max_operand 2 --held_out 0+2,2+1`` problems are kept out of training and reported separately.
"""

import argparse
import json
import sys
from pathlib import Path

from evalkit.graders import ExtractionPolicy
from evalkit.reporting.plots import plot_curves
from evalkit.sampling.tiny_model import build_tiny_model
from evalkit.training.rewards import trl_reward
from evalkit.training.smoke import (
    SmokeEval,
    balanced_sums,
    completer,
    evaluate,
    reward_history,
    sum_problems,
    train_grpo,
)


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


def parse_problems(text: str) -> list[tuple[int, int]]:
    """``"1+0,0+2"`` -> ``[(1, 0), (0, 2)]``."""
    return [tuple(int(x) for x in item.split("+")) for item in filter(None, text.split(","))]  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--out", default="runs/train_smoke")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument(
        "--max_operand", type=int, default=1, help="operands 0..N (1: four problems, sums 0-2)"
    )
    parser.add_argument("--held_out", default="", help="problems kept out of training, e.g. 1+2,2+0")
    parser.add_argument(
        "--samples", type=int, default=64, help="completions a problem for the sampled accuracy"
    )
    parser.add_argument("--prompts_per_step", type=int, default=4)
    parser.add_argument("--group", type=int, default=16, help="completions a prompt (GRPO's group)")
    parser.add_argument(
        "--completion_tokens", type=int, default=1, help="max_completion_length (1: the answer token)"
    )
    args = parser.parse_args(argv)

    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = Path(args.out)
    model = widen(build_tiny_model(out / "model"), args.hidden)
    held_out = parse_problems(args.held_out)
    train = [p for p in sum_problems(args.max_operand) if p not in held_out]
    prompts_per_step, group, max_new = args.prompts_per_step, args.group, args.completion_tokens
    rows = balanced_sums(args.steps * prompts_per_step + 1, train, seed=0)
    # The random model cannot write \boxed{} yet: accept the last number of the completion as its answer.
    reward = trl_reward("answer", policy=ExtractionPolicy(last_number_fallback=True))
    tokenizer = AutoTokenizer.from_pretrained(model)

    def evals(m: object) -> dict[str, SmokeEval]:
        import torch

        torch.manual_seed(0)
        found = {}
        for how, samples in (("greedy", 1), ("sampled", args.samples)):
            complete = completer(m, tokenizer, max_new, samples)
            found[f"trained problems, {how}"] = evaluate(complete, train, reward)
            if held_out:
                found[f"held-out problems, {how}"] = evaluate(complete, held_out, reward)
        return found

    before = evals(AutoModelForCausalLM.from_pretrained(model))
    trainer = train_grpo(
        model, out / "run", rows, reward=reward, max_steps=args.steps, learning_rate=args.lr,
        per_device_train_batch_size=prompts_per_step * group, num_generations=group, max_completion_length=max_new,
        shuffle_dataset=False, save_steps=args.steps, logging_steps=1, disable_tqdm=True,
    )  # fmt: skip
    after = evals(trainer.model)
    steps, rewards = map(list, zip(*reward_history(trainer), strict=True))
    constant = after["trained problems, greedy"].constant_accuracy
    png = plot_curves(out / "reward.png", steps, {"reward (sampled)": rewards, "reward (10-step mean)": moving_average(rewards, 10),
                      "best constant answer": [constant] * len(steps)},
                      xlabel="step", title=f"TRL GRPO, evalkit reward, balanced sums of 0..{args.max_operand}")  # fmt: skip
    window = min(20, len(rewards))
    first, last = sum(rewards[:window]) / window, sum(rewards[-window:]) / window
    print(
        f"mean sampled reward: first {window} steps {first:.3f}, last {window} steps {last:.3f}; curve: {png}"
    )
    for name in after:
        print(f"{name}, before: {before[name].line()}")
        print(f"{name}, after:  {after[name].line()}")
    # Learning shown: above the best constant, and above the untrained model (whose greedy habit of repeating
    # the prompt's last token can beat the constant by itself).
    shown = [
        name for name, e in after.items() if e.beats_constant and e.accuracy > before[name].accuracy + 1e-9
    ]
    print(
        "learning beyond a constant answer: "
        + (f"shown on {'; '.join(shown)} (above the best constant's and the untrained model's accuracy)"
           if shown else "NOT shown by this run")
    )  # fmt: skip
    summary = {
        "steps": steps,
        "reward": rewards,
        "before": {
            k: {"accuracy": e.accuracy, "answers": e.answers, "samples": e.samples} for k, e in before.items()
        },
        "after": {
            k: {"accuracy": e.accuracy, "answers": e.answers, "samples": e.samples} for k, e in after.items()
        },
        "best_constant": {k: [e.constant_answer, e.constant_accuracy] for k, e in after.items()},
        "beats_constant": shown,
    }
    (out / "smoke.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
