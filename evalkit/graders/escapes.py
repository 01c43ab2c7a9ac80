"""Repair LaTeX that went through a JSON or C string unescaped: ``\\x08oxed{\\x0crac{7}{9}}`` is
``\\boxed{\\frac{7}{9}}``.

A control character followed by letters is read as the backslash command it was only when the result
is a known LaTeX command (one alternation of the known names, so plain text costs one scan). A tab, newline or carriage return is also ordinary text, so where the result
could be ordinary text (a new line starting ``u = ...`` is not ``\\nu = ...``) it is repaired only when
the text shows other escape damage or the character sits inside math (after ``$``, ``{``, ``=`` ...).
One regular-expression pass: linear in the text length.
"""

import re

_LETTER = {"\x07": "a", "\x08": "b", "\t": "t", "\n": "n", "\x0b": "v", "\x0c": "f", "\r": "r"}
_COMMAND_NAMES = """
    alpha approx angle ast arcsin arccos arctan aleph boxed beta bar binom begin bigcup bigcap
    bf bot bullet big bigl bigr bigg bmod backslash boldsymbol frac fbox forall text times
    theta tan tau to top tfrac tilde textbf textit textrm triangle tanh therefore tbinom right
    rho rangle rfloor rceil rightarrow rm rvert neq ne nu nabla neg not ni notin nmid nleq
    ngeq vec varphi vee vert vdots varepsilon vartheta varnothing
"""
_COMMANDS = frozenset(_COMMAND_NAMES.split())
# results that are also ordinary text after a tab or a new line ("\tan apple", a line "u = 2")
_AMBIGUOUS = frozenset(
    {
        "tan",
        "to",
        "top",
        "tau",
        "ne",
        "nu",
        "ni",
        "not",
        "neg",
        "nmid",
        "rm",
        "bar",
        "big",
        "bot",
        "vee",
        "ast",
        "angle",
        "ngle",
    }
)
# a control character and the rest of a known command's name, as a whole word
_DAMAGE = re.compile(
    "(?:"
    + "|".join(
        re.escape(char)
        + "(?:"
        + "|".join(sorted((c[1:] for c in _COMMANDS if c[0] == letter), key=len, reverse=True))
        + ")"
        for char, letter in _LETTER.items()
    )
    + ")(?![A-Za-z])"
)
_UNAMBIGUOUS_CHARS = re.compile(r"[\x07\x08\x0b\x0c]")
_CHARS_BUT_LF = "\x07\x08\t\x0b\x0c\r"
_MATH_BEFORE = frozenset("${(=^_+-*/|&\\[")


REPAIR_CHARS = 40_000  # only the end of a response is repaired: every answer rule reads the end


def damaged(text: str) -> bool:
    """Whether ``text`` holds a control character other than a line feed (tab included): only then can
    a command outside the answer (``\\x08oxed``, ``\\x0crac``) be damaged. A line feed alone can only
    stand for ``\\neq``, ``\\nu``...: the answer is repaired, not the whole text."""
    return any(char in text for char in _CHARS_BUT_LF)


def repair_escapes(text: str, *, math: bool = False) -> str:
    """``text`` with control characters that stand for a backslash command turned back into it (in its
    last ``REPAIR_CHARS`` characters); ``math``: ``text`` is an answer, so ``\\nu`` or ``\\tan`` cannot
    be ordinary text."""
    if len(text) > REPAIR_CHARS:
        return text[:-REPAIR_CHARS] + repair_escapes(text[-REPAIR_CHARS:], math=math)
    if not damaged(text) and "\n" not in text:
        return text
    candidates = list(_DAMAGE.finditer(text))
    if not candidates:
        return text
    evident = math or _UNAMBIGUOUS_CHARS.search(text) or any(_word(m) not in _AMBIGUOUS for m in candidates)
    pieces: list[str] = []
    last = 0
    for match in candidates:
        word = _word(match)
        if word in _AMBIGUOUS and not evident and not _in_math(text, match.start()):
            continue
        pieces.append(text[last : match.start()])
        pieces.append("\\" + word)
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def _word(match: re.Match[str]) -> str:
    """The command a control character and the letters after it stand for (without the backslash)."""
    return _LETTER[match.group()[0]] + match.group()[1:]


def _in_math(text: str, pos: int) -> bool:
    """Whether the character before ``pos`` opens or continues math rather than ending a line of prose."""
    return pos > 0 and text[pos - 1] in _MATH_BEFORE
