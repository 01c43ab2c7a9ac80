"""The grader's answer: one immutable verdict per (response, gold) pair."""

from dataclasses import dataclass
from typing import Literal

from evalkit.graders.extract import Rule

Method = Literal["exact", "numeric", "symbolic", "structural", "choice", "text", "none", "timeout", "error"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of grading one response against one gold answer.

    ``method`` names the check that decided; ``reason`` says why in words; ``rule`` names the
    extraction rule that found ``pred`` (``box``, ``phrase``, ``structured``, ``conclusion``,
    ``think_box``, ``last_number``), None when nothing was extracted (no answer, or ``extract=False``).
    """

    correct: bool
    pred: str | None
    gold: str
    method: Method
    reason: str
    rule: Rule | None = None
