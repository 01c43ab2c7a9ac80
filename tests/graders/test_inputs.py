"""Missing, malformed, hostile or huge input on either side: a verdict with a reason, never an exception,
within its time limit. (Golds as datasets write them are rows of ``cases/review_golds.jsonl``.)"""

import time

import pytest

from evalkit.graders import Verdict, grade


def test_missing_gold_never_matches() -> None:
    for gold in (None, float("nan"), ""):
        for answer in ("None", "nan", "", "0"):
            verdict = grade(answer, gold, extract=False)  # type: ignore[arg-type]
            assert verdict.correct is False and verdict.reason, (answer, gold, verdict)


def test_huge_int_gold() -> None:
    gold = 10**5000 + 7
    assert not grade("1", gold, extract=False).correct
    assert grade("10^{5000}+7", gold, extract=False, timeout=VERDICT_TIMEOUT).correct
    digits = "1" + "0" * 4999 + "7"  # str(gold) would pass Python's 4,300-digit conversion limit
    assert grade(digits, gold, extract=False).correct
    assert not grade(digits[:-1] + "6", gold, extract=False).correct
    assert not grade("10^{5000}+8", gold, extract=False).correct


def test_missing_response_has_no_answer() -> None:
    verdict = grade(None, "5")  # type: ignore[arg-type]
    assert verdict.correct is False and verdict.pred is None and verdict.reason
    for blank in ("\\boxed{}", "$$", "\\text{ }"):
        verdict = grade(blank, "5", extract=False)
        assert (verdict.correct, verdict.method, verdict.reason) == (False, "none", "no final answer found")


LONG_LIST = ", ".join(str(k) for k in range(10_000))
HOSTILE: dict[str, str] = {
    "empty": "",
    "whitespace": " \t\n  ",
    "None": "None",
    "null": "null",
    "open-brace": "{",
    "close-brace": "}",
    "unbalanced-braces": "{{1}",
    "left-paren-only": "\\left(1",
    "frac-open": "\\frac{",
    "sqrt-empty": "\\sqrt{}",
    "carets": "^^^^",
    "nested-open-boxes": "\\boxed{\\boxed{\\boxed{",
    "100k-parentheses": "(" * 100_000 + "1" + ")" * 100_000,
    "100k-open-parentheses": "(" * 100_000,
    "deep-parentheses-short": "(" * 900 + "1" + ")" * 900,
    "two-megabytes": "12345678" * 262_144,
    "control-characters": "".join(chr(c) for c in range(32)) + "42",
    "nul-bytes": "4\x002",
    "lone-surrogate": "\ud800",
    "surrogate-in-box": "\\frac{\ud800}{\udfff}",
    "rtl-override": "\u202e24\u202c",
    "emoji": "🙂🔥 = 42",
    "pmatrix-unclosed": "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4",
    "list-10k": LONG_LIST,
    "list-600": ", ".join(["1"] * 600),
    "one-over-zero": "1/0",
    "zero-over-zero": "0/0",
    "inf-minus-inf": "\\infty - \\infty",
    "frac-over-zero": "\\frac{1}{0}",
    "zero-power-zero": "0^0",
    "sqrt-minus-one": "\\sqrt{-1}",
    "tiny-power": "10^{-10^{10}}",
    "googol-factorial": "(10^{100})!",
    "series": "\\sum_{k=1}^{\\infty} \\frac{1}{k^2}",
    "divergent-series": "\\sum_{k=1}^{\\infty} k",
    "integral": "\\int e^{-x^2}\\,dx",
    "limit": "\\lim_{x\\to\\infty} x^x",
    "symbolic-tower": "x^{x^{x^{x}}}",
    "os-system": "import os; os.system('echo pwned')",
    "dunder-import": "__import__('os').getcwd()",
    "lambda": "(lambda: 1)()",
    "def": "\\def\\x{42}\\x",
    "input": "\\input{/etc/passwd}",
    "write18": "\\immediate\\write18{echo pwned}",
    "catcode": "\\catcode`\\^=12 2^3",
}
SLOW = {
    "100k-parentheses",
    "two-megabytes",
    "list-10k",
    "deep-parentheses-short",
    "series",
    "divergent-series",
    "integral",
    "limit",
    "symbolic-tower",
    "googol-factorial",
}
TIMEOUT = 2.0
BOUND = TIMEOUT + 8.0
VERDICT_TIMEOUT = 60.0  # where a verdict is asserted: it must not depend on how busy the machine is


def _check(response: str, gold: str, *, extract: bool, bounded: bool) -> Verdict:
    start = time.monotonic()
    verdict = grade(response, gold, extract=extract, timeout=TIMEOUT)
    elapsed = time.monotonic() - start
    assert isinstance(verdict, Verdict) and verdict.reason, verdict
    if bounded:
        assert elapsed < BOUND, f"took {elapsed:.1f}s: {verdict}"
    return verdict


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_prediction(text: str, request: pytest.FixtureRequest) -> None:
    bounded = request.node.callspec.id in SLOW
    assert not _check(text, "7", extract=False, bounded=bounded).correct
    assert not _check(f"The answer is $\\boxed{{{text}}}$.", "7", extract=True, bounded=bounded).correct


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_gold(text: str, request: pytest.FixtureRequest) -> None:
    assert not _check("\\boxed{7}", text, extract=True, bounded=request.node.callspec.id in SLOW).correct


@pytest.mark.parametrize(
    "text", [t for t in HOSTILE.values() if t.strip() and t not in ("None", "null")], ids=lambda _: ""
)
def test_hostile_identical_pair_is_bounded(text: str) -> None:
    _check(text, text, extract=False, bounded=True)


@pytest.mark.parametrize(
    ("pred", "gold"),
    [("\\sum_{k=1}^{\\infty} k", "\\infty"), ("e^{e^{e^{e^{10}}}}", "1"), ("\\sum_{k=1}^{\\infty} k", "7")],
    ids=["divergent-sum-infinity", "exponential-tower", "divergent-sum-number"],
)
def test_values_without_finite_value_are_not_errors(pred: str, gold: str) -> None:
    verdict = grade(pred, gold, extract=False, timeout=VERDICT_TIMEOUT)
    assert (verdict.correct, verdict.method) == (False, "symbolic"), verdict


def test_long_list_is_not_truncated() -> None:
    gold = ", ".join(str(k) for k in range(64))
    longer = ", ".join(str(k) for k in range(100))
    assert not grade(longer, gold, extract=False).correct
    assert not grade(gold, longer, extract=False).correct
    assert not grade(f"({longer})", f"({gold})", extract=False).correct
    assert not grade(f"\\{{{longer}\\}}", f"\\{{{gold}\\}}", extract=False).correct
    assert grade(longer, longer, extract=False).correct
