"""CPU smoke run: TRL GRPO on a tiny model and toy sums, rewarded by evalkit's grader.

Used by ``tests/training/test_trl_smoke.py`` (a few steps) and ``scripts/train_smoke.py`` (longer, with
a reward curve). Needs ``trl`` and ``datasets``.
"""

import random
from pathlib import Path
from typing import Any

from evalkit.training.rewards import trl_reward

PROMPT = "What is {a}+{b}? Put the answer in \\boxed{{}}."


def toy_sums(n: int, *, max_operand: int = 4, seed: int = 0) -> list[dict[str, str]]:
    """``n`` rows ``{"prompt": "What is a+b? ...", "answer": "a+b"}`` with operands in 0..max_operand."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        a, b = rng.randint(0, max_operand), rng.randint(0, max_operand)
        rows.append({"prompt": PROMPT.format(a=a, b=b), "answer": str(a + b)})
    return rows


def train_grpo(
    model_path: str | Path,
    output_dir: str | Path,
    rows: list[dict[str, str]],
    *,
    reward: Any = None,
    **config: Any,
) -> Any:
    """Train with ``GRPOTrainer`` on CPU (no vLLM, no mixed precision) and return the trainer.

    ``reward`` defaults to ``trl_reward("answer")``; ``config`` overrides the ``GRPOConfig`` defaults
    below (``max_steps``, ``save_steps``, ...).
    """
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    defaults: dict[str, Any] = dict(
        output_dir=str(output_dir),
        max_steps=2,
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="steps",
        save_steps=2,
        use_cpu=True,
        use_vllm=False,
        bf16=False,
        fp16=False,
        report_to="none",
        dataloader_num_workers=0,
        seed=0,
    )
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    trainer = GRPOTrainer(
        model=str(model_path),
        reward_funcs=reward or trl_reward("answer"),
        args=GRPOConfig(**(defaults | config)),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    trainer.train()
    return trainer


def reward_history(trainer: Any) -> list[tuple[int, float]]:
    """(step, mean reward) of every logged training step."""
    return [(int(h["step"]), float(h["reward"])) for h in trainer.state.log_history if "reward" in h]
