"""Each reward adapter called the way the newest trainer release calls it, on the guide's data and model.

Call shapes read from the wheels (see docs/training.md, "What each trainer tells the reward"):

- AReaL 1.0.4 ``areal/workflow/rlvr.py`` ``RLVRWorkflow._compute_rewards``: ``completions_str =
  tokenizer.decode(resp.output_tokens)`` (special tokens kept), then ``AsyncRewardWrapper(reward_fn)(prompt_str,
  completions_str, resp.input_tokens, resp.output_tokens, **task_data)``, which (``areal/api/reward_api.py``)
  runs ``partial(reward_fn, *args, **kwargs)`` in a ``ProcessPoolExecutor`` under ``asyncio.wait_for(15 s)``.
  ``task_data`` is the dataset row: boba_106k's (``prompt``, ``solutions``, ``query_id``, as AReaL's
  ``get_boba_math_dataset`` yields them) or the evalkit entry's (``messages``, ``thinking``, ``answer``,
  ``solutions``). ``prompt_str`` is ``tokenizer.decode(input_ids)``.
- veRL 0.9.1 ``verl/experimental/reward_loop/reward_manager/naive.py`` ``run_single`` (and
  ``verl/workers/reward_manager/naive.py``): ``compute_score(data_source=, solution_str=, ground_truth=,
  extra_info=)`` through ``partial(_call_with_kwargs, raw_fn, reward_kwargs)`` (``verl/trainer/ppo/reward.py``),
  ``raw_fn`` loaded from the file by ``load_extern_object``; the response decoded with
  ``skip_special_tokens=True``; ``extra_info`` gains ``num_turns`` and ``rollout_reward_scores``.
- OpenRLHF 0.11.2 ``openrlhf/utils/agent.py`` ``SingleTurnAgentExecutor``: the file loaded with
  ``spec_from_file_location("reward_func", path)``; ``query = hf_tokenizer.decode(prompt_ids + action_ids,
  skip_special_tokens=False)``; ``asyncio.to_thread(reward_func, [query], [prompt], [label])``.
- TRL 1.16.0 ``GRPOTrainer._calculate_rewards`` (called here, the real method): ``reward_func(prompts=,
  completions=, completion_ids=, **reward_kwargs)`` with every dataset column but ``prompt``, ``completion``,
  ``completion_ids``, plus ``trainer_state``, ``log_extra``, ``log_metric``; completions decoded with
  ``skip_special_tokens=True``, ``completion_ids`` keeping the EOS.

The model is the guide's DeepSeek-R1-Distill-Qwen as far as text goes: a tiny tokenizer with its special tokens
(``<｜begin▁of▁sentence｜>``, ``<｜end▁of▁sentence｜>`` as EOS and pad, ``<｜User｜>``, ``<｜Assistant｜>``; ``<think>``
and ``</think>`` added but not special, as in its tokenizer_config.json). Every verdict must equal evaluation's
on the same completion decoded without special tokens (what vLLM gives evaluation), with the run's policy and
the sample's context (``parity_rows``).
"""

import asyncio
import importlib.util
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from evalkit.graders import grade_many
from evalkit.training import rewards
from evalkit.training.areal.entry import reward_for, to_rl_row
from tests.training.parity_rows import ROWS, Row, context_of, run_policy

BOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>"
EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"
USER = "<\uff5cUser\uff5c>"
ASSISTANT = "<\uff5cAssistant\uff5c>"
REWARDS_FILE = Path(rewards.__file__)
AREAL_TIMEOUT = 15  # AsyncRewardWrapper's timeout_seconds
# Alternatives that are not equal: the first is not the answer the completion gives, a later one is.
MULTI_GOLD = Row(
    "boba-second-solution", ROWS[0].prompt, "x^2 = 9.\n</think>\n\nSo $x = \\boxed{-3}$.", "", "stop", True
)
MULTI_SOLUTIONS = ["3", "-3"]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    """A tiny byte-level BPE tokenizer with DeepSeek-R1-Distill-Qwen's special tokens."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=[EOS, BOS, USER, ASSISTANT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([row.prompt + row.response for row in ROWS] * 2, trainer=trainer)
    tok.add_tokens([AddedToken("<think>", special=False), AddedToken("</think>", special=False)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=EOS, clean_up_tokenization_spaces=False
    )


def completion_ids(tokenizer: Any, row: Row) -> list[int]:
    """What the engine returns: the response's tokens, ending in the EOS when it stopped by itself."""
    ids = tokenizer.encode(row.response, add_special_tokens=False)
    return ids + ([tokenizer.eos_token_id] if row.finish_reason == "stop" else [])


def max_new_tokens(tokenizer: Any, row: Row) -> int:
    """The run's limit: the completion's length when it was cut off there, more when it stopped."""
    n = len(completion_ids(tokenizer, row))
    return n if row.finish_reason == "length" else n + 64


def evaluation(tokenizer: Any, row: Row, gold: str | None = None) -> bool:
    """Evaluation's verdict: the completion decoded without special tokens, the run's policy, the context."""
    text = tokenizer.decode(completion_ids(tokenizer, row), skip_special_tokens=True)
    assert text == row.response  # the tokenizer round-trips the text
    verdict = grade_many([(text, gold or row.gold)], policy=run_policy(row), contexts=[context_of(row)])[0]
    return verdict.correct


def test_the_tokenizer_keeps_deepseeks_end_token_only_when_asked(tokenizer: Any) -> None:
    row = ROWS[0]
    ids = completion_ids(tokenizer, row)
    assert tokenizer.decode(ids) == row.response + EOS  # AReaL 1.0, OpenRLHF
    assert tokenizer.decode(ids, skip_special_tokens=True) == row.response  # evaluation, veRL, TRL


# --- AReaL 1.0.4 -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def areal_executor() -> Any:
    """AsyncRewardWrapper's process pool (spawned here: every call's partial is pickled either way)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def areal_rewards(executor: ProcessPoolExecutor, calls: list[tuple[Any, tuple, dict]]) -> list[float]:
    """``AsyncRewardWrapper.__call__`` for each (reward_fn, args, kwargs), concurrently as rollouts finish."""

    async def one(reward_fn: Any, args: tuple, kwargs: dict) -> float:
        future = asyncio.get_running_loop().run_in_executor(executor, partial(reward_fn, *args, **kwargs))
        return await asyncio.wait_for(future, timeout=AREAL_TIMEOUT)

    async def every() -> list[float]:
        return list(await asyncio.gather(*(one(*call) for call in calls)))

    return asyncio.run(every())


def boba_row(row: Row, solutions: list[str] | None = None) -> dict[str, Any]:
    """A boba_106k_0319.jsonl row as AReaL's ``get_boba_math_dataset`` yields it (no BOS: the template adds it)."""
    return {
        "prompt": row.prompt.removeprefix(BOS),
        "solutions": solutions or [row.gold],
        "query_id": row.name,
    }


def areal_call(
    tokenizer: Any, row: Row, data: dict[str, Any], reward_fn: Any = None
) -> tuple[Any, tuple, dict]:
    prompt_ids = tokenizer.encode(row.prompt, add_special_tokens=False)
    output = completion_ids(tokenizer, row)
    gconfig = SimpleNamespace(
        max_new_tokens=max_new_tokens(tokenizer, row), max_tokens=32768, stop_token_ids=[]
    )
    reward_fn = reward_fn or reward_for(gconfig, tokenizer)
    return reward_fn, (tokenizer.decode(prompt_ids), tokenizer.decode(output), prompt_ids, output), data


@pytest.mark.parametrize("shape", ["boba", "entry"])
def test_areal_rlvr_workflow_on_boba_rows_gives_evaluations_verdict(
    tokenizer: Any, areal_executor: ProcessPoolExecutor, shape: str
) -> None:
    rows = [*ROWS, MULTI_GOLD]
    data = [boba_row(row, MULTI_SOLUTIONS if row is MULTI_GOLD else None) for row in rows]
    if shape == "entry":
        data = [to_rl_row(d) for d in data]
    got = areal_rewards(
        areal_executor, [areal_call(tokenizer, row, d) for row, d in zip(rows, data, strict=True)]
    )
    want = [evaluation(tokenizer, row) for row in ROWS] + [evaluation(tokenizer, MULTI_GOLD, "-3")]
    assert dict(zip([r.name for r in rows], got, strict=True)) == {
        r.name: float(w) for r, w in zip(rows, want, strict=True)
    }


def test_areal_default_reward_by_name_reads_deepseeks_end_token(
    tokenizer: Any, areal_executor: ProcessPoolExecutor
) -> None:
    """``reward_fn="evalkit.training.rewards.areal_reward_fn"``: no options, the EOS text alone tells."""
    calls = [areal_call(tokenizer, row, boba_row(row), rewards.areal_reward_fn) for row in ROWS]
    got = areal_rewards(areal_executor, calls)
    assert got == [float(evaluation(tokenizer, row)) for row in ROWS]


def test_areal_the_issues_example(tokenizer: Any) -> None:
    """``The answer is 7.<｜end▁of▁sentence｜>`` is credited, as ``The answer is 7.`` is in evaluation."""
    prompt = BOS + USER + "What is 3+4?" + ASSISTANT
    ids = [*tokenizer.encode("The answer is 7.", add_special_tokens=False), tokenizer.eos_token_id]
    text = tokenizer.decode(ids)
    assert text == "The answer is 7." + EOS
    assert grade_many([("The answer is 7.", "7")])[0].correct
    for reward in (rewards.areal_reward_fn, rewards.AReaLReward(eos_token_id=tokenizer.eos_token_id)):
        assert reward(prompt, text, [1, 2], ids, prompt=prompt, solutions=["7"], query_id="q") == 1.0


# --- veRL 0.9.1 --------------------------------------------------------------------------------------------


def load_by_path(name: str) -> Any:
    """The rewards file executed under another module name, as veRL's ``load_module`` and OpenRLHF do."""
    spec = importlib.util.spec_from_file_location(name, REWARDS_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call_with_kwargs(raw_fn: Any, extra_kwargs: dict, *args: Any, **kwargs: Any) -> Any:
    return raw_fn(*args, **{**kwargs, **extra_kwargs})  # verl/trainer/ppo/reward.py: reward_kwargs win


def test_verl_reward_loop_gives_evaluations_verdict(tokenizer: Any) -> None:
    raw_fn = load_by_path(f"custom_module_{hash(str(REWARDS_FILE))}").compute_score
    rows = [row for row in ROWS if row.finish_reason == "stop"]  # veRL tells no truncation (see the docs)
    got, want = {}, {}
    for index, row in enumerate([*rows, MULTI_GOLD]):
        reward_kwargs = {"prompt_opens_think": context_of(row).prompt_opens_think}  # veRL passes no prompt
        compute_score = partial(_call_with_kwargs, raw_fn, reward_kwargs)
        solutions = MULTI_SOLUTIONS if row is MULTI_GOLD else [row.gold]
        extra_info = {"index": index, "split": "train", "num_turns": None, "rollout_reward_scores": {}}
        result = compute_score(
            data_source="boba",
            solution_str=tokenizer.decode(completion_ids(tokenizer, row), skip_special_tokens=True),
            ground_truth=np.array(solutions, dtype=object),  # a list after the parquet round trip
            extra_info=extra_info,
        )
        got[row.name] = result["score"]
        want[row.name] = float(evaluation(tokenizer, row, "-3" if row is MULTI_GOLD else None))
    assert got == want


# --- OpenRLHF 0.11.2 ---------------------------------------------------------------------------------------


def test_openrlhf_single_turn_executor_gives_evaluations_verdict(tokenizer: Any) -> None:
    reward_func = load_by_path("reward_func").reward_func  # --reward.remote_url .../rewards.py, no options

    async def reward(row: Row, label: Any) -> float:
        prompt_ids = tokenizer(text=row.prompt, add_special_tokens=False)["input_ids"]
        query = tokenizer.decode(prompt_ids + completion_ids(tokenizer, row), skip_special_tokens=False)
        info = await asyncio.to_thread(reward_func, [query], [row.prompt], [label])
        return info["rewards"].tolist()[0]

    async def every() -> list[float]:
        labels = [[row.gold] for row in ROWS] + [MULTI_SOLUTIONS]  # --data.label_key solutions
        return list(
            await asyncio.gather(
                *(reward(r, lab) for r, lab in zip([*ROWS, MULTI_GOLD], labels, strict=True))
            )
        )

    want = [float(evaluation(tokenizer, row)) for row in ROWS] + [
        float(evaluation(tokenizer, MULTI_GOLD, "-3"))
    ]
    assert asyncio.run(every()) == want


# --- TRL 1.16.0 --------------------------------------------------------------------------------------------


def test_trl_calculate_rewards_gives_evaluations_verdict(tokenizer: Any) -> None:
    grpo = pytest.importorskip("trl.trainer.grpo_trainer")
    import torch

    rows = [*ROWS, MULTI_GOLD]
    reward = rewards.trl_reward(eos_token_id=tokenizer.eos_token_id)
    trainer = SimpleNamespace(  # what _calculate_rewards reads of the trainer
        accelerator=SimpleNamespace(device=torch.device("cpu"), is_main_process=True),
        reward_funcs=[reward],
        reward_processing_classes=[None],
        reward_func_names=[reward.__name__],
        state=SimpleNamespace(global_step=0),
        args=SimpleNamespace(report_to=[]),
        environments=None,
        _log_completion_extra=lambda *a, **k: None,
        _log_metric=lambda *a, **k: None,
    )
    inputs = [  # dataset rows: the prompt, boba's solutions, and a column that is no gold
        {
            "prompt": row.prompt,
            "solutions": MULTI_SOLUTIONS if row is MULTI_GOLD else [row.gold],
            "query_id": row.name,
        }
        for row in rows
    ]
    ids = [completion_ids(tokenizer, row) for row in rows]
    completions = tokenizer.batch_decode(ids, skip_special_tokens=True)
    out = grpo.GRPOTrainer._calculate_rewards(trainer, inputs, [r.prompt for r in rows], completions, ids)
    want = [float(evaluation(tokenizer, row)) for row in ROWS] + [
        float(evaluation(tokenizer, MULTI_GOLD, "-3"))
    ]
    assert out[:, 0].tolist() == want


def test_trl_columns_named_like_the_adapters_own_parameters() -> None:
    """TRL passes every dataset column as a keyword: one named ``self`` must not collide."""
    out = rewards.trl_reward_fn(prompts=["p"], completions=["\\boxed{7}"], answer=["7"], self=["x"])
    assert out == [1.0]
