"""The evalkit grader behind each RL trainer's own reward interface.

Every adapter ends in :func:`evalkit.graders.grade_many` with the response's
:class:`~evalkit.graders.ResponseContext` (was it cut off at the token limit? did the prompt open
``<think>``?), exactly as evaluation grades a stored sample, so a reward and an evaluation verdict
never disagree given the same facts. Before that, each adapter

- strips the end-of-sequence / end-of-turn tokens a trainer leaves in text decoded with its special
  tokens (:data:`END_TOKENS`, DeepSeek's ``<｜end▁of▁sentence｜>`` among them, plus the adapter's
  ``eos_token``): evaluation reads the text without them (:func:`strip_end_tokens`);
- reads every gold through :func:`reward_golds`: a list, tuple or array (AReaL's and boba's
  ``solutions``, veRL's ``ground_truth``) holds alternatives, and a match with any of them is credited.

What each trainer passes decides what is detected (see :func:`reward_context`):

- the prompt opened ``<think>``: from the prompt text (AReaL 1.0's ``prompt``, OpenRLHF's
  ``prompts``, TRL's string ``prompts``, veRL's ``extra_info["prompt"]``), else the adapter's
  ``prompt_opens_think`` option (veRL, TRL conversations and AReaL v0.2 have no prompt text);
- truncation: a completion that ends in an end token (text) or an ``eos_token_id`` (ids) finished;
  otherwise the token limit decides when known (``max_new_tokens``, AReaL's ``max_tokens``), else the
  missing EOS id (``eos_token_id``), else, for trainers that keep special tokens in the text (AReaL 1.0,
  OpenRLHF), the missing end token; veRL's ``extra_info["truncated"]`` / ``["finish_reason"]``; nothing
  is assumed cut off when none of these is known.

Each takes ``policy``: the grader's default extraction (None), ``"strict"`` (a box or nothing), or any
``ExtractionPolicy``; :mod:`evalkit.training.rewards_strict` holds the strict adapters for trainers that
load a reward by name and pass it no options. ``timeout`` is the grader's limit per sympy check (as in
evaluation); ``time_limit`` bounds the whole call, queueing and worker start-up included (AReaL 1.0's
default 12 s, under AReaL's own 15 s): what is undecided then is not credited. The grader's worker pool is
started on the first call in a process (:func:`warm_up`), and on import when a trainer loads this file by
path (veRL, OpenRLHF). Adapters are module-level functions or instances of module-level classes: they
pickle, so trainers may call them from threads, process pools or Ray actors. No signal-based time limits.

==========  ======================================================================  ====================
trainer     called as                                                               returns
==========  ======================================================================  ====================
AReaL 1.0   ``reward_fn(prompt, completions, prompt_ids, completion_ids, **row)``   ``float`` (1 / 0)
AReaL v0.2  verdict 1/0 -> ``((v - 0.5) * 2 - reward_bias) * reward_scaling``       ``float`` (+5 / -5)
veRL        ``compute_score(data_source=, solution_str=, ground_truth=, extra_info=)``  ``dict`` with score
OpenRLHF    ``reward_func(queries, prompts, labels)``                               ``dict`` of tensors
TRL         ``reward_func(prompts=, completions=, completion_ids=, **columns)``      ``list[float]``
==========  ======================================================================  ====================
"""

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.benchmarks.templates import prompt_opens_think as opens_think
from evalkit.graders import ExtractionPolicy, ResponseContext, Verdict, grade_many

DEFAULT_TIMEOUT = 5.0  # seconds per sympy check, as in evaluation
AREAL_TIME_LIMIT = 12.0  # seconds per AReaL 1.0 call: AReaL's AsyncRewardWrapper gives up after 15
WARM_WORKERS = 2  # grader workers started ahead of need in a reward process
EosIds = int | tuple[int, ...] | None
EosTokens = str | tuple[str, ...] | None
GOLD_KEYS = ("answer", "solution", "solutions", "gold", "label", "ground_truth")
ALTERNATIVES_KEY = "solutions"  # AReaL's and boba's column of alternative golds, credited with the chosen one
Gold = str | int | float | None
Policy = ExtractionPolicy | str | None

# End-of-sequence and end-of-turn tokens as they appear in text decoded with special tokens kept (each
# checked against the model family's tokenizer_config.json / generation_config.json): DeepSeek (R1,
# R1-Distill-Qwen/-Llama, V3: eos and pad), DeepSeek-Coder instruct; Qwen/ChatML; Llama 3; Llama 2 and
# Mistral; Gemma; Phi-3; gpt-oss. An adapter's ``eos_token`` adds the tokenizer's own.
END_TOKENS = (
    "<\uff5cend\u2581of\u2581sentence\uff5c>",  # <｜end▁of▁sentence｜>
    "<|EOT|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end_of_text|>",
    "</s>",
    "<end_of_turn>",
    "<eos>",
    "<|end|>",
    "<|return|>",
)


# --- text and golds ----------------------------------------------------------------------------


def _end_tokens(eos_token: EosTokens = None) -> tuple[str, ...]:
    extra = (eos_token,) if isinstance(eos_token, str) else tuple(eos_token or ())
    return tuple(sorted({t for t in (*END_TOKENS, *extra) if t}, key=len, reverse=True))


def ends_with_end_token(text: str, eos_token: EosTokens = None) -> bool:
    """Whether ``text`` (decoded with special tokens) ends, but for whitespace, in an end token."""
    tail = text.rstrip()
    return any(tail.endswith(token) for token in _end_tokens(eos_token))


def strip_end_tokens(text: str, eos_token: EosTokens = None) -> str:
    """``text`` without its end-of-sequence / end-of-turn tokens (:data:`END_TOKENS` and ``eos_token``):
    what ``tokenizer.decode(ids, skip_special_tokens=True)`` gives evaluation for those tokens."""
    for token in _end_tokens(eos_token):
        if token in text:
            text = text.replace(token, "")
    return text


def reward_golds(gold: Any) -> list[Gold]:
    """A trainer's gold as the alternatives :func:`evalkit.graders.grade` takes: a list, tuple or array
    (veRL's ``ground_truth``, AReaL's and boba's ``solutions``; nested ones flattened) gives each item,
    numpy and torch scalars their Python value; missing golds (None, an empty list) are left out, so
    a row without one gives ``[]`` and earns nothing. A gold that is a tuple of values (the answer
    ``(1, 2)``) must be written as text: ``"(1, 2)"``; as a list it means "1 or 2"."""
    if not isinstance(gold, str | int | float) and callable(getattr(gold, "tolist", None)):
        gold = gold.tolist()  # numpy / torch arrays and scalars
    if isinstance(gold, list | tuple):
        return [g for item in gold for g in reward_golds(item)]
    if gold is None:
        return []
    return [gold if isinstance(gold, str | int | float) else str(gold)]


def reward_gold(gold: Any) -> Gold:
    """The first of :func:`reward_golds` (None when there is none)."""
    golds = reward_golds(gold)
    return golds[0] if golds else None


def extraction_policy(policy: Policy) -> ExtractionPolicy | None:
    """An adapter's ``policy``: None (the grader's default), a preset name ("default", "strict"), or
    an ``ExtractionPolicy``."""
    return ExtractionPolicy.named(policy) if isinstance(policy, str) else policy


# --- the grader's workers ---------------------------------------------------------------------

_warm_lock = threading.Lock()
_warm_pid: int | None = None


def warm_up(workers: int = WARM_WORKERS) -> None:
    """Start up to ``workers`` of the shared grader pool's worker processes now, in the background (each
    imports sympy: seconds on a busy machine), so that the first verdict needing one does not wait for it.
    Once per process (a forked child starts its own); every adapter call does it, and importing this file
    by path (as veRL and OpenRLHF load a reward) too."""
    global _warm_pid
    with _warm_lock:
        if _warm_pid == os.getpid():
            return
        _warm_pid = os.getpid()
    from evalkit.graders.pool import POOL, default_workers

    for _ in range(max(1, min(workers, default_workers()))):
        POOL.submit("0", "0", timeout=DEFAULT_TIMEOUT)  # a trivial check: each starts one worker


def _fresh_lock() -> None:
    """In a forked child (AReaL's reward processes): a lock another thread of the parent may have held."""
    global _warm_lock
    _warm_lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock)


# --- grading -----------------------------------------------------------------------------------


def _best(verdicts: Sequence[Verdict]) -> Verdict:
    """The verdict of the first gold that credits the response, else the first gold's."""
    return next((v for v in verdicts if v.correct), verdicts[0])


def grade_rewards(
    responses: Sequence[str],
    golds: Sequence[Any],
    contexts: Sequence[ResponseContext | None] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    policy: Policy = None,
    time_limit: float | None = None,
) -> list[Verdict]:
    """One verdict per response, crediting a match with any of its golds (:func:`reward_golds`).

    ``timeout`` limits each sympy check; ``time_limit`` (seconds, None: none) the whole call, the wait for
    a worker included: a response undecided by then gets a ``timeout`` verdict (not credited)."""
    warm_up()
    alternatives = [reward_golds(gold) for gold in golds]
    contexts = list(contexts) if contexts is not None else [None] * len(responses)
    flat = [(i, gold) for i, options in enumerate(alternatives) for gold in options or [None]]
    verdicts = grade_many(  # one call: every distinct pair judged once, in parallel
        [(responses[i], gold) for i, gold in flat],
        timeout=timeout if time_limit is None else min(timeout, time_limit),
        policy=extraction_policy(policy),
        contexts=[contexts[i] for i, _ in flat],
        deadline=time_limit,
    )
    per: list[list[Verdict]] = [[] for _ in responses]
    for (i, _), verdict in zip(flat, verdicts, strict=True):
        per[i].append(verdict)
    return [_best(v) for v in per]


def grade_reward(
    response: str,
    gold: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    policy: Policy = None,
    context: ResponseContext | None = None,
    time_limit: float | None = None,
) -> Verdict:
    """Grade one response against a gold answer (or alternatives) in any trainer's format, made as
    ``context`` says."""
    return grade_rewards(
        [response], [gold], [context], timeout=timeout, policy=policy, time_limit=time_limit
    )[0]


# --- what the trainer says about the completion ------------------------------------------------


def reward_context(
    *,
    prompt: Any = None,
    prompt_opens_think: bool | None = None,
    truncated: bool | None = None,
    completion: str | None = None,
    completion_ids: Sequence[int] | None = None,
    eos_token_id: EosIds = None,
    eos_token: EosTokens = None,
    max_new_tokens: int | None = None,
    prompt_ids: Sequence[int] | None = None,
    max_tokens: int | None = None,
    special_tokens_kept: bool = False,
) -> ResponseContext:
    """What a trainer's arguments say about how a completion was made.

    ``prompt_opens_think``: the option when set, else whether ``prompt`` (a string; a conversation says
    nothing: its chat template is applied later) ends inside an opened ``<think>``. ``truncated``: the
    value when set; else a completion whose text ends in an end token (:data:`END_TOKENS`,
    ``eos_token``) or whose last id is an ``eos_token_id`` finished; else, with the token limit known
    (``max_new_tokens``; AReaL's ``max_tokens`` less ``len(prompt_ids)``), one of that many ids was cut
    off and a shorter one stopped (a stop string); else one whose last id is no ``eos_token_id`` was cut
    off; else, text decoded with its special tokens (``eos_token`` set, or ``special_tokens_kept``)
    without an end token was; else nothing is assumed cut off."""
    if prompt_opens_think is None:
        prompt_opens_think = isinstance(prompt, str) and opens_think(prompt)
    if truncated is None:
        truncated = _cut_off(
            completion,
            _id_list(completion_ids),
            _id_list(prompt_ids),
            eos_token_id,
            eos_token,
            max_new_tokens,
            max_tokens,
            special_tokens_kept,
        )
    return ResponseContext(truncated=bool(truncated), prompt_opens_think=bool(prompt_opens_think))


def _id_list(ids: Any) -> list[int] | None:
    if ids is None:
        return None
    return list(ids.tolist() if callable(getattr(ids, "tolist", None)) else ids)  # a tensor or an array


def _cut_off(
    completion: str | None,
    ids: list[int] | None,
    prompt_ids: list[int] | None,
    eos_token_id: EosIds,
    eos_token: EosTokens,
    max_new_tokens: int | None,
    max_tokens: int | None,
    special_tokens_kept: bool,
) -> bool:
    eos_ids = {eos_token_id} if isinstance(eos_token_id, int) else set(eos_token_id or ())
    if completion is not None and ends_with_end_token(completion, eos_token):
        return False
    if ids and int(ids[-1]) in eos_ids:
        return False
    limits = [max_new_tokens] if max_new_tokens is not None else []
    if max_tokens is not None and prompt_ids is not None:
        limits.append(max_tokens - len(prompt_ids))  # AReaL: min(max_tokens - prompt, max_new_tokens)
    if ids is not None and limits:
        return len(ids) >= min(limits)
    if ids is not None and eos_ids:
        return bool(ids)
    return completion is not None and bool(eos_token or special_tokens_kept)


def find_gold(row: Mapping[str, Any], gold_key: str | None = None) -> Any:
    """The gold answer of a dataset row: ``gold_key`` if given, else the first of :data:`GOLD_KEYS` that
    is set; None when the gold columns are there but all empty (a row without a gold earns nothing).
    A row with none of those columns is a configuration error: ``KeyError``."""
    keys = [key for key in ((gold_key,) if gold_key else GOLD_KEYS) if key in row]
    if not keys:
        wanted = [gold_key] if gold_key else list(GOLD_KEYS)
        raise KeyError(f"no gold answer column among {wanted} (columns: {sorted(row)})")
    return next((row[key] for key in keys if row[key] is not None), None)


def find_golds(row: Mapping[str, Any], gold_key: str | None = None) -> list[Gold]:
    """Every gold of a dataset row: :func:`find_gold`'s, as :func:`reward_golds`, and (without a
    ``gold_key``) those of a ``solutions`` column beside it (AReaL's rows: ``answer`` and ``solutions``;
    boba's: ``solutions``), each once."""
    golds = reward_golds(find_gold(row, gold_key))
    if not gold_key and row.get(ALTERNATIVES_KEY) is not None:
        golds += reward_golds(row[ALTERNATIVES_KEY])
    unique = dict.fromkeys((type(gold), gold) for gold in golds)  # 7 and "7" stay apart
    return [gold for _, gold in unique]


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

    The four are positional-only, so a row's own ``prompt`` column (boba_106k's) lands in ``row``.
    ``completions`` is one completion decoded with its special tokens (``tokenizer.decode``): its end
    tokens are stripped before grading. ``row`` holds the dataset columns: the golds are ``answer`` (or
    ``gold_key``) and every item of ``solutions``, a match with any credited. ``prompt`` tells whether the
    chat template opened ``<think>`` (or set ``prompt_opens_think``). Cut off at the token limit: not if
    it ends in an EOS (text or ``eos_token_id``); else, with ``max_new_tokens`` (``gconfig.max_new_tokens``;
    with ``max_tokens``, ``gconfig.max_tokens``, less the prompt) set, whether it has that many ids (a
    shorter one stopped at a stop string); else whether ``eos_token_id`` is set (its last id is none);
    else yes: AReaL keeps special tokens, and a completion without an end token ran out of tokens
    (with ``gconfig.stop`` strings, set ``max_new_tokens``). The call returns within ``time_limit``.
    """

    gold_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    policy: Policy = None
    prompt_opens_think: bool | None = None
    eos_token_id: EosIds = None
    eos_token: EosTokens = None
    max_new_tokens: int | None = None
    max_tokens: int | None = None
    time_limit: float | None = AREAL_TIME_LIMIT

    def __call__(
        self,
        prompt: str,
        completions: str,
        prompt_ids: Sequence[int],
        completion_ids: Sequence[int],
        /,
        **row: Any,
    ) -> float:
        golds = find_golds(row, self.gold_key)
        context = reward_context(
            prompt=prompt,
            prompt_opens_think=self.prompt_opens_think,
            completion=completions,
            completion_ids=completion_ids,
            eos_token_id=self.eos_token_id,
            eos_token=self.eos_token,
            max_new_tokens=self.max_new_tokens,
            prompt_ids=prompt_ids,
            max_tokens=self.max_tokens,
            special_tokens_kept=True,
        )
        text = strip_end_tokens(completions, self.eos_token)
        verdict = grade_reward(
            text, golds, timeout=self.timeout, policy=self.policy, context=context, time_limit=self.time_limit
        )
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
    time_limit: float | None = None,
) -> float:
    """AReaL v0.2 ppo-math reward: verdict 1/0 -> +1/-1, minus ``ppo.reward_output_bias``, times
    ``ppo.reward_output_scaling`` (the shipped YAMLs: scaling 5, bias 0 -> +5 / -5). Give the
    ``prompt`` (or ``prompt_opens_think``) and whether the rollout was ``truncated``; ``gold`` may be
    v0.2's ``solutions`` list (any of them credits)."""
    context = reward_context(prompt=prompt, prompt_opens_think=prompt_opens_think, truncated=truncated)
    verdict = grade_reward(
        strip_end_tokens(response),
        gold,
        timeout=timeout,
        policy=policy,
        context=context,
        time_limit=time_limit,
    )
    return ((float(verdict.correct) - 0.5) * 2 - reward_bias) * reward_scaling


def keep_group(successes: Sequence[bool], success_rate_lb: float = 0.0, success_rate_ub: float = 1.0) -> bool:
    """AReaL v0.3 group filter (`success_rate_lb`/`ub`, not in v0.2.0): a prompt's group is kept only if its success rate is in [lb, ub]."""
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
    time_limit: float | None = None,
    **_: Any,
) -> dict[str, Any]:
    """veRL ``reward.custom_reward_function`` (``name: compute_score``): ``score`` plus ``acc`` and ``pred``.

    ``data_source`` is ignored: every source is graded by evalkit's grader. ``ground_truth`` may be a
    list (alternatives: any credits). ``policy``, ``timeout``, ``time_limit`` and ``prompt_opens_think``
    may come from ``custom_reward_function.reward_kwargs``. veRL passes the response decoded without its
    special tokens and without its prompt: ``extra_info`` may say more (``prompt``,
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
    verdict = grade_reward(
        strip_end_tokens(solution_str),
        ground_truth,
        timeout=timeout,
        policy=policy,
        context=context,
        time_limit=time_limit,
    )
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
    eos_token: EosTokens = None,
    time_limit: float | None = None,
    **_: Any,
) -> dict[str, Any]:
    """OpenRLHF ``--reward.remote_url /path/to/rewards.py`` (formerly ``--remote_rm_url``) with
    ``--data.label_key answer`` (or ``solutions``: a list label holds alternatives): ``rewards`` and
    ``scores`` tensors, ``extra_logs`` for the logger.

    Each prompt says whether it opened ``<think>``. OpenRLHF decodes queries with their special tokens
    and stops generation only at the model's EOS or the token limit: a response ending in an end token
    (:data:`END_TOKENS`, or ``eos_token`` for a tokenizer whose EOS is not among them, through a
    ``functools.partial`` in your own reward file) finished, one ending in none was cut off."""
    import torch

    responses = [strip_prompt(query, prompt) for query, prompt in zip(queries, prompts, strict=True)]
    contexts = [
        reward_context(
            prompt=prompt,
            prompt_opens_think=prompt_opens_think,
            completion=response,
            eos_token=eos_token,
            special_tokens_kept=True,
        )
        for response, prompt in zip(responses, prompts, strict=True)
    ]
    texts = [strip_end_tokens(response, eos_token) for response in responses]
    verdicts = grade_rewards(
        texts, list(labels), contexts, timeout=timeout, policy=policy, time_limit=time_limit
    )
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
    """TRL ``GRPOTrainer(reward_funcs=...)``: one reward per completion, golds from a dataset column
    (a column of lists: alternatives, any credits; with no ``gold_key``, a ``solutions`` column too).

    TRL passes ``prompts=``, ``completions=``, ``completion_ids=`` and every other dataset column as
    keywords. Completions are strings or conversations (``[{"role": "assistant", "content": ...}]``),
    decoded without special tokens. A string prompt tells whether it opened ``<think>``; conversations
    do not (their chat template is applied later): set ``prompt_opens_think``. A completion is truncated
    when its ``completion_ids`` (which keep the EOS) number ``max_new_tokens``
    (``GRPOConfig.max_completion_length``), or, without it, end in no ``eos_token_id``; with neither
    set, never.
    """

    gold_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    policy: Policy = None
    prompt_opens_think: bool | None = None
    eos_token_id: EosIds = None
    max_new_tokens: int | None = None
    time_limit: float | None = None

    @property
    def __name__(self) -> str:  # TRL logs each reward as ``rewards/<name>/mean``
        return "evalkit_correct"

    def __call__(self, /, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float]:
        n = len(completions)
        ids = columns.pop("completion_ids", None)
        ids = list(ids) if ids is not None else [None] * n
        prompts = list(prompts) if prompts is not None else [None] * n
        golds = self._golds(columns, n)
        contexts = [
            reward_context(
                prompt=prompt,
                prompt_opens_think=self.prompt_opens_think,
                completion_ids=completion_ids,
                eos_token_id=self.eos_token_id,
                max_new_tokens=self.max_new_tokens,
            )
            for prompt, completion_ids in zip(prompts, ids, strict=True)
        ]
        texts = [strip_end_tokens(message_text(completion)) for completion in completions]
        verdicts = grade_rewards(
            texts, golds, contexts, timeout=self.timeout, policy=self.policy, time_limit=self.time_limit
        )
        return [float(v.correct) for v in verdicts]

    def _golds(self, columns: Mapping[str, Any], n: int) -> list[list[Gold]]:
        candidates = {k: v for k, v in columns.items() if isinstance(v, list) and len(v) == n}
        find_gold(candidates, self.gold_key)  # a configuration error (no gold column) raises here
        return [find_golds({k: v[i] for k, v in candidates.items()}, self.gold_key) for i in range(n)]


def trl_reward(
    gold_key: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    policy: Policy = None,
    prompt_opens_think: bool | None = None,
    eos_token_id: EosIds = None,
    max_new_tokens: int | None = None,
    time_limit: float | None = None,
) -> TRLReward:
    """A TRL reward function reading the gold from ``gold_key`` (default: ``answer``, ``solution``, ...);
    the other options as :class:`TRLReward` takes them. Starts the grader's workers (:func:`warm_up`)."""
    warm_up()
    return TRLReward(gold_key, timeout, policy, prompt_opens_think, eos_token_id, max_new_tokens, time_limit)


trl_reward_fn = TRLReward()


def _loaded_by_path() -> bool:
    """This file was executed under another module name: a trainer loaded it by path (veRL's
    ``custom_reward_function.path``, OpenRLHF's ``--reward.remote_url``), in the process that rewards."""
    return __name__ not in ("evalkit.training.rewards", "__main__")


if _loaded_by_path():
    warm_up()
