"""Cheap equivalence of two expression leaves in the calling process: True, False, or None when only
sympy (``symbolic``, in a worker) can tell.

Number rules (documented policy):
- exact values (integers, fractions, mixed numbers ``2\\frac12`` = 5/2) must be equal exactly;
- a prediction written as a decimal matches within a relative 1e-6: ``0.3333333`` is 1/3, ``0.33``
  and ``0.333`` are not, nor is ``3.14`` pi;
- a gold written as a decimal is a value, not a rounding: ``4.5`` is 9/2, and neither ``1+2\\sqrt3``
  (4.46) nor ``\\frac13`` matches a gold ``0.33`` (whose question asked for a decimal); an exact
  prediction may differ from a decimal gold by float noise only (relative 1e-9: ``\\frac97`` matches
  ``1.2857142857142858``, ``10^{-3}`` matches ``0.001``);
- a percent sign on one side accepts the number as written or rescaled by 100 (gold ``50\\%``:
  ``50`` or ``0.5``; prediction ``7.6\\%``: gold ``7.6`` or ``0.076``); with a sign on both sides the
  numbers must be equal, and two bare numbers are never rescaled (``0.5`` is not ``50``).
- exact values evaluated by sympy get enough digits to tell integers apart (up to 4,000 digits):
  ``2^{100}`` is not ``2^{100}+1``.
- degrees inside a trigonometric argument are converted (``\\sin 30^\\circ`` is 1/2); elsewhere a degree
  sign is presentation, and an angle in radians is not its degrees (``\\frac{\\pi}{6}`` is not ``30^\\circ``).

Exact values are decided here when they can be: integer arithmetic (``10^{5000}+7``, ``\\binom{8}{3}``,
``5!``) by value, ``a\\sqrt{b}`` forms by sign and ``a^2 b``, and rational expressions in letters
(``8n^2+4n+1``, ``(x-3)(x+22)`` against ``106``) exactly at random points. Words and numerals in a
base are compared as ``kinds`` says.
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from evalkit.graders.arithmetic import approximate_value, exact_letters, exact_value, integer_value
from evalkit.graders.kinds import (
    as_numeral,
    based_number,
    based_value,
    is_text,
    numerals_match,
    sentence_names,
    text_key,
)
from evalkit.graders.nodes import Expr
from evalkit.graders.numbers import Number, parse_number

FAR_APART = 1e-3  # relative difference of two float evaluations that no rule could call equal
POINTS = 3  # random points at which expressions in letters are compared exactly, in this process
MAX_POINT_LETTERS = 6
REL_TOL = Fraction(1, 10**6)  # a decimal prediction
GOLD_DECIMAL_TOL = Fraction(1, 10**9)  # an exact prediction against a decimal gold
Value = TypeVar("Value", bound=Any)  # a Fraction here, a sympy number in ``symbolic``
LeafCheck = Callable[[Expr, Expr], bool | None]


@dataclass(frozen=True, slots=True)
class Leaves:
    """How structures decide their leaves: ``equal`` (True, False, or None when unsure) and
    ``proportional`` (whether two expressions differ by a nonzero constant factor, as scaled
    equations do; None when unsure)."""

    equal: LeafCheck
    proportional: LeafCheck


# a\sqrt{b}, a\sqrt{b}/d, \frac{a\sqrt{b}}{d} with integer a, d (b may be integer arithmetic)
_SURD = re.compile(
    r"(?P<sign>-?)(?:(?P<a>\d*)\\sqrt\{(?P<b>[^{}]+)\}(?:/(?P<d2>[1-9]\d*))?"
    r"|\\frac\{(?P<fa>\d*)\\sqrt\{(?P<fb>[^{}]+)\}\}\{(?P<d>[1-9]\d*)\})"
)


def within(
    diff: Fraction, scale: Fraction, *, pred_exact: bool, gold_exact: bool, exact_tol: Fraction
) -> bool:
    """The number rules above for a difference ``diff`` between values of size ``scale``
    (``exact_tol``: relative slack between two exact values, 0 for rationals)."""
    if not pred_exact:
        return diff <= REL_TOL * scale
    return diff <= (exact_tol if gold_exact else max(exact_tol, GOLD_DECIMAL_TOL)) * scale


def gold_candidates(pred: Expr, gold: Expr, value: Value) -> list[Value]:
    """The gold's value, and its rescaling when one side only has a percent sign: a gold ``50\\%`` is
    also 0.5, and a prediction ``7.6\\%`` matches a gold 0.076 (or 7.6)."""
    if pred.percent == gold.percent:
        return [value]
    return [value, value / 100] if gold.percent else [value, value * 100]


def numbers_match(pred: Number, gold: Number, pred_expr: Expr, gold_expr: Expr) -> bool:
    return any(
        within(
            abs(pred.value - value),
            max(abs(pred.value), abs(value)),
            pred_exact=pred.exact,
            gold_exact=gold.exact,
            exact_tol=Fraction(0),
        )
        for value in gold_candidates(pred_expr, gold_expr, gold.value)
    )


def plain_number(latex: str) -> Number | None:
    """A plain number (``parse_number``) or the exact value of integer arithmetic (``10^{5000}+7``)."""
    number = parse_number(latex)
    if number is None and (value := integer_value(latex)) is not None:
        return Number(Fraction(value), True)
    return number


def _far_apart(pred: str, gold: str) -> bool | None:
    """False when two numeric expressions (``18+2\\pi+1`` and ``18+2\\pi``) differ by far more than any
    tolerance or rounding error allows (relative ``FAR_APART``); None otherwise (sympy decides)."""
    pred_value, gold_value = approximate_value(pred), approximate_value(gold)
    if pred_value is None or gold_value is None:
        return None
    scale = max(abs(pred_value), abs(gold_value))
    return False if abs(pred_value - gold_value) > FAR_APART * scale else None


def _agree_at_points(pred: str, gold: str) -> bool | None:
    """Two rational expressions in letters (``8n^2+4n+1``, ``(a+5)(b+2)``, ``\\frac{11+9a}{20}``)
    evaluated exactly at pseudo-random integer points: False when they differ at one, True when they
    agree at all (unequal polynomials and rational functions almost never agree at a random point);
    None when either cannot be read that way (sympy decides)."""
    letters = exact_letters(pred), exact_letters(gold)
    if letters[0] is None or letters[1] is None:
        return None
    names = sorted(letters[0] | letters[1])
    if not names or len(names) > MAX_POINT_LETTERS or {"e", "i"} & set(names):
        return None
    rng = random.Random(f"{pred}|{gold}")
    for _ in range(POINTS):
        point = {name: rng.randint(1_000, 1_000_000) for name in names}
        pred_value, gold_value = exact_value(pred, point), exact_value(gold, point)
        if pred_value is None or gold_value is None:
            return None
        if pred_value != gold_value:
            return False
    return True


def _surd(latex: str, number: Number | None) -> tuple[int, Fraction] | None:
    """An exact ``a\\sqrt{b}`` (``3\\sqrt{2}``, ``\\sqrt{39^2+23^2}``, ``\\frac{\\sqrt{3}}{2}``, a rational) as
    (sign, a^2 b): two are equal exactly when both agree. None for anything else or a decimal."""
    if number is not None:
        return ((number.value > 0) - (number.value < 0), number.value**2) if number.exact else None
    match = _SURD.fullmatch(latex)
    if match is None:
        return None
    coefficient = Fraction(int(match["a"] or match["fa"] or 1), int(match["d"] or match["d2"] or 1))
    radicand = integer_value(match["b"] or match["fb"])
    if radicand is None or radicand < 0:
        return None
    sign = 0 if radicand == 0 or coefficient == 0 else -1 if match["sign"] else 1
    return sign, coefficient**2 * radicand


def fast_leaf(pred: Expr, gold: Expr) -> bool | None:
    """Cheap leaf check: equal strings, plain numbers, words, numerals in a base; None if unsure."""
    if pred.latex == gold.latex:
        return True
    pred_number, gold_number = plain_number(pred.latex), plain_number(gold.latex)
    if pred_number is not None and gold_number is not None:
        return numbers_match(pred_number, gold_number, pred, gold)
    surds = _surd(pred.latex, pred_number), _surd(gold.latex, gold_number)
    if None not in surds and not gold.percent and not pred.percent:
        (pred_sign, pred_square), (gold_sign, gold_square) = surds  # type: ignore[misc]
        return pred_sign == gold_sign and pred_square == gold_square
    if is_text(gold.latex) or is_text(pred.latex):
        return text_key(pred.latex) == text_key(gold.latex) or (
            is_text(gold.latex) and is_text(pred.latex) and sentence_names(pred.latex, gold.latex)
        )
    pred_based, gold_based = based_number(pred.latex), based_number(gold.latex)
    if pred_based is None and gold_based is None:
        if pred.percent or gold.percent:
            return None
        agree = _agree_at_points(pred.latex, gold.latex)
        return agree if agree is not None else _far_apart(pred.latex, gold.latex)
    if pred_based is not None and gold_number is not None and based_value(pred_based) == gold_number.value:
        return True  # ``1011_2`` states eleven: it matches a gold ``11`` written in base ten
    return numerals_match(
        pred_based or as_numeral(pred.latex, gold_based), gold_based or as_numeral(gold.latex, pred_based)
    )
