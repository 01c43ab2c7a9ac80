"""The value a response's concluding statement asserts, and whether a response commits to anything.

"Therefore, the value of $k$ is 6." states 6 (the value after the first copula, not the name before
it); "Hence $y > 7$ is the solution set." states ``y > 7`` (nothing after the copula: the statement's
last value); "so the total is 12 + 30 + 41 = 83." states 83 (the last side of an arithmetic chain).
Only string scanning on a bounded tail of the text: linear time, nothing evaluated.
"""

import functools
import re
from collections.abc import Sequence
from enum import Enum

TAIL_CHARS = 1_500  # the concluding statements are looked for in this many final characters
SHORT_TAIL_CHARS = 500  # ... first in the paragraphs that start within this many
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
_BARE_TEX = re.compile(r"\\(?:[dt]?frac\{[^{}$]{1,40}\}\{[^{}$]{1,40}\}|sqrt\{[^{}$]{1,40}\}|pi\b)")
_COEFFICIENT_BEFORE = re.compile(r"(?:[-−]?\d{1,6}\s?|[-−]?)$")  # "2\\sqrt{3}", "-\\frac{1}{2}"
# a number; also a time of day (3:45), a multiple of pi (12π) or a square root in plain text (sqrt(3)/3, 2√2)
_ROOT = r"(?:√\d+|sqrt\(\d+\))"
_NUMBER = (
    rf"[-−]?(?:\d+(?:,\d{{3}})*(?:\.\d+)?(?:\s?{_ROOT})?|{_ROOT})(?:/\d+|:[0-5]\d(?!\d))?(?:π(?:/\d+)?)?"
)
# a tuple of numbers in plain text: "(3, π/2)", "(1, -2)"
_PLAIN_TUPLE = re.compile(r"\(\s*[-−]?[\d√π][\w./π√^]*(?:\s*,\s*[-−]?[\d√π][\w./π√^]*)+\s*\)")
_SCALE = r"(?:\s*%|\s+percent\b|\s+(?:thousand|million|billion|trillion)\b)?"
# a number, or a plain-text arithmetic chain "12 + 30 + 41 = 83", with a percent or scale word
_OPERATOR = r"(?:\s*[-+*/×÷·=–−^]\s*|\s+[xX]\s+|(?=\())"  # "128 x 0.50", "1000 – 750", "2^99", "2(6 + 1)"
_COEFFICIENT = re.compile(r"[A-Za-z](?![A-Za-z])")
_UNIT = r"(?:\s+(?![xX]\s)[A-Za-z][A-Za-z/]*)?"  # "25 centimeters / 5 = 5", "20 crates + 15 crates"
_TERM = rf"\(?{_NUMBER}\)?{_UNIT}"
_PLAIN_VALUE = re.compile(rf"\(?{_NUMBER}\)?(?:{_UNIT}{_OPERATOR}{_TERM})*(?<![A-Za-z/]){_SCALE}")
_LAST_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?")
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
_CLAUSE = re.compile(
    r",\s*(?:and|so|then|thus|hence|therefore)\b(?!\s*[§\d(−-])|;\s|\s+so\s+(?=\w)", re.IGNORECASE
)  # not a list's last item: "2, 3, and 5"
# a quantity in two units: "4 hours and 30 minutes", "5 feet 6 inches" (not the number 4)
_COMPOUND_UNIT = (
    r"(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|feet|foot|ft|inch(?:es)?"
    r"|pounds?|lbs?|ounces?|oz|meters?|metres?|centimeters?|cm|kilograms?|kg|grams?|dollars?|cents?)"
)
_COMPOUND = re.compile(
    rf"\d+(?:\.\d+)?\s*{_COMPOUND_UNIT}(?:\s*,\s*|\s+and\s+|\s+)\d+(?:\.\d+)?\s*{_COMPOUND_UNIT}\b",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(r"(?:\s|,|\band\b|\bor\b)*", re.IGNORECASE)
# commentary after the assertion: "..., which is more than Tom", "... because ..."
_COMMENTARY = re.compile(
    r",\s*(?:because|since|so that|as|assuming|provided|where|given|if|when|unless)\b|\s(?-i:because|since)\b",
    re.IGNORECASE,
)  # "..., assuming she had no supporters at t = 0"; not a new sentence after display math: "$$Since ..."
# what may stand between a copula and the value it asserts
# a full stop that ends an abbreviation, not a sentence: "Dr. Zaius has $10,455"
NOT_ABBREVIATION = r"(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bSt)(?<!\bvs)(?<!\bNo)(?<!\bi\.e)(?<!\be\.g)"
_NOT_ABBREVIATION = NOT_ABBREVIATION
# "there are 9240 ways ...": an existential statement asserts its count, whatever follows
_EXISTENTIAL = re.compile(
    r"\bthere\s+(?:is|are|was|were|will\s+be)\s+(?:a\s+total\s+of\s+|exactly\s+|only\s+)?$", re.IGNORECASE
)
# a function's argument list: "g'(1)", "S(6, 6, 6)", "\cos(1)": not values
_ARGUMENTS = re.compile(r"(?<=[A-Za-z'])(?<!sqrt)\([^()]{0,60}\)")
_FILLER = re.compile(
    r"(?:\s|[,:*]|\b(?:a|an|the|total|of|to|equal|approximately|about|around|roughly|exactly|just|only|then"
    r"|therefore|thus|now|still|at|least|most|in|all|simply|also|worth|given|by|be|left|equivalent"
    r"|him|her|them|us|me|you|it|(?-i:[A-Z][a-z]+))\b)*",  # "costs Ellen $2", "gives them 5"
    re.IGNORECASE,
)
# the words a concluding statement may open with before its value: "So, 5 cars ...", "Thus $y > 7$ ..."
_LEAD = re.compile(
    r"(?:\s|[,:*>-]|\b(?:so|thus|hence|therefore|finally|overall|altogether|in\s+total|in\s+conclusion|that"
    r"|at\s+least|at\s+most|exactly|only|about|approximately)\b)*",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(_NOT_ABBREVIATION + r"[.!?。](?=\s|$)|\n")
_NAME = re.compile(r"\s*(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?\s*")  # "$k$", "$\theta$", "$a_1$"
_PLAIN_NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?(?:/\d+)?")
_CALL = re.compile(r"[A-Za-z](?:_\{?\w+\}?)?'*\([^()]{1,30}\)")  # "y(\\tau)", "f'(2)"
_VERB_BEFORE = re.compile(r"(?:\b[a-z]{2,}[^s\W]s|\b(?:can|will|would|must|should|could)\s+[a-z]{3,})\s+$")
_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_PERIOD_IN_MATH = re.compile(r"(?<!\$)\.\$(?!\$)(?=\s|$)")
_TEX_LETTERS = re.compile(r"\\[A-Za-z]+|[A-Za-z]")
_TIMES = re.compile(r"\s[xX]\s")
_OPERATOR_COMMANDS = frozenset({"\\times", "\\cdot", "\\frac", "\\dfrac", "\\div", "\\left", "\\right"})
_MARKER = re.compile(r"\b(?:therefore|thus|hence|so|total|altogether|finally|answer|result)\b", re.IGNORECASE)
# an unpunctuated last clause that ends with its value and a few words: "is 14 years old", "30 elves"
_ENDS_WITH_VALUE = {
    words: re.compile(rf"[\d$}}%](?:(?:[\s,]+|/)[A-Za-z'’/-]+){{0,{words}}}\s*$") for words in (2, 3, 8)
}
# a statement's opening subordinate clause: "Since there are 4 harvests per year, ..."
_SUBORDINATE = re.compile(r"\s*(?:since|if|as|because|when|given\s+that)\b[^,]{0,200},", re.IGNORECASE)
_CALCULATOR = re.compile(r"<<[^<>\n]{0,200}>>")  # GSM8K's calculator annotations: 2+1=<<2+1=3>>3
_UNFINISHED = re.compile(r"\s*[=<]")  # "2+1=" with nothing after it is no value
_MATH_OPERATOR = re.compile(r"[=+*/^\\{]")
# a first-person statement that the response gives no answer
_DISCLAIMER = re.compile(
    r"\b(?:I|we)(?:'m| am| are)?\s+(?:not able|unable|cannot|can't|could not|couldn't|not sure|don't know"
    r"|do not know|failed)\b",
    re.IGNORECASE,
)
# a last word that needs more after it: "we first multiply 3 by", "the hypotenuse is" (cut off)
_DANGLING = re.compile(
    r"\b(?:the|an|of|to|by|with|and|or|is|are|was|were|that|which|from|for|than|because|into|we|our|its|their"
    r"|these)\s*$",
    re.IGNORECASE,
)
# a marked conclusion that names the one who is first by some measure, and no value: "Therefore, Evelyn
# has the greatest average speed."
_NAMED_WINNER = re.compile(
    r"[*\s]*(?:therefore|thus|hence|so|in\s+conclusion|conclusion)\b[,:*\s]*"
    r"((?-i:[A-Z][a-z]+)\s+(?:[a-z]+\s+){1,3}?(?:the\s+)?(?:most|least|[a-z]{2,}est)\b[^.!?]{0,60})[.!]?[*\s]*",
    re.IGNORECASE,
)
# a loop of working or doubting rather than of an answer statement
_LOOP_WORK = re.compile(
    r"\b(?:let\s+me|let's|let\s+us|wait|maybe|perhaps|recompute|recheck|check|verify|try|hmm|but|however"
    r"|actually|suppose|if)\b",
    re.IGNORECASE,
)
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
    if disclaims(line):  # "I am not able to finish this.": nothing before it is an answer
        return Ending.NONE
    if (
        line.count("{") > line.count("}")
        or line.rfind("<<") > line.rfind(">>")
        or _open_math(_CALCULATOR.sub("", line))
    ):
        return Ending.NONE  # cut off inside a box, a fraction, a calculator annotation or math
    if last.isalpha():
        return Ending.NONE if _DANGLING.search(line[-12:]) else Ending.OPEN
    return Ending.CLEAN


def looping(text: str) -> bool:
    """Whether ``text`` ends in a repetition loop: its last characters recur again and again just before."""
    tail = text.rstrip()[-LOOP_WINDOW:]
    unit = tail[-LOOP_UNIT:]
    return len(unit.strip()) >= LOOP_UNIT // 4 and tail.count(unit) >= LOOP_REPEATS


def settled_value(block: str) -> str | None:
    """The value the statements of a repeated block assert, when they all assert the same one (a loop
    of "The original price of the shirt was $36."); None when no statement asserts a value with a
    word copula, when they differ, or when the block is work or doubt ("Let me recompute: 3 + 4 = 7")."""
    if _LOOP_WORK.search(block):
        return None
    values = set()
    for statement in _statements(block)[1:-1]:  # the first and the last may be cut
        if WORD_COPULA.search(_outside_math(statement)) is not None:
            value = statement_value(statement)
            if value is not None:
                values.add(value)
    return values.pop() if len(values) == 1 else None


def concluding_value(text: str, end: Ending) -> str | None:
    """The value the concluding statement of ``text`` asserts, or None.

    Statements from the end are read until one holds a value (at most ``MAX_STATEMENTS``); a response
    that ends in an unpunctuated word counts only when its last statement is a marked conclusion.
    The last paragraphs are read first (most conclusions are short), the whole tail only if needed."""
    if end is Ending.NONE:
        return None
    short = text[-SHORT_TAIL_CHARS:]
    paragraph = short.find("\n\n")
    if len(text) > SHORT_TAIL_CHARS and paragraph >= 0:
        statements = _statements(_CALCULATOR.sub("", short[paragraph + 2 :]))
        if len(statements) > MAX_STATEMENTS or end is Ending.OPEN:
            return _value(statements, end, text)
    return _value(_statements(_CALCULATOR.sub("", _tail(text))), end, text)


def _value(statements: list[str], end: Ending, text: str) -> str | None:
    if end is Ending.OPEN:
        lines = [line for line in _tail(text).split("\n") if line.strip()][-3:]
        plain = len(lines) >= 2 and not any(line.rstrip()[-1] in ".!?:" for line in lines[:-1])
        return _open_value(statements, plain)
    if statements and (named := _NAMED_WINNER.fullmatch(statements[-1])) and not _values(statements[-1]):
        return named.group(1)  # "Therefore, Evelyn has the greatest average speed." names its answer
    for statement in reversed(statements[-MAX_STATEMENTS:]):
        value = statement_value(statement)
        if value is not None:
            return value
    return None


def disclaims(line: str) -> bool:
    """Whether the last line says, in the first person, that the response gives no answer."""
    return _DISCLAIMER.search(line[-200:]) is not None


def _open_math(line: str) -> bool:
    """Whether ``line`` ends inside inline math: an unpaired ``$`` before an unfinished expression
    (``$13 + 23 = 29``), not a dollar amount (``costs $5``)."""
    if line.count("$") % 2 == 0:
        return False
    after = line[line.rfind("$") + 1 :]
    return _MATH_OPERATOR.search(after) is not None and not after.rstrip().endswith((".", "!"))


def _open_value(statements: list[str], plain_style: bool) -> str | None:
    """The value of an unpunctuated last statement: only its last clause, and only when it ends in its
    value and at most two words, three in a marked conclusion ("so Maria is 14 years old"), eight where
    the response writes its lines unpunctuated (GSM8K style)."""
    if not statements:
        return None
    last = statements[-1]
    words = 8 if plain_style else 3 if _MARKER.search(_outside_math(last)) else 2
    clause = _split(last, _CLAUSE)[-1]
    return _clause_value(clause) if _ENDS_WITH_VALUE[words].search(clause) else None


def statement_value(statement: str, *, figures: bool = True) -> str | None:
    """The value one statement asserts: in its last clause with a value, the first value after the
    first copula, else the clause's last value."""
    statement = statement.replace("**", "")
    cut = _COMMENTARY.search(_outside_math(statement))
    if cut and _values(statement[: cut.start()]):  # not "However, since ..., we get 120"
        statement = statement[: cut.start()]
    opening = _SUBORDINATE.match(_outside_math(statement))
    if opening and _values(statement[opening.end() :]):
        statement = statement[opening.end() :]
    clauses = _split(statement, _CLAUSE)
    for clause in reversed(clauses[1:]):  # a later clause that asserts: "..., and doubled it is 14"
        if _COPULA.search(_outside_math(clause)):
            value = _clause_value(clause, figures)
            if value is not None:
                return value
    return _clause_value(statement if len(clauses) > 1 else clauses[0], figures)


def _split(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` split where ``pattern`` matches outside math."""
    pieces, start = [], 0
    for match in pattern.finditer(_outside_math(text)):
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _clause_value(clause: str, figures: bool = True) -> str | None:
    """The value right after the last copula that has one ("is 6", "is equal to 6", "has a total of
    12", with any values listed after it: "are 2, 3 and 5"), else the value the clause opens with
    ("5 cars drove through", "Three trucks are needed"), else (with ``figures``) the result of its
    last equality chain ("take 459/51 = 9 minutes to blink 459 times"), else its last figure."""
    values = _values(clause)
    if not values:
        return None
    masked = _outside_math(clause)
    for start, _, value, _ in values:  # "there are 9240 ways to divide 12 people into ..."
        if _EXISTENTIAL.search(masked, max(0, start - 40), start):
            return value
    asserted = None
    for copula in _COPULA.finditer(masked):  # the last copula with its value: "... that is 1080"
        index = next((i for i, value in enumerate(values) if value[0] >= copula.end()), None)
        if index is not None and _FILLER.fullmatch(masked, copula.end(), values[index][0]):
            asserted = index
    if asserted is not None:
        return _listed(clause, masked, values, asserted)
    if _LEAD.fullmatch(masked, 0, values[0][0]):  # the value the clause opens with: "4,200 ways ..."
        return _listed(clause, masked, values, 0)
    for start, _, value, _ in values:  # the object of a verb: "8 appears 300 times", "can form 15 numbers"
        if _VERB_BEFORE.search(masked, max(0, start - 40), start):
            return value
    for start, _, value, _ in values:  # the value a comma-separated part opens with
        part = masked[masked.rfind(",", 0, start) + 1 : start]  # "Working backwards, twelve ..."
        if _LEAD.fullmatch(part) or ("," in masked[:start] and _FILLER.fullmatch(part)):
            return value
    for kinds in (("chain",), ("chain", "figure")) if figures else ():
        found = [value for _, _, value, kind in values if kind in kinds]
        if found:
            return found[-1]
    return None


def _listed(clause: str, masked: str, values: list[tuple[int, int, str, str]], first: int) -> str:
    """The value at ``first`` with the values listed after it ("are 2, 3 and 5", "$x = 2$ or $x = 3$");
    a compound quantity ("4 hours and 30 minutes") as written."""
    compound = _COMPOUND.match(masked, values[first][0])
    if compound is not None:
        return clause[compound.start() : compound.end()]
    listed = [values[first]]
    for value in values[first + 1 :]:
        if not _LIST_GAP.fullmatch(masked, listed[-1][1], value[0]):
            break
        listed.append(value)
    return ", ".join(value[2] for value in listed)


def _values(statement: str) -> list[tuple[int, int, str, str]]:
    """(start, end, value, kind) of the math, numbers, arithmetic chains and number words ("Four
    containers ...") in a statement, in order; kind is "chain" (the last side of an equality chain),
    "figure" or "word". Bare names ($k$) are not values."""
    values: list[tuple[int, int, str, str]] = []
    spans = _math_spans(statement)
    masked = _ARGUMENTS.sub(lambda m: " " * len(m.group()), _mask(statement, spans))
    found = [
        (start, end, content.strip(), False)
        for start, end, content in spans
        if not _NAME.fullmatch(content) and content.strip() not in ("%", "\\%")  # "78$\\%$"
    ]
    if "(" in masked:  # plain tuples are one value each: "the polar coordinates are (3, π/2)"
        tuples = [(m.start(), m.end()) for m in _PLAIN_TUPLE.finditer(masked)]
        found += [(start, end, statement[start:end], True) for start, end in tuples]
        masked = _mask(masked, [(start, end, "") for start, end in tuples])
    found += [
        (m.start(), m.end(), m.group().replace("$", "").strip(), True)
        for m in _PLAIN_VALUE.finditer(masked)
        if not _inside_word(masked, m.start(), m.end()) and not _UNFINISHED.match(masked, m.end())
    ]
    for start, end, expr, plain in found:
        if expr:
            value = last_side(expr, plain)
            values.append((start, end, value, "chain" if value != expr else "figure"))
    values += [
        (m.start(), m.end(), _NUMBER_WORDS[m.group(1).lower()], "word") for m in _NUMBER_WORD.finditer(masked)
    ]
    values.sort()
    return values


def _inside_word(text: str, start: int, end: int) -> bool:
    """A number glued to letters before it (``x2``, ``H2O``, ``Step3``) or to a single letter after it
    (``4x``, ``2x2``: a term of an expression written in plain text) is not a value."""
    before = start > 0 and (text[start - 1].isalpha() or text[start - 1] == "_")
    return before or _COEFFICIENT.match(text, end) is not None


def last_side(expr: str, plain: bool = False) -> str:
    """The last side of a chain of equalities between numbers (``12 + 30 + 41 = 83`` -> ``83``; in
    plain text, words are units: ``25 centimeters / 5 = 5``). A chain that names a quantity keeps the
    name with the last side when that is a number (``c_0 = \\int ... = 0`` -> ``c_0 = 0``; ``x = 5`` as
    it is), for the comparison to read; an expression set equal to a number is that number
    (``\\cot \\frac{3\\pi}{2} = 0`` -> ``0``)."""
    if "=" not in expr:
        return expr
    sides = expr.split("=")
    last = sides[-1].strip().rstrip(".")
    letters = [t for t in _TEX_LETTERS.findall(_TIMES.sub("*", expr)) if t not in _OPERATOR_COMMANDS]
    if plain or not letters:
        return last
    if not _PLAIN_NUMBER.fullmatch(last):
        return expr
    first = sides[0].strip()
    if _NAME.fullmatch(first) or _CALL.fullmatch(first):
        return f"{first} = {last}" if len(sides) > 2 else expr
    return last


@functools.lru_cache(maxsize=256)
def _math_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, content) of the math in ``text``; a ``$`` pair around prose is currency, not math."""
    spans = []
    pos = 0
    while (match := _MATH.search(text, pos)) is not None:
        content = next(g for g in match.groups() if g is not None)
        if (
            match.group().startswith("$")
            and not match.group().startswith("$$")
            and _currency(content, text, match.end())
        ):
            pos = match.start() + 1
            continue
        spans.append((match.start(), match.end(), content))
        pos = match.end()
    if "\\" in text:
        masked = _mask(text, spans)
        for match in _BARE_TEX.finditer(masked):
            start = match.start() - len(
                _COEFFICIENT_BEFORE.search(masked, max(0, match.start() - 8), match.start()).group()
            )
            spans.append((start, match.end(), text[start : match.end()]))
    return tuple(sorted(spans))


def last_number(text: str) -> str | None:
    """The last number in ``text`` that is not part of a name or a term (``x2``, ``4x``, ``2x2``)."""
    found = None
    for match in _LAST_NUMBER.finditer(text):
        if not _inside_word(text, match.start(), match.end()):
            found = match.group()
    return found


def first_value(text: str) -> str | None:
    """The first value in ``text``, or None."""
    values = _values(text)
    return values[0][2] if values else None


def has_words(text: str) -> bool:
    """Whether ``text`` has a word of three or more letters outside its math and LaTeX commands."""
    return _WORD.search(_outside_math(text)) is not None


def is_prose(text: str) -> bool:
    """Whether ``text`` has two plain words in a row outside its math ("will hire", not "x = 2 or 3")."""
    return _PROSE.search(_outside_math(text)) is not None


def _currency(content: str, text: str, end: int) -> bool:
    """Whether a ``$...$`` pair encloses prose between two dollar amounts ("$5 and gets $", "$12 + $3",
    "$50-$30") rather than math."""
    if _PROSE.search(content) is not None:
        return True
    return content[:1].isdigit() and (content[-1:] in " +-*/=x–" or text[end : end + 1].isdigit())


def _tail(text: str) -> str:
    """The last ``TAIL_CHARS`` characters, from a paragraph (else line) start so that no math is cut."""
    if len(text) <= TAIL_CHARS:
        return text
    tail = text[-TAIL_CHARS:]
    start = tail.find("\n\n")
    return tail[start + 2 :] if start >= 0 else tail[tail.find("\n") + 1 :]


def _mask(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """``text`` with its math replaced by "§" and spaces (same length), currency signs by spaces."""
    pieces, last = [], 0
    for start, end, _ in spans:
        pieces += [text[last:start], "§", " " * (end - start - 1)]
        last = end
    pieces.append(text[last:])
    return "".join(pieces).replace("$", " ")


@functools.lru_cache(maxsize=256)
def _outside_math(text: str) -> str:
    return _mask(text, _math_spans(text))


def _statements(tail: str) -> list[str]:
    """The statements of ``tail``, split at sentence ends and line breaks outside math; a statement that
    is only math (display math on its own lines) belongs to the one before it."""
    tail = _PERIOD_IN_MATH.sub("$.", tail)  # "is $2^{49}.$  Therefore ...": the full stop ends the sentence
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
    if statements and not masked.strip(" \t*#->`.,§"):  # only math: it completes the statement before
        statements[-1] += " " + piece
    else:
        statements.append(piece.strip())
