"""Stage 3, the grader: symbolic grading of math answers, extraction kept apart from equivalence checking.

``extract`` finds the final answer (``choice`` the option letter of a multiple-choice answer;
``confidence`` drops the confidence level a response states, which is never the answer),
``normalize`` and ``parse`` (with ``brackets``, ``nodes``, ``numbers``, ``kinds``) read it,
``equivalence`` (with ``structures``, ``intervals``, ``leaves``, ``arithmetic``) and ``symbolic`` decide
equivalence, ``pool`` runs sympy in time- and memory-limited workers, and ``engine`` ties them together
with a cache; ``context`` turns how a response was made (truncated, reasoning opened by the prompt, the
gold's type) into the extraction it gets. ``version`` numbers
the verdicts it gives; ``audit`` cross-checks them with Math-Verify; ``saved`` reads saved
generations back for re-grading. Imports nothing of evalkit's other stages.
"""

from evalkit.graders.context import ResponseContext, effective_policy
from evalkit.graders.engine import Grader, equivalent, grade, grade_many
from evalkit.graders.extract import POLICIES, Extraction, ExtractionPolicy, extract_answer, find_answer
from evalkit.graders.verdict import Verdict
from evalkit.graders.version import GRADER_VERSION

__all__ = [
    "GRADER_VERSION",
    "POLICIES",
    "Extraction",
    "ExtractionPolicy",
    "Grader",
    "ResponseContext",
    "Verdict",
    "effective_policy",
    "equivalent",
    "extract_answer",
    "find_answer",
    "grade",
    "grade_many",
]
