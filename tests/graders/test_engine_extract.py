"""Answer extraction and normalisation, unit by unit."""

import time

import pytest

from evalkit.graders.extract import ExtractionPolicy, extract_answer, find_answer
from evalkit.graders.normalize import gold_text, normalize_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so $\\boxed{1}$, $\\boxed{2}$ and $\\boxed{3}$.", "1, 2, 3"),
        ("\\boxed{1} \\text{ or } \\boxed{-1}", "1, -1"),
        ("\\boxed{4}, \\boxed{4}", "4"),
        ("first \\boxed{1}; after checking the algebra again, \\boxed{2}", "2"),
        ("\\boxed{\\boxed{7}}", "7"),
        ("\\boxed{\\boxed{1}+\\boxed{2}}", "\\boxed{1}+\\boxed{2}"),
        ("the answer is \\boxed{5} and then \\boxed{6", "5"),
        ("\\boxed 12.", "12"),
        ("**Final Answer**\n\n$$\n\\frac{3}{4}\n$$", "\\frac{3}{4}"),
        ("The final answer is $x = 2$. I hope it is correct.", "x = 2"),
        ("Answer: 17 apples", "17 apples"),
        ("I will answer this question now.", None),
        ("\\boxed{5}. Put your final answer within \\boxed{}.", "5"),
        ("\\boxed{5} then \\boxed{" + "9" * 30_000, None),
        ("x = \\boxed{2} or x = \\boxed{-3}", "2, -3"),
        ("**Final Answer**\n\\[\n\\frac{3}{4}\n\\]", "\\frac{3}{4}"),
        ("Final answer:\n```\n42\n```", "42"),
        ("答案是 5。", "5"),
    ],
    ids=[
        "adjacent",
        "text-or",
        "repeated",
        "self-correction",
        "nested",
        "boxes-inside",
        "unclosed-last",
        "bare",
        "markdown",
        "phrase-math",
        "answer-colon",
        "answer-as-verb",
        "blank-box-skipped",
        "unreadable-last-box",
        "equations-joined",
        "display-lines",
        "code-block",
        "chinese-phrase",
    ],
)
def test_extract(text: str, expected: str | None) -> None:
    assert extract_answer(text) == expected


def test_reasoning_block() -> None:
    closed = "<think>\\boxed{1}</think> so \\boxed{2}"
    assert extract_answer(closed) == "2"
    assert extract_answer(closed, ExtractionPolicy(require_think_end=True)) == "2"
    assert extract_answer("still thinking \\boxed{1}", ExtractionPolicy(require_think_end=True)) is None


def test_last_number_fallback_only_by_policy() -> None:
    text = "we get 1,250 then 3/4"
    assert extract_answer(text, ExtractionPolicy(conclusion=False, last_number_fallback=False)) is None
    assert extract_answer(text, ExtractionPolicy(conclusion=False)) == "3/4"


def test_many_unclosed_boxes_are_cheap() -> None:
    assert extract_answer("\\boxed{" * 20_000 + "1") is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("\\$1,000", "1000"),
        ("1{,}000", "1000"),
        ("(1,000)", "(1,000)"),
        ("1,2", "1,2"),
        ("\\left( 1, 2 \\right)", "(1,2)"),
        ("\\dfrac12", "\\frac{1}{2}"),
        ("\\sqrt2+\\sqrt[3]x", "\\sqrt{2}+\\sqrt[3]{x}"),
        ("30^{\\circ}", "30"),
        ("5\\text{ cm}^2", "5"),
        ("12 square inches", "12"),
        ("3+2\\mathrm{i}", "3+2i"),
        ("\\text{Evelyn}", "Evelyn"),
        ("1 \\text{ and } 2", "1,2"),
        ("\\log_2 8", "\\log_2 8"),
        ("x = 5.", "x=5"),
        ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
        ("\\mathbb{R}", "(-\\infty,\\infty)"),
        ("（１，２）", "(1,2)"),
        ("x²+1", "x^{2}+1"),
        ("5 red apples", "5"),
        ("3 halves", "3 halves"),
        ("2.5 million", "2.5\\times10^{6}"),
        ("58,500", "58500"),
        ("3, 125", "3,125"),
        ("12^{\\mathrm{th}}", "12"),
        ("21st", "21"),
        ("(tan x)^2", "(\\tan x)^2"),
        ("ln(2)", "\\ln(2)"),
        ("997^{-1} \\equiv 333 \\pmod{1000}", "333"),
    ],
)
def test_normalize(answer: str, expected: str) -> None:
    assert normalize_answer(answer) == expected


@pytest.mark.parametrize(("gold", "expected"), [(27.0, "27"), (25, "25"), (2.5, "2.5"), (" 025 ", "025")])
def test_gold_text(gold: str | int | float, expected: str) -> None:
    assert gold_text(gold) == expected


HOSTILE_1MB = {
    "digits": "1 " * 500_000,
    "dollars": "$" * 1_000_000,
    "escaped-newlines": "\neq" * 330_000,
    "tabs": "\ttext" * 200_000,
    "json-keys": '{"answer": ' * 90_000,
    "open-json-string": '{"answer": "' + "a" * 1_000_000,
    "copulas": "is the of " * 100_000 + "5.",
    "inline-math": "$x$ " * 250_000 + "is 5.",
    "currency": "$5 and gets $" * 80_000,
    "part-labels": "\n(a) (b) \\boxed{1}" * 50_000,
    "sentences": "It is 5. " * 110_000,
    "think-tags": "<think>" * 140_000,
    "clauses": "so $\\frac{1}{2}$ is 3 + 4 = 7, and " * 30_000 + ".",
    "chains": "1 x 1 apples + " * 70_000 + ".",
    "subordinate": "Since 1" * 140_000 + ",",
    "confidence-labels": "(Confidence: " * 80_000 + "95%",
    "turn-markers": "x <|im_start|>" * 70_000,
    "plain-tuples": "is (1, " * 140_000 + "2).",
    "looping-boxes": "The answer is \\boxed{7}. " * 40_000,
    "looping-statements": "The price was $36.\n" * 50_000,
    "roots": "sqrt(" * 200_000 + "3",
    "box-sentences": "\\boxed{1} and " * 70_000,
}


@pytest.mark.parametrize("text", HOSTILE_1MB.values(), ids=HOSTILE_1MB.keys())
def test_megabyte_inputs_are_scanned_in_linear_time(text: str) -> None:
    """Every rule scans in linear time: a megabyte of hostile text is read in well under a second
    (a catastrophic regular expression would take minutes); the bound is loose for loaded machines."""
    start = time.perf_counter()
    find_answer(text)
    find_answer(text, ExtractionPolicy.strict())
    assert time.perf_counter() - start < 3.0
