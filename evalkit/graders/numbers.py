"""Plain numbers read exactly: integers, decimals, repeating decimals, fractions, mixed numbers and
scientific notation become rationals (``Number``). Pure string work; nothing is evaluated.
"""

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_DIGITS = 1_000  # longer literal numbers are left to the string comparison
MAX_EXPONENT = 400  # |n| in 3\times10^{n}


@dataclass(frozen=True, slots=True)
class Number:
    """A number's exact rational value; ``exact`` is False when it was written as a decimal."""

    value: Fraction
    exact: bool


_SIGN = r"(?P<sign>[+-]?)"
_INT = re.compile(_SIGN + r"(?P<int>\d+)")
_DECIMAL = re.compile(_SIGN + r"(?P<int>\d*)\.(?P<frac>\d+)")
# the repeating block under a bar (``0.\overline{3}``, ``0.\bar{3}``, ``0.\bar3``) or a dot (``0.\dot{3}``, one digit)
_REPEATING = re.compile(
    _SIGN
    + r"(?P<int>\d*)\.(?P<frac>\d*)(?:\\(?:overline|bar)\{(?P<rep>\d+)\}|\\(?:bar|dot)\{?(?P<digit>\d)\}?)"
)
_FRACTION = re.compile(
    _SIGN + r"(?:\\frac\{(?P<num>[+-]?\d+)\}\{(?P<den>[+-]?\d+)\}|(?P<snum>\d+)/(?P<sden>\d+))"
)
_MIXED = re.compile(_SIGN + r"(?P<whole>\d+)\\frac\{(?P<num>\d+)\}\{(?P<den>\d+)\}")
_SCIENTIFIC = re.compile(
    r"(?P<mantissa>[+-]?\d*\.?\d+)(?:(?:\\times|\\cdot|\*)10\^\{?(?P<exp>[+-]?\d+)\}?|[eE](?P<e>[+-]?\d+))"
)


def parse_number(latex: str) -> Number | None:
    """An exact rational for plain numbers (``025``, ``-3.50``, ``0.\\overline{3}``, ``0.\\bar{3}``, ``\\frac{1}{2}``,
    ``2\\frac12``, ``3\\times10^{5}``, ``3e5``); None for anything else."""
    if len(latex) > MAX_DIGITS:
        return None
    if match := _INT.fullmatch(latex):
        return Number(_signed(match, Fraction(int(match["int"]))), True)
    if match := _DECIMAL.fullmatch(latex):
        fraction = Fraction(int(match["frac"]), 10 ** len(match["frac"]))
        return Number(_signed(match, int(match["int"] or "0") + fraction), False)
    if match := _REPEATING.fullmatch(latex):
        block = match["rep"] or match["digit"]
        shift, period = 10 ** len(match["frac"]), 10 ** len(block) - 1
        value = int(match["int"] or "0") + Fraction(int(match["frac"] or "0"), shift)
        return Number(_signed(match, value + Fraction(int(block), shift * period)), True)
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


def _signed(match: re.Match[str], value: Fraction) -> Fraction:
    return -value if match["sign"] == "-" else value
