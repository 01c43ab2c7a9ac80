"""The value a response's concluding statement asserts, and whether a response commits to anything.

"Therefore, the value of $k$ is 6." states 6 (the value after the first copula, not the name before
it); "Hence $y > 7$ is the solution set." states ``y > 7`` (nothing after the copula: the statement's
last value); "so the total is 12 + 30 + 41 = 83." states 83 (the last side of an arithmetic chain).
Only string scanning on a bounded tail of the text: linear time, nothing evaluated.
"""

import re
from enum import Enum

TAIL_CHARS = 3_000  # the concluding statements are looked for in this many final characters
MAX_STATEMENTS = 3  # statements looked at from the end (closing remarks without a value are skipped)
LOOP_WINDOW = 8_000
LOOP_UNIT = 40
LOOP_REPEATS = 4

_MATH = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<!\\)\$((?:\\\$|[^$])+?)(?<!\\)\$", re.DOTALL
)  # a "\\$" inside math is a dollar sign
# two plain words in a row inside "$...$": currency ("$5 and gets $"), not math
_PROSE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}\s+[a-zA-Z]{2,}\b")
# LaTeX written without math delimiters: "the value is \\frac{3}{4}"
_BARE_TEX = re.compile(r"[-−]?(?:\d+\s*)?\\(?:[dt]?frac\{[^{}$]{1,40}\}\{[^{}$]{1,40}\}|sqrt\{[^{}$]{1,40}\}|pi\b)")
_NUMBER = r"[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?"
_SCALE = r"(?:\s*%|\s+percent\b|\s+(?:thousand|million|billion|trillion)\b)?"
# a number, or a plain-text arithmetic chain "12 + 30 + 41 = 83", with a percent or scale word
_PLAIN_VALUE = re.compile(rf"{_NUMBER}(?:\s*[-+*/×÷·=]\s*\$?{_NUMBER})*{_SCALE}")
_SMALL_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
_NUMBER_WORDS = {word: str(value) for value, word in enumerate(_SMALL_NUMBERS.split())} | {
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_WORD_COPULAS = (
    r"\b(?:is|are|was|were|equals?|be|becomes?|remains?|has|have|had|gets?|got|makes?|made|needs?|costs?"
    r"|earns?|pays?|spends?|takes?|gives?|yields?|totals?|amounts?\s+to|comes?\s+to|will\s+be)\b"
)
WORD_COPULA = re.compile(_WORD_COPULAS, re.IGNORECASE)  # "is", "has", "costs" (not "=")
_COPULA = re.compile(_WORD_COPULAS + "|=|≈", re.IGNORECASE)
# where one clause of a statement gives way to the next: "3 + 4 = 7, and doubled it is 14"
_CLAUSE = re.compile(r",\s*(?:and|so|then|thus|hence|therefore)\b|;\s", re.IGNORECASE)
# commentary after the assertion: "..., which is more than Tom", "... because ..."
_COMMENTARY = re.compile(r",\s*(?:which|because|since|so that|as)\b|\s(?:because|since)\b", re.IGNORECASE)
# what may stand between a copula and the value it asserts
_FILLER = re.compile(
    r"(?:\s|[,:*]|\b(?:a|an|the|total|of|to|equal|approximately|about|around|roughly|exactly|just|only|then"
    r"|therefore|thus|now|still|at|least|most|in|all|simply|also|worth|given|by|be|left)\b)*",
    re.IGNORECASE,
)
# the words a concluding statement may open with before its value: "So, 5 cars ...", "Thus $y > 7$ ..."
_LEAD = re.compile(
    r"(?:\s|[,:*>-]|\b(?:so|thus|hence|therefore|finally|overall|altogether|in\s+total|in\s+conclusion)\b)*",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[.!?。](?=\s|$)|\n")
_NAME = re.compile(r"\s*(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?\s*")  # "$k$", "$\theta$", "$a_1$"
_TEX_LETTERS = re.compile(r"\\[A-Za-z]+|[A-Za-z]")
_MARKER = re.compile(r"\b(?:therefore|thus|hence|so|total|altogether|finally|answer|result)\b", re.IGNORECASE)
_ENDS_WITH_VALUE = re.compile(
    r"[\d$}%](?:[\s,]+[A-Za-z'’]+){0,3}\s*$"
)  # "is 14 years old", "83 marbles in total"
_TRUNCATED_END = frozenset(",;:([{+-=\\^_&/<|")


class Ending(Enum):
    """How a response ends: a finished statement, an unpunctuated one, or nothing committed."""

    CLEAN = "clean"
    OPEN = "open"  # ends in a word: only a marked final statement ("So Maria is 14 years old") counts
    NONE = "none"  # empty, cut off mid-expression or mid-question, or a repetition loop


def ending(text: str) -> Ending:
    """How ``text`` ends (see :class:`Ending`)."""
    tail = text.rstrip()
    if not tail or looping(tail) or tail.endswith(("...", "…")):
        return Ending.NONE
    last = tail[-1]
    if last in _TRUNCATED_END:
        return Ending.NONE
    if last in "?？":  # a question with a value is a guess; one without ("Any questions?") closes
        question = tail[max(tail.rfind(". "), tail.rfind("\n")) + 1 :]
        return Ending.NONE if re.search(r"[\d$\\]", question) else Ending.CLEAN
    line = tail[tail.rfind("\n") + 1 :]
    if line.count("{") > line.count("}"):  # cut off inside a box or a fraction
        return Ending.NONE
    if last.isalpha():
        return Ending.OPEN
    return Ending.CLEAN


def looping(text: str) -> bool:
    """Whether ``text`` ends in a repetition loop: its last characters recur again and again just before."""
    tail = text.rstrip()[-LOOP_WINDOW:]
    unit = tail[-LOOP_UNIT:]
    return len(unit.strip()) >= LOOP_UNIT // 4 and tail.count(unit) >= LOOP_REPEATS


def concluding_value(text: str, end: Ending) -> str | None:
    """The value the concluding statement of ``text`` asserts, or None.

    Statements from the end are read until one holds a value (at most ``MAX_STATEMENTS``); a response
    that ends in an unpunctuated word counts only when its last statement is a marked conclusion."""
    if end is Ending.NONE:
        return None
    statements = _statements(text[-TAIL_CHARS:])
    if end is Ending.OPEN:  # only a last clause that ends with its value and a few words may count
        if not statements or not _MARKER.search(_outside_math(statements[-1])):
            return None
        clause = _split(statements[-1], _CLAUSE)[-1]
        return _clause_value(clause) if _ENDS_WITH_VALUE.search(clause) else None
    for statement in reversed(statements[-MAX_STATEMENTS:]):
        value = statement_value(statement)
        if value is not None:
            return value
    return None


def statement_value(statement: str) -> str | None:
    """The value one statement asserts: in its last clause with a value, the first value after the
    first copula, else the clause's last value."""
    statement = statement.replace("**", "")
    cut = _COMMENTARY.search(_outside_math(statement))
    if cut:
        statement = statement[: cut.start()]
    clauses = _split(statement, _CLAUSE)
    for clause in reversed(clauses[1:]):
        value = _clause_value(clause)
        if value is not None:
            return value
    return _clause_value(clauses[0])


def _split(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` split where ``pattern`` matches outside math."""
    pieces, start = [], 0
    for match in pattern.finditer(_outside_math(text)):
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _clause_value(clause: str) -> str | None:
    """The value right after the last copula that has one ("is 6", "is equal to 6", "has a total of
    12"), else the value
    the clause opens with ("5 cars drove through", "Three trucks are needed"), else its last value."""
    values = _values(clause)
    if not values:
        return None
    masked = _outside_math(clause)
    asserted = None
    for copula in _COPULA.finditer(masked):  # the last copula with its value: "... that is 1080"
        after = next(((start, value) for start, value, _ in values if start >= copula.end()), None)
        if after and _FILLER.fullmatch(masked, copula.end(), after[0]):
            asserted = after[1]
    if asserted is not None:
        return asserted
    opening = masked[: values[0][0]]
    if _LEAD.fullmatch(opening) or opening.rstrip().endswith(","):  # "Working backwards, twelve ..."
        return values[0][1]
    figures = [value for _, value, word in values if not word]
    return figures[-1] if figures else None


def _values(statement: str) -> list[tuple[int, str, bool]]:
    """(position, value, is a number word) of the math, numbers, arithmetic chains and number words
    ("Four containers ...") in a statement, in order. Bare names ($k$) are not values."""
    values: list[tuple[int, str, bool]] = []
    spans = _math_spans(statement)
    for start, _, content in spans:
        if not _NAME.fullmatch(content) and content.strip():
            values.append((start, _last_side(content.strip()), False))
    masked = _mask(statement, spans)
    for match in _PLAIN_VALUE.finditer(masked):
        if not _inside_word(masked, match.start()):
            values.append((match.start(), _last_side(match.group().replace("$", "").strip()), False))
    values += [(m.start(), _NUMBER_WORDS[m.group(1).lower()], True) for m in _NUMBER_WORD.finditer(masked)]
    values.sort()
    return values


def _inside_word(text: str, pos: int) -> bool:
    """A digit glued to letters before it (``x2``, ``H2O``, ``Step3``) is not a value."""
    return pos > 0 and (text[pos - 1].isalpha() or text[pos - 1] == "_")


def _last_side(expr: str) -> str:
    """The last side of a chain of equalities between numbers only (``12 + 30 + 41 = 83`` -> ``83``);
    anything naming a quantity (``x = 5``) is kept whole for the comparison to read."""
    if "=" not in expr:
        return expr
    letters = [t for t in _TEX_LETTERS.findall(expr) if t not in ("\\times", "\\cdot", "\\frac", "\\div")]
    return expr.rsplit("=", 1)[1].strip() if not letters else expr


def _math_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of the math in ``text``; a ``$`` pair around prose is currency, not math."""
    spans = []
    pos = 0
    while (match := _MATH.search(text, pos)) is not None:
        content = next(g for g in match.groups() if g is not None)
        if match.group().startswith("$") and not match.group().startswith("$$") and _currency(content):
            pos = match.start() + 1
            continue
        spans.append((match.start(), match.end(), content))
        pos = match.end()
    masked = _mask(text, spans)
    spans += [(m.start(), m.end(), m.group()) for m in _BARE_TEX.finditer(masked)]
    return sorted(spans)


def _currency(content: str) -> bool:
    """Whether a ``$...$`` pair encloses prose between two dollar amounts ("$5 and gets $", "$12 + $")."""
    return _PROSE.search(content) is not None or (content[:1].isdigit() and content[-1:].isspace())


def _mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with its math replaced by spaces (same length), and currency signs dropped to spaces."""
    chars = list(text)
    for start, end, _ in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars).replace("$", " ")


def _outside_math(text: str) -> str:
    return _mask(text, _math_spans(text))


def _statements(tail: str) -> list[str]:
    """The statements of ``tail``, split at sentence ends and line breaks outside math; a statement that
    is only math (display math on its own lines) belongs to the one before it."""
    masked = _outside_math(tail)
    statements: list[str] = []
    start = 0
    for boundary in _BOUNDARY.finditer(masked):
        _add(statements, tail[start : boundary.start()], masked[start : boundary.start()])
        start = boundary.end()
    _add(statements, tail[start:], masked[start:])
    return statements


def _add(statements: list[str], piece: str, masked: str) -> None:
    if not piece.strip(" \t*#->`"):
        return
    if statements and not masked.strip(" \t*#->`.,"):  # only math: it completes the statement before
        statements[-1] += " " + piece
    else:
        statements.append(piece.strip())
