"""Metrics: the pass@k estimator, maj@k with grader equivalence, lengths, truncation, stderrs."""

import math
from itertools import combinations
from typing import Any

import numpy as np
import pytest

from evalkit.reporting.metrics import (
    aggregate,
    cluster_answers,
    grader_equivalent,
    group_by_problem,
    majority_correct,
    majority_group,
    pass_at_k,
)
from evalkit.run.records import SampleRecord


def rec(
    pid: str,
    kind: str,
    index: int,
    correct: bool,
    *,
    pred: str | None = "1",
    tokens: int = 10,
    finish: str = "stop",
) -> SampleRecord:
    return SampleRecord(
        problem_id=pid,
        kind=kind,  # type: ignore[arg-type]
        sample_index=index,
        seed=None if kind == "greedy" else index,
        prompt_hash="h",
        response=f"\\boxed{{{pred}}}",
        completion_tokens=tokens,
        finish_reason=finish,
        gold="1",
        pred=pred,
        correct=correct,
        method="exact",
        reason="",
    )


def problem(pid: str, greedy: bool, outcomes: list[bool], **kw: Any) -> list[SampleRecord]:
    return [rec(pid, "greedy", 0, greedy, **kw)] + [
        rec(pid, "sample", j, c, **kw) for j, c in enumerate(outcomes)
    ]


def string_equal(a: str, b: str) -> bool:
    return a == b


# --- pass@k -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (4, 0, 1, 0.0),
        (4, 4, 4, 1.0),
        (4, 1, 1, 0.25),
        (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (4, 2, 3, 1.0),  # n - c < k: every 3-subset holds a correct sample
    ],
)
def test_pass_at_k_hand_computed(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_matches_brute_force_over_subsets(n: int) -> None:
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            subsets = list(combinations(outcomes, k))
            brute = sum(any(s) for s in subsets) / len(subsets)
            assert pass_at_k(n, c, k) == pytest.approx(brute, abs=1e-12), (n, c, k)


def test_pass_at_k_matches_closed_form_for_large_n() -> None:
    n, c, k = 64, 5, 16
    assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k))


@pytest.mark.parametrize("k", [0, 5])
def test_pass_at_k_rejects_k_outside_1_to_n(k: int) -> None:
    with pytest.raises(ValueError, match=rf"pass@{k}.*n = 4"):
        pass_at_k(4, 1, k)


def test_aggregate_with_k_above_n_names_the_problem() -> None:
    records = problem("p1", True, [True] * 8) + problem("short-one", True, [True] * 4)
    with pytest.raises(ValueError, match=r"'short-one'.*pass@8.*n = 4"):
        aggregate(records, ks=(8,), equivalent=string_equal)


# --- grouping and aggregate -----------------------------------------------------------------------


def test_group_by_problem_orders_samples_and_keeps_last_duplicate() -> None:
    records = [rec("a", "sample", 1, True), rec("a", "greedy", 0, False), rec("a", "sample", 0, False)]
    records.append(rec("a", "sample", 1, False))
    (p,) = group_by_problem(records).values()
    assert p.greedy is not None and not p.greedy.correct
    assert [r.sample_index for r in p.samples] == [0, 1]
    assert (p.n, p.c) == (2, 0)


def test_aggregate_hand_computed() -> None:
    records = (
        problem("a", True, [True, True, False, False], tokens=10)
        + problem("b", False, [False, False, False, True], tokens=20, finish="length")
        + problem("c", True, [True, True, True, True], tokens=30)
    )
    out = aggregate(records, ks=(2, 4), equivalent=string_equal)
    assert list(out.to_dict())[:7] == [
        "num_questions",
        "greedy_length",
        "sample_length",
        "greedy_acc",
        "sample_pass@1",
        "pass@2",
        "pass@4",
    ]
    assert out.num_questions == 3
    assert out.greedy_length == pytest.approx(20.0)
    assert out.sample_length == pytest.approx(20.0)
    assert out.greedy_acc == pytest.approx(200 / 3)
    assert out.sample_pass_at_1 == pytest.approx((0.5 + 0.25 + 1.0) / 3 * 100)
    # pass@2: a = 1 - C(2,2)/C(4,2) = 5/6, b = 1 - C(3,2)/C(4,2) = 1/2, c = 1
    assert out.pass_at[2] == pytest.approx((5 / 6 + 0.5 + 1) / 3 * 100)
    assert out.pass_at[4] == pytest.approx(100.0)
    assert out.greedy_truncated == pytest.approx(100 / 3)
    assert out.sample_truncated == pytest.approx(100 / 3)
    assert out.num_samples == 4
    # standard error over problems of greedy correctness [1, 0, 1]
    assert out.greedy_acc_stderr == pytest.approx(np.std([1, 0, 1], ddof=1) / np.sqrt(3) * 100)
    # seed runs: index j across problems -> [2/3, 2/3, 1/3, 2/3]
    seeds = [2 / 3, 2 / 3, 1 / 3, 2 / 3]
    assert out.sample_pass_at_1_seed_stderr == pytest.approx(np.std(seeds, ddof=1) / 2 * 100)
    assert 4 in out.maj_at  # maj@n by default


def test_aggregate_uses_each_problems_own_n() -> None:
    records = problem("a", True, [True, False]) + problem("b", True, [True, False, False, False])
    out = aggregate(records, ks=(2,), equivalent=string_equal)
    assert out.sample_pass_at_1 == pytest.approx((0.5 + 0.25) / 2 * 100)
    assert out.pass_at[2] == pytest.approx((1.0 + 0.5) / 2 * 100)
    assert out.num_samples == 2


def test_aggregate_without_greedy_or_samples_gives_none() -> None:
    out = aggregate([rec("a", "sample", 0, True)], ks=(1,), equivalent=string_equal)
    assert out.greedy_acc is None and out.greedy_length is None
    assert out.sample_pass_at_1 == 100.0
    assert out.sample_pass_at_1_stderr is None  # one problem: no spread to estimate


# --- maj@k --------------------------------------------------------------------------------------


def test_majority_ties_go_to_the_earliest_group() -> None:
    assert majority_group([0, 1, 1, 0]) == 0
    assert majority_group([0, 1, 1]) == 1
    assert majority_group([None, None]) is None


def test_no_answer_abstains_from_the_vote() -> None:
    samples = [rec("a", "sample", j, False, pred=None) for j in range(3)] + [rec("a", "sample", 3, True)]
    assert majority_correct(samples, string_equal)
    assert not majority_correct(samples[:3], string_equal)


def test_maj_at_k_groups_equivalent_answers_written_differently() -> None:
    eq = grader_equivalent()
    preds = ["\\frac{1}{2}", "7", "0.5", "7", "1/2"]
    assert cluster_answers(preds, eq) == [0, 1, 0, 1, 0]
    samples = [
        rec("a", "sample", j, p in ("\\frac{1}{2}", "0.5", "1/2"), pred=p) for j, p in enumerate(preds)
    ]
    assert majority_correct(samples, eq)
    # by string equality "7" would win 2 to 1
    assert not majority_correct(samples, string_equal)
    out = aggregate(samples, ks=(1,), maj_ks=(5, 2), equivalent=eq)
    assert out.maj_at[5] == 100.0
    assert out.maj_at[2] == 100.0  # tie between "\frac{1}{2}" and "7": the earliest group wins


def test_maj_at_k_above_n_raises() -> None:
    records = problem("a", True, [True, False])
    with pytest.raises(ValueError, match=r"maj@4.*'a'.*n = 2"):
        aggregate(records, ks=(1,), maj_ks=(4,), equivalent=string_equal)
