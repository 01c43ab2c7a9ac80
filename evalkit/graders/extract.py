"""Find the final answer in a model response, the way a careful human grader reads it.

Rules, in priority order (the one that fired is reported with the answer): ``box`` (the last box,
with the boxes that answer the same question), ``phrase`` ("The final answer is", "Answer:",
"**Final Answer**", "#### 42", a closing "A: 42" line), ``structured`` (the answer field of a JSON
object), ``conclusion`` (the value the concluding statement asserts), ``think_box`` (a box inside a
closed ``<think>`` with no answer after it), ``last_number``. The fallbacks (conclusion, last number)
never read a response that commits to nothing: cut off mid-expression or mid-question, a repetition
loop, empty. No rule reads a stated confidence level (``Confidence: \\boxed{100\\%}``, see
``confidence``). Only string scanning happens here (linear in the response length); nothing is
evaluated, and JSON is read with ``json``.
"""

import itertools
import json
import re
from dataclasses import dataclass
from typing import ClassVar, Literal, NamedTuple

from evalkit.graders.conclusion import (
    LOOP_UNIT,
    LOOP_WINDOW,
    NOT_ABBREVIATION,
    WORD_COPULA,
    Ending,
    concluding_value,
    ending,
    first_value,
    has_words,
    is_prose,
    last_number,
    last_side,
    looping,
    settled_value,
    statement_value,
)
from evalkit.graders.confidence import without_confidence
from evalkit.graders.escapes import damaged, repair_escapes

BOX_COMMANDS = ("\\boxed", "\\fbox")
MAX_BOXES = 32  # boxes inspected from the end of a response
MAX_BOX_CHARS = 20_000  # a box that does not close within this many characters cannot be read

# What may stand between boxes that together form one answer (``x = \\boxed{2} or x = \\boxed{3}``,
# ``\\boxed{2} for part (a) and \\boxed{5} for part (b)``).
_BOX_SEPARATOR = re.compile(
    r"(?:\s|\$|\\[()\[\],;]|\\quad|\\qquad|[,;&:*]|\\text\{\s*(?:and|or|,)?\s*\}|\band\b|\bor\b|\b[A-Za-z]\s*="
    r"|\bfor\b|\b[Pp]art\b|\([a-h]\)|\b[a-h]\))*"
)
# "The final answer is", "Final Answer:", a "**Final Answer**" heading, "The answer is", "Answer:",
# "答案是", "故答案为：", "**答案**：", "Answer \[ 14 \]", "Answer $$ 14 $$", GSM8K's "#### 42"; not "put your final answer within ...".
_ANSWER_PHRASE = re.compile(
    r"(?:final\s+answer(?:\s*(?:is\b|:)|\s*\*\*|[ \t]*(?=\n))|answer\s+is\b|answer\s*:|答案\s*\**\s*[是为為:：]|【答案】"
    r"|(?:correct|right|best)\s+(?:choice|option)\s+is\b"
    r"|\banswer[ \t]*(?=\$\$|\\\[)|####[ \t]*(?=[-$\d]))[\s:*_：]*",
    re.IGNORECASE,
)
_OPTION_WORD = re.compile(r"(?i:option|choice)[ \t]+(?=\(?[A-J]\b)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TAG = re.compile(r"<[a-z/][a-z_]{1,12}>")  # an end-of-answer tag after it: "10<eoa>"
MAX_PHRASES = 8
MAX_BARE_CHARS = 60  # a response this short that is no sentence is its own answer
# end-of-sequence tokens left at the end of a response: "... is 0.</s><s>"
_END_TOKENS = re.compile(
    r"(?:\s*(?:</?s>|<\|(?:im_end|eot_id|endoftext|end|end_of_text)\|>|<eos>))+\s*$"
)  # answer phrases inspected from the end of a response
_CLOSING_A = re.compile(r"[ \t]*A:[ \t]*(?=\S)")  # a Q/A-format response's closing "A: 26" line
# the answer field of a JSON object: {"reasoning": "...", "answer": "83"}
_JSON_FIELD = re.compile(r'[{,]\s*"(?:final[_ ]?answer|answer)"\s*:\s*', re.IGNORECASE)
_GUESS = re.compile(
    r"\b(?:maybe|perhaps|might|guess|try|trying|suppose|if|so\s+far|seems?|probably|tentative(?:ly)?)\b",
    re.IGNORECASE,
)
# a part label opening a line: "(a)", "**(b)**", "c)", "Part (a):", "Part b"
_PART_LABEL = re.compile(r"(?m)^[ \t>#*-]*(?:[Pp]art\s*)?\(?([a-h])\)|^[ \t>#*-]*[Pp]art\s+([a-h])\b")
_BOX_PREFIX = re.compile(r"(?:\s*\\(?:boxed|fbox)\s*\{)+")
_BARE_ARGUMENT = re.compile(r"[ \t]+([^\s$]+)")
# an answer set apart on its own: display math or a code block
_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|```[A-Za-z]*\n(.+?)```", re.DOTALL)
_DELIMITER_ONLY = re.compile(r"(?:\$|\\[\[(]|`)+")  # a display or code block cut off before its content
_INLINE_MATH = re.compile(
    r"\$\$(.+?)\$\$|(?<!\\)\$((?:\\.|[^$\\])+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL
)
_SENTENCE_END = re.compile(NOT_ABBREVIATION + r"\.(?:\s|$)|。|\n")
# where a plain-text answer gives way to commentary: "12, which checks", "5 because ..."
_CLAUSE = re.compile(r",\s+(?!(?:and|or)\b)[a-z]{2,}\b|\s+\(?(?:because|since|which)\b")

# where the model's turn ended and it went on to write another: an end-of-turn token or chat-template
# header with text before it, a "Human:"/"User:" line, or a system prompt ("You are an AI assistant ...")
_TURN_TOKEN = re.compile(
    r"<(?:\|(?:im_end|im_start|eot_id|start_header_id|endoftext|end_of_text|end)\|>|/s>|eos>)"
)
_TURN_LINE = re.compile(
    r"\n[ \t]*(?:(?:Human|User|HUMAN|USER)[ \t]*:"
    r"|You\s+are\s+an?\s+(?:AI\s+|helpful\s+|honest\s+|harmless\s+|large\s+language\s+model\s+)*assistant\b)"
)
# a new problem after a finished statement ("... I hope it is correct.\n\nProblem: ...")
_NEW_PROBLEM = re.compile(r"\n[ \t]*\n[ \t]*(?:Problem|Question)[ \t]*:")
# after a box in the reasoning, doubt that abandons it ("Wait, that double counts ...")
_DOUBT = re.compile(
    r"\b(?:wait|but|however|actually|hmm|mistake|wrong|incorrect|recompute|recount|recheck|redo)\b",
    re.IGNORECASE,
)
# what may stand between boxes of one final sentence that answer together ("the smaller root is
# \boxed{2}, and the larger root is \boxed{3}"): a short gap with "and", no correction
_SENTENCE_BOX_GAP = re.compile(r"[^.!?\n]{0,100}")
_BOX_GAP_BLOCKER = re.compile(
    r"\b(?:but|wait|however|actually|instead|not|no|wrong|incorrect|fails?|so|thus|hence|therefore|then|since"
    r"|because|gives?|get|gets|yields?|implies|if|maybe|or|again|check(?:ing)?|first|initially|earlier|correct(?:ed|ing)?)\b",
    re.IGNORECASE,
)
_BOX_GAP_JOINER = re.compile(r"\band\b")
# math that follows the first in a phrase answer: "$x = 2$ or $x = 3$"
_MORE_MATH = re.compile(r"\s*,?\s*(?:(?:and|or)\s+)?(?=\$|\\\()")
_SENTENCE_REST = re.compile(r"[\s.,;!*]*(?:(?:\.|\n).*)?", re.DOTALL)  # nothing more in the sentence
# a sentence that names the chosen option: "option D is correct", "choice (B) is the answer"
_CHOSEN_OPTION = re.compile(
    r"\b(?:option|choice|answer)\s*\(?((?-i:[A-E]))\)?\s+(?:is|must\s+be|would\s+be)\s+(?:the\s+)?(?:correct|right|answer)\b"
    r"|\bI\s+(?:would\s+|will\s+|'ll\s+)?(?:choose|pick|select|go\s+with)\s+(?:option\s+|choice\s+)?\(?((?-i:[A-E]))\)?(?![\w(])",
    re.IGNORECASE,
)  # (also "I choose B", "I will go with (C)"; the letter in capitals)

_CHOICE_WORDS = ("ption", "hoice", "nswer", "hoose", "pick", "elect", "go with")  # one is in every match

Rule = Literal["box", "phrase", "structured", "conclusion", "think_box", "last_number"]


class Extraction(NamedTuple):
    """An answer as written (without its box) and the rule that found it."""

    answer: str
    rule: Rule


@dataclass(frozen=True, slots=True)
class ExtractionPolicy:
    """Which rules may find an answer (the module docstring gives their order).

    ``last_number_fallback``: with nothing else, the last number of a response that commits to one.
    ``require_think_end``: the prompt opened a ``<think>`` block, so only text after ``</think>`` counts.
    ``phrases``, ``structured``, ``conclusion``, ``think_box``: the rules of those names.
    ``repair_escapes``: read ``\\x08oxed`` (a ``\\boxed`` damaged by a JSON string) as the command it was.
    The default is for evaluation; :meth:`strict` (a box or nothing) is for rewards. Plain booleans:
    ``dataclasses.asdict`` is JSON and ``ExtractionPolicy(**d)`` restores it.
    """

    last_number_fallback: bool = True
    require_think_end: bool = False
    phrases: bool = True
    structured: bool = True
    conclusion: bool = True
    think_box: bool = True
    repair_escapes: bool = True

    PRESETS: ClassVar[tuple[str, ...]] = ("default", "strict")

    @classmethod
    def strict(cls, *, require_think_end: bool = False) -> "ExtractionPolicy":
        """A box or nothing: no phrase, JSON field, conclusion or number stands in for one."""
        return cls(
            last_number_fallback=False,
            require_think_end=require_think_end,
            phrases=False,
            structured=False,
            conclusion=False,
            think_box=False,
        )

    @classmethod
    def named(cls, name: str, *, require_think_end: bool = False) -> "ExtractionPolicy":
        """The preset called ``name``: "default" (evaluation) or "strict" (rewards)."""
        if name == "strict":
            return cls.strict(require_think_end=require_think_end)
        if name == "default":
            return cls(require_think_end=require_think_end)
        raise ValueError(f"unknown extraction policy {name!r}; known: {', '.join(cls.PRESETS)}")


DEFAULT_POLICY = ExtractionPolicy()
POLICIES = {name: ExtractionPolicy.named(name) for name in ExtractionPolicy.PRESETS}


def extract_answer(text: str, policy: ExtractionPolicy | None = None) -> str | None:
    """The final answer written in ``text`` (as written, without its box), or None."""
    found = find_answer(text, policy)
    return found.answer if found else None


def find_answer(text: str, policy: ExtractionPolicy | None = None) -> Extraction | None:
    """The final answer written in ``text`` and the rule that found it, or None."""
    policy = policy or DEFAULT_POLICY
    found = _find(repair_escapes(text) if policy.repair_escapes and damaged(text) else text, policy)
    if found and policy.repair_escapes and "\n" in found.answer:  # "x\neq 2" was "x \\neq 2"
        return Extraction(repair_escapes(found.answer, math=True), found.rule)
    return found


def _find(text: str, policy: ExtractionPolicy) -> Extraction | None:
    """:func:`find_answer` on a repaired text."""
    text = _own_turn(text)
    end_tokens = _END_TOKENS.search(text, max(0, len(text) - 200))
    text = text[: end_tokens.start()] if end_tokens else text
    tail = without_confidence(text[-MAX_BOX_CHARS:])  # "Confidence: \\boxed{100\\%}" is no answer
    text = text[:-MAX_BOX_CHARS] + tail
    close = text.rfind("</think>")
    if close >= 0:
        reasoning, text = text[:close], text[close + len("</think>") :]
    elif policy.require_think_end:
        return None
    else:
        reasoning = ""
    unclosed = close < 0 and "<think>" in text
    if unclosed and ending(text) is not Ending.CLEAN:
        return None  # reasoning cut off before it closed: what it tried along the way is no answer
    loop = looping(text)
    if loop:
        stated = _loop_answer(text, policy)
        if stated is not None:  # the loop states answers: the one it settles on, or none
            return stated or None
    box = _boxed_answer(text)
    if box is not None:
        return Extraction(box, "box") if box else None
    how = ending(text)
    found = None if loop else _stated_answer(text, policy)
    if found is None and policy.conclusion and not unclosed and not loop:
        value = _bare_answer(text) or concluding_value(text, how)
        found = Extraction(value, "conclusion") if value else None
    if found is None and policy.think_box and reasoning:  # nothing after the reasoning states an answer,
        box = _committed_box(reasoning)  # or what follows it was cut off: its final box counts
        found = Extraction(box, "think_box") if box else None
    if loop:
        return found
    if found is None and policy.last_number_fallback and how is Ending.CLEAN and not unclosed:
        number = last_number(text[-MAX_BOX_CHARS:])
        found = Extraction(number, "last_number") if number else None
    return found


def _own_turn(text: str) -> str:
    """The response up to where the model went on to write a new chat turn (``<|im_start|>user``,
    ``<|eot_id|><|start_header_id|>user``, a ``Human:`` line, a system prompt), or a new "Problem:"
    after a finished statement. Substring searches first: most responses hold no marker."""
    cut = len(text)
    if "<" in text:
        for match in _TURN_TOKEN.finditer(text):
            if text[: match.start()].strip():
                cut = match.start()
                break
    if (
        ("U" in text and ("User" in text or "USER" in text))
        or ("H" in text and ("Human" in text or "HUMAN" in text))
        or ("Y" in text and "You are" in text)
    ):
        for match in _TURN_LINE.finditer(text, 0, cut):
            if text[: match.start()].strip():
                cut = match.start()
                break
    text = text[:cut]
    asks = ("P" in text and "Problem" in text) or ("Q" in text and "Question" in text)
    problem = _NEW_PROBLEM.search(text) if asks else None
    if problem is not None and ending(text[: problem.start()]) is Ending.CLEAN:
        text = text[: problem.start()]
    return text


def _loop_answer(text: str, policy: ExtractionPolicy) -> Extraction | Literal[""] | None:
    """What a response that ends in a repetition loop states in the loop: the answer all its boxes
    (else all its answer phrases) give, "" when they differ (a loop that never settles), None when
    the loop states no answer."""
    tail = text.rstrip()[-LOOP_WINDOW:]
    last = len(tail) - LOOP_UNIT
    previous = tail.rfind(tail[last:], 0, len(tail) - 1)
    period = last - previous if 0 <= previous < last else len(tail)
    block = tail[-3 * period :]
    spans = _box_spans(block) or []
    if spans:
        values = {_unwrap(content.strip()) for _, _, content in spans}
        return Extraction(values.pop(), "box") if len(values) == 1 else ""
    if not policy.phrases:
        return None
    matches = list(itertools.islice(_ANSWER_PHRASE.finditer(block), 2 * MAX_PHRASES))
    answers = {_answer_after(block, match) for match in matches[:-1]}  # the last copy may be cut off
    answers.discard(None)
    if not answers:
        value = settled_value(block) if policy.conclusion else None  # "The price was $36." again and again
        return Extraction(value, "conclusion") if value else None
    return Extraction(answers.pop(), "phrase") if len(answers) == 1 else ""  # type: ignore[arg-type]


def _bare_answer(text: str) -> str | None:
    """A response that is nothing but a short answer (``140^\\circ``, ``$4x - 7$``, ``0, 1``) is that
    answer (an expression set equal to a number is the number); not words, and not one cut off after
    an operator."""
    answer = text.strip()
    if (
        len(answer) > MAX_BARE_CHARS
        or "\n" in answer
        or answer[-1:] in "=+-*/^_({[,;:\\"
        or has_words(answer)
    ):
        return None
    answer = answer.strip("$").removeprefix("\\(").removesuffix("\\)").strip()
    return last_side(answer) or None


def _committed_box(reasoning: str) -> str | None:
    """The last box of a closed reasoning block, unless it was only a guess ("maybe \\boxed{7}?")."""
    spans = _box_spans(reasoning)
    if not spans:
        return None
    start, end, content = spans[-1]
    before = reasoning[max(0, start - 60) : start]
    after = reasoning[end:]
    sentence_after = after[: after.find(".") if "." in after[:80] else 80]
    if after.lstrip(" $)\\]").startswith("?") or _GUESS.search(
        before[before.rfind(".") + 1 :] + sentence_after
    ):
        return None
    if (
        _DOUBT.search(after) and _unwrap(content.strip()) not in after
    ):  # abandoned: "Wait, that double counts"
        return None
    return _boxed_answer(reasoning)


def _stated_answer(text: str, policy: ExtractionPolicy) -> Extraction | None:
    """An answer phrase's answer, or a JSON answer field's; a phrase wins over the field only when it
    comes after the JSON (a trailing "The answer is 83."), not inside its reasoning string."""
    field = _json_answer(text) if policy.structured else None
    if policy.phrases:
        phrase = _phrase_answer(text[field[0] :] if field else text)
        if phrase:
            return Extraction(phrase, "phrase")
    if field and field[1]:
        return Extraction(field[1], "structured")
    window = text[-1_000:]
    if policy.phrases and any(word in window for word in _CHOICE_WORDS):  # the scan is slow: skip it
        chosen = None
        for chosen in _CHOSEN_OPTION.finditer(window):  # noqa: B007 - the last one
            pass
        if chosen is not None:
            return Extraction(chosen.group(1) or chosen.group(2), "phrase")
    return None


def _part_boxes(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]] | None:
    """The last box of each part when the response answers parts (a), (b), ... in turn, each with a
    box (the last run of part labels from "(a)"); None otherwise."""
    if "a)" not in text and "art a" not in text:
        return None
    labels = [(m.start(), m.group(1) or m.group(2)) for m in _PART_LABEL.finditer(text)]
    first = next((i for i in range(len(labels) - 1, -1, -1) if labels[i][1] == "a"), None)
    if first is None:
        return None
    parts = [labels[first][0]]
    for pos, letter in labels[first + 1 :]:
        if ord(letter) == ord("a") + len(parts):
            parts.append(pos)
    if len(parts) < 2:
        return None
    bounds = [*parts, len(text)]
    chosen = []
    for start, end in itertools.pairwise(bounds):
        inside = [span for span in spans if start <= span[0] < end]
        if not inside:
            return None
        chosen.append(inside[-1])
    return chosen


def _unwrap(content: str) -> str:
    """A box whose whole content is boxes within boxes is what the innermost holds (in linear time)."""
    prefix = _BOX_PREFIX.match(content)
    if prefix is None:
        return content
    inner = content[prefix.end() :]
    for _ in range(prefix.group().count("{")):
        inner = inner.rstrip()
        if not inner.endswith("}"):
            return content
        inner = inner[:-1]
    depth = 0
    for char in inner:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            return content
    return inner.strip() if depth == 0 else content


def _json_answer(text: str) -> tuple[int, str] | None:
    """(end, answer) of the last JSON answer field; the value is read with ``json`` (a string that is
    not valid JSON, such as ``"\\sqrt{2}"``, is taken as written)."""
    tail = text[-MAX_BOX_CHARS:]
    if 'answer"' not in tail.lower():
        return None
    match = None
    for match in _JSON_FIELD.finditer(tail):  # noqa: B007 - the last one is wanted
        pass
    if match is None:
        return None
    try:
        value, end = json.JSONDecoder().raw_decode(tail, match.end())
    except ValueError:
        close = tail.find('"', match.end() + 1) if tail.startswith('"', match.end()) else -1
        if close < 0:
            return None
        value, end = tail[match.end() + 1 : close].replace("\\\\", "\\"), close + 1
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    elif value is None or isinstance(value, (bool, dict)):
        return None
    answer = repair_escapes(str(value)).strip()
    answer = _boxed_answer(answer) or _phrase_answer(answer) or _sentence_value(answer) or answer
    return len(text) - len(tail) + end, answer


def _box_spans(text: str) -> list[tuple[int, int, str]] | None:
    """(start, end, content) of the non-blank closed boxes among the last ``MAX_BOXES``, in text order.

    A box still open where the text ends (a truncated response) is skipped; one that does not close
    within ``MAX_BOX_CHARS`` although the text goes on ends the search, and if it is the last box the
    answer cannot be read (None): an earlier box is not a fallback for it."""
    spans: list[tuple[int, int, str]] = []
    pos = len(text)
    for _ in range(MAX_BOXES):
        boxed, fbox = text.rfind("\\boxed", 0, pos), text.rfind("\\fbox", 0, pos)  # BOX_COMMANDS
        start = max(boxed, fbox)
        if start < 0:
            break
        pos = start
        argument = start + (len("\\boxed") if start == boxed else len("\\fbox"))
        found = _box_argument(text, argument)
        if found is None and text.startswith("{", argument) and argument + MAX_BOX_CHARS < len(text):
            if not spans:
                return None
            break
        if found is not None and found[1].strip():
            end, content = found
            while spans and end > spans[-1][0]:  # boxes nested in this one: keep the outer one
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
    if len(group) == 1:
        group = _part_boxes(text, spans) or _sentence_boxes(text, spans) or group
    contents = dict.fromkeys(_unwrap(content.strip()) for _, _, content in group)  # ordered, no repeats
    return ", ".join(contents)


def _sentence_boxes(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]] | None:
    """The boxes of the last sentence when they answer together ("the smaller root is \\boxed{2}, and
    the larger root is \\boxed{3}"): short gaps with "and", none correcting a box or
    deriving one from another ("so", "but", "since", "not" ...); None otherwise."""
    group = [spans[-1]]
    for span in reversed(spans[:-1]):
        gap = text[span[1] : group[0][0]]
        if (
            _SENTENCE_BOX_GAP.fullmatch(gap) is None
            or _BOX_GAP_JOINER.search(gap) is None
            or _BOX_GAP_BLOCKER.search(gap) is not None
        ):
            break
        group.insert(0, span)
    return group if len(group) > 1 else None


def _phrase_answer(text: str) -> str | None:
    """What follows the last "final answer is" / "Answer:" phrase with an answer: display math or a
    code block it opens with, else the math its line opens with, else its sentence up to any trailing
    clause ("12, which checks") and the math in that; a sentence asserts its value ("Final Answer:
    The smallest $k$ is 12." states 12)."""
    tail = text[-MAX_BOX_CHARS:]
    lowered = tail.lower()
    phrased = (
        "answer" in lowered or "choice" in lowered or "option" in lowered or "答案" in tail or "####" in tail
    )
    matches = list(_ANSWER_PHRASE.finditer(tail))[-MAX_PHRASES:] if phrased else []
    closing = _CLOSING_A.match(tail, tail.rstrip().rfind("\n") + 1)
    if closing is not None:
        matches.append(closing)
    for match in reversed(matches):
        answer = _answer_after(tail, match)
        if answer is not None:
            return answer
    return None


def _answer_after(tail: str, match: re.Match[str]) -> str | None:
    """The answer one answer phrase (``match`` in ``tail``) introduces, or None."""
    rest = tail[match.end() :].lstrip()
    display = _DISPLAY.match(rest)
    answer = next(g for g in display.groups() if g is not None) if display else _line_answer(rest)
    answer = _TAG.split(answer, 1)[0].strip().lstrip("}")  # "}": \\text{answer is }
    answer = _undecorated(answer).strip("*` ").rstrip(".")
    if (option := _OPTION_WORD.match(answer)) is not None:  # "the answer is option (D) 15" chose (D)
        answer = answer[option.end() :]
    if answer.endswith((":", "：")):  # "Answer: first we solve the system:" and a derivation
        answer = concluding_value(_TAG.split(rest, 1)[0], Ending.CLEAN) or ""
    elif _CJK.search(answer):  # "解方程得到n=8"
        answer = statement_value(answer) or answer
    return answer if answer and not _DELIMITER_ONLY.fullmatch(answer) else None


def _is_decoration(char: str) -> bool:
    """An emoji, check mark or end-of-proof mark (not a degree sign or a currency or math symbol)."""
    code = ord(char)
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or code in (0xFE0F, 0x200D, 0x220E, 0x25A0, 0x25A1)
    )


def _undecorated(answer: str) -> str:
    """``answer`` without the emoji and check marks that close it ("12** 🎉", "12 ✅"), in linear time."""
    end = len(answer)
    decorated = False
    while end and (answer[end - 1] in " \t*" or _is_decoration(answer[end - 1])):
        decorated = decorated or _is_decoration(answer[end - 1])
        end -= 1
    return answer[:end] if decorated else answer


def _sentence_value(answer: str) -> str | None:
    """What an answer written as a sentence asserts ("The smallest $k$ is 12", "that Carl will hire
    200 workers", "64 filters in the first layer"); None if it is not one or asserts no value."""
    words = answer.split()
    if (len(words) >= 4 and is_prose(answer)) or (
        len(words) >= 3 and answer[:1].isalpha() and WORD_COPULA.search(answer)
    ):  # only a value it asserts or opens with, or the first of a "that" clause: "that C will advertise 5"
        return statement_value(answer, figures=False) or (first_value(answer) if words[0] == "that" else None)
    return None


def _line_answer(rest: str) -> str:
    """The answer on the line after an answer phrase."""
    line = rest.split("\n", 1)[0]
    math = _INLINE_MATH.search(line)
    if math is None or line[: math.start()].strip("* "):  # the answer does not open with math
        end = _SENTENCE_END.search(line)
        line = line[: end.start()] if end else line
        asserted = _sentence_value(line.strip("* "))
        if asserted is not None:
            return asserted
        clause = _CLAUSE.search(line)
        if clause and line[: clause.start()].strip("* "):
            line = line[: clause.start()]
        math = _INLINE_MATH.search(line)
    if math is None:
        return line
    contents = [next(g for g in math.groups() if g is not None)]
    end = math.end()
    while (more := _MORE_MATH.match(line, end)) is not None and len(contents) < MAX_PHRASES:
        following = _INLINE_MATH.match(line, more.end())
        if following is None:
            break
        contents.append(next(g for g in following.groups() if g is not None))
        end = following.end()
    if len(contents) > 1 and not _SENTENCE_REST.fullmatch(line, end):  # "$5$, and $5 > 3$ confirms it"
        return contents[0]
    return ", ".join(contents)
