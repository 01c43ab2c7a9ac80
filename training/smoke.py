"""CPU smoke run: TRL GRPO on a tiny model and toy sums, rewarded by evalkit's grader.

Used by ``tests/training/test_trl_smoke.py`` (a few steps) and ``scripts/train_smoke.py`` (longer, with
a reward curve and a held-out evaluation). Training needs ``trl`` and ``datasets``.

A rising reward alone proves little: on sums of 0 and 1 the answer "1" is right half the time, and a model
that learns to answer "1" to everything looks like it learns. So the smoke task draws its answers uniformly
(``balanced_sums``: each sum equally likely, then a problem with that sum), and ``evaluate`` reports the
model's greedy accuracy next to the accuracy of the best constant answer (``best_constant``) on the same
problems, with the answers it gave: only accuracy above that baseline shows an answer that depends on the
question.
"""

import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.training.rewards import trl_reward

PROMPT = "What is {a}+{b}? Put the answer in \\boxed{{}}."
# The smoke run's wording puts the question last: a 2-layer random model reads its last token most directly,
# and with the instruction last (``PROMPT``) it collapsed to one answer for every question in our runs.
SMOKE_PROMPT = "Put the answer in \\boxed{{}}. What is {a}+{b}"


def toy_sums(n: int, *, max_operand: int = 4, seed: int = 0) -> list[dict[str, str]]:
    """``n`` rows ``{"prompt": "What is a+b? ...", "answer": "a+b"}`` with operands in 0..max_operand."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        a, b = rng.randint(0, max_operand), rng.randint(0, max_operand)
        rows.append({"prompt": PROMPT.format(a=a, b=b), "answer": str(a + b)})
    return rows


Problem = tuple[int, int]


def sum_problems(max_operand: int) -> list[Problem]:
    """Every ``(a, b)`` with operands in 0..max_operand."""
    return [(a, b) for a in range(max_operand + 1) for b in range(max_operand + 1)]


def problem_weights(problems: Sequence[Problem]) -> dict[Problem, float]:
    """How often ``balanced_sums`` draws each problem: each sum equally likely, then each of its problems."""
    by_sum = Counter(a + b for a, b in problems)
    return {(a, b): 1 / len(by_sum) / by_sum[a + b] for a, b in problems}


def balanced_sums(
    n: int, problems: Sequence[Problem], *, seed: int = 0, template: str = SMOKE_PROMPT
) -> list[dict[str, str]]:
    """``n`` rows like ``toy_sums`` (``template`` filled with a and b), drawn from ``problems`` so that every
    sum is equally likely."""
    rng = random.Random(seed)
    by_sum: dict[int, list[Problem]] = {}
    for a, b in problems:
        by_sum.setdefault(a + b, []).append((a, b))
    sums = sorted(by_sum)
    rows = []
    for _ in range(n):
        a, b = rng.choice(by_sum[rng.choice(sums)])
        rows.append({"prompt": template.format(a=a, b=b), "answer": str(a + b)})
    return rows


def best_constant(problems: Sequence[Problem]) -> tuple[str, float]:
    """The answer that scores best when given to every problem (drawn as ``balanced_sums`` draws them), and
    its accuracy: what a model that ignores the question can reach."""
    share: Counter[str] = Counter()
    for (a, b), w in problem_weights(problems).items():
        share[str(a + b)] += w
    answer, acc = max(sorted(share.items()), key=lambda kv: kv[1])
    return answer, acc


@dataclass(slots=True)
class SmokeEval:
    """Accuracy on ``problems`` (weighted as ``balanced_sums`` draws them) against the best constant answer's.

    A model whose answer does not depend on the question, sampled or not, scores at most the best constant:
    only accuracy above it shows learning."""

    accuracy: float
    constant_answer: str
    constant_accuracy: float
    answers: dict[str, str] = field(default_factory=dict)  # "a+b" -> its most common last number ("" if none)
    samples: int = 1  # completions per problem

    @property
    def beats_constant(self) -> bool:
        return self.accuracy > self.constant_accuracy + 1e-9

    @property
    def distinct_answers(self) -> int:
        return len({a for a in self.answers.values() if a})

    def line(self) -> str:
        how = "greedy" if self.samples == 1 else f"sampled ({self.samples} a problem)"
        return (
            f"{how} accuracy {self.accuracy:.3f} vs best constant answer {self.constant_answer!r} "
            f"{self.constant_accuracy:.3f}; answers: "
            + ", ".join(f"{p}->{a or '?'}" for p, a in self.answers.items())
        )


def evaluate(
    complete: Callable[[list[str]], list[list[str]]],
    problems: Sequence[Problem],
    reward: Callable[..., list[float]],
    *,
    template: str = SMOKE_PROMPT,
) -> SmokeEval:
    """Grade ``complete(prompts)`` (completions of each prompt: one for greedy decoding, which is
    deterministic, so each distinct problem is asked once; several when sampling) with ``reward`` as training
    does, each problem weighted as ``balanced_sums`` draws it, against ``best_constant``."""
    weights = problem_weights(problems)
    prompts = [template.format(a=a, b=b) for a, b in problems]
    per_prompt = complete(prompts)
    accuracy, answers, samples = 0.0, {}, 1
    for (a, b), prompt, completions in zip(problems, prompts, per_prompt, strict=True):
        samples = len(completions)
        scores = reward([prompt] * samples, completions, answer=[str(a + b)] * samples)
        accuracy += weights[(a, b)] * sum(scores) / samples
        numbers = Counter(n[-1] for c in completions if (n := re.findall(r"\d+", c)))
        answers[f"{a}+{b}"] = numbers.most_common(1)[0][0] if numbers else ""
    return SmokeEval(accuracy, *best_constant(problems), answers, samples)


def completer(
    model: Any, tokenizer: Any, max_new_tokens: int, samples: int = 1
) -> Callable[[list[str]], list[list[str]]]:
    """Completions of raw-text prompts (as TRL feeds a ``prompt`` string column) by ``model``: the greedy one
    (``samples=1``) or ``samples`` drawn at temperature 1, as GRPO samples them in training."""
    import torch

    def complete(prompts: list[str]) -> list[list[str]]:
        out = []
        model.eval()
        with torch.no_grad():
            for prompt in prompts:
                ids = tokenizer(prompt, return_tensors="pt").input_ids
                sampling: dict[str, Any] = (
                    dict(do_sample=True, temperature=1.0, top_p=1.0, top_k=0)
                    if samples > 1
                    else dict(do_sample=False)
                )
                gen = model.generate(
                    ids.repeat(samples, 1),
                    max_new_tokens=max_new_tokens,
                    pad_token_id=tokenizer.pad_token_id,
                    **sampling,
                )
                out.append(tokenizer.batch_decode(gen[:, ids.shape[1] :], skip_special_tokens=True))
        return out

    return complete


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
