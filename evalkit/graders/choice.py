"""Multiple-choice reading: the option a response commits to, for golds whose answer type is ``choice``.

The engine reads a response this way when its :class:`~evalkit.graders.context.ResponseContext` says
``answer_type="choice"`` (GPQA Diamond). The gold is a letter, or a letter with the correct option's text
(``(D) 10^-4 ev``); equivalence compares letters, or the stated text with the gold's option text.

What commits to an option, the last one in the response winning: a box (``\\boxed{C}``), an answer
statement ("the answer is (C)", "Answer: C", "the correct option is C", "option C is correct", "I
choose C"), a closing line that is the letter alone ("C.", "**(C)**", "Therefore, C.") or the letter
with its option's text ("C. 10^-8 ev" as the last line), else whatever the general rules find (the
option's text in a concluding statement). Never a letter that only appears in the options list: a
block of two or more option lines ("A. ...", "B. ...") is removed before reading, so a response that
restates the options and stops commits to nothing. Sentences that name and reject options ("A is
wrong", "the answer is not B") are not statements of an answer. A truncated response gets only the
general rules' committed answers (a closed box, a phrase in a finished sentence); the reasoning a prompt
opened counts only once closed, as for any response.
"""

import re

from evalkit.graders.context import THINK_CLOSE, ResponseContext, committed_answer, effective_policy
from evalkit.graders.extract import Extraction, ExtractionPolicy

COMMITTED = ("box", "think_box", "phrase", "structured")  # the general rules a choice may be read by

LETTERS = "A-J"
# one option line: "A. text", "(B) text", "C) text", "**D.** text", "- A: text"
_OPTION_LINE = re.compile(rf"^[ \t>*#-]*\**\(?([{LETTERS}])\)?\**[.):]\**[ \t]+\S.*$")
# a letter, maybe bracketed or bold, ending a word and not a variable ("E = mc^2", "A(x)")
_L = rf"\(?\**([{LETTERS}])\**\)?(?![\w'’-]|\s*[=+*/^_(<>])"
_STATED = (
    # "the answer is (C)", "Answer: C", "the correct option is C", "the answer would be option C"
    re.compile(
        rf"\b(?i:answer|choice|option)\**\s*(?i:is|would\s+be|must\s+be|should\s+be|:)\s*\**"
        rf"(?!(?i:not)\b)(?:(?i:option|choice)\s*)?{_L}"
    ),
    # "option C is correct", "C is the correct answer", "(C) is right"
    re.compile(
        rf"(?:\b(?i:option|choice)\s*)?{_L}\s+is\s+(?:the\s+)?(?i:correct|right|best)"
        rf"(?:\s+(?i:answer|option|choice))?\b|(?:\b(?i:option|choice)\s*)?{_L}\s+is\s+the\s+answer\b"
    ),
    # "It is D.", "so it must be (D)": the letter closing a sentence
    re.compile(
        rf"\b(?:[Ii]t|[Tt]his|[Tt]hat)(?:'s|\s+is|\s+must\s+be|\s+would\s+be)\s+(?:(?i:option|choice)\s*)?{_L}"
        rf"(?=[.!]?\**(?:\s|$))"
    ),
    # "I choose C", "I'll go with option C", "we select (C)"
    re.compile(
        rf"\b(?:I|[Ww]e)(?:'ll|\s+will|\s+would)?\s+(?i:choose|pick|select|go\s+with)\s+(?:(?i:option|choice)\s*)?{_L}"
    ),
)
# a line that is the letter alone: "C.", "**(C)**", "Therefore, C.", "So the answer: C" is a statement
_LETTER_LINE = re.compile(
    rf"^[ \t>*#-]*(?:(?i:therefore|thus|so|hence|final(?:ly)?|answer)[,:]?\s*)?\**(?:(?i:option|choice)\s*)?"
    rf"\(?\**([{LETTERS}])\**\)?[.!]?\**[ \t]*$"
)
_SENTENCE = re.compile(r"(?:[^.!?]|[.!?](?!\s))+[.!?]?")  # a sentence, its end mark kept
_NEGATED = re.compile(rf"^\s*(?i:not)\s+\(?([{LETTERS}])\b")
_LETTER_ANSWER = re.compile(
    rf"^\s*(?:(?i:option|choice)\s*)?\(?([{LETTERS}])\)?(?:[.):]\s+\S.*|[.)]?\s*)$", re.DOTALL
)


MAX_OPTION_GAP = 12  # lines an option's text may run on before the next option line


def strip_options(text: str) -> str:
    """``text`` without its options lists, each replaced by blank lines: an ``A`` option line followed by
    ``B``, ``C``... option lines (an option's text may run on over a few lines), through the last
    option's text (up to the next blank line)."""
    lines = text.split("\n")
    letters = [(m.group(1) if (m := _OPTION_LINE.match(line)) else None) for line in lines]
    drop = [False] * len(lines)
    i = 0
    while i < len(lines):
        if letters[i] != "A":
            i += 1
            continue
        last, want, j = i, "B", i + 1
        while j < len(lines) and j - last <= MAX_OPTION_GAP:
            if letters[j] == want:
                last, want = j, chr(ord(want) + 1)
            elif letters[j] is not None and letters[j] != want:
                break
            j += 1
        if want == "B":  # a lone "A." line is no list
            i += 1
            continue
        end = last + 1
        while end < len(lines) and lines[end].strip() and letters[end] is None:
            end += 1  # the last option's text running on
        drop[i:end] = [True] * (end - i)
        i = end
    return "\n".join("" if dropped else line for line, dropped in zip(lines, drop, strict=True))


def letter_of(answer: str) -> str | None:
    """The option letter an extracted answer names (``C``, ``(C)``, ``option C``, ``C. 10^-8 ev``), else None."""
    match = _LETTER_ANSWER.match(answer.replace("\\text{", "").replace("}", "").strip("$ *"))
    return match.group(1) if match else None


def _squash(text: str) -> str:
    """Text compared for sameness: lower case, without spaces, ``$``, braces, bold and a final period."""
    return re.sub(r"[\s${}*]|\\[,;! ]", "", text).lower().rstrip(".")


def _gold_option(gold: str | None) -> tuple[str, str] | None:
    """(letter, option text) of a gold ``(D) text``; (letter, "") of a gold ``D``; None otherwise."""
    match = re.fullmatch(rf"\s*\(?([{LETTERS}])\)?(?:[.)]?\s+(.*\S))?\s*", gold or "", re.DOTALL)
    return (match.group(1), match.group(2) or "") if match else None


def read_choice(
    text: str, policy: ExtractionPolicy | None, context: ResponseContext | None, *, gold: str | None = None
) -> Extraction | None:
    """The option ``text`` commits to (as a letter, where it names one), or None. ``gold`` (``(D) text``)
    lets a response that states the correct option's text be read as its letter."""
    chosen = effective_policy(policy, context)
    option = _gold_option(gold)
    cleaned = strip_options(text)
    found = committed_answer(cleaned, policy, context)
    if found is not None and (found.rule not in COMMITTED or _NEGATED.match(found.answer)):
        found = None  # no fallback reads a choice; "the answer is not B" names none
    if found is not None:
        letter = letter_of(found.answer)
        if letter is None and option and option[1] and _squash(found.answer) == _squash(option[1]):
            letter = option[0]  # the correct option's text, stated
        found = Extraction(letter, found.rule) if letter else found
        if found.rule in ("box", "think_box"):
            return found
    if context is not None and context.truncated:
        return found  # a cut-off response: only what the general rules call committed
    close = cleaned.rfind(THINK_CLOSE)
    if chosen.require_think_end and close < 0:
        return found
    tail = cleaned[close + len(THINK_CLOSE) :] if close >= 0 else cleaned
    return _last_statement(tail) or found


def _last_statement(text: str) -> Extraction | None:
    """The last explicit choice in ``text``: an answer statement, or a closing line naming a letter."""
    best: tuple[int, str, str] | None = None
    for pattern in _STATED:
        for match in pattern.finditer(text):
            letter = next(g for g in match.groups() if g)
            if best is None or match.start() >= best[0]:
                best = (match.start(), letter, "phrase")
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", text) if m.group(0).strip()]
    for start, line in lines:  # each sentence of each line: "... is too small. Therefore, D."
        for sentence in _SENTENCE.finditer(line):
            match = _LETTER_LINE.match(sentence.group(0))
            if match and (best is None or start + sentence.start() >= best[0]):
                best = (start + sentence.start(), match.group(1), "conclusion")
    if lines:  # the closing line "C. 10^-8 ev": the letter with its option's text
        start, line = lines[-1]
        match = _OPTION_LINE.match(line)
        if match and (best is None or start >= best[0]):
            best = (start, match.group(1), "conclusion")
    return Extraction(best[1], best[2]) if best else None  # type: ignore[arg-type]
