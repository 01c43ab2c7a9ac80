"""Metrics over graded records: unbiased pass@k, maj@k, lengths, truncation and standard errors.

All accuracies are percentages, as in AReaL's table. Standard errors are sample standard deviations
(``ddof=1``) divided by the square root of the count, in percentage points, and ``None`` when fewer
than two values exist.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from evalkit.run.records import SampleRecord

Equivalent = Callable[[str, str], bool]
DEFAULT_KS: tuple[int, ...] = (8, 16)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with ``c`` correct out of ``n`` samples (Chen et al. 2021).

    ``1 - C(n-c, k) / C(n, k)``, computed as a product for numerical stability.
    """
    if not 0 < k <= n:
        raise ValueError(f"pass@{k} needs 1 <= k <= n, but n = {n} samples")
    if not 0 <= c <= n:
        raise ValueError(f"correct count c = {c} outside 0..{n}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@dataclass(frozen=True, slots=True)
class ProblemRecords:
    """The records of one problem: its greedy record (if any) and its samples by ``sample_index``."""

    problem_id: str
    greedy: SampleRecord | None
    samples: tuple[SampleRecord, ...]

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def c(self) -> int:
        return sum(r.correct for r in self.samples)

    def pass_at_k(self, k: int) -> float:
        """pass@k of this problem; a ``k`` above its sample count raises ``ValueError`` naming it."""
        try:
            return pass_at_k(self.n, self.c, k)
        except ValueError as e:
            raise ValueError(f"problem {self.problem_id!r}: {e}") from None


def group_by_problem(records: Iterable[SampleRecord]) -> dict[str, ProblemRecords]:
    """Group records by problem, in first-seen order; a repeated key keeps the last record."""
    greedy: dict[str, SampleRecord] = {}
    samples: dict[str, dict[int, SampleRecord]] = {}
    for r in records:
        samples.setdefault(r.problem_id, {})
        if r.kind == "greedy":
            greedy[r.problem_id] = r
        else:
            samples[r.problem_id][r.sample_index] = r
    return {
        pid: ProblemRecords(pid, greedy.get(pid), tuple(by_index[i] for i in sorted(by_index)))
        for pid, by_index in samples.items()
    }


def grader_equivalent(timeout: float = 5.0) -> Equivalent:
    """Answer equivalence by the grader (``grade(a, b, extract=False)``), cached per pred pair."""
    from evalkit.graders import grade

    @cache
    def equivalent(a: str, b: str) -> bool:
        return a == b or grade(a, b, extract=False, timeout=timeout).correct

    return equivalent


def cluster_answers(preds: Sequence[str | None], equivalent: Equivalent) -> list[int | None]:
    """Group id of each pred: preds join the first earlier group whose first pred is equivalent.

    ``None`` (no answer extracted) gets no group: it abstains from the vote.
    """
    heads: list[str] = []
    ids: list[int | None] = []
    for pred in preds:
        if pred is None:
            ids.append(None)
            continue
        gid = next((g for g, head in enumerate(heads) if equivalent(pred, head)), None)
        if gid is None:
            gid = len(heads)
            heads.append(pred)
        ids.append(gid)
    return ids


def majority_group(groups: Sequence[int | None]) -> int | None:
    """The largest group; ties go to the group that appeared first (lowest id). ``None`` if no answers."""
    counts = np.bincount([g for g in groups if g is not None])
    return int(np.argmax(counts)) if counts.size else None


def majority_correct(samples: Sequence[SampleRecord], equivalent: Equivalent) -> bool:
    """maj verdict of ``samples``: the verdict of the first member of the majority answer group."""
    groups = cluster_answers([r.pred for r in samples], equivalent)
    winner = majority_group(groups)
    return winner is not None and samples[groups.index(winner)].correct


def mean_length(records: Iterable[SampleRecord]) -> float | None:
    """Mean ``completion_tokens`` over the records whose length is known (a negative count is unknown:
    responses read from AReaL's files); ``None`` when none is."""
    lengths = [r.completion_tokens for r in records if r.completion_tokens >= 0]
    return float(np.mean(lengths)) if lengths else None


def _percent(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) * 100 if len(values) else None


def _stderr(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) * 100


def _seed_accuracies(problems: Sequence[ProblemRecords]) -> list[float]:
    """Accuracy of each "seed run": sample index ``j`` across the problems that have it."""
    width = max((p.n for p in problems), default=0)
    return [float(np.mean([p.samples[j].correct for p in problems if p.n > j])) for j in range(width)]


@dataclass(frozen=True, slots=True)
class BenchmarkMetrics:
    """The metrics of one benchmark run: accuracies in percent, lengths in tokens, ``None`` where nothing
    was there to average. ``pass_at``, ``maj_at`` and ``pass_at_stderr`` are keyed by k."""

    num_questions: int
    greedy_length: float | None
    sample_length: float | None
    greedy_acc: float | None
    sample_pass_at_1: float | None
    pass_at: dict[int, float | None]
    maj_at: dict[int, float | None]
    num_samples: int  # the smallest sample count of a problem
    greedy_truncated: float | None
    sample_truncated: float | None
    greedy_acc_stderr: float | None
    sample_pass_at_1_stderr: float | None
    sample_pass_at_1_seed_stderr: float | None
    pass_at_stderr: dict[int, float | None]

    def to_dict(self) -> dict[str, float | int | None]:
        """The JSON form, under the names of AReaL's table (``sample_pass@1``, ``pass@8``, ``maj@32``), its
        fields first (see docs/evaluation.md)."""
        return {
            "num_questions": self.num_questions,
            "greedy_length": self.greedy_length,
            "sample_length": self.sample_length,
            "greedy_acc": self.greedy_acc,
            "sample_pass@1": self.sample_pass_at_1,
            **{f"pass@{k}": v for k, v in self.pass_at.items()},
            **{f"maj@{k}": v for k, v in self.maj_at.items()},
            "num_samples": self.num_samples,
            "greedy_truncated": self.greedy_truncated,
            "sample_truncated": self.sample_truncated,
            "greedy_acc_stderr": self.greedy_acc_stderr,
            "sample_pass@1_stderr": self.sample_pass_at_1_stderr,
            "sample_pass@1_seed_stderr": self.sample_pass_at_1_seed_stderr,
            **{f"pass@{k}_stderr": v for k, v in self.pass_at_stderr.items()},
        }


def aggregate(
    records: Iterable[SampleRecord],
    ks: Sequence[int] = DEFAULT_KS,
    *,
    maj_ks: Sequence[int] | None = None,
    equivalent: Equivalent | None = None,
) -> BenchmarkMetrics:
    """Metrics of one benchmark run.

    ``maj_ks`` defaults to the smallest sample count (maj@32 for 32 samples); ``equivalent``
    defaults to :func:`grader_equivalent`. Any ``k`` above a problem's sample count raises
    ``ValueError`` naming the problem.
    """
    problems = list(group_by_problem(records).values())
    greedy = [p.greedy for p in problems if p.greedy is not None]
    sampled = [p for p in problems if p.n]
    samples = [r for p in sampled for r in p.samples]
    min_n = min((p.n for p in sampled), default=0)
    if maj_ks is None:
        maj_ks = (min_n,) if min_n else ()

    greedy_correct = [float(r.correct) for r in greedy]
    pass1 = [p.c / p.n for p in sampled]
    pass_k = {k: [p.pass_at_k(k) for p in sampled] for k in ks}
    maj: dict[int, float | None] = {}
    if maj_ks:
        eq = equivalent or grader_equivalent()
        for k in maj_ks:
            short = next((p for p in sampled if p.n < k), None)
            if short is not None:
                raise ValueError(f"maj@{k} needs k <= n, but problem {short.problem_id!r} has n = {short.n}")
            maj[k] = _percent([float(majority_correct(p.samples[:k], eq)) for p in sampled])
    return BenchmarkMetrics(
        num_questions=len(problems),
        greedy_length=mean_length(greedy),
        sample_length=mean_length(samples),
        greedy_acc=_percent(greedy_correct),
        sample_pass_at_1=_percent(pass1),
        pass_at={k: _percent(v) for k, v in pass_k.items()},
        maj_at=maj,
        num_samples=min_n,
        greedy_truncated=_percent([float(r.truncated) for r in greedy]),
        sample_truncated=_percent([float(r.truncated) for r in samples]),
        greedy_acc_stderr=_stderr(greedy_correct),
        sample_pass_at_1_stderr=_stderr(pass1),
        sample_pass_at_1_seed_stderr=_stderr(_seed_accuracies(sampled)),
        pass_at_stderr={k: _stderr(v) for k, v in pass_k.items()},
    )
