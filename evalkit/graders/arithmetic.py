"""Arithmetic evaluated in pure Python at bounded cost: exact integer and rational arithmetic
(``10^{5000}+7``, ``\\binom{8}{3}``, ``8n^2+4n+1`` at integer points) and a floating-point estimate of
numeric expressions (``18+2\\pi+1``) for ruling pairs out.

Recursive descent over a token list; every operation is size-checked before it runs, and model text
never reaches ``eval``.
"""

import decimal
import math
import re
from fractions import Fraction
from typing import Generic, TypeVar

from evalkit.graders.brackets import MAX_DEPTH, nesting_depth

MAX_INT_BITS = 70_000  # integer arithmetic (``10^{5000}+7``) stops beyond about 21,000 digits
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
    if not tokens or nesting_depth(latex) > MAX_DEPTH or _WORD.search(_COMMAND_NAMES.sub(" ", latex)):
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
    if not tokens or nesting_depth(latex) > MAX_DEPTH or _NUMBER_THEN_FRACTION.search(latex):
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
