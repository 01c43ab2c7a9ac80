"""What is known about how a response was made, and the extraction it therefore gets.

The runner, re-grading, ``evalkit grade`` and every reward adapter describe each response with a
:class:`ResponseContext` and grade it through :func:`evalkit.graders.grade_many` (``contexts=``), so
one response gets one verdict wherever it is graded. :func:`effective_policy` is the one place the
context turns into extraction rules; :func:`committed_answer` applies it (with the two truncation
rules that depend on the text, not on policy fields).

A truncated response (stopped at the token limit) is credited only for an answer it committed to in
a closed box: ``box`` (the last closed box outside the reasoning; a response that loops "The final
answer is \\boxed{7}." until the limit is graded on 7) or ``think_box`` (the final box of a *closed*
reasoning block, the summary after ``</think>`` cut off before restating it), or an answer phrase
inside a finished sentence (``phrase``), or a concluding statement the response settled into, repeating
it until the limit (a loop: the same finished sentence :data:`LOOP_REPEATS` times at its end). Never by a
fallback otherwise: no single concluding statement, no last number, no JSON field, no box inside reasoning
that never closed, and no phrase whose answer the limit may have cut short ("The final answer is 1" of
"... is 12"). A loop that cycles through values never settles: it has no answer.
"""

import re
from dataclasses import dataclass, replace

from evalkit.graders.extract import DEFAULT_POLICY, MAX_BOX_CHARS, Extraction, ExtractionPolicy, find_answer

ANSWER_TYPES = ("number", "expression", "interval", "tuple", "choice", "text")
# the rules that read an answer a truncated response committed to (closed boxes, finished phrases)
COMMITTED_RULES = ("box", "think_box", "phrase")
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s)|\n")  # a finished sentence or line
LOOP_REPEATS = 3  # a finished sentence this often among the last ones: the response settled into a loop
_LOOP_WINDOW = 4 * LOOP_REPEATS  # how many of the last finished sentences are looked at


@dataclass(frozen=True, slots=True)
class ResponseContext:
    """How a response was made, as far as the grader needs to know.

    ``truncated``: it stopped at the token limit (``finish_reason == "length"``, or a trainer's
    completion without an EOS token). ``prompt_opens_think``: the prompt opened ``<think>`` (R1-style
    templates), so only text after ``</think>`` counts. ``answer_type``: the gold's declared type, when
    the benchmark declares one (one of :data:`ANSWER_TYPES`; any other value is ignored).
    """

    truncated: bool = False
    prompt_opens_think: bool = False
    answer_type: str | None = None


def effective_policy(base: ExtractionPolicy | None, context: ResponseContext | None) -> ExtractionPolicy:
    """The extraction policy for a response made as ``context`` says, starting from ``base`` (None:
    the default policy). Rules are only ever turned off, never on:

    - ``prompt_opens_think``: ``require_think_end`` (reasoning the prompt opened counts only once closed);
    - ``truncated``: no fallback (``conclusion``, ``last_number_fallback``, ``structured`` off);
    - ``answer_type == "choice"``: no last number (a choice is a letter).
    """
    policy = base or DEFAULT_POLICY
    if context is None:
        return policy
    changes: dict[str, bool] = {}
    if context.prompt_opens_think and not policy.require_think_end:
        changes["require_think_end"] = True
    if context.truncated:
        changes.update(conclusion=False, last_number_fallback=False, structured=False)
    if context.answer_type == "choice":
        changes["last_number_fallback"] = False
    changes = {name: value for name, value in changes.items() if getattr(policy, name) != value}
    return replace(policy, **changes) if changes else policy


def committed_answer(
    text: str, policy: ExtractionPolicy | None, context: ResponseContext | None
) -> Extraction | None:
    """The answer ``text`` gives under :func:`effective_policy` (``policy`` is the caller's base).

    For a truncated response, on top of the policy: reasoning that never closed gives no answer; a
    summary cut off after a closed reasoning block leaves that block's final box (``think_box``); a
    phrase's answer counts only from finished sentences; only :data:`COMMITTED_RULES` credit."""
    chosen = effective_policy(policy, context)
    if context is None or not context.truncated:
        return find_answer(text, chosen)
    close = text.rfind(THINK_CLOSE)
    if close < 0 and (chosen.require_think_end or THINK_OPEN in text):
        return None  # cut off inside its reasoning
    found = find_answer(text, chosen)
    if found is not None and found.rule == "phrase":
        finished = _finished(text)
        if close >= 0 and len(finished) < close + len(THINK_CLOSE):  # no finished sentence after </think>
            finished = text[: close + len(THINK_CLOSE)]
        found = find_answer(finished, chosen) if finished.rstrip() != text.rstrip() else found
    if found is None and close >= 0 and chosen.think_box:
        found = find_answer(text[: close + len(THINK_CLOSE)], chosen)  # the summary was cut off
    if found is not None and found.rule in COMMITTED_RULES:
        return found
    return _looped_conclusion(text, policy or DEFAULT_POLICY, chosen)


def _looped_conclusion(text: str, base: ExtractionPolicy, chosen: ExtractionPolicy) -> Extraction | None:
    """The concluding statement a truncated response repeated until the limit, where ``base`` allows
    conclusions: its last finished sentence, found :data:`LOOP_REPEATS` times among the last ones."""
    if not base.conclusion:
        return None
    finished = _finished(text)
    sentences = _SENTENCE_END.split(finished[-MAX_BOX_CHARS:] + "\n")  # the last one ends too
    tail = [s.strip() for s in sentences if s.strip()][-_LOOP_WINDOW:]
    if len(tail) < LOOP_REPEATS or tail.count(tail[-1]) < LOOP_REPEATS:
        return None
    found = find_answer(finished, replace(chosen, conclusion=True))
    return found if found is not None and found.rule == "conclusion" else None


def _finished(text: str) -> str:
    """``text`` up to its last finished sentence or line: what a cut at the token limit left whole."""
    last = None
    for last in _SENTENCE_END.finditer(text, max(0, len(text) - MAX_BOX_CHARS)):  # noqa: B007 - the last
        pass
    return text[: last.end()] if last else ""
