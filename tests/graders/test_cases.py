"""Every grader case file (``tests/graders/cases/*.jsonl``), one test per row, id ``file:line``."""

import time
from collections import defaultdict

import pytest

from evalkit.graders import ExtractionPolicy, Verdict, grade

from .case_files import Case, load_cases

CASES = load_cases()
METHODS = {"exact", "numeric", "symbolic", "structural", "choice", "text", "none", "timeout", "error"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    policy = ExtractionPolicy(**case.policy) if case.policy else None
    verdict = grade(case.text, case.gold, extract=case.extract, policy=policy)
    assert isinstance(verdict, Verdict)
    assert verdict.method in METHODS, verdict
    assert verdict.correct is case.expected, (case.note, verdict)
    if verdict.correct:
        assert verdict.pred is not None, verdict


def test_every_group_has_both_outcomes() -> None:
    outcomes: dict[tuple[str, str], set[bool]] = defaultdict(set)
    for case in CASES:
        outcomes[(case.id.split(":")[0], case.group)].add(case.expected)
    lopsided = [key for key, seen in outcomes.items() if seen != {True, False}]
    assert not lopsided, f"groups lacking should-match or must-not-match cases: {lopsided}"
    assert len(CASES) >= 1400


def test_hostile_responses_are_bounded() -> None:
    """Hostile responses are graded (extraction included) well inside the default grading timeout."""
    hostile = [c for c in CASES if c.group == "hostile"]
    assert hostile
    for case in hostile:
        start = time.perf_counter()
        grade(case.text, case.gold)
        assert time.perf_counter() - start < 5.0, case.id
