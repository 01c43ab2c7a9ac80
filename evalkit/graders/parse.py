"""Read a normalised answer into its structure tree (``nodes``): top-level lists and sets, tuples and
intervals, set differences and unions, matrices (LaTeX environments or plain ``[1,2\\\\3,4]``),
relations, ratios, ``\\pm``; and whether a part names a quantity (``x``, ``AB``, ``\\frac{AM}{MB}``).

Pure Python string work; nothing is evaluated. Numbers are read by ``numbers``, words, choices and
numerals in a base by ``kinds``.
"""

import math
import re
from fractions import Fraction

from evalkit.graders.brackets import MAX_DEPTH, closing_index, nesting_depth, split_top
from evalkit.graders.nodes import Bracketed, Collection, Expr, Matrix, Node, Ratio, Relation, Union
from evalkit.graders.numbers import parse_number

MAX_ITEMS = 64  # collections, tuples and matrices larger than this are compared as strings
MAX_PM = 3  # \pm signs expanded (2^3 variants at most)
_RELATION = re.compile(r"\\(?:le|ge|ne|approx|in)(?![A-Za-z])|<|>|=")
_MATRIX = re.compile(
    r"\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[lcr| ]*\})?(.*)\\end\{\1\}", re.DOTALL
)
_CELL = re.compile(r"[,&]")
_SCALAR_PRODUCT = re.compile(r"\\(?:cdot|times)\s*$")
_SET_BUILDER = re.compile(r"\\mid(?![A-Za-z])|:|\|")
_PLUS_MINUS = re.compile(r"\\(?:pm|mp)(?![A-Za-z])")
_SIMPLE_VARIABLE = re.compile(r"[A-Za-z](?:_\{?\w+\}?)?'*|\\[A-Za-z]+|[A-Za-z](?:\^\{?-1\}?)?\([A-Za-z]\)")
# a quantity named by letters (``AB``, ``|PQ|``, ``\angle ABC``, ``m+n``, ``[ABC]``): no numbers, powers or fractions
_QUANTITY_NAME = re.compile(
    r"(?:[A-Za-z](?:_\{?\w+\}?)?'*(?:\((?:-?\d+(?:\.\d+)?|\\[A-Za-z]+)\))?|\\(?!frac|sqrt|binom)[A-Za-z]+|[{}\[\]()+| ])+"
)  # also a function's value: f(2), p'(2), y(\tau)


def parse_answer(text: str) -> Node:
    """The structure of a normalised answer; top-level commas make an order-free collection."""
    if nesting_depth(text) > MAX_DEPTH:
        return Expr(text)
    items = [item for item in split_top(text, re.compile(r"[,;]")) if item.strip()]
    if len(items) > MAX_ITEMS:
        return Expr(text)
    items = _without_integer_parameter(items)
    if len(items) > 1:
        collection = _collection(items)
        return _assignment_tuples(collection.items) or collection
    return parse_item(items[0] if items else text)


# the range of a solution's integer parameter: ``k \\in \\mathbb{Z}``, ``n\\in\\mathbb{Z}^+``
_INTEGER_PARAMETER = re.compile(r"\s*\(?([A-Za-z])\s*\\in\s*\\mathbb\{?[ZN]\}?(?:\^\{?[+*]\}?)?\)?\s*")


def _without_integer_parameter(items: list[str]) -> list[str]:
    """``x = \\frac{\\pi}{3} + 2k\\pi, k \\in \\mathbb{Z}`` states ``\\frac{\\pi}{3} + 2k\\pi``: a last item giving
    the range of a letter that the other items use is dropped."""
    if len(items) < 2 or (last := _INTEGER_PARAMETER.fullmatch(items[-1])) is None:
        return items
    rest = items[:-1]
    uses = re.compile(r"(?<![A-Za-z\\])" + last.group(1) + r"(?![A-Za-z])")
    return rest if any(uses.search(item) for item in rest) else items


def _assignment_tuples(items: tuple[Node, ...]) -> Node | None:
    """``a=1, b=3`` is the tuple ``(1, 3)``; ``a=1,b=3; a=2,b=5`` (the same unknowns again, in the same
    order) a list of such tuples. None unless every item assigns a value to a named unknown and at
    least two unknowns are named."""
    names: list[str] = []
    for item in items:
        if not (isinstance(item, Relation) and item.ops == ("=",) and is_simple_variable(item.terms[0])):
            return None
        assert isinstance(item.terms[0], Expr)
        names.append(item.terms[0].latex)
    width = names.index(names[0], 1) if names.count(names[0]) > 1 else len(names)
    unknowns = tuple(names[:width])
    if width < 2 or len(set(unknowns)) < width or len(names) % width:
        return None
    if any(names[index] != unknowns[index % width] for index in range(len(names))):
        return None
    tuples = [
        Bracketed("(", ")", tuple(item.terms[1] for item in items[start : start + width]), unknowns)  # type: ignore[union-attr]
        for start in range(0, len(items), width)
    ]
    return tuples[0] if len(tuples) == 1 else Collection(tuple(tuples))


def _collection(texts: list[str]) -> Collection:
    """The items of a list or set (at most ``MAX_ITEMS``); an item with ``\\pm`` contributes each of its values."""
    items: list[Node] = []
    for text in texts:
        node = parse_item(text)
        expanded = isinstance(node, Collection) and _PLUS_MINUS.search(text) is not None
        items.extend(node.items if isinstance(node, Collection) and expanded else (node,))
    return Collection(tuple(items))


# words for the empty set of solutions: ``no solution``, ``No real roots``, ``none``, ``the empty set``
_NO_SOLUTION = re.compile(
    r"(?:there (?:is|are) )?no (?:real )?(?:solutions?|roots?)|none|(?:the )?empty set", re.IGNORECASE
)


def parse_item(text: str) -> Node:
    """The structure of one answer (no top-level commas)."""
    text = text.strip()
    if not text:
        return Expr(text)
    if text == "\\emptyset" or _NO_SOLUTION.fullmatch(text):
        return Collection(())
    difference = split_top(text, "\\setminus")
    if len(difference) == 2:
        return _set_difference(parse_item(difference[0]), parse_item(difference[1])) or Expr(text)
    parts = split_top(text, "\\cup")
    if len(parts) > 1:
        return Union(tuple(parse_item(part) for part in parts))
    if text.startswith("\\{") and text.endswith("\\}") and closing_index(text[1:]) == len(text) - 2:
        return _braced_set(text[2:-2]) or Expr(text)
    relation = _parse_relation(text)
    if relation is not None:
        return relation
    matrix = _MATRIX.search(text)
    if matrix is not None and matrix.end() == len(text) and matrix.group(1) not in ("vmatrix", "Vmatrix"):
        return _matrix(matrix.group(2), _SCALAR_PRODUCT.sub("", text[: matrix.start()]).strip())
    if text[:1] in "([" and text[-1:] in ")]" and closing_index(text) == len(text) - 1:
        rows = split_top(text[1:-1], "\\\\") if "\\begin" not in text else []
        if len(rows) == 1 and ";" in text:  # [1, 2; 3, 4]: rows of two or more cells (not [1; 2])
            rows = split_top(text[1:-1], ";")
            rows = rows if all(len(split_top(row, ",")) > 1 for row in rows) else []
        if len(rows) > 1:  # a matrix written in plain text: [1,2\\3,4]
            return _matrix_rows(rows, text)
        inner = split_top(text[1:-1], ",")
        if len(inner) > MAX_ITEMS:
            return Expr(text)
        if len(inner) > 1:
            return Bracketed(text[0], text[-1], tuple(parse_item(item) for item in inner))
        if text[0] + text[-1] == "()" or _MATRIX.fullmatch(
            inner[0].strip()
        ):  # [\\begin{array}...\\end{array}]
            return parse_item(inner[0])
    ratio = split_top(text, ":")
    if len(ratio) > 1 and all(part.strip() for part in ratio):
        return Ratio(tuple(parse_item(part) for part in ratio))
    variants = _expand_plus_minus(text)
    if len(variants) > 1:
        return Collection(tuple(Expr(variant) for variant in variants))
    if text.endswith("%"):
        return Expr(text[:-1].strip(), percent=True)
    return Expr(text)


def _braced_set(body: str) -> Node | None:
    """``\\{1, 2, 2\\}`` is the set {1, 2} (a repeated element written alike counts once);
    ``\\{x \\mid x > 2\\}`` is the set its condition states; None for more than ``MAX_ITEMS`` elements."""
    builder = split_top(body, _SET_BUILDER)
    if len(builder) == 2 and is_simple_variable(Expr(builder[0].strip())):
        return parse_item(builder[1])
    texts = [item for item in split_top(body, re.compile(r"[,;]")) if item.strip()]
    if len(texts) > MAX_ITEMS:
        return None
    return Collection(tuple(dict.fromkeys(_collection(texts).items)))


def _set_difference(left: Node, right: Node) -> Node | None:
    """``[a, b] \\setminus \\{p\\}`` as a union of intervals, when every endpoint and point is a plain
    number (or infinite); None otherwise."""
    intervals = left.parts if isinstance(left, Union) else (left,)
    points = {
        _endpoint(point): point for point in (right.items if isinstance(right, Collection) else (right,))
    }
    if None in points:
        return None
    parts: list[Node] = []
    for interval in intervals:
        if not isinstance(interval, Bracketed) or len(interval.items) != 2:
            return None
        low, high = (_endpoint(item) for item in interval.items)
        if low is None or high is None:
            return None
        (lower, upper), opening, closing = interval.items, interval.open, interval.close
        for value in sorted(value for value in points if value is not None and low <= value <= high):
            if low < value < high:
                parts.append(Bracketed(opening, ")", (lower, points[value])))
                lower, opening = points[value], "("
            elif value == low:
                opening = "("
            else:
                closing = ")"
        parts.append(Bracketed(opening, closing, (lower, upper)))
    return Union(tuple(parts)) if len(parts) > 1 else parts[0]


def _endpoint(node: Node) -> Fraction | float | None:
    """The value of an interval endpoint or removed point: a plain number or ``\\pm\\infty``."""
    if not isinstance(node, Expr):
        return None
    if node.latex.lstrip("+") == "\\infty":
        return math.inf
    if node.latex == "-\\infty":
        return -math.inf
    number = parse_number(node.latex)
    return number.value if number is not None else None


def _matrix(body: str, scalar: str) -> Matrix:
    """Rows of cells; a scalar written before the matrix multiplies every cell."""
    rows = [row for row in split_top(body, "\\\\") if row.strip()]
    cells = [[cell.strip() for cell in split_top(row, "&")] for row in rows]
    if scalar:
        cells = [[f"({scalar})\\cdot({cell})" for cell in row] for row in cells]
    return Matrix(tuple(tuple(parse_item(cell) for cell in row) for row in cells))


def _matrix_rows(rows: list[str], text: str) -> Node:
    """A plain-text matrix (``[1,2\\\\3,4]``, ``[1, 2; 3, 4]``; cells split at ``,`` or ``&``); one
    expression when too large."""
    cells = [[cell.strip() for cell in split_top(row, _CELL)] for row in rows if row.strip()]
    if sum(len(row) for row in cells) > MAX_ITEMS:
        return Expr(text)
    return Matrix(tuple(tuple(parse_item(cell) for cell in row) for row in cells))


def _parse_relation(text: str) -> Node | None:
    """``x=3``, ``a<x\\le b``; ``x\\in S`` is just ``S``."""
    operators = []
    pos = 0
    pieces = split_top(text, _RELATION)
    if len(pieces) < 2 or any(not piece.strip() for piece in pieces):
        return None
    for piece in pieces[:-1]:
        pos += len(piece)
        match = _RELATION.match(text, pos)
        assert match is not None
        operators.append(match.group())
        pos = match.end()
    if operators == ["\\in"]:
        return parse_item(pieces[1])
    return Relation(tuple(parse_item(piece) for piece in pieces), tuple(operators))


def _expand_plus_minus(text: str) -> list[str]:
    """``1\\pm\\sqrt2`` -> [``1+\\sqrt2``, ``1-\\sqrt2``] (``\\mp`` the other way round)."""
    variants = [text]
    for _ in range(MAX_PM):
        if _PLUS_MINUS.search(variants[0]) is None:
            break
        expanded = []
        for variant in variants:
            match = _PLUS_MINUS.search(variant)
            assert match is not None
            signs = ("+", "-") if match.group() == "\\pm" else ("-", "+")
            expanded += [variant[: match.start()] + sign + variant[match.end() :] for sign in signs]
        variants = expanded
    return variants


def is_simple_variable(node: Node) -> bool:
    """Whether ``node`` names a quantity (``x``, ``a_1``, ``\\theta``, ``f(x)``, ``f^{-1}(x)``), as in ``x = 3``."""
    return isinstance(node, Expr) and _SIMPLE_VARIABLE.fullmatch(node.latex) is not None


_NAMED_RATIO = re.compile(r"\\frac\{[A-Za-z]{1,4}\}\{[A-Za-z]{1,4}\}")  # \frac{AM}{MB}


def is_quantity_name(node: Node) -> bool:
    """Whether ``node`` names a quantity, as in ``x = 3``, ``AB = 5``, ``m + n = 25``, ``f^{-1}(x) = 2x``,
    ``\\frac{AM}{MB} = \\frac23`` or ``(x, y) = (1, 2)``."""
    if isinstance(node, Bracketed):
        return node.open == "(" and all(is_simple_variable(item) for item in node.items)
    if isinstance(node, Ratio):
        return all(is_quantity_name(item) for item in node.items)
    return is_simple_variable(node) or (
        isinstance(node, Expr)
        and (
            _QUANTITY_NAME.fullmatch(node.latex) is not None or _NAMED_RATIO.fullmatch(node.latex) is not None
        )
        and re.search("[A-Za-z]", node.latex) is not None
    )
