"""How a run's responses are graded, typed: the extraction policy and the golds' declared answer types.

:class:`RunGrading` is what the runner grades with, what re-grading reads back from a manifest and what
``evalkit grade`` stores for AReaL's folders. In the manifest it is the ``grader`` section (with the grader
``version`` beside it): :meth:`RunGrading.section` writes it, :meth:`RunGrading.from_section` reads it (the
fields it lacks keep their defaults, the fields of a newer evalkit are not ours to read), so two runs are
graded alike exactly when their ``RunGrading`` objects are equal.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from types import MappingProxyType
from typing import Any

from evalkit.graders.context import ANSWER_TYPES, ResponseContext
from evalkit.graders.extract import ExtractionPolicy

AnswerTypes = str | Mapping[str, str] | None  # one type for every gold, one per problem id, or none declared


@dataclass(frozen=True)
class RunGrading:
    """The extraction ``policy`` of a run and its golds' ``answer_type`` (one for all, or per problem id)."""

    policy: ExtractionPolicy = field(default_factory=ExtractionPolicy)
    answer_type: AnswerTypes = None

    def __post_init__(self) -> None:
        if isinstance(self.answer_type, Mapping):  # frozen: a per-problem table nobody can change
            object.__setattr__(self, "answer_type", MappingProxyType(dict(self.answer_type)))

    def answer_type_of(self, problem_id: str) -> str | None:
        """The declared answer type of problem ``problem_id``'s gold (None: not declared, or unknown)."""
        declared = self.answer_type
        if isinstance(declared, Mapping):
            declared = declared.get(problem_id)
        return declared if declared in ANSWER_TYPES else None

    def context(self, problem_id: str, *, truncated: bool) -> ResponseContext:
        """What the grader is told of a response to problem ``problem_id`` (the policy carries the rest)."""
        return ResponseContext(truncated=truncated, answer_type=self.answer_type_of(problem_id))

    def section(self) -> dict[str, Any]:
        """The manifest's ``grader`` section, less the version: every policy field, and ``answer_type``
        where one is declared."""
        section = asdict(self.policy)
        if self.answer_type is not None:
            declared = self.answer_type
            section["answer_type"] = dict(declared) if isinstance(declared, Mapping) else declared
        return section

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> "RunGrading":
        """The grading a manifest's ``grader`` section records (its ``version`` and unknown fields ignored)."""
        known = {f.name for f in fields(ExtractionPolicy)}
        policy = ExtractionPolicy(**{k: v for k, v in section.items() if k in known})
        declared = section.get("answer_type")
        return cls(policy, declared if isinstance(declared, str | Mapping) else None)
