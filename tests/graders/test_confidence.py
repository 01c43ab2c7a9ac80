"""Confidence statements (issue 20): a stated confidence level is never read as the answer."""

import time

import pytest

from evalkit.graders import find_answer, grade
from evalkit.graders.confidence import without_confidence

# (response, gold, expected verdict)
CONFIDENCE_AFTER_ANSWER = [
    ("So the answer is \\boxed{42}. Confidence: \\boxed{100\\%}", "42", True),
    ("So the answer is \\boxed{42}. Confidence: \\boxed{100\\%}", "1", False),
    ("**Final Answer**\n\\boxed{3}\n\n**Confidence**\n\\boxed{100}", "3", True),
    ("**Final Answer**\n\\boxed{3}\n\n## Confidence level\n\n\\boxed{100}", "100", False),
    ("The answer is \\boxed{7}.\nI am \\boxed{100\\%} confident.", "1", False),
    ("The answer is \\boxed{7}.\nI am \\boxed{100\\%} confident.", "7", True),
    ("Adding the two cases gives $x = 64$.\n\nConfidence level: 95%", "64", True),
    ("Adding the two cases gives $x = 64$.\n\nConfidence level: 95%", "0.95", False),
    ("The series telescopes to 2/5.\nConfidence: 0.9", "\\frac25", True),
    ("The series telescopes to 2/5.\nConfidence: 0.9", "0.9", False),
    ("Hence the number of paths is \\boxed{70} (confidence: high)", "70", True),
    ("$$\\boxed{-8} \\quad \\text{(Confidence: 90\\%)}$$", "-8", True),
    ("$$\\boxed{-8} \\quad \\text{(Confidence: 90\\%)}$$", "0.9", False),
    ("Thus $f(2) = \\boxed{11}$.\n\nConfidence score: \\boxed{0.95}", "11", True),
    ("Thus $f(2) = \\boxed{11}$.\n\nConfidence score: \\boxed{0.95}", "0.95", False),
    ("The area is $\\boxed{6\\sqrt{3}}$. My confidence in this answer is \\boxed{85\\%}.", "6\\sqrt3", True),
    ("The area is $\\boxed{6\\sqrt{3}}$. My confidence in this answer is \\boxed{85\\%}.", "0.85", False),
    ("The remainder is $\\boxed{4}$.\n\n**Confidence:** 9/10", "4", True),
    ("The remainder is 4.\n\n**Confidence:** 9/10", "4", True),
    ("The remainder is 4.\n\n**Confidence:** 9/10", "9/10", False),
    ("Therefore the rank is 3.\nCertainty: 80%", "3", True),
    ("Therefore the rank is 3.\nCertainty: 80%", "0.8", False),
    ("The determinant is \\boxed{-2}.\nI'm 100% sure.", "1", False),
    ("Hence $n = \\boxed{5}$, and I'd rate my confidence at 90%.", "5", True),
    ("x = 12.\nProbability that my answer is correct: \\boxed{0.9}", "0.9", False),
    ("Answer: 12\n\nConfidence (0-100): 95", "12", True),
    ("A: 18\nConfidence: 95%.", "18", True),
]
CONFIDENCE_BEFORE_OR_INSIDE = [
    ("Confidence: \\boxed{90\\%}\n\nThe limit is \\boxed{e^2}.", "e^2", True),
    ("Confidence: 90%\n\nThe limit is \\boxed{e^2}.", "e^2", True),
    ("I'd rate my confidence at 90%. The answer is \\boxed{3}.", "3", True),
    ("The answer is \\boxed{42 \\text{ (confidence 90\\%)}}", "42", True),
    ("The answer is \\boxed{42 \\text{ (confidence 90\\%)}}", "0.9", False),
    ("The answer is \\boxed{42} \\boxed{\\text{Confidence: } 90\\%}", "42", True),
]
ONLY_CONFIDENCE_BOXED = [  # no boxed answer: other rules may find it, never the confidence
    ("The answer is 42.\nConfidence: \\boxed{90\\%}", "42", True),
    ("The answer is 42.\nConfidence: \\boxed{90\\%}", "0.9", False),
    ("We get 42 after simplifying.\nConfidence: \\boxed{100\\%}", "42", True),
    ("We get 42 after simplifying.\nConfidence: \\boxed{100\\%}", "1", False),
    ("The final answer is 12. Confidence: 80%", "12", True),
    ("The final answer is 12 (confidence: 80%)", "12", True),
    ("The final answer is 12 (confidence: 80%)", "0.8", False),
]
ANSWER_AND_CONFIDENCE = [  # one labelled line holds both: the answer, then its confidence
    (
        "The kernel has dimension 2, so the image is 3-dimensional.\n\nAnswer and Confidence (0-100): B, 70%",
        "B",
        True,
    ),
    ("Hence the order is 4.\nAnswer and Confidence: 4, 100%", "4", True),
    ("Hence the order is 4.\nAnswer and Confidence: 4, 100%", "1", False),
    ("Hence the order is 4.\n**Answer and confidence (0-100):** 4, 90", "90", False),
    ("## Answer and Confidence (0-100):\nC, 85%```", "C", True),
    ("Answer and Confidence: (1, 2), 60%", "(1, 2)", True),
]
NOT_CONFIDENCE = [  # an answer that is a percentage, "confident" in reasoning, other senses of the words
    ("The probability is \\boxed{95\\%}", "0.95", True),
    ("The probability is \\boxed{95\\%}", "95\\%", True),
    ("I am confident that the answer is \\boxed{9}.", "9", True),
    ("We can be confident the count is complete, so the answer is \\boxed{9}. I'm confident.", "9", True),
    ("I am 90% confident that the answer is \\boxed{12}.", "12", True),
    ("Therefore, the certainty equivalent value of this job offer is $\\boxed{136000}$", "136000", True),
    ("From the sample, the confidence level is 95%.", "95\\%", True),
    ("The 95% confidence interval is \\boxed{(1.2, 3.4)}.", "(1.2, 3.4)", True),
    ("With 95% confidence, the mean lies in \\boxed{[1, 2]}.", "[1,2]", True),
    ("So the event is \\boxed{100\\%} certain.", "1", True),
]


@pytest.mark.parametrize(
    ("response", "gold", "expected"),
    CONFIDENCE_AFTER_ANSWER
    + CONFIDENCE_BEFORE_OR_INSIDE
    + ONLY_CONFIDENCE_BOXED
    + ANSWER_AND_CONFIDENCE
    + NOT_CONFIDENCE,
)
def test_confidence_is_never_the_answer(response: str, gold: str, expected: bool) -> None:
    assert grade(response, gold).correct is expected


@pytest.mark.parametrize(
    ("response", "answer", "rule"),
    [
        ("So the answer is \\boxed{42}. Confidence: \\boxed{100\\%}", "42", "box"),
        ("The answer is \\boxed{42 \\text{ (confidence 90\\%)}}", "42", "box"),
        ("The answer is 42.\nConfidence: \\boxed{90\\%}", "42", "phrase"),
        ("After simplifying, the answer is:\n\\boxed{\\text{Confidence: } 90\\%}", None, None),
        ("Confidence: \\boxed{95\\%}", None, None),
        ("Answer and Confidence (0-100): D, 80", "D", "phrase"),
    ],
)
def test_which_rule_reads_past_the_confidence(response: str, answer: str | None, rule: str | None) -> None:
    found = find_answer(response)
    assert (tuple(found) if found else (None, None)) == (answer, rule)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x.\nConfidence: 95%", "x.\n"),
        ("x. (Confidence: high).", "x. "),
        ("**Confidence Level:** $\\boxed{100\\%}$", ""),
        ("I am \\boxed{100\\%} confident.", "I am"),
        ("I'm 90% sure it is 4.", "it is 4."),
        ("the certainty equivalent is 5", "the certainty equivalent is 5"),
        ("with certainty \\boxed{5}", "with certainty \\boxed{5}"),
        ("the event is 100% certain", "the event is 100% certain"),
        ("a 95% confidence interval", "a 95% confidence interval"),
    ],
)
def test_without_confidence_removes_statements_only(text: str, expected: str) -> None:
    assert without_confidence(text) == expected


HOSTILE = {
    "heading-then-blanks": "\nConfidence\n" + " " * 20_000 + "x",
    "label-then-spaces": "my confidence in the answer is" + " \t" * 10_000 + "x",
    "bracket-never-closed": "(Confidence: 95%" + " " * 20_000 + "x",
    "box-never-closed": "\\boxed{(confidence 9" + " *" * 10_000,
    "labels": "Confidence: " * 1_700,
    "percentages": "I am 1% " * 2_500 + "sure",
    "pair-labels": "Answer and Confidence: " * 900,
    "pair-lists": "Answer and confidence: " + "1, " * 7_000,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_scan_is_linear(text: str) -> None:
    """No run of blanks makes the scan backtrack (nested quantifiers over one run took minutes)."""
    start = time.perf_counter()
    without_confidence(text)
    find_answer(text)
    assert time.perf_counter() - start < 1.0
