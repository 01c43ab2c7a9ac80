"""The evalkit grader behind each RL trainer's own reward interface.

Every adapter ends in :func:`evalkit.graders.grade` with the response's
:class:`~evalkit.graders.ResponseContext` (was it cut off at the token limit? did the prompt open
``<think>``?), exactly as evaluation grades a stored sample, so a reward and an evaluation verdict
never disagree given the same facts; each reads its gold through :func:`reward_gold`. What each
trainer passes decides what is detected (see :func:`reward_context`):

- the prompt opened ``<think>``: from the prompt text (AReaL 1.0's ``prompt``, OpenRLHF's
  ``prompts``, TRL's string ``prompts``, veRL's ``extra_info["prompt"]``), else the adapter's
  ``prompt_opens_think`` option (veRL, TRL conversations and AReaL v0.2 have no prompt text);
- truncation: from the completion's token ids with ``eos_token_id`` or ``max_new_tokens`` set (AReaL
  1.0's ``completion_ids``, TRL's ``completion_ids``), from the decoded text with ``eos_token`` set
  (AReaL 1.0 and OpenRLHF decode with special tokens), or veRL's ``extra_info["truncated"]`` /
  ``extra_info["finish_reason"]``; nothing is assumed cut off when none of these is given.

Each takes ``policy``: the grader's default extraction (None), ``"strict"`` (a box or nothing), or any
``ExtractionPolicy``; :mod:`evalkit.training.rewards_strict` holds the strict adapters for trainers that
load a reward by name and pass it no options. Adapters are module-level functions or instances of
module-level classes: they pickle, so trainers may call them from threads, process pools or Ray
actors. No signal-based time limits are used (the grader's own ``timeout`` applies).

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

from evalkit.benchmarks.templates import prompt_opens_think as opens_think
from evalkit.graders import ExtractionPolicy, ResponseContext, Verdict, grade

DEFAULT_TIMEOUT = 5.0
EosIds = int | tuple[int, ...] | None
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
    response: str,
    gold: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    policy: Policy = None,
    context: ResponseContext | None = None,
) -> Verdict:
    """Grade one response against a gold answer in any trainer's format, made as ``context`` says."""
    return grade(
        response, reward_gold(gold), timeout=timeout, policy=extraction_policy(policy), context=context
    )


def reward_context(
    *,
    prompt: Any = None,
    prompt_opens_think: bool | None = None,
    truncated: bool | None = None,
    completion: str | None = None,
    completion_ids: Sequence[int] | None = None,
    eos_token_id: EosIds = None,
    eos_token: str | None = None,
    max_new_tokens: int | None = None,
) -> ResponseContext:
    """What a trainer's arguments say about how a completion was made.

    ``prompt_opens_think``: the option when set, else whether ``prompt`` (a string; a conversation says
    nothing: its chat template is applied later) ends inside an opened ``<think>``. ``truncated``: the
    value when set, else a completion of ``max_new_tokens`` ids, one whose last id is not an
    ``eos_token_id``, or one whose text does not end with ``eos_token``; else not truncated."""
    if prompt_opens_think is None:
        prompt_opens_think = isinstance(prompt, str) and opens_think(prompt)
    if truncated is None:
        truncated = _cut_off(completion, completion_ids, eos_token_id, eos_token, max_new_tokens)
    return ResponseContext(truncated=bool(truncated), prompt_opens_think=bool(prompt_opens_think))


def _cut_off(
    completion: str | None,
    ids: Sequence[int] | None,
    eos_token_id: EosIds,
    eos_token: str | None,
    max_new_tokens: int | None,
) -> bool:
    if ids is not None and not isinstance(ids, Sequence):
        ids = list(ids.tolist() if callable(getattr(ids, "tolist", None)) else ids)  # a tensor or an array
    if ids is not None and max_new_tokens is not None and len(ids) >= max_new_tokens:
        return True
    if ids is not None and eos_token_id is not None:
        eos = {eos_token_id} if isinstance(eos_token_id, int) else set(eos_token_id)
        return bool(ids) and int(ids[-1]) not in eos
    if completion is not None and eos_token:
        return not completion.rstrip().endswith(eos_token)
    return False


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
    (AReaL's math examples keep the gold in ``answer``). ``prompt`` tells whether the chat template
    opened ``<think>`` (or set ``prompt_opens_think``); a completion is truncated when it has
    ``max_new_tokens`` ids (``gconfig.max_new_tokens``), ends in no ``eos_token_id``, or its text ends
    in no ``eos_token`` (AReaL decodes with special tokens); with none of them set, never.
    """

    gold_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    policy: Policy = None
    prompt_opens_think: bool | None = None
    eos_token_id: EosIds = None
    eos_token: str | None = None
    max_new_tokens: int | None = None

    def __call__(
        self,
        prompt: str,
        completions: str,
        prompt_ids: Sequence[int],
        completion_ids: Sequence[int],
        **row: Any,
    ) -> float:
        gold = find_gold(row, self.gold_key)
        context = reward_context(
            prompt=prompt,
            prompt_opens_think=self.prompt_opens_think,
            completion=completions,
            completion_ids=completion_ids,
            eos_token_id=self.eos_token_id,
            eos_token=self.eos_token,
            max_new_tokens=self.max_new_tokens,
        )
        verdict = grade_reward(completions, gold, timeout=self.timeout, policy=self.policy, context=context)
        return float(verdict.correct)


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
    prompt: str | None = None,
    prompt_opens_think: bool | None = None,
    truncated: bool = False,
) -> float:
    """AReaL v0.2 ppo-math reward: verdict 1/0 -> +1/-1, minus ``ppo.reward_output_bias``, times
    ``ppo.reward_output_scaling`` (the shipped YAMLs: scaling 5, bias 0 -> +5 / -5). Give the
    ``prompt`` (or ``prompt_opens_think``) and whether the rollout was ``truncated``."""
    context = reward_context(prompt=prompt, prompt_opens_think=prompt_opens_think, truncated=truncated)
    success = float(grade_reward(response, gold, timeout=timeout, policy=policy, context=context).correct)
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
    prompt_opens_think: bool | None = None,
    **_: Any,
) -> dict[str, Any]:
    """veRL ``reward.custom_reward_function`` (``name: compute_score``): ``score`` plus ``acc`` and ``pred``.

    ``data_source`` is ignored: every source is graded by evalkit's grader. ``policy``, ``timeout`` and
    ``prompt_opens_think`` may come from ``custom_reward_function.reward_kwargs``. veRL passes the
    response without its prompt or special tokens: ``extra_info`` may say more (``prompt``,
    ``prompt_opens_think``, ``truncated``, ``finish_reason``); without them the response counts as
    finished and the prompt as not opening ``<think>`` unless ``prompt_opens_think`` says so.
    """
    info = extra_info if isinstance(extra_info, Mapping) else {}
    truncated = info.get("truncated")
    if truncated is None and info.get("finish_reason") is not None:
        truncated = info["finish_reason"] == "length"
    opens = info.get("prompt_opens_think")
    context = reward_context(
        prompt=info.get("prompt"),
        prompt_opens_think=prompt_opens_think if opens is None else bool(opens),
        truncated=truncated,
    )
    verdict = grade_reward(solution_str, ground_truth, timeout=timeout, policy=policy, context=context)
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
    prompt_opens_think: bool | None = None,
    eos_token: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    """OpenRLHF ``--reward.remote_url /path/to/rewards.py`` (formerly ``--remote_rm_url``) with
    ``--data.label_key answer``: ``rewards`` and ``scores`` tensors, ``extra_logs`` for the logger.

    Each prompt says whether it opened ``<think>``. OpenRLHF decodes queries with their special
    tokens: with ``eos_token`` (e.g. ``"<|im_end|>"``, through a ``functools.partial`` in your own
    reward file) a response that does not end with it counts as cut off at the token limit."""
    import torch

    verdicts = []
    for query, prompt, gold in zip(queries, prompts, labels, strict=True):
        response = strip_prompt(query, prompt)
        context = reward_context(
            prompt=prompt, prompt_opens_think=prompt_opens_think, completion=response, eos_token=eos_token
        )
        verdicts.append(grade_reward(response, gold, timeout=timeout, policy=policy, context=context))
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

    Completions are strings or conversations (``[{"role": "assistant", "content": ...}]``). A string
    prompt tells whether it opened ``<think>``; conversations do not (their chat template is applied
    later): set ``prompt_opens_think``. A completion is truncated when its ``completion_ids`` (which
    keep the EOS) end in no ``eos_token_id``, or number ``max_new_tokens``
    (``GRPOConfig.max_completion_length``); with neither set, never.
    """

    gold_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    policy: Policy = None
    prompt_opens_think: bool | None = None
    eos_token_id: EosIds = None
    max_new_tokens: int | None = None

    @property
    def __name__(self) -> str:  # TRL logs each reward as ``rewards/<name>/mean``
        return "evalkit_correct"

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float]:
        ids = columns.pop("completion_ids", None)
        golds = self._golds(columns, len(completions))
        ids = list(ids) if ids is not None else [None] * len(completions)
        prompts = list(prompts) if prompts is not None else [None] * len(completions)
        scores = []
        for prompt, completion, completion_ids, gold in zip(prompts, completions, ids, golds, strict=True):
            context = reward_context(
                prompt=prompt,
                prompt_opens_think=self.prompt_opens_think,
                completion_ids=completion_ids,
                eos_token_id=self.eos_token_id,
                max_new_tokens=self.max_new_tokens,
            )
            verdict = grade_reward(
                message_text(completion), gold, timeout=self.timeout, policy=self.policy, context=context
            )
            scores.append(float(verdict.correct))
        return scores

    def _golds(self, columns: Mapping[str, Any], n: int) -> list[Any]:
        candidates = {k: v for k, v in columns.items() if isinstance(v, list) and len(v) == n}
        return find_gold(candidates, self.gold_key)


def trl_reward(
    gold_key: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    policy: Policy = None,
    prompt_opens_think: bool | None = None,
    eos_token_id: EosIds = None,
    max_new_tokens: int | None = None,
) -> TRLReward:
    """A TRL reward function reading the gold from ``gold_key`` (default: ``answer``, ``solution``, ...);
    the other options as :class:`TRLReward` takes them."""
    return TRLReward(gold_key, timeout, policy, prompt_opens_think, eos_token_id, max_new_tokens)


trl_reward_fn = TRLReward()
