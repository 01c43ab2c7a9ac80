"""The behaviour table (``cases.py``) run through ``grade``, one test per row."""

import pytest

from evalkit.graders import ExtractionPolicy, Verdict, extract_answer, grade

from .cases import ALL_CASES, GROUPS, Case

METHODS = {"exact", "numeric", "symbolic", "structural", "choice", "text", "none", "timeout", "error"}


@pytest.mark.parametrize("case", [c for _, c in ALL_CASES], ids=[i for i, _ in ALL_CASES])
def test_case(case: Case) -> None:
    policy = ExtractionPolicy(**case.policy) if case.policy else None
    verdict = grade(case.response, case.gold, extract=case.extract, policy=policy)
    assert isinstance(verdict, Verdict)
    assert verdict.method in METHODS, verdict
    assert verdict.correct is case.expected, verdict
    if verdict.correct:
        assert verdict.pred is not None, verdict


def test_table_is_broad() -> None:
    assert len(ALL_CASES) >= 300
    for group, cases in GROUPS.items():
        outcomes = {c.expected for c in cases}
        assert outcomes == {True, False}, f"{group} lacks should-match or must-not-match cases"


@pytest.mark.parametrize(
    ("text", "policy", "expected"),
    [
        ("so the answer is $\\boxed{42}$.", None, "42"),
        ("$\\boxed{\\frac{1}{2}}$", None, "\\frac{1}{2}"),
        ("\\boxed{1} no wait \\boxed{2}", None, "2"),
        ("\\fbox{7}", None, "7"),
        ("<think>maybe \\boxed{3}</think> so \\boxed{4}", None, "4"),
        ("<think>maybe \\boxed{3}", ExtractionPolicy(require_think_end=True), None),
        ("the total is 12 apples", None, None),
        ("the total is 12 apples", ExtractionPolicy(last_number_fallback=True), "12"),
        ("", None, None),
    ],
    ids=[
        "boxed",
        "nested",
        "last",
        "fbox",
        "after-think",
        "think-never-ends",
        "no-fallback",
        "fallback",
        "empty",
    ],
)
def test_extract_answer(text: str, policy: ExtractionPolicy | None, expected: str | None) -> None:
    assert extract_answer(text, policy) == expected


def test_gold_is_reported_as_text() -> None:
    verdict = grade("\\boxed{27}", 27.0)
    assert verdict.correct
    assert isinstance(verdict.gold, str)
