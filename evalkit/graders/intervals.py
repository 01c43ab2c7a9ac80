"""The set an inequality in one unknown states: ``x > 3`` is ``(3, \\infty)``, ``a < x \\le b`` is
``(a, b]``, ``x \\ne 2`` all numbers but 2; with constant bounds also ``-y \\ge -3`` and
``2 \\le |w| \\le 3`` (two mirrored intervals). Inequalities listed together (``x < -2 \\text{ or }
x > 2``) state the union of their intervals. Nodes in, nodes out: nothing is compared here.
"""

import re
from fractions import Fraction

from evalkit.graders.nodes import Bracketed, Collection, Expr, Node, Relation, Union
from evalkit.graders.numbers import parse_number
from evalkit.graders.parse import is_simple_variable

_INEQUALITY = {"<": ("(", ")"), "\\le": ("[", "]"), ">": ("(", ")"), "\\ge": ("[", "]")}
_LETTER = re.compile(r"[A-Za-z]")
_COMMAND = re.compile(r"\\(?:sqrt|frac|pi|cdot|times)(?![A-Za-z])")
_UPWARD = ("<", "\\le")
_DOWNWARD = (">", "\\ge")


def as_interval(relation: Relation) -> Bracketed | Union | None:
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


def as_union(node: Node) -> Node:
    """Inequalities listed together (``x < -2 \\text{ or } x > 2``) state the union of their intervals."""
    if not isinstance(node, Collection) or len(node.items) < 2:
        return node
    intervals = [as_interval(item) if isinstance(item, Relation) else None for item in node.items]
    if None in intervals:
        return node
    return Union(tuple(part for i in intervals for part in (i.parts if isinstance(i, Union) else (i,))))  # type: ignore[union-attr]
