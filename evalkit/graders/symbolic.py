"""Sympy equivalence of two expression leaves; runs only inside grading worker processes.

LaTeX is parsed by latex2sympy2_extended's ANTLR grammar, which never evaluates model text as Python
(its only ``sympify`` calls receive numeric tokens or sympy objects). Costs are bounded by the worker
pool's time and memory limits, and by checking numerically before trying ``simplify``.
"""

import random
import re
from fractions import Fraction

import sympy
from latex2sympy2_extended import latex2sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig
from latex2sympy2_extended.math_normalization import NormalizationConfig

from evalkit.graders.equivalence import Outcome, decide
from evalkit.graders.leaves import Leaves, fast_leaf, gold_candidates, within
from evalkit.graders.nodes import Expr
from evalkit.graders.numbers import parse_number

MAX_SYMPY_CHARS = 600  # longer leaves are only compared as strings
PRECISION = 30  # significant digits for numeric evaluation (more for large values)
MAX_PRECISION = 4_000  # values with more digits are compared to this precision only (Python int limits)
NOISE_DIGITS = 10  # trailing digits of an evaluation that may be noise between two exact values
SAMPLE_POINTS = 4  # random points for expressions with free symbols

_NORMALIZATION = NormalizationConfig(
    basic_latex=True, units=False, malformed_operators=False, nits=False, boxed="none", equations=False
)
# Case matters in answers (``3R^2`` is not ``3r^2``): latex2sympy2 would lowercase every symbol.
_CONVERSION = ConversionConfig(lowercase_symbols=False)
_DECIMAL = re.compile(r"\d*\.\d")


def to_sympy(latex: str) -> sympy.Basic | None:
    """The sympy value of a LaTeX leaf (``i`` is the imaginary unit), or None if it does not parse.
    A plain number keeps the value ``parse_number`` reads (``1e5`` is 100000, not ``5e``)."""
    if len(latex) > MAX_SYMPY_CHARS:
        return None
    number = parse_number(latex)
    if number is not None:
        return sympy.Rational(number.value.numerator, number.value.denominator)
    try:
        value = latex2sympy(latex, normalization_config=_NORMALIZATION, conversion_config=_CONVERSION)
    except MemoryError:
        raise
    except Exception:
        return None
    if not isinstance(value, sympy.Basic):
        return None
    imaginary = {s: sympy.I for s in value.free_symbols if isinstance(s, sympy.Symbol) and s.name == "i"}
    return value.xreplace(imaginary) if imaginary else value


def symbolic_leaf(pred: Expr, gold: Expr) -> bool:
    """Whether two expressions are equal: cheap checks, then numbers, then sympy."""
    fast = fast_leaf(pred, gold)
    if fast is not None:
        return fast
    pred_value, gold_value = to_sympy(pred.latex), to_sympy(gold.latex)
    if pred_value is None or gold_value is None:
        return False
    exact = {
        "pred_exact": _DECIMAL.search(pred.latex) is None,
        "gold_exact": _DECIMAL.search(gold.latex) is None,
    }
    return any(
        _values_equal(pred_value, candidate, **exact) for candidate in gold_candidates(pred, gold, gold_value)
    )


def proportional(pred: Expr, gold: Expr) -> bool:
    """Whether two expressions in variables differ by a nonzero constant factor (scaled equations)."""
    pred_value, gold_value = to_sympy(pred.latex), to_sympy(gold.latex)
    if not (isinstance(pred_value, sympy.Expr) and isinstance(gold_value, sympy.Expr)):
        return False
    symbols = sorted(pred_value.free_symbols | gold_value.free_symbols, key=str)
    if not symbols:
        return False
    rng = random.Random(f"ratio|{pred_value}|{gold_value}")
    point = {s: sympy.Rational(rng.randint(1100, 2900), 1000) for s in symbols}
    denominator = gold_value.subs(point)
    if denominator.is_zero is not False:
        return False
    ratio = pred_value.subs(point) / denominator
    if ratio.is_zero is not False or ratio.is_finite is not True or ratio.free_symbols:
        return False
    return _values_equal(pred_value, ratio * gold_value, pred_exact=True, gold_exact=True)


SYMPY = Leaves(symbolic_leaf, proportional)


def judge(pred: str, gold: str) -> Outcome:
    """Decide a pair of normalised answers, with sympy for what the cheap checks leave open."""
    return decide(pred, gold, SYMPY) or (False, "symbolic", "not equivalent (undecided by sympy)")


# cheap pairs that load what nearly every task needs (the LaTeX parser, numeric evaluation)
WARM_UP = (
    ("x^{2}-1", "(x-1)(x+1)"),
    ("\\sin(1)+\\sqrt{2}", "2"),
)


def warm_up() -> None:
    """Judge a few pairs once, so that a worker's first timed task does not pay for sympy's imports."""
    for pred, gold in WARM_UP:
        judge(pred, gold)


def _values_equal(pred: sympy.Basic, gold: sympy.Basic, *, pred_exact: bool, gold_exact: bool) -> bool:
    if pred == gold:
        return True
    if not (isinstance(pred, sympy.Expr) and isinstance(gold, sympy.Expr)):
        return False
    symbols = sorted(pred.free_symbols | gold.free_symbols, key=str)
    if not symbols:
        return _numbers_close(pred, gold, pred_exact=pred_exact, gold_exact=gold_exact) is True
    rng = random.Random(f"{pred}|{gold}")
    agreed = 0
    for _ in range(SAMPLE_POINTS):
        point = {s: sympy.Rational(rng.randint(1100, 2900), 1000) for s in symbols}
        verdict = _numbers_close(pred, gold, pred_exact=pred_exact, gold_exact=gold_exact, subs=point)
        if verdict is False:
            return False
        agreed += verdict is True
    if agreed >= 2:
        return True
    return sympy.simplify(pred - gold) == 0


def _numbers_close(
    pred: sympy.Expr,
    gold: sympy.Expr,
    *,
    pred_exact: bool,
    gold_exact: bool,
    subs: dict[sympy.Symbol, sympy.Rational] | None = None,
) -> bool | None:
    """Compare numeric values (complex allowed); None when either side has no finite value.

    Large values are re-evaluated with enough digits to tell integers apart (``2^{100}`` is not
    ``2^{100}+1``); two exact values may differ only by evaluation noise."""
    precision = PRECISION
    while True:
        values = _complex_values((pred, gold), precision, subs)
        if values is None:
            return None
        (pred_re, pred_im), (gold_re, gold_im) = values
        diff = max(abs(pred_re - gold_re), abs(pred_im - gold_im))
        scale = max(abs(pred_re), abs(pred_im), abs(gold_re), abs(gold_im))
        digits = (scale.numerator.bit_length() - scale.denominator.bit_length()) * 3 // 10 + 1
        needed = min(max(digits, 0) + PRECISION, MAX_PRECISION)
        if needed <= precision:
            break
        precision = needed
    exact_tol = Fraction(1, 10 ** (precision - NOISE_DIGITS))
    return within(diff, scale, pred_exact=pred_exact, gold_exact=gold_exact, exact_tol=exact_tol)


def _complex_values(
    exprs: tuple[sympy.Expr, ...], precision: int, subs: dict[sympy.Symbol, sympy.Rational] | None
) -> list[tuple[Fraction, Fraction]] | None:
    """(real, imaginary) parts of each expression at ``precision`` digits; None if one is not finite."""
    values = []
    for expr in exprs:
        try:
            value = expr.evalf(precision, subs=subs)
        except (ValueError, ArithmeticError):  # a divergent sum, a value beyond mpmath's range
            return None
        if not value.is_number or value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            return None
        real, imag = value.as_real_imag()
        if not (real.is_Number and imag.is_Number):
            return None
        values.append((Fraction(str(real)), Fraction(str(imag))))
    return values
