"""Structural equivalence of two parsed answers, with three-valued logic (True, False, None =
undecided) over a leaf check (``leaves.Leaves``): the caller's cheap check decides most pairs, sympy
in a worker the rest.

Structure rules: tuples and intervals keep order and bracket kinds (``(0,9)`` is not ``[0,9]``);
sets and comma lists are order-free and must match element for element (a repeat written alike
counts once inside ``\\{...\\}``; a singleton equals its element; a list against a single answer is
one answer written several ways only when every item is that answer, on either side:
``\\frac12 \\text{ or } 0.5`` matches ``\\frac12``, the hedge ``5 \\text{ or } 6`` matches neither
``5`` nor ``6``); unions are order-free, and inequalities listed together are the union of their
intervals (``intervals``); a column vector equals the same tuple in parentheses; ``x = 3`` states
``3`` (also ``f(x) = ...`` and ``(x, y) = (1, 2)``), ``a < x \\le b`` states ``(a, b]``; against a
plain value, a left side naming a quantity by letters states the right side too (``AB = 5``,
``m + n = 25``, ``\\frac{AM}{MB} = \\frac23``; not ``2x = 6``); other equations (also two solved for
different unknowns) match side by side, or when their ``lhs - rhs`` differ by a nonzero constant
factor: the same line or plane (``2x - 4y = 8`` is ``x - 2y = 4``).

Also: ``a=1, b=3`` is the tuple ``(1, 3)`` (named unknowns in any order match by name; a bare list
``1, 3`` gives the values in the names' order); a ratio ``3:5`` matches part for part or as its
quotient (``6:10``, ``\\frac35``), but two times of day (``6:30``, ``3:15``) only part for part; a list
of equally long tuples (``[[1,2],[3,4]]``) is a matrix, and ``[1,2]`` a column vector against a
vector gold.
"""

import re
from collections.abc import Callable

from evalkit.graders.intervals import as_interval, as_union
from evalkit.graders.leaves import Leaves
from evalkit.graders.nodes import Bracketed, Collection, Expr, Matrix, Node, Ratio, Relation, Union
from evalkit.graders.parse import MAX_ITEMS, is_quantity_name, is_simple_variable


def match(pred: Node, gold: Node, leaf: Leaves) -> bool | None:
    """Whether ``pred`` equals ``gold`` structurally, with ``leaf`` deciding expressions."""
    if isinstance(pred, Union) or isinstance(gold, Union):
        pred, gold = as_union(pred), as_union(gold)
    if isinstance(pred, Relation) or isinstance(gold, Relation):
        return _match_relation(pred, gold, leaf)
    if isinstance(pred, Collection) or isinstance(gold, Collection):
        named = _named_values(pred, gold)
        if named is not None:  # ``2, -\frac13`` against ``a=2, b=-\frac13``: in the order of the names
            return _match_ordered(*named, leaf)
        pred, gold = _as_list(pred, gold), _as_list(gold, pred)
        pred_items = pred.items if isinstance(pred, Collection) else (pred,)
        gold_items = gold.items if isinstance(gold, Collection) else (gold,)
        if not isinstance(gold, Collection) and len(pred_items) > 1:  # one answer written several ways
            return _match_ordered(pred_items, gold_items * len(pred_items), leaf)
        if not isinstance(pred, Collection) and len(gold_items) > 1:  # a gold written several ways
            return _match_ordered(pred_items * len(gold_items), gold_items, leaf)  # ``\frac12 or 0.5``
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
        return _match_antiderivatives(pred, gold, leaf)
    return False


# an antiderivative's constant of integration, added last: ``+C``, ``+ C_1``, ``+c``, ``+K``
_WITH_CONSTANT = re.compile(r"(?P<body>.+?)\s*\+\s*(?P<constant>[CcKk])(?:_\{?\d\}?)?")
_COMMAND = re.compile(r"\\[A-Za-z]+")


def _without_constant(latex: str) -> tuple[str, str] | None:
    """(body, constant letter) of an antiderivative ``F(x) + C``: the body is in lowercase variables only
    (``\\frac{x^3}{3}``, ``e^{2x}``; not ``A + B``) and names no constant letter."""
    found = _WITH_CONSTANT.fullmatch(latex)
    if found is None:
        return None
    letters = set(re.findall(r"[A-Za-z]", _COMMAND.sub("", found["body"])))
    if not letters or any(letter.isupper() or letter in "CcKk" for letter in letters):
        return None
    return found["body"], found["constant"]


def _antiderivative_bodies(pred: Expr, gold: Expr) -> tuple[Expr, Expr] | None:
    """Both answers without their constant of integration, when one adds ``+C`` (the other no C at
    all, or its own constant: ``+c``, ``+K``); None otherwise."""
    if pred.percent or gold.percent:
        return None
    pred_parts, gold_parts = _without_constant(pred.latex), _without_constant(gold.latex)
    if pred_parts and gold_parts:
        if "C" not in (pred_parts[1], gold_parts[1]):
            return None
        return Expr(pred_parts[0]), Expr(gold_parts[0])
    if pred_parts and pred_parts[1] == "C" and not re.search("[CcKk]", _COMMAND.sub("", gold.latex)):
        return Expr(pred_parts[0]), gold
    if gold_parts and gold_parts[1] == "C" and not re.search("[CcKk]", _COMMAND.sub("", pred.latex)):
        return pred, Expr(gold_parts[0])
    return None


def _match_antiderivatives(pred: Expr, gold: Expr, leaf: Leaves) -> bool | None:
    """Expressions; an antiderivative matches with or without its constant of integration
    (``\\frac{x^3}{3} + C`` is ``\\frac{x^3}{3}``, and ``x^2 + c`` is ``x^2 + C``)."""
    direct = leaf.equal(pred, gold)
    bodies = _antiderivative_bodies(pred, gold) if direct is not True else None
    if bodies is None:
        return direct
    stripped = leaf.equal(*bodies)
    if stripped is True or (direct is False and stripped is False):
        return stripped
    return None


def _named_values(pred: Node, gold: Node) -> tuple[tuple[Node, ...], tuple[Node, ...]] | None:
    """(pred items, gold items) when a bare list meets a tuple of named unknowns of the same length
    (``2, -\\frac13`` and ``a=2, b=-\\frac13``): the list gives the values in the names' order."""
    for listed, named in ((pred, gold), (gold, pred)):
        if (
            isinstance(listed, Collection)
            and isinstance(named, Bracketed)
            and named.names
            and len(listed.items) == len(named.items)
        ):
            return (listed.items, named.items) if listed is pred else (named.items, listed.items)
    return None


_CLOCK_HOUR = re.compile(r"[01]?\d|2[0-4]")
_CLOCK_MINUTE = re.compile(r"[0-5]\d")


def _clock_time(node: Node) -> bool:
    """A ratio written as a time of day: hours, then two digits of minutes (``3:45``, ``10:03``)."""
    return (
        isinstance(node, Ratio)
        and len(node.items) == 2
        and isinstance(node.items[0], Expr)
        and isinstance(node.items[1], Expr)
        and _CLOCK_HOUR.fullmatch(node.items[0].latex) is not None
        and _CLOCK_MINUTE.fullmatch(node.items[1].latex) is not None
    )


def _match_ratio(pred: Node, gold: Node, leaf: Leaves) -> bool | None:
    """Ratios match part for part, or as the quotient of two parts: ``3:5`` is ``6:10`` and ``\\frac35``.
    Two times of day (``6:30``, ``3:15``) match only part for part."""
    if isinstance(pred, Ratio) and isinstance(gold, Ratio):
        parts = _match_ordered(pred.items, gold.items, leaf)
        if parts is not False or (_clock_time(pred) and _clock_time(gold)):
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
    it) is a column, and a list of equally long tuples (``[[1,2],[3,4]]``, ``((1,2),(3,4))``) the matrix
    of those rows."""
    if isinstance(node, Bracketed) and node.open + node.close in ("()", "[]"):
        rows = node.items
        if rows and all(isinstance(row, Bracketed) and row.open + row.close in ("()", "[]") for row in rows):
            # a list of rows, whichever its brackets: no interval has bracketed endpoints
            return _grid(Matrix(tuple(row.items for row in rows)), "")  # type: ignore[union-attr]
        return ((len(rows),), rows) if node.open in vector_brackets else None
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


def _stated_value(node: Node, names: Callable[[Node], bool]) -> Node:
    """The value a relation states: ``x=3`` -> ``3`` (when ``names`` accepts ``x``); an inequality in
    one variable -> its interval."""
    if isinstance(node, Relation):
        if node.ops in (("=",), ("\\approx",)) and names(node.terms[0]):
            return _named(*node.terms)
        return as_interval(node) or node
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
    if {_function_name(pred_name), _function_name(gold_name)} == {"y", "f(x)"}:
        return False  # y = x^2 and f(x) = x^2 define the same function
    return pred.ops == gold.ops == ("=",) and pred_name != gold_name


_APPLIED = re.compile(r"[a-z](?:\^\{?-1\}?)?\(x\)")  # f(x), g(x), f^{-1}(x)


def _function_name(node: Node) -> str:
    """``y``, or ``f(x)`` for a function of x (``g(x)``, ``f^{-1}(x)``): the left side of a function's
    definition; "" for any other node."""
    if isinstance(node, Expr) and node.latex == "y":
        return "y"
    return "f(x)" if isinstance(node, Expr) and _APPLIED.fullmatch(node.latex) else ""


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
