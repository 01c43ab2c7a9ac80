"""Equivalence of two normalised answers: string, number, text, choice and structure checks.

Structures are compared with three-valued logic (True, False, None = undecided) over a leaf check,
so the parent process decides most pairs with the cheap ``fast_leaf`` and sends only undecided ones
to a worker, where ``judge`` settles leaves with sympy.

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

Structure rules: tuples and intervals keep order and bracket kinds (``(0,9)`` is not ``[0,9]``);
sets and comma lists are order-free and must match element for element (a repeat written alike
counts once inside ``\\{...\\}``; a singleton equals its element; against a single gold, a list is
one answer written several ways only when every item is that answer: ``\\frac12 \\text{ or } 0.5``
matches ``\\frac12``, the hedge ``5 \\text{ or } 6`` matches neither ``5`` nor ``6``); unions are
order-free, and inequalities listed together (``x < -2 \\text{ or } x > 2``) are the union of their
intervals; a column vector equals the same tuple in parentheses; ``x = 3`` states ``3`` (also ``f(x)
= ...`` and ``(x, y) = (1, 2)``), ``a < x \\le b`` states ``(a, b]``, ``\\{x \\mid x > 2\\}`` states
``(2, \\infty)`` and ``\\mathbb{R} \\setminus \\{0\\}`` the union ``(-\\infty, 0) \\cup (0,
\\infty)``; against a plain value, a left side naming a quantity by letters states the right side
too (``AB = 5``, ``m + n = 25``; not ``2x = 6``); other equations (also two solved for different
unknowns) match side by side, or when their ``lhs - rhs`` differ by a nonzero constant factor: the
same line or plane (``2x - 4y = 8`` is ``x - 2y = 4``, ``x = 2y`` is ``y = \\frac{x}{2}``). A
multiple-choice gold (``(B)``) is decided by letter; a gold giving the option's value too (``(B)
12``) also accepts the value. Words compare case-insensitively, a leading article aside (``the
circle`` is ``circle``), and a short sentence states a word answer that is its subject or its
complement (``Priya walks the farthest``, ``it is an ellipse``; never with a negation, a second
option or a comparison).

Also: ``a=1, b=3`` is the tuple ``(1, 3)`` (named unknowns in any order match by name; the same
unknowns again make a list of tuples); a ratio ``3:5`` matches part for part or as its quotient
(``6:10``, ``\\frac35``); names include ``|PQ|``, ``S_1:S_2`` and function values (``p'(2)``);
``-x \\ge -3``, ``2 \\le |x| \\le 3`` (constant bounds) and ``x \\ne 2`` state their sets; a list of
equally long tuples (``[[1,2],[3,4]]``) is a matrix, and ``[1,2]`` a column vector against a vector
gold. Exact values are decided here when they can be: integer arithmetic (``10^{5000}+7``,
``\\binom{8}{3}``, ``5!``) by value, ``a\\sqrt{b}`` forms by sign and ``a^2 b``, and rational
expressions in letters (``8n^2+4n+1``, ``(x-3)(x+22)`` against ``106``) exactly at random points.
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from evalkit.graders.normalize import MAX_ANSWER_CHARS
from evalkit.graders.parse import (
    MAX_ITEMS,
    Bracketed,
    Collection,
    Expr,
    Matrix,
    Node,
    Number,
    Ratio,
    Relation,
    Union,
    approximate_value,
    based_number,
    choice_letter,
    exact_letters,
    exact_value,
    gold_choice,
    integer_value,
    is_quantity_name,
    is_simple_variable,
    is_text,
    parse_answer,
    parse_number,
    stated_option,
)

MAX_INTEGER_CHARS = 25_000  # a longer answer is never read as an integer
FAR_APART = 1e-3  # relative difference of two float evaluations that no rule could call equal
POINTS = 3  # random points at which expressions in letters are compared exactly, in this process
MAX_POINT_LETTERS = 6
REL_TOL = Fraction(1, 10**6)  # a decimal prediction
GOLD_DECIMAL_TOL = Fraction(1, 10**9)  # an exact prediction against a decimal gold

Value = TypeVar("Value", bound=Any)  # a Fraction here, a sympy number in ``symbolic``

Outcome = tuple[bool, str, str]  # correct, method, reason
LeafCheck = Callable[[Expr, Expr], bool | None]


@dataclass(frozen=True, slots=True)
class Leaves:
    """How structures decide their leaves: ``equal`` (True, False, or None when unsure) and
    ``proportional`` (whether two expressions differ by a nonzero constant factor, as scaled
    equations do; None when unsure)."""

    equal: LeafCheck
    proportional: LeafCheck


_INEQUALITY = {"<": ("(", ")"), "\\le": ("[", "]"), ">": ("(", ")"), "\\ge": ("[", "]")}
_ARTICLE = re.compile(r"^(?:the|an?)\s+(?=\S)")
_ARTICLES = frozenset({"the", "a", "an"})
# a\sqrt{b}, a\sqrt{b}/d, \frac{a\sqrt{b}}{d} with integer a, d (b may be integer arithmetic)
_SURD = re.compile(
    r"(?P<sign>-?)(?:(?P<a>\d*)\\sqrt\{(?P<b>[^{}]+)\}(?:/(?P<d2>[1-9]\d*))?"
    r"|\\frac\{(?P<fa>\d*)\\sqrt\{(?P<fb>[^{}]+)\}\}\{(?P<d>[1-9]\d*)\})"
)
_LETTER = re.compile(r"[A-Za-z]")
_COMMAND = re.compile(r"\\(?:sqrt|frac|pi|cdot|times)(?![A-Za-z])")
_COPULAS = frozenset({"is", "are", "was", "were", "be"})
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_SENTENCE_BLOCKER = re.compile(
    r"\b(?:not|no|never|none|nobody|neither|nor|cannot|and|or|but|both|either|with|than|tied?|ties"
    r"|equally|same|except|then|unless|if|maybe|perhaps|probably)\b|n't",
    re.IGNORECASE,
)
_UPWARD = ("<", "\\le")
_DOWNWARD = (">", "\\ge")


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
        return _text_key(pred.latex) == _text_key(gold.latex) or (
            is_text(gold.latex) and is_text(pred.latex) and _sentence_names(pred.latex, gold.latex)
        )
    pred_based, gold_based = based_number(pred.latex), based_number(gold.latex)
    if pred_based is None and gold_based is None:
        if pred.percent or gold.percent:
            return None
        agree = _agree_at_points(pred.latex, gold.latex)
        return agree if agree is not None else _far_apart(pred.latex, gold.latex)
    if pred_based is not None and gold_number is not None and _based_value(pred_based) == gold_number.value:
        return True  # ``1011_2`` states eleven: it matches a gold ``11`` written in base ten
    return _numerals_match(
        pred_based or _as_numeral(pred.latex, gold_based), gold_based or _as_numeral(gold.latex, pred_based)
    )


def _as_numeral(latex: str, other: tuple[str, int] | None) -> tuple[str, int] | None:
    """A numeral written without a base takes the other side's base (``1011`` for ``1011_2``)."""
    if other is None or not latex.isalnum() or not latex.isascii():
        return None
    return latex.upper(), other[1]


def _based_value(numeral: tuple[str, int]) -> int | None:
    try:
        return int(numeral[0], numeral[1])
    except ValueError:
        return None


def _numerals_match(pred: tuple[str, int] | None, gold: tuple[str, int] | None) -> bool:
    """Numerals in a base: same base and digits (leading zeros aside)."""
    if pred is None or gold is None:
        return False
    return pred[1] == gold[1] and pred[0].lstrip("0") == gold[0].lstrip("0")


def _text_key(text: str) -> str:
    """Words without case, spacing, punctuation or a leading article (``the circle`` is ``circle``)."""
    return "".join(char for char in _ARTICLE.sub("", text.casefold(), count=1) if char.isalnum())


def _sentence_names(sentence: str, answer: str) -> bool:
    """Whether a short sentence gives a word answer as its subject (``Priya walks the farthest``) or
    its complement (``the winner is Priya``, ``it is an ellipse``); never with a negation, a second
    option or a comparison (``not``, ``and``, ``or``, ``than``, ``tied``...)."""
    words, wanted = _WORD.findall(sentence), _WORD.findall(_ARTICLE.sub("", answer.casefold(), count=1))
    lowered = [word.casefold() for word in words]
    if not 1 <= len(wanted) <= 3 or not len(wanted) < len(words) <= 12 or _SENTENCE_BLOCKER.search(sentence):
        return False
    start = 1 if lowered[0] in _ARTICLES else 0
    if lowered[start : start + len(wanted)] == wanted and start + len(wanted) < len(words):
        return words[start + len(wanted)].islower()  # a verb follows (``Priya walks``), not a surname
    end = len(words) - len(wanted)
    before = lowered[:end]
    if lowered[end:] != wanted or not before:
        return False
    return before[-1] in _COPULAS or (before[-1] in _ARTICLES and len(before) > 1 and before[-2] in _COPULAS)


def match(pred: Node, gold: Node, leaf: Leaves) -> bool | None:
    """Whether ``pred`` equals ``gold`` structurally, with ``leaf`` deciding expressions."""
    if isinstance(pred, Union) or isinstance(gold, Union):
        pred, gold = _as_union(pred), _as_union(gold)
    if isinstance(pred, Relation) or isinstance(gold, Relation):
        return _match_relation(pred, gold, leaf)
    if isinstance(pred, Collection) or isinstance(gold, Collection):
        pred, gold = _as_list(pred, gold), _as_list(gold, pred)
        pred_items = pred.items if isinstance(pred, Collection) else (pred,)
        if not isinstance(gold, Collection) and len(pred_items) > 1:  # one answer written several ways
            return _match_ordered(pred_items, (gold,) * len(pred_items), leaf)
        gold_items = gold.items if isinstance(gold, Collection) else (gold,)
        return _match_unordered(pred_items, gold_items, leaf)
    if isinstance(pred, Union) and isinstance(gold, Union):
        return _match_unordered(pred.parts, gold.parts, leaf)
    if isinstance(pred, Bracketed) and isinstance(gold, Bracketed):
        if (pred.open, pred.close) != (gold.open, gold.close):
            return False
        return _match_ordered(_in_order_of(pred, gold), gold.items, leaf)
    if isinstance(pred, Matrix) or isinstance(gold, Matrix):
        pred_grid, gold_grid = _grid(pred, "([" if isinstance(gold, Matrix) else "("), _grid(gold, "(")
        if pred_grid is None or gold_grid is None or pred_grid[0] != gold_grid[0]:
            return False
        return _match_ordered(pred_grid[1], gold_grid[1], leaf)
    if isinstance(pred, Ratio) or isinstance(gold, Ratio):
        return _match_ratio(pred, gold, leaf)
    if isinstance(pred, Expr) and isinstance(gold, Expr):
        return leaf.equal(pred, gold)
    return False


def _match_ratio(pred: Node, gold: Node, leaf: Leaves) -> bool | None:
    """Ratios match part for part, or as the quotient of two parts: ``3:5`` is ``6:10`` and ``\\frac35``."""
    if isinstance(pred, Ratio) and isinstance(gold, Ratio):
        parts = _match_ordered(pred.items, gold.items, leaf)
        if parts is not False:
            return parts
    pred_value, gold_value = _quotient(pred), _quotient(gold)
    return False if pred_value is None or gold_value is None else leaf.equal(pred_value, gold_value)


def _quotient(node: Node) -> Expr | None:
    if isinstance(node, Ratio) and len(node.items) == 2 and all(isinstance(i, Expr) for i in node.items):
        numerator, denominator = (item.latex for item in node.items)  # type: ignore[union-attr]
        return Expr(f"\\frac{{{numerator}}}{{{denominator}}}")
    return node if isinstance(node, Expr) and not node.percent else None


def _as_list(node: Node, other: Node) -> Node:
    """``[1, 2, 3]`` against a set or list is that list (three items or more: never an interval)."""
    if isinstance(node, Bracketed) and node.open + node.close == "[]" and len(node.items) >= 3:
        return Collection(node.items) if isinstance(other, Collection) else node
    return node


def _in_order_of(pred: Bracketed, gold: Bracketed) -> tuple[Node, ...]:
    """``pred``'s items, in the order of ``gold``'s unknowns when both name the same ones (``b=3, a=1``
    against ``a=1, b=3``)."""
    if pred.names and gold.names and pred.names != gold.names and sorted(pred.names) == sorted(gold.names):
        by_name = dict(zip(pred.names, pred.items, strict=True))
        return tuple(by_name[name] for name in gold.names)
    return pred.items


def _grid(node: Node, vector_brackets: str) -> tuple[tuple[int, ...], tuple[Node, ...]] | None:
    """A matrix's shape and cells; a tuple (``(1,2)``, or ``[1,2]`` when ``vector_brackets`` allows
    it) is a column, and a tuple of equally long tuples (``[[1,2],[3,4]]``) the matrix of those rows."""
    if (
        isinstance(node, Bracketed)
        and node.open + node.close in ("()", "[]")
        and node.open in vector_brackets
    ):
        rows = node.items
        if all(isinstance(row, Bracketed) and row.open + row.close in ("()", "[]") for row in rows):
            return _grid(Matrix(tuple(row.items for row in rows)), "")  # type: ignore[union-attr]
        return (len(rows),), rows
    if not isinstance(node, Matrix):
        return None
    widths = {len(row) for row in node.rows}
    if len(widths) != 1:
        return None
    width = widths.pop()
    cells = tuple(cell for row in node.rows for cell in row)
    if width == 1:
        return (len(node.rows),), cells
    return ((1, width) if len(node.rows) == 1 else (len(node.rows), width)), cells


def _match_ordered(pred: tuple[Node, ...], gold: tuple[Node, ...], leaf: Leaves) -> bool | None:
    if len(pred) != len(gold):
        return False
    results = []
    for p, g in zip(pred, gold, strict=True):
        result = match(p, g, leaf)
        if result is False:
            return False
        results.append(result)
    return True if all(results) else None


def _match_unordered(pred: tuple[Node, ...], gold: tuple[Node, ...], leaf: Leaves) -> bool | None:
    """Exact multiset equality: True if a perfect matching exists on True edges, False if none
    exists even counting undecided edges, else None."""
    if len(pred) != len(gold):
        return False
    if len(pred) > MAX_ITEMS:
        return pred == gold
    table = [[match(p, g, leaf) for g in gold] for p in pred]
    if _has_perfect_matching(table, lambda r: r is True):
        return True
    if not _has_perfect_matching(table, lambda r: r is not False):
        return False
    return None


def _has_perfect_matching(table: list[list[bool | None]], usable: Callable[[bool | None], bool]) -> bool:
    """Bipartite perfect matching by augmenting paths (Kuhn's algorithm)."""
    owner: dict[int, int] = {}

    def augment(row: int, seen: set[int]) -> bool:
        for col, result in enumerate(table[row]):
            if usable(result) and col not in seen:
                seen.add(col)
                if col not in owner or augment(owner[col], seen):
                    owner[col] = row
                    return True
        return False

    return all(augment(row, set()) for row in range(len(table)))


def _as_interval(relation: Relation) -> Bracketed | Union | None:
    """The set an inequality in one unknown states: ``x>3`` -> ``(3,\\infty)``, ``a<x\\le b`` ->
    ``(a,b]``; with numeric bounds also ``-y \\ge -3`` -> ``(-\\infty,3]`` and ``2 \\le |w| \\le 3`` ->
    ``[-3,-2] \\cup [2,3]``. None for anything else."""
    terms, ops = relation.terms, relation.ops
    if ops == ("\\ne",) and _unknown_form(terms[0]) == "plain":  # x \\ne 2: all numbers but 2
        return Union((_interval(None, (terms[1], "<")), _interval((terms[1], "<"), None)))
    if not all(op in _INEQUALITY for op in ops):
        return None
    if all(op in _DOWNWARD for op in ops):  # read b > x > a as a < x < b
        terms, ops = terms[::-1], tuple("<" if op == ">" else "\\le" for op in reversed(ops))
    if not all(op in _UPWARD for op in ops):
        return None
    if len(ops) == 2:
        bounds: tuple[Bound, Bound] = ((terms[0], ops[0]), (terms[2], ops[1]))
        unknown = terms[1]
    elif len(ops) == 1 and _unknown_form(terms[0]):  # x < b
        bounds, unknown = (None, (terms[1], ops[0])), terms[0]
    elif len(ops) == 1:  # a < x
        bounds, unknown = ((terms[0], ops[0]), None), terms[1]
    else:
        return None
    form = _unknown_form(unknown)
    if form == "plain":
        return _interval(*bounds)
    if form == "negated":  # -x < b is x > -b
        low, high = (None if bound is None else _negated_bound(bound) for bound in bounds)
        return None if False in (low, high) else _interval(high, low)  # type: ignore[arg-type]
    if form == "absolute":
        return _absolute_value_set(*bounds)
    return None


Bound = tuple[Node, str] | None  # an endpoint and the operator that bounds it; None: unbounded


def _unknown_form(node: Node) -> str | None:
    """``x``: plain, ``-x``: negated, ``|x|``: absolute; None for anything else."""
    if not isinstance(node, Expr):
        return None
    if is_simple_variable(node):
        return "plain"
    if node.latex.startswith("-") and is_simple_variable(Expr(node.latex[1:])):
        return "negated"
    if node.latex[:1] == node.latex[-1:] == "|" and is_simple_variable(Expr(node.latex[1:-1])):
        return "absolute"
    return None


def _interval(low: Bound, high: Bound) -> Bracketed:
    return Bracketed(
        "(" if low is None else _INEQUALITY[low[1]][0],
        ")" if high is None else _INEQUALITY[high[1]][1],
        (Expr("-\\infty") if low is None else low[0], Expr("\\infty") if high is None else high[0]),
    )


def _bound_value(bound: Bound) -> Fraction | None:
    if bound is None or not isinstance(bound[0], Expr):
        return None
    number = parse_number(bound[0].latex)
    return None if number is None else number.value


def _positive(bound: Bound) -> bool:
    """A bound known to be positive: a positive number, or constants without a minus (``\\sqrt3``, ``2\\pi``)."""
    value = _bound_value(bound)
    if value is not None:
        return value > 0
    if bound is None or not isinstance(bound[0], Expr):
        return False
    latex = bound[0].latex
    return (
        "-" not in latex and not _LETTER.search(_COMMAND.sub("", latex)) and any(c.isdigit() for c in latex)
    )


def _negated_bound(bound: Bound) -> Bound | bool:
    """``-b`` for a bound (``-3`` for ``3``, ``-(\\sqrt{3})`` for ``\\sqrt3``); False for a structure."""
    if bound is None or not isinstance(bound[0], Expr):
        return False
    latex = bound[0].latex
    if _bound_value(bound) is None:
        return Expr(f"-({latex})"), bound[1]
    return Expr(latex[1:] if latex.startswith("-") else "-" + latex.lstrip("+")), bound[1]


def _absolute_value_set(low: Bound, high: Bound) -> Bracketed | Union | None:
    """The set ``a < |x| < b`` states (``a`` zero or positive, ``b`` positive; both numbers when both
    are given): one interval around 0 or two mirrored ones."""
    if low is not None and high is not None:
        low_value, high_value = _bound_value(low), _bound_value(high)
        if low_value is None or high_value is None or not 0 <= low_value < high_value:
            return None
    elif not _positive(low if high is None else high) and _bound_value(low) != 0:
        return None
    mirrored_high = None if high is None else _negated_bound(high)
    if low is None or (_bound_value(low) == 0 and low[1] == "\\le"):
        return _interval(mirrored_high, high)  # type: ignore[arg-type]
    mirrored_low = _negated_bound(low)
    return Union((_interval(mirrored_high, mirrored_low), _interval(low, high)))  # type: ignore[arg-type]


def _as_union(node: Node) -> Node:
    """Inequalities listed together (``x < -2 \\text{ or } x > 2``) state the union of their intervals."""
    if not isinstance(node, Collection) or len(node.items) < 2:
        return node
    intervals = [_as_interval(item) if isinstance(item, Relation) else None for item in node.items]
    if None in intervals:
        return node
    return Union(tuple(part for i in intervals for part in (i.parts if isinstance(i, Union) else (i,))))  # type: ignore[union-attr]


def _stated_value(node: Node, names: Callable[[Node], bool]) -> Node:
    """The value a relation states: ``x=3`` -> ``3`` (when ``names`` accepts ``x``); an inequality in
    one variable -> its interval."""
    if isinstance(node, Relation):
        if node.ops in (("=",), ("\\approx",)) and names(node.terms[0]):
            return _named(*node.terms)
        return _as_interval(node) or node
    return node


def _named(name: Node, value: Node) -> Node:
    """The value ``name = value`` states; ``(x, y) = (1, 2)`` keeps its unknowns' names."""
    if isinstance(name, Bracketed) and isinstance(value, Bracketed) and len(name.items) == len(value.items):
        return Bracketed(value.open, value.close, value.items, _tuple_names(name))
    return value


def _tuple_names(node: Node) -> tuple[str, ...]:
    """The unknowns a tuple of names lists (``(x, y)``), else ()."""
    if not isinstance(node, Bracketed) or not all(isinstance(item, Expr) for item in node.items):
        return ()
    return tuple(item.latex for item in node.items)  # type: ignore[union-attr]


def _names_unknowns(node: Node) -> bool:
    """``x`` or a tuple of names ``(x, y)``: the left side of an equation that states a value."""
    return is_simple_variable(node) or (isinstance(node, Bracketed) and is_quantity_name(node))


def _match_relation(pred: Node, gold: Node, leaf: Leaves) -> bool | None:
    """Relations state values; two equations that state none are compared as equations. Against a
    plain value, any name on the left states the right side (``AB = 5``, ``m + n = 25``)."""
    both = isinstance(pred, Relation) and isinstance(gold, Relation)
    if isinstance(pred, Relation) and not isinstance(gold, Relation) and set(pred.ops) <= {"=", "\\approx"}:
        return _match_chain(pred, gold, leaf)
    names = _names_unknowns if both else is_quantity_name
    pred_value, gold_value = _stated_value(pred, names), _stated_value(gold, names)
    if (
        not isinstance(pred_value, Relation)
        and not isinstance(gold_value, Relation)
        and not (both and _name_different_unknowns(pred, gold))
    ):
        return match(pred_value, gold_value, leaf)
    if not both:
        return False
    assert isinstance(pred, Relation) and isinstance(gold, Relation)
    if pred.ops != gold.ops:
        flipped = tuple(
            {"<": ">", ">": "<", "\\le": "\\ge", "\\ge": "\\le"}.get(op, op) for op in reversed(pred.ops)
        )
        if flipped != gold.ops:
            return False
        pred = Relation(pred.terms[::-1], flipped)
    direct = _match_ordered(pred.terms, gold.terms, leaf)
    if (
        direct is True
        or len(pred.ops) != 1
        or any(not isinstance(t, Expr) for t in (*pred.terms, *gold.terms))
    ):
        return direct
    symmetric = pred.ops[0] in ("=", "\\ne", "\\approx")
    differences = [leaf.equal(_difference(pred.terms), _difference(gold.terms))]
    if symmetric:
        differences.append(leaf.equal(_difference(pred.terms[::-1]), _difference(gold.terms)))
    if any(result is True for result in differences):
        return True
    if pred.ops[0] == "=":
        scaled = leaf.proportional(_difference(pred.terms), _difference(gold.terms))
        if scaled is not False:
            return scaled
    return None if None in differences or direct is None else False


def _name_different_unknowns(pred: Node, gold: Node) -> bool:
    """``x = 2y`` and ``y = \\frac{x}{2}``: equations solved for different unknowns are compared as
    equations, not by the values they state."""
    assert isinstance(pred, Relation) and isinstance(gold, Relation)
    pred_name, gold_name = pred.terms[0], gold.terms[0]
    if sorted(_tuple_names(pred_name)) == sorted(_tuple_names(gold_name)) != []:
        return False  # (y, x) = (2, 1) and (x, y) = (1, 2) name the same unknowns
    return pred.ops == gold.ops == ("=",) and pred_name != gold_name


def _match_chain(pred: Relation, gold: Node, leaf: Leaves) -> bool | None:
    """An equality chain against a plain value: ``x = \\frac72 = 3.5`` states 7/2 when every side after
    the name (``\\approx`` sides aside) is that value; ``3 = 4`` states nothing."""
    named = is_quantity_name(pred.terms[0])
    sides = [
        term
        for index, term in enumerate(pred.terms)
        if index >= named and (index == named or pred.ops[index - 1] == "=")
    ]
    if named and len(sides) == 1:
        sides = [_named(pred.terms[0], sides[0])]
    return _match_ordered(tuple(sides), (gold,) * len(sides), leaf)


def _difference(terms: tuple[Node, ...]) -> Expr:
    left, right = terms
    assert isinstance(left, Expr) and isinstance(right, Expr)
    return Expr(f"{left.latex}-({right.latex})")


def describe(correct: bool, method: str) -> str:
    """A short reason for a decided comparison."""
    return f"{'equivalent' if correct else 'not equivalent'} ({method} check)"


def method_for(pred: Node, gold: Node) -> str:
    """Which kind of check decides two parsed answers."""
    if isinstance(pred, Expr) and isinstance(gold, Expr):
        if all(plain_number(n.latex) or based_number(n.latex) for n in (pred, gold)):
            return "numeric"
        if is_text(gold.latex) or is_text(pred.latex):
            return "text"
        return "symbolic"
    return "structural"


def _resolve_choice(pred: str, gold: str) -> tuple[Outcome | None, str, str]:
    """(verdict, pred, gold) after multiple-choice handling. A multiple-choice gold decides by letter,
    unless it also gives the option's value and the prediction names no letter: then the value is the
    gold. A prediction that names a letter and its option's value (``(C) 17``) against a gold that is
    not a choice states that value."""
    choice = gold_choice(gold)
    if choice is None:
        stated = stated_option(pred) if choice_letter(pred) else None
        return None, stated or pred, gold
    letter, option = choice
    chosen = choice_letter(pred)
    if chosen is None and option:
        return None, pred, option
    return (chosen == letter, "choice", f"chose {chosen or 'no letter'}, answer is {letter}"), pred, gold


def decide(pred: str, gold: str, leaves: Leaves) -> Outcome | None:
    """Decide a pair of normalised answers with ``leaves``, or None when they leave it open."""
    if pred == gold:
        return True, "exact", "identical after normalisation"
    decided, pred, gold = _resolve_choice(pred, gold)
    if decided is not None:
        return decided
    pred_node, gold_node = parse_answer(pred), parse_answer(gold)
    result = match(pred_node, gold_node, leaves)
    if result is None:
        return None
    method = method_for(pred_node, gold_node)
    return result, method, describe(result, method)


def _unsure(pred: Expr, gold: Expr) -> None:
    return None


FAST = Leaves(fast_leaf, _unsure)


def judge_long(pred: str, gold: str) -> Outcome:
    """Answers over ``MAX_ANSWER_CHARS`` characters (not normalised): integers written out or as
    arithmetic (a 5,000-digit gold, ``10^{5000}+7``) by exact value, anything else as a string."""
    if pred != gold and max(len(pred), len(gold)) <= MAX_INTEGER_CHARS:
        values = integer_value(pred), integer_value(gold)
        if None not in values:
            correct = values[0] == values[1]
            return correct, "numeric", describe(correct, "numeric")
    return pred == gold, "exact", f"answer over {MAX_ANSWER_CHARS} characters: compared as a string"


def judge_fast(pred: str, gold: str) -> Outcome | None:
    """Decide a pair of normalised answers without sympy, or None when sympy is needed."""
    return decide(pred, gold, FAST)
