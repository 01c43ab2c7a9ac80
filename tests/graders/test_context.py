"""ResponseContext: how a response was made decides which rules may find its answer.

A response cut off at the token limit is credited only for an answer it committed to (a closed box
outside unfinished reasoning, the final box of closed reasoning, a phrase in a finished sentence),
never by a fallback; reasoning the prompt opened counts only once closed."""

import dataclasses

import pytest

from evalkit.graders import ExtractionPolicy, Grader, ResponseContext, effective_policy, grade, grade_many
from evalkit.graders.pool import POOL

CUT = ResponseContext(truncated=True)
THINK = ResponseContext(prompt_opens_think=True)
CUT_THINK = ResponseContext(truncated=True, prompt_opens_think=True)
LOOP = "The final answer is \\boxed{7}. " * 40


def test_effective_policy_turns_rules_off_never_on() -> None:
    default = ExtractionPolicy()
    assert effective_policy(None, None) == default == effective_policy(None, ResponseContext())
    assert effective_policy(None, THINK) == dataclasses.replace(default, require_think_end=True)
    assert effective_policy(None, CUT) == dataclasses.replace(
        default, conclusion=False, last_number_fallback=False, structured=False
    )
    assert effective_policy(None, ResponseContext(answer_type="choice")).last_number_fallback is False
    assert effective_policy(None, ResponseContext(answer_type="number")) == default
    assert effective_policy(None, ResponseContext(answer_type="no such type")) == default
    strict = ExtractionPolicy.strict()
    assert effective_policy(strict, CUT) == strict
    assert effective_policy(strict, CUT_THINK) == ExtractionPolicy.strict(require_think_end=True)
    base = ExtractionPolicy(last_number_fallback=False, require_think_end=True)
    assert effective_policy(base, None) is base and effective_policy(base, THINK) is base


def test_a_context_is_a_frozen_hashable_value() -> None:
    assert ResponseContext() == ResponseContext(False, False, None)
    assert len({CUT, ResponseContext(truncated=True), THINK}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        CUT.truncated = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("response", "gold"),
    [
        ("So the total is 5 and the", "5"),  # a concluding statement
        ("We have x = 12 but", "12"),
        ("3 + 4 = 7", "7"),
        ('{"reasoning": "3*4", "answer": 1', "1"),  # a JSON field (the value may be cut short)
        ("3*4 = 12. The final answer is 1", "1"),  # a phrase whose answer the limit may have cut
        ("<think>Maybe the answer is \\boxed{5}.", "5"),  # a box inside reasoning that never closed
    ],
)
def test_a_truncated_response_is_never_credited_by_a_fallback(response: str, gold: str) -> None:
    verdict = grade(response, gold, context=CUT)
    assert (verdict.correct, verdict.pred, verdict.method) == (False, None, "none"), verdict
    assert "token limit" in verdict.reason


def test_reasoning_opened_by_the_prompt_counts_only_once_closed() -> None:
    cut_in_reasoning = "Maybe the answer is \\boxed{5}. Hmm, wait, let me check whether the"
    assert grade(cut_in_reasoning, "5").correct  # today's blind spot, without the context
    assert not grade(cut_in_reasoning, "5", context=THINK).correct
    assert not grade(cut_in_reasoning, "5", context=CUT_THINK).correct
    assert grade("2+3=5.</think>\n\nSo \\boxed{5}.", "5", context=CUT_THINK).correct


@pytest.mark.parametrize(
    ("response", "rule"),
    [
        (LOOP + "The final", "box"),  # a loop that commits to one boxed answer until the limit
        ("x=7.</think>\n\n" + LOOP + "The final answer is \\boxed{", "box"),
        ("so \\boxed{7}. Checking: 7 + 2 = 9, and", "box"),
        ("x = 7.\n\n**Final Answer**\n\\boxed{7}\n</think>\n\nTo solve, we subtract 2: x =", "think_box"),
        ("x = 7.\n\n**Final Answer**\n\\boxed{7}\n</think>\n\nTo solve, we first", "think_box"),
        ("The final answer is 7.\nLet me double-check: 7 + 2 = 9, and", "phrase"),
        ("x = 7, so \\boxed{7}.</think>The final answer is 1", "think_box"),  # the phrase may be cut short
    ],
)
def test_a_truncated_response_keeps_an_answer_it_committed_to(response: str, rule: str) -> None:
    for context in (CUT, CUT_THINK) if "</think>" in response else (CUT,):
        verdict = grade(response, "7", context=context)
        assert (verdict.correct, verdict.rule) == (True, rule), (context, verdict)


def test_a_guess_in_closed_reasoning_is_no_committed_answer() -> None:
    response = "Work... maybe \\boxed{7}?\n</think>\n\nTo solve, we first note that x ="
    assert not grade(response, "7", context=CUT_THINK).correct


def test_a_choice_answer_type_turns_the_last_number_off() -> None:
    response = "The options differ by 3 and 4"
    policy = ExtractionPolicy(conclusion=False)
    assert grade(response, "4", policy=policy).rule == "last_number"
    verdict = grade(response, "4", policy=policy, context=ResponseContext(answer_type="choice"))
    assert (verdict.correct, verdict.pred) == (False, None)


def test_grade_many_takes_one_context_per_item_in_order() -> None:
    text = "3*4 = 12. The final answer is 12"  # a phrase answer the token limit may have cut short
    items = [(text, "12")] * 4
    verdicts = grade_many(items, contexts=[None, CUT, ResponseContext(), CUT])
    assert [v.correct for v in verdicts] == [True, False, True, False]
    assert [v.correct for v in grade_many(items)] == [True] * 4  # no contexts: nothing known
    assert [v.correct for v in grade_many(iter(items), contexts=[CUT] * 4)] == [False] * 4
    with pytest.raises(ValueError, match="one per item"):
        grade_many(items, contexts=[CUT])


def test_a_grader_applies_its_policy_under_the_context() -> None:
    strict = Grader(ExtractionPolicy.strict(), pool=POOL)
    assert not strict.grade("The final answer is 7.\nLet me", "7", context=CUT).correct
    assert strict.grade(LOOP + "The final", "7", context=CUT).correct
    assert Grader(pool=POOL).grade("The final answer is 7.\nLet me", "7", context=CUT).rule == "phrase"


def test_a_concluding_statement_repeated_until_the_limit_is_the_answer() -> None:
    loop = "Let me verify once more. " + "The original price of the shirt was $36. " * 12 + "The original"
    verdict = grade(loop, "36", context=CUT)
    assert verdict.correct and verdict.rule == "conclusion"
    lines = "Total arrangements = 9 * 60 = 540.\n" * 8 + "Total arrangements ="
    assert grade(lines, "540", context=CUT).correct


@pytest.mark.parametrize(
    "response",
    [
        "So the total is 36. Let me double-check the",  # one conclusion, then cut off: not settled
        "So the total is 36. So the total is 36. Hmm, but",  # twice is not a loop
        "So x is 36. Wait, so x is 40. " * 8 + "So x",  # a loop between two values never settles
        "<think>" + "The price was $36. " * 8,  # a loop inside reasoning that never closed
    ],
)
def test_a_truncated_response_that_never_settled_has_no_answer(response: str) -> None:
    context = ResponseContext(truncated=True, prompt_opens_think=response.startswith("<think>"))
    assert not grade(response, "36", context=context).correct
    assert not grade(response, "40", context=context).correct
