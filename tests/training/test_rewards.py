"""Reward adapters: each called exactly as its trainer calls it, each agreeing with evalkit's grader."""

import importlib
import math
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import torch

from evalkit.graders import grade
from evalkit.training import rewards, rewards_strict

PROMPT = "<|user|>What is 3+4? Put the answer in \\boxed{}.<|end|><|assistant|>"
EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"  # DeepSeek's: AReaL 1.0 and OpenRLHF keep it in the text
CASES = [  # (completion, gold)
    ("3 + 4 = 7, so the answer is \\boxed{7}.", "7"),
    ("The answer is \\boxed{8}.", "7"),
    ("I do not know.", "7"),
    ("Half of it: \\boxed{\\frac{1}{2}}", "0.5"),
    ("So x = \\boxed{4}", 4),
]


def expected(completion: str, gold: object) -> bool:
    return grade(completion, str(gold)).correct


@pytest.mark.parametrize(("completion", "gold"), CASES)
def test_areal_reward_fn_as_rlvr_workflow_calls_it(completion: str, gold: object) -> None:
    # RLVRWorkflow: reward_fn(prompt_str, completions_str, input_tokens, output_tokens, **data)
    data = {"messages": [{"role": "user", "content": "What is 3+4?"}], "answer": gold, "query_id": "q1"}
    reward = rewards.areal_reward_fn(PROMPT, completion + EOS, [1, 2, 3], [4, 5, 6], **data)
    assert isinstance(reward, float)
    assert reward == float(expected(completion, gold))


def test_areal_reward_fn_resolves_from_its_dotted_name() -> None:
    module, _, name = "evalkit.training.rewards.areal_reward_fn".rpartition(".")
    fn = getattr(importlib.import_module(module), name)
    assert fn(PROMPT, "\\boxed{7}", [1], [2], answer="7") == 1.0


def test_areal_reward_fn_names_a_missing_gold_column() -> None:
    with pytest.raises(KeyError, match="no gold answer column"):
        rewards.areal_reward_fn(PROMPT, "\\boxed{7}", [1], [2], messages=[])


@pytest.mark.parametrize(("completion", "gold"), CASES)
def test_areal_v02_reward_is_plus_or_minus_five(completion: str, gold: object) -> None:
    reward = rewards.areal_v02_reward(completion, gold)
    assert reward == (5.0 if expected(completion, gold) else -5.0)
    assert rewards.areal_v02_reward(completion, gold, reward_scaling=1.0, reward_bias=0.5) in (0.5, -1.5)


def test_areal_v02_group_filter_keeps_rates_within_bounds() -> None:
    assert rewards.keep_group([True, False, False, False], 0.0, 1.0)
    assert not rewards.keep_group([True, True, True, True], 0.0, 0.95)
    assert not rewards.keep_group([False] * 4, 0.05, 1.0)


@pytest.mark.parametrize(("completion", "gold"), CASES)
def test_verl_compute_score_as_reward_manager_calls_it(completion: str, gold: object) -> None:
    # NaiveRewardManager: compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)
    out = rewards.compute_score(
        data_source="math_dapo",
        solution_str=completion,
        ground_truth=gold,
        extra_info={"index": 0, "split": "train"},
    )
    verdict = grade(completion, str(gold))
    assert out == {"score": float(verdict.correct), "acc": verdict.correct, "pred": verdict.pred or ""}


def test_verl_ground_truth_list_uses_its_first_item() -> None:
    assert rewards.compute_score("openai/gsm8k", "\\boxed{72}", ["72"])["score"] == 1.0


def test_openrlhf_reward_func_returns_tensors_per_query() -> None:
    prompts = [PROMPT] * len(CASES)
    queries = [PROMPT + completion for completion, _ in CASES]
    labels = [str(gold) for _, gold in CASES]
    out = rewards.reward_func(queries, prompts, labels)
    want = torch.tensor([float(expected(c, g)) for c, g in CASES])
    assert set(out) == {"rewards", "scores", "extra_logs"}
    assert out["rewards"].dtype == torch.float32 and out["rewards"].shape == (len(CASES),)
    assert torch.equal(out["rewards"], want) and torch.equal(out["scores"], want)
    assert out["extra_logs"]["evalkit_accuracy"].item() == pytest.approx(want.mean().item())


def test_openrlhf_grades_only_the_response_part() -> None:
    prompt = "Is it \\boxed{7}? "
    out = rewards.reward_func([prompt + "No: \\boxed{8}"], [prompt], ["7"])
    assert out["rewards"].tolist() == [0.0]


def test_trl_reward_with_plain_and_conversational_completions() -> None:
    completions = [c for c, _ in CASES]
    golds = [str(g) for _, g in CASES]
    want = [float(expected(c, g)) for c, g in CASES]
    common = {"completion_ids": [[1, 2]] * len(CASES), "trainer_state": object(), "log_metric": print}
    plain = rewards.trl_reward_fn(prompts=["p"] * len(CASES), completions=completions, answer=golds, **common)
    conversational = rewards.trl_reward_fn(
        prompts=[[{"role": "user", "content": "p"}]] * len(CASES),
        completions=[[{"role": "assistant", "content": c}] for c in completions],
        answer=golds,
        **common,
    )
    assert plain == conversational == want


def test_trl_reward_factory_reads_the_named_column() -> None:
    reward = rewards.trl_reward("solution")
    out = reward(
        prompts=["p", "p"], completions=["\\boxed{7}", "\\boxed{7}"], solution=["7", "8"], answer=["8", "7"]
    )
    assert out == [1.0, 0.0]
    assert reward.__name__ == "evalkit_correct"


def test_adapters_agree_from_threads_and_processes() -> None:
    completions, golds = [c for c, _ in CASES], [str(g) for _, g in CASES]
    want = [float(expected(c, g)) for c, g in CASES]
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(rewards.areal_reward_fn, PROMPT, c, [1], [2], answer=g) for c, g in CASES]
        assert [f.result() for f in futures] == want
    spawn = multiprocessing.get_context("spawn")  # pickles the callables, as AReaL's reward process pool does
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        futures = [pool.submit(rewards.areal_reward_fn, PROMPT, c, [1], [2], answer=g) for c, g in CASES]
        assert [f.result() for f in futures] == want
        scores = pool.map(rewards.compute_score, ["math"] * len(CASES), completions, golds)
        assert [s["score"] for s in scores] == want


@pytest.mark.ray
def test_reward_in_a_ray_actor() -> None:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:

        @ray.remote
        class Scorer:
            def score(self, completion: str, gold: str) -> dict:
                return rewards.compute_score("math", completion, gold)

        actor = Scorer.remote()
        assert ray.get(actor.score.remote("\\boxed{7}", "7"))["score"] == 1.0
        assert ray.get(actor.score.remote("\\boxed{6}", "7"))["score"] == 0.0
    finally:
        ray.shutdown()


# --- one gold normalisation: every adapter, as its trainer calls it, on awkward golds ----------------

Adapter = Callable[[str, object], float]  # (completion, gold) -> 1.0 / 0.0


def adapters(module: object = rewards, **policy: object) -> dict[str, Adapter]:
    """Each trainer's call, its reward mapped back to 1 / 0."""
    m = module
    return {
        "areal": lambda c, g: (m.AReaLReward(**policy) if policy else m.areal_reward_fn)(PROMPT, c + EOS, [1], [2], answer=g),
        "areal_v02": lambda c, g: (m.areal_v02_reward(c, g, **policy) + 5.0) / 10.0,
        "verl": lambda c, g: m.compute_score("math", c, g, {"index": 0, "split": "train"}, **policy)["score"],
        "openrlhf": lambda c, g: m.reward_func([PROMPT + c + EOS], [PROMPT], [g], **policy)["rewards"].item(),
        "trl": lambda c, g: (m.TRLReward(**policy) if policy else m.trl_reward_fn)(
            prompts=["p"], completions=[c], answer=[g]
        )[0],
    }  # fmt: skip


HUGE = 10**5000  # str() of it raises ValueError under Python's integer-string digit limit
HUGE_TEXT, HUGE_PLUS_ONE = "1" + "0" * 5000, "1" + "0" * 4999 + "1"
GOLD_CONTRACT = [  # (gold, completion, reward)
    (None, "\\boxed{None}", 0.0),
    (None, "\\boxed{}", 0.0),
    (None, "", 0.0),
    (math.nan, "\\boxed{nan}", 0.0),
    (math.nan, "\\boxed{NaN}", 0.0),
    ("", "\\boxed{}", 0.0),
    ("   ", "The answer is \\boxed{ }.", 0.0),
    ("", "\\boxed{0}", 0.0),
    (HUGE, f"\\boxed{{{HUGE_TEXT}}}", 1.0),
    (HUGE, f"\\boxed{{{HUGE_PLUS_ONE}}}", 0.0),
    (["7"], "\\boxed{7}", 1.0),
    (("7", "8"), "\\boxed{8}", 1.0),  # a list holds alternatives: any of them credits
    (["7", "8"], "\\boxed{9}", 0.0),
    ([["3"], ["-3"]], "\\boxed{-3}", 1.0),  # nested: flattened
    ([], "\\boxed{None}", 0.0),
    ([None], "\\boxed{None}", 0.0),
    (np.array(["7"]), "\\boxed{7}", 1.0),  # veRL's ground_truth after a parquet round trip
    (np.int64(7), "\\boxed{7}", 1.0),
    (7.0, "\\boxed{7}", 1.0),
    (27.5, "\\boxed{27.5}", 1.0),
    (27.5, "\\boxed{27}", 0.0),
    (0.1, "\\boxed{\\frac{1}{10}}", 1.0),
    (1e-05, "\\boxed{0.00001}", 1.0),
    ([7.0], "\\boxed{7.5}", 0.0),
]


@pytest.mark.parametrize("adapter", sorted(adapters()))
@pytest.mark.parametrize(
    ("gold", "completion", "reward"),
    GOLD_CONTRACT,
    ids=[f"{i}-{type(g).__name__}" for i, (g, _, _) in enumerate(GOLD_CONTRACT)],
)
def test_every_adapter_reads_golds_the_one_way(
    adapter: str, gold: object, completion: str, reward: float
) -> None:
    assert adapters()[adapter](completion, gold) == reward


@pytest.mark.parametrize("gold", [None, math.nan, "", [], [None]])
def test_a_missing_gold_is_no_answer_never_the_text_none(gold: object) -> None:
    verdict = rewards.grade_reward("\\boxed{None}", gold)
    assert not verdict.correct and verdict.gold == "" and verdict.reason == "no gold answer to compare with"


def test_reward_gold_takes_first_items_and_python_scalars() -> None:
    assert rewards.reward_gold(np.array([["12", "x"]])) == "12"
    assert rewards.reward_gold(np.float64(0.5)) == 0.5 and type(rewards.reward_gold(torch.tensor(3))) is int
    assert rewards.reward_gold(HUGE) is HUGE and rewards.reward_gold(()) is None


def test_a_row_with_empty_gold_columns_earns_nothing_and_one_without_them_is_an_error() -> None:
    assert rewards.areal_reward_fn(PROMPT, "\\boxed{None}", [1], [2], answer=None, solution=None) == 0.0
    assert rewards.find_gold({"answer": None, "solution": "7"}) == "7"
    with pytest.raises(KeyError, match="no gold answer column"):
        rewards.find_gold({"question": "q"})


PROSE = "3 + 4 = 7. The answer is 7."  # no box: the default policy reads the phrase, strict does not


@pytest.mark.parametrize("adapter", sorted(adapters()))
def test_strict_policy_needs_a_box_by_option_and_by_module(adapter: str) -> None:
    default = adapters()[adapter]
    by_option = adapters(policy="strict")[adapter]
    by_module = adapters(rewards_strict)[adapter]
    assert default(PROSE, "7") == 1.0
    assert by_option(PROSE, "7") == by_module(PROSE, "7") == 0.0
    assert by_option("\\boxed{7}", "7") == by_module("\\boxed{7}", 7) == 1.0
    assert by_module("\\boxed{None}", None) == 0.0


def test_unknown_policy_name_is_an_error_naming_the_presets() -> None:
    with pytest.raises(ValueError, match="strict"):
        rewards.compute_score("math", "\\boxed{7}", "7", policy="lenient")


def test_strict_adapters_pickle_into_a_process_pool() -> None:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        scores = pool.map(rewards_strict.compute_score, ["math"] * 2, [PROSE, "\\boxed{7}"], ["7", "7"])
        assert [s["score"] for s in scores] == [0.0, 1.0]
        assert (
            pool.submit(rewards_strict.areal_reward_fn, PROMPT, PROSE, [1], [2], answer="7").result() == 0.0
        )


# --- what each trainer's arguments say about the completion (see also test_reward_parity.py) ---------

R1_PROMPT = "<｜User｜>What is 3+4?<｜Assistant｜><think>\n"
CUT_IN_REASONING = "Maybe the answer is \\boxed{7}. Hmm, wait, let me check whether the"


def test_reward_context_reads_the_prompt_and_the_end_of_the_completion() -> None:
    context = rewards.reward_context
    assert context() == rewards.ResponseContext()
    assert context(prompt=R1_PROMPT).prompt_opens_think
    assert not context(prompt=R1_PROMPT, prompt_opens_think=False).prompt_opens_think
    assert not context(prompt=[{"role": "user", "content": "<think>"}]).prompt_opens_think  # a conversation
    assert context(completion_ids=[1, 2, 3], eos_token_id=9).truncated
    assert not context(completion_ids=[1, 2, 9], eos_token_id=(8, 9)).truncated
    assert context(completion_ids=torch.tensor([1, 2, 3]), eos_token_id=9).truncated
    assert context(completion_ids=np.array([1, 2, 3]), max_new_tokens=3).truncated
    assert not context(completion_ids=[1, 2], max_new_tokens=3).truncated
    assert context(completion="x = 7 and", eos_token="<|im_end|>").truncated
    assert not context(completion="x = 7.<|im_end|>\n", eos_token="<|im_end|>").truncated
    assert not context(completion="x = 7 and", completion_ids=[1, 2]).truncated  # nothing to tell by
    assert context(truncated=True, completion_ids=[1, 9], eos_token_id=9).truncated  # said outright


def test_a_completion_cut_inside_reasoning_the_prompt_opened_earns_nothing() -> None:
    assert rewards.areal_reward_fn(PROMPT, CUT_IN_REASONING, [1], [2], answer="7") == 1.0  # no <think> opened
    assert rewards.areal_reward_fn(R1_PROMPT, CUT_IN_REASONING, [1], [2], answer="7") == 0.0
    assert rewards.compute_score("math", CUT_IN_REASONING, "7")["score"] == 1.0  # veRL passes no prompt ...
    assert rewards.compute_score("math", CUT_IN_REASONING, "7", {"prompt": R1_PROMPT})["score"] == 0.0
    assert rewards.compute_score("math", CUT_IN_REASONING, "7", prompt_opens_think=True)["score"] == 0.0
    assert rewards.reward_func([R1_PROMPT + CUT_IN_REASONING], [R1_PROMPT], ["7"])["rewards"].tolist() == [
        0.0
    ]
    conversation = [{"role": "user", "content": "What is 3+4?"}]
    trl = rewards.trl_reward(prompt_opens_think=True)  # a conversation's chat template is applied later
    assert trl(prompts=[conversation], completions=[CUT_IN_REASONING], answer=["7"]) == [0.0]
    assert rewards.areal_v02_reward(CUT_IN_REASONING, "7", prompt=R1_PROMPT) == -5.0


def test_a_truncated_completion_earns_nothing_for_a_fallback_answer() -> None:
    cut = "So 3 + 4 = 7. The final answer is 7"
    assert rewards.AReaLReward(eos_token_id=9)(PROMPT, cut, [1], [2, 9], answer="7") == 1.0
    assert rewards.AReaLReward(eos_token_id=9)(PROMPT, cut, [1], [2, 3], answer="7") == 0.0
    assert rewards.AReaLReward(max_new_tokens=2)(PROMPT, cut, [1], [2, 3], answer="7") == 0.0
    assert rewards.compute_score("math", cut, "7", {"finish_reason": "length"})["score"] == 0.0
    assert rewards.compute_score("math", cut, "7", {"truncated": True})["score"] == 0.0
    assert rewards.compute_score("math", cut, "7", {"finish_reason": "stop"})["score"] == 1.0
    trl = rewards.trl_reward(eos_token_id=9)
    assert trl(
        prompts=["p", "p"], completions=[cut, cut], completion_ids=[[2, 9], [2, 3]], answer=["7", "7"]
    ) == [
        1.0,
        0.0,
    ]
    looping = "The final answer is \\boxed{7}. " * 40 + "The final"
    assert rewards.AReaLReward(eos_token_id=9)(PROMPT, looping, [1], [2, 3], answer="7") == 1.0


# --- issue 21: row columns named like the parameters, end tokens, alternative golds, time limits -------------


def test_areal_rows_may_have_columns_named_like_its_parameters() -> None:
    """AReaL 1.0 passes the four positionally and the row as keywords: boba_106k has a ``prompt`` column."""
    row = {"prompt": "<｜User｜>What is 3+4?", "completions": "x", "prompt_ids": [0], "completion_ids": [0]}
    assert rewards.areal_reward_fn(PROMPT, "\\boxed{7}" + EOS, [1], [2], solutions=["7"], **row) == 1.0


def test_golds_are_alternatives_and_a_rows_solutions_join_its_answer() -> None:
    assert rewards.reward_golds(np.array([["12", "x"]])) == ["12", "x"]
    assert rewards.reward_golds([None, "7", [8.0]]) == ["7", 8.0]
    assert rewards.reward_golds(None) == [] and rewards.reward_golds("7") == ["7"]
    # the entry's rows: ``answer`` is the first of ``solutions``; boba's: ``solutions`` alone
    assert rewards.find_golds({"answer": "3", "solutions": ["3", "-3"]}) == ["3", "-3"]
    assert rewards.find_golds({"prompt": "p", "solutions": ["3", "-3"], "query_id": "q"}) == ["3", "-3"]
    assert rewards.find_golds({"answer": "3", "solutions": ["-3"]}, "answer") == ["3"]  # a named column alone
    for gold, want in ((["3", "-3"], 1.0), (["3"], 0.0)):
        assert rewards.areal_reward_fn(PROMPT, "\\boxed{-3}" + EOS, [1], [2], solutions=gold) == want
        assert rewards.compute_score("math", "\\boxed{-3}", np.array(gold, dtype=object))["score"] == want
        assert rewards.reward_func([PROMPT + "\\boxed{-3}" + EOS], [PROMPT], [gold])["rewards"].item() == want
        assert rewards.trl_reward_fn(prompts=["p"], completions=["\\boxed{-3}"], solutions=[gold]) == [want]
        assert rewards.areal_v02_reward("\\boxed{-3}", gold) == (want - 0.5) * 10


@pytest.mark.parametrize("token", rewards.END_TOKENS)
def test_every_known_end_token_is_stripped_and_ends_the_completion(token: str) -> None:
    text = "The answer is 7." + token
    assert rewards.strip_end_tokens(text) == "The answer is 7."
    assert rewards.ends_with_end_token(text + "\n") and not rewards.ends_with_end_token("The answer is 7.")
    assert rewards.areal_reward_fn(PROMPT, text, [1], [2], answer="7") == 1.0
    assert rewards.reward_func([PROMPT + text], [PROMPT], ["7"])["rewards"].item() == 1.0


def test_a_declared_end_token_is_stripped_too() -> None:
    text = "The answer is 7.<|my_eos|>"
    assert rewards.strip_end_tokens(text, ("<|my_eos|>",)) == "The answer is 7."
    assert rewards.AReaLReward(eos_token="<|my_eos|>")(PROMPT, text, [1], [2], answer="7") == 1.0
    assert (
        rewards.reward_func([PROMPT + text], [PROMPT], ["7"], eos_token="<|my_eos|>")["rewards"].item() == 1.0
    )


def test_truncation_rules_when_special_tokens_are_kept() -> None:
    context = rewards.reward_context
    kept = {"special_tokens_kept": True}
    assert not context(completion="x = 7." + EOS, **kept).truncated  # an end token: it finished
    assert context(completion="x = 7 and", **kept).truncated  # none: it ran out of tokens
    assert not context(completion="x = 7 and").truncated  # special tokens not kept: nothing to tell by
    # the token limit, when known, decides (a shorter completion without an EOS stopped at a stop string)
    assert not context(completion="x = 7", completion_ids=[1, 2], max_new_tokens=3, **kept).truncated
    assert context(completion="x = 7", completion_ids=[1, 2, 3], max_new_tokens=3, **kept).truncated
    assert not context(completion_ids=[1, 9], eos_token_id=9, max_new_tokens=2).truncated  # EOS at the limit
    # AReaL 1.0: the limit is min(max_new_tokens, max_tokens - prompt)
    assert context(completion_ids=[1, 2], prompt_ids=[5] * 8, max_new_tokens=100, max_tokens=10).truncated
    assert not context(completion_ids=[1, 2], prompt_ids=[5] * 7, max_new_tokens=100, max_tokens=10).truncated


def test_a_time_limit_bounds_the_whole_call_queueing_included(monkeypatch: pytest.MonkeyPatch) -> None:
    """A verdict waiting for a worker (start-up, a queue) past the call's limit is not awaited: a time-out;
    what the caller decides itself (an exact match) is still credited."""
    import time
    from concurrent.futures import Future

    from evalkit.graders import engine

    # every worker still importing sympy on a busy machine: its verdicts never come
    monkeypatch.setattr(engine.DEFAULT_GRADER.pool, "submit", lambda *args, **kwargs: Future())
    monkeypatch.setattr(engine.DEFAULT_GRADER, "cache", engine._OutcomeCache(16))  # nothing decided before
    start = time.monotonic()
    reward = rewards.AReaLReward(time_limit=0.3)(PROMPT, "\\boxed{\\log_2 8}" + EOS, [1], [2], answer="3")
    verdict = rewards.grade_reward("\\boxed{\\log_2 8}", ["3", "8"], time_limit=0.3)
    exact = rewards.grade_reward("\\boxed{7}", ["7", "8"], time_limit=0.3)
    assert time.monotonic() - start < 30  # not the worker's wait (forever here)
    assert reward == 0.0
    assert verdict.method == "timeout" and verdict.gold == "3" and "0.3 s" in verdict.reason
    assert exact.correct


def test_an_error_inside_a_time_limited_call_is_raised_not_hidden() -> None:
    with pytest.raises(ValueError, match="strict"):
        rewards.grade_reward("\\boxed{7}", "7", policy="lenient", time_limit=5.0)


def test_warm_up_starts_the_grader_workers_before_any_verdict() -> None:
    import subprocess
    import sys

    code = (
        "import time\n"
        "from evalkit.graders.pool import POOL\n"
        "from evalkit.training import rewards\n"
        "assert not POOL._workers\n"
        "rewards.warm_up(); rewards.warm_up()\n"
        "time.sleep(0.5)\n"
        "print(len(POOL._workers))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert 1 <= int(out.stdout.strip()) <= rewards.WARM_WORKERS
