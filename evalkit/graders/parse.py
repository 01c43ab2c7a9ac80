"""Read a normalised answer into a small structure tree, and plain numbers into exact rationals.

Pure Python string work; nothing is evaluated. Leaves (``Expr``) stay LaTeX until ``symbolic``
turns them into sympy inside a worker process.
"""

import decimal
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

MAX_ITEMS = 64  # collections, tuples and matrices larger than this are compared as strings
MAX_DIGITS = 1_000  # longer literal numbers are left to the string comparison
MAX_EXPONENT = 400  # |n| in 3\times10^{n}
MAX_PM = 3  # \pm signs expanded (2^3 variants at most)
MAX_DEPTH = 40  # answers nested deeper than this are one expression (no recursion on them)
MAX_INT_BITS = 70_000  # integer arithmetic (``10^{5000}+7``) stops beyond about 21,000 digits


@dataclass(frozen=True, slots=True)
class Expr:
    """One mathematical expression (LaTeX); ``percent`` when it was written with a % sign."""

    latex: str
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Bracketed:
    """Ordered items in brackets: tuples, points, intervals. Bracket kinds are part of the value.
    ``names`` are the unknowns of a tuple written as assignments (``a=1, b=3``), else empty."""

    open: str
    close: str
    items: tuple["Node", ...]
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio ``3:5`` (also a time ``3:30``): its parts in order."""

    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Collection:
    """A set or list of answers: order-free, compared element for element (no partial credit)."""

    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Union:
    """A union of sets (intervals), order-free."""

    parts: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    """A matrix or vector (rows of cells)."""

    rows: tuple[tuple["Node", ...], ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """An equation or (chained) inequality: ``terms[0] ops[0] terms[1] ...``."""

    terms: tuple["Node", ...]
    ops: tuple[str, ...]


Node = Expr | Bracketed | Collection | Union | Matrix | Relation | Ratio


@dataclass(frozen=True, slots=True)
class Number:
    """A number's exact rational value; ``exact`` is False when it was written as a decimal."""

    value: Fraction
    exact: bool


_OPENERS = "([{"
_CLOSERS = ")]}"
_RELATION = re.compile(r"\\(?:le|ge|ne|approx|in)(?![A-Za-z])|<|>|=")
_MATRIX = re.compile(r"\\begin\{([pbBvV]?matrix|array)\}(?:\{[lcr| ]*\})?(.*)\\end\{\1\}", re.DOTALL)
_SCALAR_PRODUCT = re.compile(r"\\(?:cdot|times)\s*$")
_SET_BUILDER = re.compile(r"\\mid(?![A-Za-z])|:|\|")
_PLUS_MINUS = re.compile(r"\\(?:pm|mp)(?![A-Za-z])")
_SIMPLE_VARIABLE = re.compile(r"[A-Za-z](?:_\{?\w+\}?)?'*|\\[A-Za-z]+|[A-Za-z](?:\^\{?-1\}?)?\([A-Za-z]\)")
# a quantity named by letters (``AB``, ``|PQ|``, ``\angle ABC``, ``m+n``, ``[ABC]``): no numbers, powers or fractions
_QUANTITY_NAME = re.compile(
    r"(?:[A-Za-z](?:_\{?\w+\}?)?'*(?:\((?:-?\d+(?:\.\d+)?|\\[A-Za-z]+)\))?|\\(?!frac|sqrt|binom)[A-Za-z]+|[{}\[\]()+| ])+"
)  # also a function's value: f(2), p'(2), y(\tau)
_TEXT = re.compile(r"[A-Za-z][A-Za-z' \-]*")
_LETTER_RUN = re.compile(r"[A-Za-z]{3,}")
_SHORT_WORDS = frozenset({"no"})  # answer words too short for _LETTER_RUN (else: symbols, case-sensitive)
_GOLD_CHOICE = re.compile(r"\(([A-E])\)(.*)|([A-E])")
# a letter alone, or "(B)" followed by its option text: not by an operator ("(B)+1"), nor another choice
_PRED_CHOICE = re.compile(r"\(?([A-Ea-e])\)?|\(([A-Ea-e])\)(?![-+*/^_=<>,.!])(?!.*\([A-Ea-e]\)).+")
_STATED_OPTION = re.compile(r"\([A-Ea-e]\)\s*(\S.*)")
_BASED = re.compile(r"([0-9A-Fa-f]+)_\{?\(?(\d{1,2})\)?\}?")  # 52_8, 52_{8}, 52_{(8)}

_SIGN = r"(?P<sign>[+-]?)"
_INT = re.compile(_SIGN + r"(?P<int>\d+)")
_DECIMAL = re.compile(_SIGN + r"(?P<int>\d*)\.(?P<frac>\d+)")
_REPEATING = re.compile(_SIGN + r"(?P<int>\d*)\.(?P<frac>\d*)\\overline\{(?P<rep>\d+)\}")
_FRACTION = re.compile(
    _SIGN + r"(?:\\frac\{(?P<num>[+-]?\d+)\}\{(?P<den>[+-]?\d+)\}|(?P<snum>\d+)/(?P<sden>\d+))"
)
_MIXED = re.compile(_SIGN + r"(?P<whole>\d+)\\frac\{(?P<num>\d+)\}\{(?P<den>\d+)\}")
_SCIENTIFIC = re.compile(
    r"(?P<mantissa>[+-]?\d*\.?\d+)(?:(?:\\times|\\cdot|\*)10\^\{?(?P<exp>[+-]?\d+)\}?|[eE](?P<e>[+-]?\d+))"
)


def split_top(text: str, separators: re.Pattern[str] | str) -> list[str]:
    """Split ``text`` at separators outside any brackets (``,`` in ``(1,2)`` is not split)."""
    pattern = re.compile(re.escape(separators)) if isinstance(separators, str) else separators
    parts: list[str] = []
    depth = 0
    start = 0
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
        elif depth == 0 and (match := pattern.match(text, pos)) is not None and match.end() > pos:
            parts.append(text[start:pos])
            start = pos = match.end()
            continue
        pos += 1
    parts.append(text[start:])
    return parts


def _nesting_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSERS:
            depth -= 1
    return deepest


def _closing_index(text: str) -> int:
    """Index of the bracket closing the one that opens ``text`` (-1 if unbalanced)."""
    depth = 0
    for i, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_answer(text: str) -> Node:
    """The structure of a normalised answer; top-level commas make an order-free collection."""
    if _nesting_depth(text) > MAX_DEPTH:
        return Expr(text)
    items = [item for item in split_top(text, re.compile(r"[,;]")) if item.strip()]
    if len(items) > MAX_ITEMS:
        return Expr(text)
    if len(items) > 1:
        collection = _collection(items)
        return _assignment_tuples(collection.items) or collection
    return parse_item(text)


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


def parse_item(text: str) -> Node:
    """The structure of one answer (no top-level commas)."""
    text = text.strip()
    if not text:
        return Expr(text)
    if text == "\\emptyset":
        return Collection(())
    difference = split_top(text, "\\setminus")
    if len(difference) == 2:
        return _set_difference(parse_item(difference[0]), parse_item(difference[1])) or Expr(text)
    parts = split_top(text, "\\cup")
    if len(parts) > 1:
        return Union(tuple(parse_item(part) for part in parts))
    if text.startswith("\\{") and text.endswith("\\}") and _closing_index(text[1:]) == len(text) - 2:
        return _braced_set(text[2:-2]) or Expr(text)
    relation = _parse_relation(text)
    if relation is not None:
        return relation
    matrix = _MATRIX.search(text)
    if matrix is not None and matrix.end() == len(text) and matrix.group(1) not in ("vmatrix", "Vmatrix"):
        return _matrix(matrix.group(2), _SCALAR_PRODUCT.sub("", text[: matrix.start()]).strip())
    if text[:1] in "([" and text[-1:] in ")]" and _closing_index(text) == len(text) - 1:
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


def is_quantity_name(node: Node) -> bool:
    """Whether ``node`` names a quantity, as in ``x = 3``, ``AB = 5``, ``m + n = 25``, ``f^{-1}(x) = 2x``
    or ``(x, y) = (1, 2)``."""
    if isinstance(node, Bracketed):
        return node.open == "(" and all(is_simple_variable(item) for item in node.items)
    if isinstance(node, Ratio):
        return all(is_quantity_name(item) for item in node.items)
    return is_simple_variable(node) or (
        isinstance(node, Expr)
        and _QUANTITY_NAME.fullmatch(node.latex) is not None
        and re.search("[A-Za-z]", node.latex) is not None
    )


def parse_number(latex: str) -> Number | None:
    """An exact rational for plain numbers (``025``, ``-3.50``, ``0.\\overline{3}``, ``\\frac{1}{2}``,
    ``2\\frac12``, ``3\\times10^{5}``, ``3e5``); None for anything else."""
    if len(latex) > MAX_DIGITS:
        return None
    if match := _INT.fullmatch(latex):
        return Number(_signed(match, Fraction(int(match["int"]))), True)
    if match := _DECIMAL.fullmatch(latex):
        fraction = Fraction(int(match["frac"]), 10 ** len(match["frac"]))
        return Number(_signed(match, int(match["int"] or "0") + fraction), False)
    if match := _REPEATING.fullmatch(latex):
        shift, period = 10 ** len(match["frac"]), 10 ** len(match["rep"]) - 1
        value = int(match["int"] or "0") + Fraction(int(match["frac"] or "0"), shift)
        return Number(_signed(match, value + Fraction(int(match["rep"]), shift * period)), True)
    if match := _FRACTION.fullmatch(latex):
        numerator = int(match["num"] or match["snum"])
        denominator = int(match["den"] or match["sden"])
        if denominator == 0:
            return None
        return Number(_signed(match, Fraction(numerator, denominator)), True)
    if match := _MIXED.fullmatch(latex):
        if int(match["den"]) == 0:
            return None
        whole = int(match["whole"]) + Fraction(int(match["num"]), int(match["den"]))
        return Number(_signed(match, whole), True)
    if match := _SCIENTIFIC.fullmatch(latex):
        exponent = int(match["exp"] or match["e"])
        mantissa = parse_number(match["mantissa"])
        if mantissa is None or abs(exponent) > MAX_EXPONENT:
            return None
        return Number(mantissa.value * Fraction(10) ** exponent, mantissa.exact)
    return None


_EXACT_CLOSERS = {"(": ")", "{": "}"}
_EXACT_TOKEN = re.compile(r"\d+|\\(?:cdot|times|binom|sqrt|frac)(?![A-Za-z])|[-+*/^(){}!]|[A-Za-z]")
_ATOM_START = frozenset("({") | {"\\sqrt", "\\binom", "\\frac"}
_WORD = re.compile(r"[A-Za-z]{3,}")


def integer_value(latex: str) -> int | None:
    """The exact value of integer arithmetic (``10^{5000}+7``, ``2^{10}\\cdot 3``, ``-(4+5)``: digits,
    ``+ - * \\cdot \\times``, powers with a natural exponent, ``n!``, ``\\binom{n}{k}``, the square root
    of a perfect square, ``\\frac`` of integers, brackets) when it is an integer; None for anything else
    or for a value beyond ``MAX_INT_BITS`` bits (it is never computed). Linear in the answer's length
    up to the cost of the bounded big-integer operations."""
    value = exact_value(latex, {})
    return value.numerator if value is not None and value.denominator == 1 else None


def exact_value(latex: str, letters: dict[str, int]) -> Fraction | None:
    """The exact value of rational arithmetic in which each letter of ``letters`` stands for its
    integer (``8n^2+4n+1``, ``\\frac{11+9a}{20}``, ``(a+5)(b+2)``; juxtaposition multiplies); None
    for anything else: another letter (``e``, ``i``), a word, a decimal, a function, an irrational
    root, a division by zero or a value beyond ``MAX_INT_BITS`` bits."""
    tokens: list[str] = []
    pos = 0
    while pos < len(latex):
        match = _EXACT_TOKEN.match(latex, pos)
        if match is None:
            return None
        tokens.append(match.group())
        pos = match.end()
    if not tokens or _nesting_depth(latex) > MAX_DEPTH or _WORD.search(_COMMAND_NAMES.sub(" ", latex)):
        return None
    if _NUMBER_THEN_FRACTION.search(latex):
        return None  # 1\\frac{4}{5} inside an expression: a mixed number or a product
    reader = _ExactReader(tokens, letters)
    value = reader.sum()
    return value if reader.done() else None


_APPROX_TOKEN = re.compile(r"\d*\.?\d+|\\(?:cdot|times|sqrt|frac|pi)(?![A-Za-z])|[-+*/^(){}]|i(?![A-Za-z])")
_NUMBER_THEN_FRACTION = re.compile(r"\d\s*\\frac")
_APPROX_STARTS = frozenset({"i", "(", "{", "\\sqrt", "\\frac", "\\pi"})  # juxtaposed factors
_APPROX_LIMIT = 1e12  # magnitudes beyond this are left to exact checks


def approximate_value(latex: str) -> complex | None:
    """A floating-point value of a numeric expression with ``\\pi``, ``i``, roots, fractions, powers
    and decimals (``18+2\\pi+1``, ``1+274i``, ``\\frac{\\sqrt{3}}{3}``), for ruling pairs out only;
    None when it cannot be read or is not a modest finite number."""
    tokens: list[str] = []
    pos = 0
    while pos < len(latex):
        match = _APPROX_TOKEN.match(latex, pos)
        if match is None:
            return None
        tokens.append(match.group())
        pos = match.end()
    if not tokens or _nesting_depth(latex) > MAX_DEPTH or _NUMBER_THEN_FRACTION.search(latex):
        return None
    reader = _ApproximateReader(tokens)
    try:
        value = reader.sum()
    except (ArithmeticError, ValueError):  # a division by zero, a huge power
        return None
    if value is None or not reader.done() or not abs(value) < _APPROX_LIMIT:
        return None
    return value


V = TypeVar("V", complex, Fraction)


class _Reader(Generic[V]):
    """Recursive descent over tokens: sums and signs here; products, powers and atoms per value type."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def done(self) -> bool:
        return self.pos == len(self.tokens)

    def _peek(self) -> str:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ""

    def sum(self) -> V | None:
        value = self.product()
        while value is not None and self._peek() in ("+", "-"):
            sign = -1 if self.tokens[self.pos] == "-" else 1
            self.pos += 1
            term = self.product()
            value = None if term is None else value + sign * term
        return value

    def unary(self) -> V | None:
        if self._peek() in ("+", "-"):
            sign = -1 if self.tokens[self.pos] == "-" else 1
            self.pos += 1
            value = self.unary()
            return None if value is None else sign * value
        return self.power()

    def _group(self, closer: str) -> V | None:
        """The sum after an opening bracket, through its ``closer``."""
        value = self.sum()
        if value is None or self._peek() != closer:
            return None
        self.pos += 1
        return value

    def _fraction(self) -> tuple[V, V] | None:
        """Numerator and denominator of a ``\\frac`` whose name was just read."""
        numerator = self.atom()
        denominator = self.atom() if self._peek() == "{" else None
        return None if numerator is None or denominator is None else (numerator, denominator)

    def product(self) -> V | None:
        raise NotImplementedError

    def atom(self) -> V | None:
        raise NotImplementedError

    def power(self) -> V | None:
        raise NotImplementedError


class _ApproximateReader(_Reader[complex]):
    """Recursive descent over approximate tokens (complex floats; magnitudes are checked)."""

    def product(self) -> complex | None:
        value = self.unary()
        while value is not None:
            token = self._peek()
            if token in ("*", "/", "\\cdot", "\\times"):
                self.pos += 1
            elif not (token[:1].isdigit() or token in _APPROX_STARTS):
                break
            factor = self.unary()
            following = self._peek()
            if factor is None or (token == "/" and (following[:1].isalnum() or following in _APPROX_STARTS)):
                return None  # 1/2\pi is ambiguous
            value = value / factor if token == "/" else value * factor
        return value

    def power(self) -> complex | None:
        base = self.atom()
        if base is None or self._peek() != "^":
            return base
        self.pos += 1
        exponent = self.atom() if self._peek()[:1].isdigit() or self._peek() == "{" else None
        if exponent is None or exponent.imag or abs(exponent.real) > 64 or abs(base) > 1e6:
            return None
        return base**exponent.real

    def atom(self) -> complex | None:
        token = self._peek()
        self.pos += 1
        if token[:1].isdigit() or token[:1] == ".":
            return complex(float(token))
        if token == "i":
            return 1j
        if token == "\\pi":
            return complex(math.pi)
        if token in _EXACT_CLOSERS:
            return self._group(_EXACT_CLOSERS[token])
        if token == "\\frac" and self._peek() == "{":
            parts = self._fraction()
            return None if parts is None else parts[0] / parts[1]
        if token == "\\sqrt" and self._peek() == "{":
            radicand = self.atom()
            if radicand is None or radicand.imag or radicand.real < 0:
                return None
            return complex(math.sqrt(radicand.real))
        return None


def exact_letters(latex: str) -> set[str] | None:
    """The letters ``exact_value`` would need values for, or None when it cannot read ``latex``."""
    plain = _COMMAND_NAMES.sub(" ", latex)
    if _EXACT_TOKEN.sub("", latex) or _WORD.search(plain):
        return None
    return {char for char in plain if char.isalpha()}


_COMMAND_NAMES = re.compile(r"\\([A-Za-z]+)")


def _too_big(value: Fraction) -> bool:
    return abs(value.numerator).bit_length() + value.denominator.bit_length() > MAX_INT_BITS


class _ExactReader(_Reader[Fraction]):
    """Recursive descent over exact tokens; every operation is size-checked before it runs."""

    def __init__(self, tokens: list[str], letters: dict[str, int]) -> None:
        super().__init__(tokens)
        self.letters = letters

    def product(self) -> Fraction | None:
        value = self.unary()
        while value is not None:
            token = self._peek()
            if token in ("*", "/", "\\cdot", "\\times"):
                self.pos += 1
            elif not (token.isalnum() or token in _ATOM_START):  # juxtaposition: 2x, (a+5)(b+2)
                break
            factor = self.unary()
            if factor is None or _too_big(value) or _too_big(factor):
                return None
            if token == "/":
                following = self._peek()
                if not factor or following.isalnum() or following in _ATOM_START:
                    return None  # 1/2x is ambiguous; a division by zero has no value
                value /= factor
            else:
                value *= factor
        return value

    def power(self) -> Fraction | None:
        base = self.atom()
        while base is not None and self._peek() == "!":
            self.pos += 1
            if base.denominator != 1 or base < 0 or base * base.numerator.bit_length() > MAX_INT_BITS:
                return None
            base = Fraction(math.factorial(base.numerator))
        if base is None or self._peek() != "^":
            return base
        self.pos += 1
        if self._peek().isdigit():  # ``2^10``: the digits after ``^`` are the exponent, as models mean it
            exponent = self.atom()
        elif self._peek() in ("(", "{") or self._peek().isalpha():
            exponent = self.unary() if not self._peek().isalpha() else self.atom()
        else:
            return None
        if exponent is None or exponent.denominator != 1 or (base == 0 and exponent < 0):
            return None
        size = max(abs(base.numerator).bit_length(), base.denominator.bit_length()) - 1
        if size > 0 and abs(exponent) > MAX_INT_BITS // size:
            return None
        return base ** int(exponent)

    def atom(self) -> Fraction | None:
        token = self._peek()
        self.pos += 1
        if token.isdigit():
            return Fraction(int(decimal.Decimal(token)) if len(token) > 4_000 else int(token))  # no str limit
        if token.isalpha():
            return Fraction(self.letters[token]) if token in self.letters else None
        if token in _EXACT_CLOSERS:
            return self._group(_EXACT_CLOSERS[token])
        if token == "\\frac" and self._peek() == "{":
            parts = self._fraction()
            return None if parts is None or not parts[1] else parts[0] / parts[1]
        if token == "\\sqrt" and self._peek() == "{":
            radicand = self.atom()
            if radicand is None or radicand < 0:
                return None
            roots = [math.isqrt(part) for part in (radicand.numerator, radicand.denominator)]
            exact = roots[0] ** 2 == radicand.numerator and roots[1] ** 2 == radicand.denominator
            return Fraction(roots[0], roots[1]) if exact else None
        if token == "\\binom" and self._peek() == "{":
            n = self.atom()
            k = self.atom() if self._peek() == "{" else None
            if n is None or k is None or n.denominator != 1 or k.denominator != 1 or not 0 <= k <= n:
                return None
            if min(k, n - k) * n.numerator.bit_length() > MAX_INT_BITS:
                return None
            return Fraction(math.comb(n.numerator, k.numerator))
        return None


def _signed(match: re.Match[str], value: Fraction) -> Fraction:
    return -value if match["sign"] == "-" else value


def is_text(latex: str) -> bool:
    """Whether an answer is words (``Evelyn``, ``no solution``) rather than mathematics."""
    if latex.casefold() in _SHORT_WORDS:
        return True
    return _TEXT.fullmatch(latex) is not None and _LETTER_RUN.search(latex) is not None


def gold_choice(latex: str) -> tuple[str, str] | None:
    """A multiple-choice gold (``B``, ``(B)``, ``(B) 12``) as (letter, option text or "")."""
    match = _GOLD_CHOICE.fullmatch(latex)
    if match is None:
        return None
    return (match.group(1), match.group(2).strip()) if match.group(1) else (match.group(3), "")


def stated_option(latex: str) -> str | None:
    """The option text a prediction gives after its letter (``(C) 17``, ``(c) 18``), or None."""
    match = _STATED_OPTION.fullmatch(latex)
    return match.group(1).strip() if match else None


def choice_letter(latex: str) -> str | None:
    """The letter a prediction chooses (``B``, ``(b)``, ``(B) 42``), or None."""
    match = _PRED_CHOICE.fullmatch(latex)
    return (match.group(1) or match.group(2)).upper() if match else None


def based_number(latex: str) -> tuple[str, int] | None:
    """``1011_2`` -> ("1011", 2); None when ``latex`` is not a subscripted numeral."""
    match = _BASED.fullmatch(latex)
    if match is None or not 2 <= int(match.group(2)) <= 36:
        return None
    return match.group(1).upper(), int(match.group(2))
