"""Examples of ``extract_answer`` and of how golds are reported."""

import pytest

from evalkit.graders import ExtractionPolicy, extract_answer, grade


@pytest.mark.parametrize(
    ("text", "policy", "expected"),
    [
        ("so the answer is $\\boxed{42}$.", None, "42"),
        ("$\\boxed{\\frac{1}{2}}$", None, "\\frac{1}{2}"),
        ("\\boxed{1} no wait \\boxed{2}", None, "2"),
        ("\\fbox{7}", None, "7"),
        ("<think>maybe \\boxed{3}</think> so \\boxed{4}", None, "4"),
        ("<think>maybe \\boxed{3}", ExtractionPolicy(require_think_end=True), None),
        ("the total is 12 apples", None, "12"),
        ("the total is 12 apples", ExtractionPolicy.strict(), None),
        ("", None, None),
    ],
    ids=[
        "boxed",
        "nested",
        "last",
        "fbox",
        "after-think",
        "think-never-ends",
        "conclusion",
        "strict",
        "empty",
    ],
)
def test_extract_answer(text: str, policy: ExtractionPolicy | None, expected: str | None) -> None:
    assert extract_answer(text, policy) == expected


def test_gold_is_reported_as_text() -> None:
    verdict = grade("\\boxed{27}", 27.0)
    assert verdict.correct
    assert isinstance(verdict.gold, str)
