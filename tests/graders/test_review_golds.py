r"""Adversarial review 4: golds as datasets write them, and malformed, hostile or huge input.

Golds come wrapped in math delimiters or a box, with units, thousands separators, ``x =`` prefixes,
as lists, as Python ints and floats (``27.0``, ``1e-3``, ``1/3``), as AMC choices (``(B) 12``) or
AIME strings (``033``), with trailing punctuation, as words, with brace-less ``\frac32``. Each gold
is checked against a right and a wrong prediction. Hostile input on either side must come back as a
verdict with a reason, never an exception, and within its time limit.
"""

import time

import pytest

from evalkit.graders import Verdict, grade

from .cases import Case, diff, resp, same

GROUPS: dict[str, list[Case]] = {
    "gold-delimiters": [
        same("5", "$5$", "dollar gold"),
        diff("6", "$5$", "dollar gold wrong"),
        same("\\frac12", "\\(\\frac{1}{2}\\)", "paren-math gold"),
        diff("\\frac13", "\\(\\frac{1}{2}\\)", "paren-math gold wrong"),
        same("0.5", "\\[\\frac12\\]", "bracket-math gold decimal pred"),
        same("3", "$$3$$", "display dollar gold"),
        same("\\frac{\\sqrt3}{2}", "\\boxed{\\frac{\\sqrt{3}}{2}}", "boxed gold"),
        diff("\\frac{\\sqrt2}{2}", "\\boxed{\\frac{\\sqrt{3}}{2}}", "boxed gold wrong"),
        same("7", "$\\boxed{7}$", "boxed in dollars gold"),
        diff("1", "$\\boxed{7}$", "boxed in dollars gold wrong"),
        resp("So the answer is $\\boxed{12}$.", "$\\boxed{12}$", True, "boxed response boxed gold"),
        resp("So the answer is $\\boxed{13}$.", "$\\boxed{12}$", False, "boxed response boxed gold wrong"),
        same("5", "Adding, $2 + 3 = 5$, so the answer is $\\boxed{5}$.", "worked solution gold"),
        diff(
            "2", "Adding, $2 + 3 = 5$, so the answer is $\\boxed{5}$.", "worked solution gold earlier number"
        ),
        same("1, 2", "$\\boxed{1}$ and $\\boxed{2}$", "two boxes gold"),
        same("(1,2)", "$\\left(1, 2\\right)$", "dollar tuple gold"),
        diff("(2,1)", "$\\left(1, 2\\right)$", "dollar tuple gold swapped"),
    ],
    "gold-units": [
        same("12", "12\\text{ cm}", "text unit gold"),
        diff("13", "12\\text{ cm}", "text unit gold wrong"),
        same("5", "5\\text{ square units}", "square units gold"),
        diff("25", "5\\text{ square units}", "square units gold wrong"),
        same("4\\pi", "4\\pi\\text{ cm}^2", "pi with squared unit"),
        diff("4", "4\\pi\\text{ cm}^2", "pi with squared unit dropped pi"),
        same("30", "30^\\circ", "degree gold"),
        diff("60", "30^\\circ", "degree gold wrong"),
        same("18.9", "\\$18.90", "dollar sign gold"),
        diff("18.09", "\\$18.90", "dollar sign gold wrong"),
        same("20", "20\\%", "percent gold number"),
        same("0.2", "20\\%", "percent gold fraction"),
        diff("0.02", "20\\%", "percent gold wrong scale"),
        same("6\\text{ hours}", "6", "unit in pred plain gold"),
        diff("7\\text{ hours}", "6", "unit in pred plain gold wrong"),
    ],
    "gold-thousands": [
        same("1234", "1,234", "comma thousands"),
        diff("1.234", "1,234", "comma thousands not decimal"),
        same("1234", "1{,}234", "braced comma thousands"),
        diff("1243", "1{,}234", "braced comma thousands wrong"),
        same("12345", "12,\\!345", "negative space thousands"),
        diff("12346", "12,\\!345", "negative space thousands wrong"),
        same("1000000", "1,000,000", "million"),
        diff("100000", "1,000,000", "million wrong"),
        same("1{,}000{,}000", "1000000", "braced million pred"),
        same("12345.6", "12{,}345.6", "braced thousands with decimals"),
        diff("12345", "12{,}345.6", "braced thousands decimals dropped"),
        same("1234", "1\\,234", "thin space thousands"),
        same("1234", "1\u00a0234", "no-break space thousands"),
        same("1234", "1\u202f234", "narrow no-break space thousands"),
        diff("1235", "1\u2009234", "unicode thin space thousands wrong"),
    ],
    "gold-prefixes": [
        same("3", "x=3", "x prefix gold"),
        diff("4", "x=3", "x prefix gold wrong"),
        same("x = 3", "$x = 3$", "x prefix both"),
        same("-\\frac12", "y=-\\frac{1}{2}", "y prefix gold negative"),
        diff("\\frac12", "y=-\\frac{1}{2}", "y prefix gold sign"),
        same("y=2x+1", "y = 2x + 1", "line gold"),
        diff("y=2x-1", "y = 2x + 1", "line gold wrong"),
        same("1, 2", "x=1 \\text{ or } x=2", "gold roots with or"),
        diff("1, 3", "x=1 \\text{ or } x=2", "gold roots with or wrong"),
        same("x \\in [2,5]", "[2,5]", "membership pred"),
    ],
    "gold-lists": [
        same("3, 1, 2", "1,2,3", "list any order"),
        diff("1,2", "1,2,3", "list missing item"),
        diff("1,2,4", "1,2,3", "list wrong item"),
        same("\\{1,2,3\\}", "1, 2, 3", "set pred list gold"),
        same("1, -2", "-2, 1", "list negative"),
        diff("-1, 2", "-2, 1", "list negative swapped signs"),
        same("3, 5", "3 \\text{ and } 5", "text and gold"),
        diff("3", "3 \\text{ and } 5", "text and gold partial"),
    ],
    "gold-python-numbers": [
        same("27", 27.0, "float integer gold"),
        diff("28", 27.0, "float integer gold wrong"),
        same("27.0", 27, "int gold decimal pred"),
        same("10^{-3}", 1e-3, "float 1e-3 gold power pred"),
        same("\\frac{1}{1000}", 1e-3, "float 1e-3 gold fraction pred"),
        diff("0.01", 1e-3, "float 1e-3 gold wrong"),
        same("\\frac13", 1 / 3, "float third gold fraction pred"),
        same("0.3333333", 1 / 3, "float third gold long decimal"),
        diff("0.33", 1 / 3, "float third gold rounded pred"),
        diff("\\frac14", 1 / 3, "float third gold wrong"),
        same("10^{-5}", 1e-5, "float exponent-notation gold"),
        diff("10^{-4}", 1e-5, "float exponent-notation gold wrong"),
        same("10^{20}", 1e20, "large float gold"),
        diff("10^{20}+1", 1e20, "large float gold off by one (ambiguous: float cannot tell)"),
        same("15\\times10^{299}", 1.5e300, "huge float gold exact pred"),
        diff("16\\times10^{299}", 1.5e300, "huge float gold wrong"),
        same("123456789012345678", 1.2345678901234568e17, "float gold past 2^53 (ambiguous: a float rounds)"),
        diff("12345678901234567", 1.2345678901234568e17, "float gold past 2^53 wrong magnitude"),
        same("-\\frac12", -0.5, "negative float gold"),
        diff("\\frac12", -0.5, "negative float gold sign"),
        same("\\frac{3}{10}", 0.1 + 0.2, "float noise gold"),
        diff("\\frac{3}{100}", 0.1 + 0.2, "float noise gold wrong"),
        same("\\infty", float("inf"), "infinite float gold"),
        diff("0", float("inf"), "infinite float gold wrong"),
        same("033", 33, "int gold padded pred"),
        diff("330", 33, "int gold padded wrong"),
    ],
    "gold-choices": [
        same("B", "(B) 12", "amc gold letter pred"),
        same("(B)", "(B) 12", "amc gold parenthesised letter"),
        same("12", "(B) 12", "amc gold value pred"),
        diff("C", "(B) 12", "amc gold other letter"),
        diff("13", "(B) 12", "amc gold wrong value"),
        same("B", "\\textbf{(B) }12", "textbf amc gold letter"),
        same("12", "\\textbf{(B) }12", "textbf amc gold value"),
        diff("\\textbf{(D)}", "\\textbf{(B) }12", "textbf amc gold other letter"),
        same("\\textbf{(B)} 12", "(B) 12", "textbf pred amc gold"),
        same("0.5", "(C) \\frac{1}{2}", "amc gold fraction value"),
        diff("\\frac13", "(C) \\frac{1}{2}", "amc gold fraction wrong value"),
        same("\\sqrt8", "(E) 2\\sqrt{2}", "amc gold radical value"),
        same("B", "\\text{B}", "text letter gold"),
        diff("C", "\\text{B}", "text letter gold wrong"),
    ],
    "gold-aime": [
        same("33", "033", "aime padded gold"),
        same("033", "033", "aime padded both"),
        diff("34", "033", "aime padded gold wrong"),
        diff("330", "033", "aime padded gold shifted"),
        same("5", "005", "aime double padded"),
        diff("500", "005", "aime double padded shifted"),
    ],
    "gold-trailing": [
        same("5", "5.", "trailing period gold"),
        same("5", " 5 \n", "spaces gold"),
        diff("6", " 5 \n", "spaces gold wrong"),
        same("3.5", "3.5.", "decimal with period gold"),
        diff("35", "3.5.", "decimal with period gold shifted"),
        same("\\frac12", "\\frac{1}{2}.", "fraction with period gold"),
        same("5", "$5$.", "period after math gold"),
    ],
    "gold-words": [
        same("Monday", "\\text{Monday}", "weekday gold"),
        same("\\text{monday}", "\\text{Monday}", "weekday case"),
        diff("Tuesday", "\\text{Monday}", "weekday wrong"),
        same("\\textbf{Yes}", "\\text{yes}", "yes gold"),
        diff("no", "\\text{yes}", "yes gold no"),
        diff("\\text{odd}", "\\text{even}", "parity wrong"),
        same("None", "\\text{None}", "none as a word gold"),
        diff("0", "\\text{None}", "none as a word gold zero"),
    ],
    "gold-fractions": [
        same("1.5", "\\frac32", "braceless frac gold decimal"),
        same("\\frac{3}{2}", "\\frac32", "braceless frac gold braced pred"),
        diff("\\frac23", "\\frac32", "braceless frac gold inverted"),
        same("3/2", "\\dfrac{3}{2}", "dfrac gold slash pred"),
        diff("2/3", "\\dfrac{3}{2}", "dfrac gold slash inverted"),
        same("0.25", "\\tfrac14", "tfrac braceless gold"),
        same("\\frac{1}{12}", "\\frac1{12}", "half braced frac gold"),
        diff("\\frac{1}{2}", "\\frac1{12}", "half braced frac gold misread"),
        same("\\frac{\\pi}{3}", "\\dfrac\\pi3", "command argument frac gold"),
        diff("\\frac{3}{\\pi}", "\\dfrac\\pi3", "command argument frac gold inverted"),
    ],
    "gold-negative": [
        same("-0.5", "-\\frac{1}{2}", "negative frac gold decimal"),
        same("\\frac{-1}{2}", "-\\frac{1}{2}", "negative numerator"),
        same("\\frac{1}{-2}", "-\\frac{1}{2}", "negative denominator"),
        diff("\\frac12", "-\\frac{1}{2}", "negative frac gold sign"),
        diff("-\\frac{4}{3}", "-\\dfrac{3}{4}", "negative dfrac gold inverted"),
        same("-5", "−5", "unicode minus gold"),
        diff("5", "−5", "unicode minus gold sign"),
    ],
    "gold-pi": [
        same("\\pi \\cdot 2", "2\\pi", "two pi reordered"),
        same("6.283185307", "2\\pi", "two pi long decimal"),
        diff("6.28", "2\\pi", "two pi rounded"),
        diff("\\pi", "2\\pi", "two pi halved"),
        same("\\frac13\\pi", "\\frac{\\pi}{3}", "pi over three reordered"),
        diff("60", "\\frac{\\pi}{3}", "pi over three as degrees"),
    ],
    "gold-intervals-matrices": [
        same("(-\\infty,3]", "(-\\infty, 3]", "interval gold"),
        same("x \\le 3", "(-\\infty, 3]", "interval gold inequality pred"),
        diff("(-\\infty,3)", "(-\\infty, 3]", "interval gold open end"),
        same("[-1,\\frac12)", "\\left[ -1, \\frac{1}{2} \\right)", "left right interval gold"),
        diff("(-1,\\frac12)", "\\left[ -1, \\frac{1}{2} \\right)", "left right interval gold bracket"),
        same("x<-2 \\text{ or } x>2", "(-\\infty,-2)\\cup(2,\\infty)", "union gold inequalities pred"),
        diff("x<-2 \\text{ or } x>3", "(-\\infty,-2)\\cup(2,\\infty)", "union gold inequalities wrong"),
        same(
            "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}",
            "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
            "matrix gold bracket kind",
        ),
        diff(
            "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}",
            "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
            "matrix gold transposed",
        ),
        same("(1,-2)", "$\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}$", "vector gold tuple pred"),
        diff("(-2,1)", "$\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}$", "vector gold tuple swapped"),
    ],
    "malformed-values": [
        same("\\sqrt{-1}", "i", "square root of minus one"),
        diff("\\sqrt{-1}", "1", "square root of minus one is not one"),
        diff("1/0", "\\infty", "division by zero is not infinity"),
        diff("\\frac{1}{0}", "\\infty", "frac by zero is not infinity"),
        diff("0/0", "0", "zero over zero"),
        diff("\\infty-\\infty", "0", "infinity minus infinity"),
        diff("10^{-10^{10}}", "0", "tiny power is not zero"),
        same("10^{-10^{10}}", "10^{-10^{10}}", "tiny power as written"),
        diff("(10^{100})!", "1", "huge factorial"),
        same("x^{x^{x^{x}}}", "x^{x^{x^{x}}}", "symbolic tower identical"),
        diff("x^{x^{x^{x}}}", "x^{x^{x}}", "symbolic tower shorter"),
        same("\\sum_{k=1}^{\\infty}\\frac{1}{2^k}", "1", "geometric series"),
        diff("\\sum_{k=1}^{\\infty}\\frac{1}{2^k}", "2", "geometric series wrong"),
        same("\\int_0^1 x\\,dx", "\\frac12", "definite integral"),
        diff("\\int_0^1 x\\,dx", "1", "definite integral wrong"),
        diff("\\lim_{x\\to 0}\\frac{\\sin x}{x}", "0", "limit wrong"),
        same("\u200f42", "42", "right-to-left mark"),
        same("4\u200b2", "42", "zero-width space"),
        same("\ufeff42", "42", "byte order mark"),
        diff("\u200f42", "24", "right-to-left mark wrong"),
        same("🙂", "🙂", "emoji identical"),
        diff("🙂", "1", "emoji is not a number"),
        diff("None", "0", "None text"),
        diff("null", "0", "null text"),
        diff("NaN", "0", "NaN text"),
        diff("\\ud800", "0", "escaped surrogate text"),
    ],
}

ALL: list[tuple[str, Case]] = [(f"{group}:{c.note}", c) for group, cases in GROUPS.items() for c in cases]


@pytest.mark.parametrize("case", [c for _, c in ALL], ids=[i for i, _ in ALL])
def test_gold_case(case: Case) -> None:
    verdict = grade(case.response, case.gold, extract=case.extract)
    assert verdict.correct is case.expected, verdict


def test_cases_are_broad() -> None:
    assert len(ALL) >= 100
    for group, cases in GROUPS.items():
        assert {c.expected for c in cases} == {True, False}, group


def test_missing_gold_never_matches() -> None:
    for gold in (None, float("nan"), ""):
        for answer in ("None", "nan", "", "0"):
            verdict = grade(answer, gold, extract=False)  # type: ignore[arg-type]
            assert verdict.correct is False and verdict.reason, (answer, gold, verdict)


def test_huge_int_gold() -> None:
    gold = 10**5000 + 7
    assert not grade("1", gold, extract=False).correct
    assert grade("10^{5000}+7", gold, extract=False, timeout=2.0).reason


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
    verdict = grade(pred, gold, extract=False, timeout=TIMEOUT)
    assert (verdict.correct, verdict.method) == (False, "symbolic"), verdict


def test_long_list_is_not_truncated() -> None:
    gold = ", ".join(str(k) for k in range(64))
    longer = ", ".join(str(k) for k in range(100))
    assert not grade(longer, gold, extract=False).correct
    assert not grade(gold, longer, extract=False).correct
    assert not grade(f"({longer})", f"({gold})", extract=False).correct
    assert not grade(f"\\{{{longer}\\}}", f"\\{{{gold}\\}}", extract=False).correct
    assert grade(longer, longer, extract=False).correct
