"""The evalkit grader behind each RL trainer's own reward interface.

Every adapter ends in :func:`evalkit.graders.grade`, so a training reward and an evaluation verdict
never disagree, and reads its gold through :func:`reward_gold`. Each takes ``policy``: the grader's
default extraction (None), ``"strict"`` (a box or nothing), or any ``ExtractionPolicy``;
:mod:`evalkit.training.rewards_strict` holds the strict adapters for trainers that load a reward by
name and pass it no options. Adapters are module-level functions or instances of module-level
classes: they pickle, so trainers may call them from threads, process pools or Ray actors. No
signal-based time limits are used (the grader's own ``timeout`` applies).

==========  ==================================================================  ====================
trainer     called as                                                           returns
==========  ==================================================================  ====================
AReaL 1.0   ``reward_fn(prompt, completions, prompt_ids, completion_ids, **row)``  ``float`` (1 / 0)
AReaL v0.2  verdict 1/0 -> ``((v - 0.5) * 2 - reward_bias) * reward_scaling``   ``float`` (+5 / -5)
veRL        ``compute_score(data_source, solution_str, ground_truth, extra_info)``  ``dict`` with score
OpenRLHF    ``reward_func(queries, prompts, labels, **kw)``                     ``dict`` of tensors
TRL         ``reward_func(prompts=, completions=, completion_ids=, **columns)``  ``list[float]``
==========  ==================================================================  ====================
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.graders import ExtractionPolicy, Verdict, grade

DEFAULT_TIMEOUT = 5.0
GOLD_KEYS = ("answer", "solution", "solutions", "gold", "label", "ground_truth")
Gold = str | int | float | None
Policy = ExtractionPolicy | str | None


def reward_gold(gold: Any) -> Gold:
    """A trainer's gold answer as :func:`evalkit.graders.grade` takes it (which then reads it the one way
    it reads every gold): a list, tuple or array (veRL's ``ground_truth``, AReaL v0.2's ``solutions``)
    gives its first item, numpy and torch scalars their Python value, an empty list no gold. A missing
    gold (None, NaN, blank, empty) credits nothing; it is never the text ``"None"`` or ``"nan"``."""
    while True:
        if not isinstance(gold, str | int | float) and callable(getattr(gold, "tolist", None)):
            gold = gold.tolist()  # numpy / torch arrays and scalars
        if not isinstance(gold, list | tuple):
            break
        gold = gold[0] if gold else None
    return gold if gold is None or isinstance(gold, str | int | float) else str(gold)


def extraction_policy(policy: Policy) -> ExtractionPolicy | None:
    """An adapter's ``policy``: None (the grader's default), a preset name ("default", "strict"), or
    an ``ExtractionPolicy``."""
    return ExtractionPolicy.named(policy) if isinstance(policy, str) else policy


def grade_reward(
    response: str, gold: Any, *, timeout: float = DEFAULT_TIMEOUT, policy: Policy = None
) -> Verdict:
    """Grade one response against a gold answer in any trainer's format."""
    return grade(response, reward_gold(gold), timeout=timeout, policy=extraction_policy(policy))


def find_gold(row: Mapping[str, Any], gold_key: str | None = None) -> Any:
    """The gold answer of a dataset row: ``gold_key`` if given, else the first of :data:`GOLD_KEYS` that
    is set; None when the gold columns are there but all empty (a row without a gold earns nothing).
    A row with none of those columns is a configuration error: ``KeyError``."""
    keys = [key for key in ((gold_key,) if gold_key else GOLD_KEYS) if key in row]
    if not keys:
        wanted = [gold_key] if gold_key else list(GOLD_KEYS)
        raise KeyError(f"no gold answer column among {wanted} (columns: {sorted(row)})")
    return next((row[key] for key in keys if row[key] is not None), None)


def message_text(completion: str | Sequence[Mapping[str, Any]]) -> str:
    """Text of a completion: a plain string, or the last assistant message of a conversation."""
    if isinstance(completion, str):
        return completion
    contents = [m.get("content") or "" for m in completion if m.get("role", "assistant") == "assistant"]
    return contents[-1] if contents else ""


# --- AReaL -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AReaLReward:
    """AReaL 1.0 ``RLVRWorkflow`` reward: ``(prompt, completions, prompt_ids, completion_ids, **row)``.

    ``completions`` is the decoded text of one completion; ``row`` holds the dataset columns
    (AReaL's math examples keep the gold in ``answer``).
    """

    gold_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    policy: Policy = None

    def __call__(
        self,
        prompt: str,
        completions: str,
        prompt_ids: Sequence[int],
        completion_ids: Sequence[int],
        **row: Any,
    ) -> float:
        gold = find_gold(row, self.gold_key)
        return float(grade_reward(completions, gold, timeout=self.timeout, policy=self.policy).correct)


areal_reward_fn = AReaLReward()
"""``workflow_kwargs["reward_fn"]`` for AReaL 1.0, or as a string ``"evalkit.training.rewards.areal_reward_fn"``."""


def areal_v02_reward(
    response: str,
    gold: Any,
    *,
    reward_scaling: float = 5.0,
    reward_bias: float = 0.0,
    timeout: float = DEFAULT_TIMEOUT,
    policy: Policy = None,
) -> float:
    """AReaL v0.2 ppo-math reward: verdict 1/0 -> +1/-1, minus ``ppo.reward_output_bias``, times
    ``ppo.reward_output_scaling`` (the shipped YAMLs: scaling 5, bias 0 -> +5 / -5)."""
    success = float(grade_reward(response, gold, timeout=timeout, policy=policy).correct)
    return ((success - 0.5) * 2 - reward_bias) * reward_scaling


def keep_group(successes: Sequence[bool], success_rate_lb: float = 0.0, success_rate_ub: float = 1.0) -> bool:
    """AReaL v0.2 group filter: a prompt's group is kept only if its success rate is in [lb, ub]."""
    rate = sum(map(float, successes)) / len(successes)
    return success_rate_lb <= rate <= success_rate_ub


# --- veRL ------------------------------------------------------------------------------------


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    *,
    policy: Policy = None,
    timeout: float = DEFAULT_TIMEOUT,
    **_: Any,
) -> dict[str, Any]:
    """veRL ``reward.custom_reward_function`` (``name: compute_score``): ``score`` plus ``acc`` and ``pred``.

    ``data_source`` is ignored: every source is graded by evalkit's grader. ``policy`` and ``timeout``
    may come from ``custom_reward_function.reward_kwargs``.
    """
    verdict = grade_reward(solution_str, ground_truth, timeout=timeout, policy=policy)
    return {"score": float(verdict.correct), "acc": verdict.correct, "pred": verdict.pred or ""}


# --- OpenRLHF --------------------------------------------------------------------------------


def strip_prompt(query: str, prompt: str) -> str:
    """The response part of an OpenRLHF query (prompt + response)."""
    return query[len(prompt) :] if prompt and query.startswith(prompt) else query


def reward_func(
    queries: Sequence[str],
    prompts: Sequence[str],
    labels: Sequence[Any],
    *,
    policy: Policy = None,
    timeout: float = DEFAULT_TIMEOUT,
    **_: Any,
) -> dict[str, Any]:
    """OpenRLHF ``--reward.remote_url /path/to/rewards.py`` (formerly ``--remote_rm_url``) with
    ``--data.label_key answer``: ``rewards`` and ``scores`` tensors, ``extra_logs`` for the logger."""
    import torch

    verdicts = [
        grade_reward(strip_prompt(q, p), gold, timeout=timeout, policy=policy)
        for q, p, gold in zip(queries, prompts, labels, strict=True)
    ]
    rewards = torch.tensor([float(v.correct) for v in verdicts], dtype=torch.float)
    extracted = torch.tensor([float(v.pred is not None) for v in verdicts], dtype=torch.float)
    return {
        "rewards": rewards,
        "scores": rewards.clone(),
        "extra_logs": {"evalkit_accuracy": rewards.mean(), "evalkit_extracted": extracted.mean()},
    }


# --- TRL -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TRLReward:
    """TRL ``GRPOTrainer(reward_funcs=...)``: one reward per completion, gold from a dataset column.

    Completions are strings or conversations (``[{"role": "assistant", "content": ...}]``).
    """

    gold_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    policy: Policy = None

    @property
    def __name__(self) -> str:  # TRL logs each reward as ``rewards/<name>/mean``
        return "evalkit_correct"

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float]:
        golds = self._golds(columns, len(completions))
        return [
            float(grade_reward(message_text(c), gold, timeout=self.timeout, policy=self.policy).correct)
            for c, gold in zip(completions, golds, strict=True)
        ]

    def _golds(self, columns: Mapping[str, Any], n: int) -> list[Any]:
        candidates = {k: v for k, v in columns.items() if isinstance(v, list) and len(v) == n}
        return find_gold(candidates, self.gold_key)


def trl_reward(
    gold_key: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, policy: Policy = None
) -> TRLReward:
    """A TRL reward function reading the gold from ``gold_key`` (default: ``answer``, ``solution``, ...)."""
    return TRLReward(gold_key, timeout, policy)


trl_reward_fn = TRLReward()
