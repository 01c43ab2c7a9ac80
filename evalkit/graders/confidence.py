"""Confidence statements: the certainty a model states about its answer is never the answer.

Some models close with ``Confidence: \\boxed{100\\%}``, a ``**Confidence**`` heading over a box,
``I am \\boxed{100\\%} confident.``, ``(confidence: high)`` or ``\\boxed{42 \\text{ (confidence 90\\%)}}``.
A statement is a label and its value side by side: a label (confidence, certainty, the probability that
the answer is correct) followed by a colon, a heading's line break or "is" (only after "my"/"our" or
before "in this answer": "the confidence level is 95%" may answer a statistics question) and then a
value (a box, a number, a percentage, a score out of ten, a word such as "high"); or a box or percentage
followed by "confident" (or by "sure"/"certain" after "I am"; "with 95% confidence" too, but not "95%
confidence interval"). :func:`without_confidence` removes every such statement, with the brackets, box
or ``\\text`` it fills, so that no extraction rule reads it; the words alone ("I am confident that ...")
remove nothing. A line that pairs the two (``Answer and Confidence (0-100): D, 80%``) keeps its answer
(``Answer: D``).
"""

import re

_LABEL = (
    r"(?:confidence|certainty)(?:[ \t]++(?:level|score|rating|estimate))?"
    r"(?:[ \t]*+\([^()\n]{0,30}\))?"  # "Confidence (0-100): 90"
)
_IN_ANSWER = r"[ \t]++in[ \t]++(?:(?:this|my|the)[ \t]++)?(?:final[ \t]++)?(?:answer|solution|result)"
_CORRECT = (
    r"probability[ \t]++(?:that|of)[ \t]++(?:(?:this|my|the)[ \t]++)?(?:final[ \t]++)?answer"
    r"[ \t]++(?:is|being)[ \t]++(?:correct|right)"
)
_BOX = r"\\(?:boxed|fbox)[ \t]*+\{(?:[^{}\n]|\{[^{}\n]{0,40}\}){0,60}\}"  # balanced: one level of braces
_PERCENT = r"\d{1,3}(?:\.\d+)?[ \t]*+(?:\\?%|percent\b)"
_NUMBER = (  # "0.9", "95%", "9/10", "8 out of 10"
    r"[~≈]?\d{1,3}(?:\.\d+)?(?!\d)"
    r"(?:[ \t]*+(?:\\?%|percent\b)|[ \t]*+/[ \t]*+\d{1,3}|[ \t]++out[ \t]++of[ \t]++\d{1,3})?"
)
_WORD = (
    r"(?:(?:very|fairly|quite|extremely|reasonably|moderately)[ \t]++)?"
    r"(?:high|medium|moderate|low|certain|full|complete|absolute)\b"
)
_VALUE = rf"[ \t*_]*+(?:\$[ \t]*+)?(?:{_BOX}|{_NUMBER}|{_WORD})(?:[ \t]*+\$)?"
# what "confident" and "with ... confidence" follow
_MEASURED = rf"(?:\$[ \t]*+)?(?:{_BOX}|{_PERCENT})(?:[ \t]*+\$)?"
_STATEMENT = re.compile(
    # a statement may fill a box, a \text or a bracket: "\boxed{\text{Confidence: } 90\%}", "(confidence 90%)"
    r"(?P<wrap>\\(?:text|textbf|boxed|fbox)[ \t]*+\{[ \t]*+)?(?P<open>[(\[][ \t]*+)?(?:\*\*|__)?[ \t]*+(?:"
    # a label, then a colon, "is" (after "my"), a heading's line break, or (in a bracket or opening a
    # line) only a space; then a value: "**Confidence Level:** 95%", "My confidence in this answer is 85%"
    rf"(?:\\text(?:bf)?\{{[ \t]*+{_LABEL}[ \t]*+[:：]?[ \t]*+\}}|{_LABEL}(?:{_IN_ANSWER})?[ \t*_]*+[:：=]"
    rf"|(?:my|our)[ \t]++{_LABEL}(?:{_IN_ANSWER})?[ \t]++(?:is|of|at|as)\b|{_LABEL}{_IN_ANSWER}[ \t]++is\b"
    rf"|{_CORRECT}[ \t*_]*+(?:[:：=]|is\b)|^[ \t#>*_-]*+{_LABEL}[ \t*_:：]*+\n(?:[ \t]*+\n)*"
    rf"|(?(open)|^[ \t#>*_-]*+){_LABEL}[ \t]++(?=\$?(?:\d|\\boxed)))"
    rf"{_VALUE}"
    # a value, then what it measures: "\boxed{100\%} confident", "I'm 90% sure", "with 95% confidence"
    rf"|{_MEASURED}[ \t]*+confident\b"
    rf"|\b(?:I(?:['’]m|[ \t]++am)|we(?:['’]re|[ \t]++are))[ \t]++{_MEASURED}[ \t]*+(?:sure|certain)\b"
    rf"|\bwith[ \t]++{_MEASURED}[ \t]++(?:confidence|certainty)\b(?![ \t]++(?:interval|level|bound|region|band))"
    r")[ \t]*+(?:\*\*|__)?(?(open)[ \t]*+[)\]])(?(wrap)[ \t]*+\})(?:\.(?!\d))?",
    re.IGNORECASE | re.MULTILINE,
)
# an answer and its confidence on one labelled line: "Answer and Confidence (0-100): D, 80%" answers D
_PAIR = re.compile(
    rf"\b(?P<label>answer)[ \t]++(?:and|&)[ \t]++{_LABEL}[ \t*_]*+[:：][ \t*_]*+\n?[ \t]*+(?P<answer>[^\n]{{1,200}}?)"
    rf"[ \t]*+[,;][ \t]*+{_NUMBER}(?=[ \t*_.`]*+$)",
    re.IGNORECASE | re.MULTILINE,
)
_SURE = re.compile(r"[%}]\$?[ \t]*+(?:sure|certain)")  # "I'm 90% sure", in lower case


def without_confidence(text: str) -> str:
    """``text`` with its confidence statements removed (in linear time); substring tests first spare
    most responses the full scan."""
    lowered = text.lower()
    if (
        "confiden" in lowered
        or "certainty" in lowered
        or ("probability" in lowered and "correct" in lowered)
        or (("sure" in lowered or "certain" in lowered) and _SURE.search(lowered))
    ):
        return _STATEMENT.sub("", _PAIR.sub(r"\g<label>: \g<answer>", text))
    return text
