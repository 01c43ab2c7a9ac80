"""Parsing to structures and the cheap, in-process equivalence checks."""

from fractions import Fraction

import pytest

from evalkit.graders.equivalence import judge_fast
from evalkit.graders.nodes import Bracketed, Collection, Expr, Matrix, Relation, Union
from evalkit.graders.numbers import Number, parse_number
from evalkit.graders.parse import parse_answer
from evalkit.graders.symbolic import judge


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        ("025", Number(Fraction(25), True)),
        ("-3.50", Number(Fraction(-7, 2), False)),
        ("\\frac{-1}{2}", Number(Fraction(-1, 2), True)),
        ("2\\frac{1}{2}", Number(Fraction(5, 2), True)),
        ("-2\\frac{1}{2}", Number(Fraction(-5, 2), True)),
        ("0.1\\overline{6}", Number(Fraction(1, 6), True)),
        ("3\\times10^{5}", Number(Fraction(300_000), True)),
        ("1.5e-3", Number(Fraction(3, 2000), False)),
        ("\\frac{1}{0}", None),
        ("10^{10^{10}}", None),
        ("1e999999999", None),
        ("x", None),
    ],
)
def test_parse_number(latex: str, expected: Number | None) -> None:
    assert parse_number(latex) == expected


def test_parse_structures() -> None:
    assert parse_answer("(0,1]") == Bracketed("(", "]", (Expr("0"), Expr("1")))
    assert parse_answer("\\{1\\pm2,3\\}") == Collection((Expr("1+2"), Expr("1-2"), Expr("3")))
    assert parse_answer("(0,1)\\cup(2,3)") == Union(
        (Bracketed("(", ")", (Expr("0"), Expr("1"))), Bracketed("(", ")", (Expr("2"), Expr("3"))))
    )
    assert parse_answer("a<x\\le b") == Relation((Expr("a"), Expr("x"), Expr("b")), ("<", "\\le"))
    assert parse_answer("x\\in[1,2]") == Bracketed("[", "]", (Expr("1"), Expr("2")))
    assert parse_answer("2\\begin{pmatrix}1\\\\3\\end{pmatrix}") == Matrix(
        ((Expr("(2)\\cdot(1)"),), (Expr("(2)\\cdot(3)"),))
    )
    assert parse_answer("50%") == Expr("50", percent=True)
    assert parse_answer("(" * 100 + "1" + ")" * 100) == Expr("(" * 100 + "1" + ")" * 100)


@pytest.mark.parametrize(
    ("pred", "gold", "correct", "method"),
    [
        ("25", "025", True, "numeric"),
        ("0.3333333", "\\frac{1}{3}", True, "numeric"),
        ("0.33", "\\frac{1}{3}", False, "numeric"),
        ("\\frac{1}{3}", "0.33", False, "numeric"),
        ("10", "1000", False, "numeric"),
        ("0.5", "50%", True, "numeric"),
        ("0.5", "50", False, "numeric"),
        ("50%", "0.5", True, "numeric"),
        ("0.5%", "50%", False, "numeric"),
        ("1011", "1011_2", True, "numeric"),
        ("11", "1011_2", False, "numeric"),
        ("evelyn", "Evelyn", True, "text"),
        ("(B)", "B", True, "choice"),
        ("(B)+1", "(B)", False, "choice"),
        ("12", "(A)12", True, "numeric"),
        ("(C)", "(A)12", False, "choice"),
        ("x=2,x=3", "3,2", True, "structural"),
        ("(2,3)", "2,3", False, "structural"),
        ("x\\ge2", "[2,\\infty)", True, "structural"),
        ("(1,2)", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", True, "structural"),
        ("\\sqrt{8}", "2\\sqrt{2}", True, "symbolic"),
        ("\\sqrt{8}", "-2\\sqrt{2}", False, "symbolic"),
        ("\\frac{\\sqrt{12}}{4}", "\\frac{\\sqrt{3}}{2}", True, "symbolic"),
        ("(\\sqrt{4},1)", "(2,1)", True, "structural"),
        ("\\binom{6}{3}", "20", True, "numeric"),
        ("(x-3)(x+22)", "106", False, "symbolic"),
        ("x^2-1", "(x-1)(x+1)", True, "symbolic"),
        ("x^2-1", "(x-1)(x-1)", False, "symbolic"),
        ("y=2x+1", "y=1+2x", True, "structural"),
        ("x+y=1", "1=y+x", True, "structural"),
        ("\\frac{11+9a}{20}", "\\frac{9a+11}{20}", True, "symbolic"),
        ("3+2i", "3-2i", False, "symbolic"),
        ("18+2\\pi+1", "18+2\\pi", False, "symbolic"),
    ],
)
def test_judge_fast_decides(pred: str, gold: str, correct: bool, method: str) -> None:
    assert judge_fast(pred, gold)[:2] == (correct, method)


@pytest.mark.parametrize(
    ("pred", "gold", "correct"),
    [
        ("i^2", "-1", True),
        ("2\\pi+18", "18+2\\pi", True),
        ("\\pi", "3.14", False),
    ],
)
def test_pairs_needing_sympy(pred: str, gold: str, correct: bool) -> None:
    assert judge_fast(pred, gold) is None
    assert judge(pred, gold)[0] is correct


@pytest.mark.parametrize(
    ("pred", "gold", "correct"),
    [
        ("\\frac{7}{2} = 3.5", "\\frac{7}{2}", True),
        ("x = \\frac{7}{2} = 3.5", "\\frac{7}{2}", True),
        ("\\sqrt3 \\approx 1.732", "\\sqrt3", True),
        ("2+2=4", "4", True),
        ("3 = 4", "4", False),
        ("x = 3 = 4", "3", False),
        ("2x = 6", "6", False),
        ("1.732 \\approx \\sqrt3", "\\sqrt3", False),
        ("f^{-1}(x) = \\frac{x-1}{2}", "\\frac{x-1}{2}", True),
        ("f^{-1}(x) = \\frac{x+1}{2}", "\\frac{x-1}{2}", False),
    ],
)
def test_equality_chain_states_a_value_only_when_every_side_is_it(
    pred: str, gold: str, correct: bool
) -> None:
    assert judge(pred, gold)[0] is correct


@pytest.mark.parametrize(
    ("pred", "gold", "correct"),
    [
        ("3R^2", "3R^2", True),
        ("3r^2", "3R^2", False),
        ("R", "r", False),
        ("A+B", "B+A", True),
        ("No", "no", True),
    ],
)
def test_symbols_are_case_sensitive_words_are_not(pred: str, gold: str, correct: bool) -> None:
    assert judge(pred, gold)[0] is correct
