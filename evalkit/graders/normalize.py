"""One normalisation for predicted and gold answers: a canonical LaTeX-ish string.

Only presentation is removed (delimiters, spacing, ``\\left``, ``\\dfrac``, degrees, units, dollars,
thousands separators, full-width forms, Unicode spaces and invisible formatting characters; Unicode
superscripts become powers); nothing that changes a value (degrees in a sine's argument become
radians). Structure is read later by ``parse``.
"""

import decimal
import functools
import math
import re

MAX_ANSWER_CHARS = 2_000  # longer answers are compared as strings only
NORMALIZED_CACHE = 4_096  # normalised answers remembered (each at most MAX_ANSWER_CHARS long)
MAX_EXPONENT_DIGITS = 6  # a numeric exponent with more digits would build a huge integer
_LETTER = re.compile(r"[A-Za-z]")

_REPLACEMENTS = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\dbinom", "\\binom"),
    ("\\tbinom", "\\binom"),
    ("\\leqslant", "\\le"),
    ("\\geqslant", "\\ge"),
    ("\\leq", "\\le"),
    ("\\geq", "\\ge"),
    ("\\neq", "\\ne"),
    ("\\equiv", "="),  # n \equiv 12 \pmod{13} states 12
    ("\\lt", "<"),
    ("\\gt", ">"),
    ("\\varnothing", "\\emptyset"),
    ("\\infin", "\\infty"),
    ("\\langle", "("),
    ("\\rangle", ")"),
    ("⟨", "("),
    ("⟩", ")"),
    ("\\lvert", "|"),
    ("\\rvert", "|"),
    ("\\lbrace", "\\{"),
    ("\\rbrace", "\\}"),
    ("\\{\\}", "\\emptyset"),
    ("{:}", ":"),  # 3{:}30
    ("\\mathbb{R}", "(-\\infty,\\infty)"),
    ("\\mathbb R", "(-\\infty,\\infty)"),
    ("ℝ", "(-\\infty,\\infty)"),
    ("−", "-"),
    ("–", "-"),
    ("×", "\\times"),
    ("·", "\\cdot"),
    ("π", "\\pi"),
    ("∞", "\\infty"),
    ("√", "\\sqrt"),
    ("≤", "\\le"),
    ("≥", "\\ge"),
    ("≠", "\\ne"),
    ("∪", "\\cup"),
    ("\\%", "%"),
    ("\\$", ""),
    ("$", ""),
)
_DELIMITERS = re.compile(
    r"(?<!\\)\\[()\[\]]|\\displaystyle|\\textstyle|\\left\.|\\right\.|\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])"
)
_SPACING = re.compile(r"(?<!\\)\\[!,;: ]|\\q?quad(?![a-zA-Z])|~")
_THOUSANDS_MARK = re.compile(r"(?<=\d)(?:\{,\}|\\[,;:]|\\ | )(?=\d{3}(?!\d))")  # 1{,}000 1\,000 1\;000 1 000
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# a comma and a space between digits separate list items (``3, 125`` is two numbers, ``3,125`` one)
_LIST_COMMA = re.compile(r"\d,\s+[-+]?\d")
# an ordinal suffix after a number: ``12^{\mathrm{th}}`` (its command already unwrapped), ``12^{th}``, ``12th``
_ORDINAL = re.compile(
    r"(?<=\d)(?:\s*\^\s*\{\s*(?:st|nd|rd|th)\s*\}|\s*\^\s*(?:st|nd|rd|th)|st|nd|rd|th)(?![A-Za-z])"
)
# a function written without its backslash: ``(tan x)^2``, ``ln(2)``, ``sin^2(x)``
_PLAIN_FUNCTION = re.compile(
    r"(?<![\\A-Za-z])(arcsin|arccos|arctan|sinh|cosh|tanh|sin|cos|tan|sec|csc|cot|ln|log|exp)"
    r"(?=\s*[(^{_\d]|\s+[A-Za-z](?![A-Za-z]))"
)
_DEGREES = re.compile(
    r"\^\s*(?:\{\s*\\(?:circ|degree)\s*\}|\\(?:circ|degree)(?![a-zA-Z]))|\\degree(?![a-zA-Z])|°"
)
# degrees inside a trigonometric function are its argument's unit: ``\sin 30^\circ`` is ``\sin\frac{30\pi}{180}``
_TRIG_DEGREES = re.compile(
    r"(\\(?:sin|cos|tan|sec|csc|cot)(?:\^\s*\{?-?\d+\}?)?\s*[({]?\s*)(-?\d+(?:\.\d+)?)\s*(?:"
    + _DEGREES.pattern
    + ")"
)
_TEXT_COMMAND = re.compile(
    r"\\(text(?:bf|rm|it|normal|sf|tt|up)?|mbox|mathrm|mathbf|mathit|mathsf|boxed|fbox)\s*\{"
)
_UNIT_WORDS = re.compile(r"\(?[A-Za-z][A-Za-z ./]*\)?")  # cm, sq. units, m/s, (units)
_CONNECTIVE = re.compile(r"\s*(?:and|or|,)\s*")
_PLAIN_CONNECTIVE = re.compile(r"\s*,?\s+(?:and|or)\s+")  # "3, 5, and 7", "x = 2 or x = 3"
# a plain-text unit or counted noun after a number ("12 inches", "5 sq. units", "5 red apples"),
# but not a word that changes the value ("3 halves", "5 factorial"; "10 million" is read by _SCALE)
_PLAIN_UNIT = re.compile(
    r"(?<=[\d}])\s+(?!(?:dozen|score|gross|percent|squared|cubed|factorial|"
    r"choose|over|plus|minus|half|halves|thirds?|fourths?|quarters?|fifths?|sixths?|sevenths?|eighths?|"
    r"ninths?|tenths?|hundredths?|thousandths?)\b)(?:square|sq\.?|cubic)?\s*"
    r"(?:units?|cm|mm|km|ft|in|yd|mi|mph|kg|lb|oz|hr|(?:of )?[a-z]{3,}(?:[ -](?:[a-z]{3,}|in|of|on|at|to|per)){0,6})"
    r"(?:\s*\^\s*\{?[23]\}?)?\s*$"
)
# words after a number that make it part of a computation ("2 raised to the third power"), never units
_OPERATION_WORD = re.compile(
    r"\b(?:times|raised|power|powers|divided|multiplied|less|more|fewer|greater|smaller|larger|root|roots"
    r"|modulo|mod|plus|minus|over|squared|cubed|factorial|percent|choose|and|or|nor|but|than|between|except"
    r"|not)\b"
)
# engineering units (``8 kHz``, ``8kHz``, ``5 GB``) and compound units after a space (``-120 m/(min^2)``, ``5 m/s``)
_UNIT_NAME = r"(?:[kcm]?m|s|sec|min|h|hr|hours?|days?|g|kg|mi|ft|in|L|mL|N|J|W|rad|deg|units?|gal|lb)"
_SI_UNIT = re.compile(
    r"(?<=\d)\s*(?:[kMGT]?(?:Hz|bps)|[kMGT][Bb]|[kMm](?:W|J|V|A|Pa)|Pa|kWh|ms|ns)\s*$"
    r"|(?<=[\d}])\s+" + _UNIT_NAME + r"(?:\s*/\s*\(?" + _UNIT_NAME + r"(?:\^\{?\d\}?)?\)?)+\s*$"
)
# a parenthesised remark after a value: ``4 (Thursday is the fourth day)``
_REMARK = re.compile(r"(?<=[\d}])\s+\((?:[A-Za-z][A-Za-z'’,.\-]*\s+)+[A-Za-z][A-Za-z'’,.\-]*\s*\)\s*$")
_MODULUS = re.compile(
    r"(?<=[\d}])\s*(?:\\[pb]mod\s*\{?\w+\}?|\(\s*mod\s*\w+\s*\)|\s+mod\s+\w+)\s*$"
)  # 3 (mod 7)
# a congruence with its modulus: what it states is the residue on its right
_CONGRUENCE = re.compile(
    r"[^=]*?\\equiv\s*([^=]+?)\s*(?:\\[pb]?mod\s*\{?\s*\w+\s*\}?|\(\s*\\?(?:mod|text\{mod\})\s*\w+\s*\))\s*\.?",
    re.DOTALL,
)
_COMBINATIONS = re.compile(  # 8C3, _{8}C_{3}, C(8,3)
    r"(?<![A-Za-z\d])(?:_\{?(\d+)\}?C_\{?(\d+)\}?|(\d+)C(\d+)|C\((\d+),\s*(\d+)\))(?![A-Za-z\d])"
)
_END_TOKENS = re.compile(r"</?s>|<\|(?:im_end|eot_id|endoftext|end)\|>|<eoa>")
# a word or sign before the value that does not change it (never "at least", "at most")
_LEADING_HEDGE = re.compile(
    r"^\s*(?:(?:approximately|approx\.?|about|around|roughly|exactly|precisely|only|just|the)\s+|(?:=|\\approx)\s*)"
    r"(?=[-+\d.\\$(])",
    re.IGNORECASE,
)
_PLAIN_OPERATORS = ((">=", "\\ge "), ("<=", "\\le "), ("!=", "\\ne "))
_PYTHON_POWER = re.compile(r"(?<=[\w)}])\*\*(?=[\w({])")  # 2**10, not **bold**
_EMPHASIS = re.compile(r"(\*\*?)([^*]+)\1")  # a whole answer in markdown bold or italics
_PLAIN_WORD_LATEX = {"pi": "\\pi ", "inf": "\\infty ", "infinity": "\\infty ", "oo": "\\infty "}
_PLAIN_WORDS = re.compile(
    r"(?<![\\A-Za-z])(?:pi|inf|infinity|(?-i:oo))(?![A-Za-z'])", re.IGNORECASE
)  # oo: sympy's
# a plain-text x between a number and a power of ten: ``1.2 x 10^3``
_TIMES_TEN = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*x\s*(10\s*\^\s*(?:\{\s*[+-]?\d+\s*\}|[+-]?\d+))")
# a decimal whose last digits repeat, then an ellipsis: ``0.333...``, ``0.1666\ldots``, ``0.272727...``
# (one digit written three times, a longer block twice) is the repeating decimal ``0.\overline{3}``
_ELLIPSIS = r"\s*(?:\.{3}|\\[lc]?dots|…)"
_REPEATED_DIGITS = re.compile(
    r"(?P<head>[+-]?\d*\.\d*?)(?:(?P<digit>\d)(?P=digit){2,}|(?P<block>\d{2,6}?)(?P=block)+)" + _ELLIPSIS
)
_RATIO_WORD = re.compile(r"^(\d+(?:\.\d+)?) to (\d+(?:\.\d+)?)$")  # 3 to 4 is the ratio 3:4
_PERCENT_WORD = re.compile(r"(?<=[\d}])\s*(?:percent|per\s?cent)(?![A-Za-z])")
_CHOOSE = re.compile(r"\{\s*([^{}]+?)\s*\\choose(?![A-Za-z])\s*([^{}]+?)\s*\}")  # {6 \choose 3}
_ALL_REALS = re.compile(r"(?:the set of )?all real(?: numbers)?|all reals|every real number", re.IGNORECASE)
_INTERVAL_UNION = re.compile(r"(?<=[)\]])\s*U\s*(?=[(\[])")
_SCALE_WORDS = {"hundred": 2, "thousand": 3, "million": 6, "billion": 9, "trillion": 12}
_SCALE = re.compile(r"(?<=\d)\s*(" + "|".join(_SCALE_WORDS) + r")\b")  # "2.5 million"
_VULGAR_FRACTIONS = {
    "½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
    "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8),
}  # fmt: skip
_UNICODE_COMMANDS = {
    "∅": "emptyset", "÷": "div", "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "θ": "theta",
    "λ": "lambda", "μ": "mu", "σ": "sigma", "φ": "phi", "ω": "omega", "∈": "in", "∩": "cap",
    "τ": "tau", "ρ": "rho", "ε": "epsilon", "η": "eta", "ψ": "psi", "χ": "chi", "∠": "angle",
    "△": "triangle",
}  # fmt: skip
# full-width forms (``１２``, ``（１，２）``, ``－３``), the ideographic full stop, and Unicode spaces
# (no-break, thin, narrow no-break: ``1 234``) as plain spaces
_FULL_WIDTH = (
    {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    | {code: " " for code in (0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)}
    | {0x3002: "."}
    # vulgar fractions (``1½`` is a mixed number), and symbols models write as Unicode
    | {ord(char): f"\\frac{{{num}}}{{{den}}}" for char, (num, den) in _VULGAR_FRACTIONS.items()}
    | {ord(char): f"\\{name} " for char, name in _UNICODE_COMMANDS.items()}
)
# invisible formatting (soft hyphen, zero-width spaces and joiners, direction marks, byte order mark)
_FORMAT_CHARACTERS = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SUPERSCRIPT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_UNIT_POWER = re.compile(r"\s*\^\s*\{?[23]\}?")
_COMMAND_SPACE = re.compile(r"\s+")
_SPACED_MIXED = re.compile(r"^(-?\d+) (\d+)/(\d+)$")  # 2 1/2 (two and a half)
_INNER_SPACE = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")
_SINGLE_ARG = re.compile(r"\s*(\\[A-Za-z]+|[^\s{\\])")


def gold_text(gold: str | int | float | None) -> str:
    """The gold answer as a string: ``27.0`` -> ``"27"``, ``25`` -> ``"25"``, ``1e-05`` -> ``"1e-05"``,
    ``1.5e300`` -> ``"1.5e+300"`` (a float's shortest repr, never its binary expansion), infinity ->
    ``\\infty``; "" for a missing gold (None, NaN)."""
    if gold is None:
        return ""
    if isinstance(gold, float):
        if math.isnan(gold):
            return ""
        if math.isinf(gold):
            return "\\infty" if gold > 0 else "-\\infty"
        text = float.__repr__(gold)
        return text.removesuffix(".0")
    if isinstance(gold, int) and not isinstance(gold, bool):
        return format(decimal.Decimal(gold), "f")  # no int-to-str digit limit (an int of 5,000 digits)
    return str(gold).strip()


def normalize_answer(answer: str) -> str:
    """The canonical form of an answer (pure string work, linear in its length; recent answers are
    remembered, as a run repeats its golds and many of its answers)."""
    text = answer.strip()
    if len(text) > MAX_ANSWER_CHARS:
        return text
    normalized = _normalized(text)
    if _THOUSANDS.fullmatch(normalized) and _LIST_COMMA.search(text) is None:  # 58,500; not 3, 125
        return normalized.replace(",", "")
    return normalized


@functools.lru_cache(maxsize=NORMALIZED_CACHE)
def _normalized(text: str) -> str:
    text = _END_TOKENS.sub("", text).strip() if "<" in text else text
    if "\\equiv" in text and (congruence := _CONGRUENCE.fullmatch(text)) is not None:
        text = congruence.group(1)  # 997^{-1} \equiv 333 \pmod{1000} states the residue 333
    if not text.isascii():
        text = _FORMAT_CHARACTERS.sub("", text)
        text = _SUPERSCRIPT.sub(lambda m: "^{" + m.group().translate(_SUPERSCRIPT_DIGITS) + "}", text)
        text = text.translate(_FULL_WIDTH)
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    text = _DELIMITERS.sub("", text)
    text = _THOUSANDS_MARK.sub("", text)
    text = _SPACING.sub(" ", text)
    text = _TRIG_DEGREES.sub(r"\1\\frac{\2\\pi}{180}", text)
    text = _DEGREES.sub("", text)
    text = _unwrap_text_commands(text)
    text = _ORDINAL.sub("", text) if "st" in text or "nd" in text or "rd" in text or "th" in text else text
    text = _PLAIN_CONNECTIVE.sub(", ", text)
    text = _plain_math(text)
    text = _SCALE.sub(lambda m: f"\\times10^{{{_SCALE_WORDS[m.group(1)]}}}", text)
    text = _PLAIN_UNIT.sub(lambda m: m.group() if _OPERATION_WORD.search(m.group()) else "", text)
    text = _braced_arguments(text)
    text = _COMMAND_SPACE.sub(" ", text).strip()
    text = _SPACED_MIXED.sub(r"\1\\frac{\2}{\3}", text)
    text = _INNER_SPACE.sub("", text)
    text = _RATIO_WORD.sub(r"\1:\2", text) if " to " in text else text
    if (repeated := _REPEATED_DIGITS.fullmatch(text)) is not None:
        text = f"{repeated['head']}\\overline{{{repeated['digit'] or repeated['block']}}}"
    text = text.rstrip(".;,").strip()
    return _strip_outer_braces(text)


def _plain_math(text: str) -> str:
    """Plain-text mathematics as LaTeX: ``>=`` ``<=`` ``!=``, ``sqrt(x)``, ``3^(1/2)``, ``2**10``, ``pi``,
    ``infinity``/``inf``, ``45 percent``, and ``U`` between intervals (``(-inf,1) U (2,inf)``)."""
    for old, new in _PLAIN_OPERATORS:
        text = text.replace(old, new)
    if emphasis := _EMPHASIS.fullmatch(text):
        text = emphasis.group(2)
    text = _LEADING_HEDGE.sub("", text)
    text = _PYTHON_POWER.sub("^", text)
    text = _TIMES_TEN.sub(r"\1\\times\2", text) if "x" in text else text
    text = _PLAIN_WORDS.sub(lambda m: _PLAIN_WORD_LATEX[m.group().casefold()], text)
    text = _PLAIN_FUNCTION.sub(r"\\\1", text)
    text = _PERCENT_WORD.sub("%", text)
    text = _COMBINATIONS.sub(lambda m: f"\\binom{{{m[1] or m[3] or m[5]}}}{{{m[2] or m[4] or m[6]}}}", text)
    for remark in (_REMARK, _MODULUS, _SI_UNIT):
        text = remark.sub("", text)
    text = _CHOOSE.sub(r"\\binom{\1}{\2}", text)
    if _ALL_REALS.fullmatch(text.strip()):
        return "(-\\infty,\\infty)"
    text = _INTERVAL_UNION.sub(r"\\cup", text)
    for opener, command in (("sqrt(", "\\sqrt{"), ("^(", "^{")):
        text = _braced_call(text, opener, command)
    return text


def _braced_call(text: str, opener: str, command: str) -> str:
    """``sqrt(x+1)`` -> ``\\sqrt{x+1}``: a parenthesised argument (balanced) becomes a braced one."""
    pos = 0
    while (start := text.find(opener, pos)) >= 0:
        pos = start + len(opener)
        if opener[0].isalpha() and start > 0 and text[start - 1] == "\\":
            start -= 1  # ``\\sqrt(x+1)`` too
        elif opener[0].isalpha() and start > 0 and text[start - 1].isalpha():
            continue  # ``xsqrt(`` is not this function
        depth = 1
        for end in range(pos, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                text = text[:start] + command + text[pos:end] + "}" + text[end + 1 :]
                break
    return text


def _matching_brace(text: str, open_pos: int) -> int:
    """Index of the brace closing the one at ``open_pos``, or -1 if unbalanced."""
    depth = 0
    for i in range(open_pos, len(text)):
        if text[i] == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif text[i] == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return i
    return -1


def _unwrap_text_commands(text: str) -> str:
    """``\\text{...}``-like groups: units dropped, "and"/"or" become commas, the rest unwrapped."""
    out: list[str] = []
    pos = 0
    while (match := _TEXT_COMMAND.search(text, pos)) is not None:
        close = _matching_brace(text, match.end() - 1)
        if close < 0:
            break
        content = text[match.end() : close]
        before = "".join(out) + text[pos : match.start()]
        after = text[close + 1 :]
        name = match.group(1)
        is_unit = (
            name not in ("boxed", "fbox")
            and before.strip() != ""
            and not before.rstrip().endswith(("(", ",", "{", "[", "="))
            and _UNIT_WORDS.fullmatch(content.strip()) is not None
            and not after.lstrip()[:1].isdigit()  # 1\text{e}5 is a number, not a unit
            # \mathrm{i}, \mathrm{e} are constants, not units
            and (len(content.strip()) > 1 or name.startswith(("text", "mbox")))
        )
        out.append(text[pos : match.start()])
        pos = close + 1
        if _CONNECTIVE.fullmatch(content) and before.strip() and after.strip():
            out.append(", ")
        elif is_unit:
            unit_power = _UNIT_POWER.match(after)
            if unit_power:
                pos += unit_power.end()
        else:  # the contents are read again: ``\text{\textbf{A}}``, boxes in boxes
            text, pos = content + after, 0
    out.append(text[pos:])
    return "".join(out)


def _braced_arguments(text: str) -> str:
    """``\\frac12`` -> ``\\frac{1}{2}``, ``\\sqrt2`` -> ``\\sqrt{2}`` (one-token arguments braced)."""
    for command, arity in (("\\frac", 2), ("\\binom", 2), ("\\sqrt", 1)):
        pos = 0
        while (start := text.find(command, pos)) >= 0:
            pos = start + len(command)
            if pos < len(text) and text[pos].isalpha():
                continue
            args: list[str] = []
            cursor = pos
            if command == "\\sqrt" and text[cursor : cursor + 1] == "[":
                close = text.find("]", cursor)
                if close < 0:
                    break
                cursor = close + 1
            for _ in range(arity):
                while cursor < len(text) and text[cursor] == " ":
                    cursor += 1
                if text[cursor : cursor + 1] == "{":
                    close = _matching_brace(text, cursor)
                    if close < 0:
                        break
                    args.append(text[cursor : close + 1])
                    cursor = close + 1
                    continue
                match = _SINGLE_ARG.match(text, cursor)
                if match is None:
                    break
                args.append("{" + match.group(1) + "}")
                cursor = match.end()
            if len(args) == arity:
                index = text[pos:cursor].split("]", 1)[0] + "]" if text[pos : pos + 1] == "[" else ""
                text = text[:pos] + index + "".join(args) + text[cursor:]
    return text


def _strip_outer_braces(text: str) -> str:
    """``{5}`` -> ``5`` when one brace pair encloses everything."""
    while text.startswith("{") and _matching_brace(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def evaluation_hazard(latex: str) -> str | None:
    """Why evaluating ``latex`` could explode (numeric power tower, huge exponent or factorial), or None.

    Such answers are compared as written instead of being handed to sympy to run into the time limit.
    """
    if any(_explosive_factorial(operand) for operand in _factorial_operands(latex)):
        return "a factorial of a huge number"
    for exponent in _exponents(latex):
        if _LETTER.search(exponent):
            continue  # symbolic exponents stay unevaluated in sympy
        if "^" in exponent:
            if _small_power(exponent) is None:
                return "a numeric power tower"
        elif len(re.sub(r"\D", "", exponent)) > MAX_EXPONENT_DIGITS:
            return "a huge numeric exponent"
    return None


_POWER = re.compile(r"\s*(\d+)\s*\^\s*(?:\{(.*)\}|(\d))\s*")


def _small_power(text: str) -> int | None:
    """The value of a numeric tower such as ``2^{2^3}`` when it has at most MAX_EXPONENT_DIGITS digits."""
    if text.strip().isdigit():
        return int(text) if len(text.strip()) <= MAX_EXPONENT_DIGITS else None
    match = _POWER.fullmatch(text)
    if match is None:
        return None
    base, exponent = int(match.group(1)), _small_power(match.group(2) or match.group(3))
    if exponent is None or (base > 1 and exponent * math.log10(base) > MAX_EXPONENT_DIGITS):
        return None
    return base**exponent


def _explosive_factorial(operand: str) -> bool:
    """A numeric operand other than a plain integer of at most five digits (``(2^{99})!``)."""
    return not _LETTER.search(operand) and not (operand.isdigit() and len(operand) <= 5)


def _factorial_operands(latex: str) -> list[str]:
    """What each ``!`` applies to: a closing group ``(...)!``/``{...}!`` or the digits/letters before it."""
    found = []
    for index, char in enumerate(latex):
        if char != "!" or latex[index + 1 : index + 2] == "=" or latex[index - 1 : index] == "\\":
            continue
        head = latex[:index].rstrip()
        if head[-1:] in (")", "}"):
            closing = head[-1]
            opening = "(" if closing == ")" else "{"
            depth, start = 0, 0
            for position in range(len(head) - 1, -1, -1):
                depth += {closing: 1, opening: -1}.get(head[position], 0)
                if depth == 0:
                    start = position
                    break
            found.append(head[start + 1 : -1])
        else:
            found.append(re.search(r"[\w.]*$", head).group())  # type: ignore[union-attr]
    return found


def _exponents(latex: str) -> list[str]:
    """The text of every superscript: a braced group, or the single token after ``^``."""
    found = []
    for index, char in enumerate(latex):
        if char != "^":
            continue
        rest = latex[index + 1 :].lstrip()
        if not rest.startswith("{"):
            found.append(rest[:1])
            continue
        depth, end = 0, len(rest)
        for position, inner in enumerate(rest):
            depth += {"{": 1, "}": -1}.get(inner, 0)
            if depth == 0:
                end = position
                break
        found.append(rest[1:end])
    return found
