"""The grader's answer: one immutable verdict per (response, gold) pair."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of grading one response against one gold answer.

    ``method`` names the check that decided (exact, numeric, symbolic, structural, choice, text,
    none, timeout, error); ``reason`` says why in words.
    """

    correct: bool
    pred: str | None
    gold: str
    method: str
    reason: str
