"""Property tests: the grader is total, reflexive on well-formed numbers, and batch = one by one."""

import time
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.graders import Verdict, grade, grade_many

TIMEOUT = 1.0
OVERHEAD = 8.0
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LATEX_TOKENS = [
    "\\boxed{",
    "\\fbox{",
    "{",
    "}",
    "\\frac",
    "\\dfrac",
    "\\sqrt",
    "^",
    "_",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "-",
    "+",
    "=",
    "\\pi",
    "i",
    "x",
    "\\infty",
    "\\cup",
    "\\pm",
    "\\left(",
    "\\right)",
    "\\text{",
    "\\%",
    "\\$",
    "^\\circ",
    "\\begin{pmatrix}",
    "\\end{pmatrix}",
    "\\\\",
    "&",
    "</think>",
    "<think>",
    "!",
    "Answer:",
    "final answer is",
    " ",
    "0",
    "1",
    "7",
    "10",
    "025",
    "3.5",
    "\\le",
    "<",
    "\\{",
    "\\}",
]
latexish = st.lists(st.sampled_from(LATEX_TOKENS), max_size=40).map("".join)
any_text = st.one_of(st.text(max_size=300), latexish)
golds = st.one_of(
    st.text(max_size=30),
    latexish,
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@FEW
@given(response=any_text, gold=golds, extract=st.booleans())
def test_grade_is_total_and_bounded(response: str, gold: str | int | float, extract: bool) -> None:
    start = time.monotonic()
    verdict = grade(response, gold, extract=extract, timeout=TIMEOUT)
    assert isinstance(verdict, Verdict)
    assert isinstance(verdict.correct, bool)
    assert verdict.reason
    assert time.monotonic() - start < TIMEOUT + OVERHEAD


@FEW
@given(n=st.integers(-(10**12), 10**12))
def test_integer_equals_itself_and_not_its_neighbour(n: int) -> None:
    assert grade(str(n), str(n), extract=False).correct
    assert grade(f"The answer is $\\boxed{{{n}}}$.", n).correct
    assert not grade(str(n + 1), str(n), extract=False).correct


@FEW
@given(x=st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False, allow_infinity=False))
def test_decimal_equals_itself_and_its_fraction(x: object) -> None:
    text = str(x)
    value = Fraction(text)
    assert grade(text, text, extract=False).correct
    fraction = f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    assert grade(fraction, text, extract=False).correct
    assert not grade(str(float(value + Fraction(1, 10))), text, extract=False).correct


@FEW
@given(p=st.integers(-999, 999), q=st.integers(1, 999), k=st.integers(2, 9))
def test_unreduced_fraction_equals_reduced(p: int, q: int, k: int) -> None:
    reduced = Fraction(p, q)
    gold = f"\\frac{{{reduced.numerator}}}{{{reduced.denominator}}}"
    assert grade(f"\\boxed{{\\dfrac{{{p * k}}}{{{q * k}}}}}", gold).correct
    assert not grade(f"\\boxed{{\\frac{{{p * k + 1}}}{{{q * k}}}}}", gold).correct


@FEW
@given(a=st.integers(-99, 99), b=st.integers(-99, 99))
def test_pair_order_matters(a: int, b: int) -> None:
    assert grade(f"({a}, {b})", f"\\left( {a}, {b} \\right)", extract=False).correct
    assert grade(f"({b}, {a})", f"({a},{b})", extract=False).correct is (a == b)


pool = st.sampled_from(
    [
        ("\\boxed{42}", "42"),
        ("\\boxed{\\frac12}", "0.5"),
        ("no answer here", "3"),
        ("\\boxed{(1,2)}", "(2,1)"),
        ("\\boxed{2\\sqrt2}", "\\sqrt{8}"),
        ("\\boxed{x=5}", "5"),
        ("\\boxed{[0,1)}", "[0,1]"),
        ("</think> \\boxed{C}", "\\text{(C)}"),
        ("\\boxed{6-5i}", "6 - 5i"),
        ("\\boxed{7}", 7.0),
    ]
)


@settings(max_examples=15, deadline=None)
@given(
    items=st.lists(st.one_of(pool, st.tuples(latexish, latexish)), max_size=12),
    workers=st.sampled_from([None, 1, 2]),
)
def test_grade_many_matches_grade_in_order(items: list[tuple[str, str]], workers: int | None) -> None:
    def key(v: Verdict) -> tuple[bool, str | None, str, str]:
        return (v.correct, v.pred, v.gold, v.method)

    batch = grade_many(items, workers=workers, timeout=TIMEOUT)
    alone = [grade(r, g, timeout=TIMEOUT) for r, g in items]
    assert [v.pred for v in batch] == [v.pred for v in alone]
    # whether a check beats its time limit depends on how busy the machine is: compare the others
    decided = [
        i for i, (b, a) in enumerate(zip(batch, alone, strict=True)) if "timeout" not in (b.method, a.method)
    ]
    assert [key(batch[i]) for i in decided] == [key(alone[i]) for i in decided]
