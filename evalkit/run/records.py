"""Per-sample records: the one format shared by the run store, the metrics and the reports."""

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

Kind = Literal["greedy", "sample"]


@dataclass(frozen=True, slots=True)
class SampleRecord:
    """One response to one problem, with its verdict.

    ``sample_index`` is 0 for the greedy run and 0..n-1 within the sampled run.
    """

    problem_id: str
    kind: Kind
    sample_index: int
    seed: int | None
    prompt_hash: str
    response: str
    completion_tokens: int
    finish_reason: str
    gold: str
    pred: str | None
    correct: bool
    method: str
    reason: str
    # the extraction rule that found ``pred``; None in runs stored before rules were kept
    rule: str | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        """Identity of the sample within a run: (problem_id, kind, sample_index)."""
        return (self.problem_id, self.kind, self.sample_index)

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SampleRecord":
        """Build from a stored dict; a missing required field raises ``KeyError`` naming it."""
        required = [f.name for f in fields(cls) if f.name not in _OPTIONAL]
        missing = [n for n in required if n not in data]
        if missing:
            raise KeyError(f"record lacks field(s): {', '.join(missing)}")
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


_OPTIONAL = frozenset({"rule"})
