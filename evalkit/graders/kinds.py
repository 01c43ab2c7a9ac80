"""Answers that are not a mathematical value, read and compared: words (``Evelyn``, ``the circle``, a
short sentence that names the answer), yes or no, multiple-choice letters (``(B)``, ``option (B)``,
``C) 17``) and numerals in a base (``1011_2``).

Words compare case-insensitively, a leading article aside (``the circle`` is ``circle``), and a short
sentence states a word answer that is its subject or its complement (``Priya walks the farthest``,
``it is an ellipse``; never with a negation, a second option or a comparison).
"""

import re

_TEXT = re.compile(r"[A-Za-z][A-Za-z' \-]*")
_LETTER_RUN = re.compile(r"[A-Za-z]{3,}")
_SHORT_WORDS = frozenset({"no"})  # answer words too short for _LETTER_RUN (else: symbols, case-sensitive)
_GOLD_CHOICE = re.compile(r"\(([A-E])\)(.*)|([A-E])")
# a letter alone, or "(B)" followed by its option text: not by an operator ("(B)+1"), nor another choice
# (also "option (B)", "choice B", and "C) 17": a capital letter with a closing bracket and its option text)
_PRED_CHOICE = re.compile(
    r"(?:(?:option|choice)\s*)?\(?([A-Ea-e])\)?|(?:\(([A-Ea-e])|([A-E]))\)(?![-+*/^_=<>,.!])(?!.*\([A-Ea-e]\)).+"
)
_STATED_OPTION = re.compile(r"(?:\([A-Ea-e]|[A-E])\)\s*(\S.*)")
_BASED = re.compile(r"([0-9A-Fa-f]+)_\{?\(?(\d{1,2})\)?\}?")  # 52_8, 52_{8}, 52_{(8)}
_ARTICLE = re.compile(r"^(?:the|an?)\s+(?=\S)")
_ARTICLES = frozenset({"the", "a", "an"})
_COPULAS = frozenset({"is", "are", "was", "were", "be"})
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_SENTENCE_BLOCKER = re.compile(
    r"\b(?:not|no|never|none|nobody|neither|nor|cannot|and|or|but|both|either|with|than|tied?|ties"
    r"|equally|same|except|then|unless|if|maybe|perhaps|probably)\b|n't",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"(yes|no)(?:\s*[,.;:!]|$)", re.IGNORECASE)  # a yes or no that opens an answer


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
    return (match.group(1) or match.group(2) or match.group(3)).upper() if match else None


def based_number(latex: str) -> tuple[str, int] | None:
    """``1011_2`` -> ("1011", 2); None when ``latex`` is not a subscripted numeral."""
    match = _BASED.fullmatch(latex)
    if match is None or not 2 <= int(match.group(2)) <= 36:
        return None
    return match.group(1).upper(), int(match.group(2))


def as_numeral(latex: str, other: tuple[str, int] | None) -> tuple[str, int] | None:
    """A numeral written without a base takes the other side's base (``1011`` for ``1011_2``)."""
    if other is None or not latex.isalnum() or not latex.isascii():
        return None
    return latex.upper(), other[1]


def based_value(numeral: tuple[str, int]) -> int | None:
    try:
        return int(numeral[0], numeral[1])
    except ValueError:
        return None


def numerals_match(pred: tuple[str, int] | None, gold: tuple[str, int] | None) -> bool:
    """Numerals in a base: same base and digits (leading zeros aside)."""
    if pred is None or gold is None:
        return False
    return pred[1] == gold[1] and pred[0].lstrip("0") == gold[0].lstrip("0")


_SAME_WORDS = {"dne": "doesnotexist"}  # an abbreviation and the words it stands for


def text_key(text: str) -> str:
    """Words without case, spacing, punctuation or a leading article (``the circle`` is ``circle``;
    ``DNE`` is ``does not exist``)."""
    key = "".join(char for char in _ARTICLE.sub("", text.casefold(), count=1) if char.isalnum())
    return _SAME_WORDS.get(key, key)


def sentence_names(sentence: str, answer: str) -> bool:
    """Whether a short sentence gives a word answer as its subject (``Priya walks the farthest``) or
    its complement (``the winner is Priya``, ``it is an ellipse``); never with a negation, a second
    option or a comparison (``not``, ``and``, ``or``, ``than``, ``tied``...)."""
    words, wanted = _WORD.findall(sentence), _WORD.findall(_ARTICLE.sub("", answer.casefold(), count=1))
    lowered = [word.casefold() for word in words]
    if not 1 <= len(wanted) <= 3 or not len(wanted) < len(words) <= 12 or _SENTENCE_BLOCKER.search(sentence):
        return False
    start = 1 if lowered[0] in _ARTICLES else 0
    if lowered[start : start + len(wanted)] == wanted and start + len(wanted) < len(words):
        return words[start + len(wanted)].islower()  # a verb follows (``Priya walks``), not a surname
    end = len(words) - len(wanted)
    before = lowered[:end]
    if lowered[end:] != wanted or not before:
        return False
    return before[-1] in _COPULAS or (before[-1] in _ARTICLES and len(before) > 1 and before[-2] in _COPULAS)


def yes_no_match(pred: str, gold: str) -> bool | None:
    """Whether an answer that opens with yes or no (``Yes, u is a constant.``) gives a gold ``Yes`` or
    ``No``; None when the gold is neither or the answer opens with neither."""
    said = _YES_NO.match(pred)
    if gold.casefold() not in ("yes", "no") or said is None:
        return None
    return said.group(1).casefold() == gold.casefold()
