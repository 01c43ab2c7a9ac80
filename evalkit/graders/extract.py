"""Find the final answer in a model response: boxes, "final answer" phrases, optional last number.

Only string scanning happens here (linear in the response length); nothing is parsed or evaluated.
"""

import re
from dataclasses import dataclass

BOX_COMMANDS = ("\\boxed", "\\fbox")
MAX_BOXES = 32  # boxes inspected from the end of a response
MAX_BOX_CHARS = 20_000  # a box that does not close within this many characters cannot be read

# What may stand between two boxes that together form one multi-answer (``x = \\boxed{2} or x = \\boxed{3}``).
_BOX_SEPARATOR = re.compile(
    r"(?:\s|\$|\\[()\[\],;]|\\quad|\\qquad|[,;&]|\\text\{\s*(?:and|or|,)?\s*\}|\band\b|\bor\b|\b[A-Za-z]\s*=)*"
)
# "The final answer is", "Final Answer:", a "**Final Answer**" heading, "The answer is", "Answer:",
# "答案是"; not "put your final answer within ...".
_ANSWER_PHRASE = re.compile(
    r"(?:final\s+answer(?:\s*(?:is\b|:)|\s*\*\*|[ \t]*(?=\n))|answer\s+is\b|answer\s*:|答案\s*[是为為:：])[\s:*]*",
    re.IGNORECASE,
)
MAX_PHRASES = 8  # answer phrases inspected from the end of a response
_BARE_ARGUMENT = re.compile(r"[ \t]+([^\s$]+)")
# an answer set apart on its own: display math or a code block
_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|```[A-Za-z]*\n(.+?)```", re.DOTALL)
_DELIMITER_ONLY = re.compile(r"(?:\$|\\[\[(]|`)+")  # a display or code block cut off before its content
_INLINE_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_SENTENCE_END = re.compile(r"\.(?:\s|$)|。|\n")
# where a plain-text answer gives way to commentary: "12, which checks", "5 because ..."
_CLAUSE = re.compile(r",\s+(?!(?:and|or)\b)[a-z]{2,}\b|\s+(?:because|since|which)\b")
_LAST_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:/\d+)?")


@dataclass(frozen=True, slots=True)
class ExtractionPolicy:
    """How answers are found.

    ``last_number_fallback``: with no box and no answer phrase, take the last number in the text.
    ``require_think_end``: the prompt opened a ``<think>`` block, so only text after ``</think>`` counts.
    """

    last_number_fallback: bool = False
    require_think_end: bool = False


DEFAULT_POLICY = ExtractionPolicy()


def extract_answer(text: str, policy: ExtractionPolicy | None = None) -> str | None:
    """The final answer written in ``text`` (as written, without its box), or None."""
    policy = policy or DEFAULT_POLICY
    text = _after_reasoning(text, policy)
    if text is None:
        return None
    for finder in (_boxed_answer, _phrase_answer):
        answer = finder(text)
        if answer is not None:
            return answer or None
    if policy.last_number_fallback:
        numbers = _LAST_NUMBER.findall(text[-MAX_BOX_CHARS:])
        return numbers[-1] if numbers else None
    return None


def _after_reasoning(text: str, policy: ExtractionPolicy) -> str | None:
    """The part of the response after the reasoning block; None if reasoning never closed."""
    end = text.rfind("</think>")
    if end >= 0:
        return text[end + len("</think>") :]
    if policy.require_think_end:
        return None
    return text


def _box_spans(text: str) -> list[tuple[int, int, str]] | None:
    """(start, end, content) of the non-blank closed boxes among the last ``MAX_BOXES``, in text order.

    A box still open where the text ends (a truncated response) is skipped; one that does not close
    within ``MAX_BOX_CHARS`` although the text goes on ends the search, and if it is the last box the
    answer cannot be read (None): an earlier box is not a fallback for it."""
    spans: list[tuple[int, int, str]] = []
    pos = len(text)
    for _ in range(MAX_BOXES):
        start = max(text.rfind(cmd, 0, pos) for cmd in BOX_COMMANDS)
        if start < 0:
            break
        pos = start
        command = next(cmd for cmd in BOX_COMMANDS if text.startswith(cmd, start))
        argument = start + len(command)
        found = _box_argument(text, argument)
        if found is None and text.startswith("{", argument) and argument + MAX_BOX_CHARS < len(text):
            if not spans:
                return None
            break
        if found is not None and found[1].strip():
            end, content = found
            if spans and end > spans[-1][0]:  # nested box: keep the outer one
                spans.pop()
            spans.append((start, end, content))
    spans.reverse()
    return spans


def _box_argument(text: str, pos: int) -> tuple[int, str] | None:
    """The braced (or ``\\boxed 5``-style bare) argument starting at ``pos``: (end, content)."""
    if pos < len(text) and text[pos] == "{":
        depth = 0
        limit = min(len(text), pos + MAX_BOX_CHARS)
        for i in range(pos, limit):
            char = text[i]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return i + 1, text[pos + 1 : i]
        return None
    match = _BARE_ARGUMENT.match(text, pos)
    if match is None:
        return None
    return match.end(), match.group(1).rstrip(".,;")


def _boxed_answer(text: str) -> str | None:
    """The last box, joined with the distinct boxes directly before it (``\\boxed{1}, \\boxed{2}``);
    None without a box, "" when the last box cannot be read."""
    spans = _box_spans(text)
    if spans is None:
        return ""
    if not spans:
        return None
    group = [spans[-1]]
    for span in reversed(spans[:-1]):
        between = text[span[1] : group[0][0]]
        if _BOX_SEPARATOR.fullmatch(between) is None:
            break
        group.insert(0, span)
    contents = dict.fromkeys(content.strip() for _, _, content in group)  # ordered, no repeats
    return ", ".join(contents)


def _phrase_answer(text: str) -> str | None:
    """What follows the last "final answer is" / "Answer:" phrase with an answer: display math or a
    code block it opens with, else the math its line opens with, else its sentence up to any trailing
    clause ("12, which checks") and the math in that."""
    tail = text[-MAX_BOX_CHARS:]
    matches = list(_ANSWER_PHRASE.finditer(tail))
    for match in reversed(matches[-MAX_PHRASES:]):
        rest = tail[match.end() :].lstrip()
        display = _DISPLAY.match(rest)
        answer = next(g for g in display.groups() if g is not None) if display else _line_answer(rest)
        answer = answer.strip().strip("*`").strip().rstrip(".")
        if answer and not _DELIMITER_ONLY.fullmatch(answer):
            return answer
    return None


def _line_answer(rest: str) -> str:
    """The answer on the line after an answer phrase."""
    line = rest.split("\n", 1)[0]
    math = _INLINE_MATH.search(line)
    if math is None or line[: math.start()].strip("* "):  # the answer does not open with math
        end = _SENTENCE_END.search(line)
        line = line[: end.start()] if end else line
        clause = _CLAUSE.search(line)
        if clause and line[: clause.start()].strip("* "):
            line = line[: clause.start()]
        math = _INLINE_MATH.search(line)
    return next(g for g in math.groups() if g is not None) if math else line
