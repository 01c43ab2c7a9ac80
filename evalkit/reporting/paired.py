"""Two runs compared: per-benchmark deltas with a paired test over problems.

For each metric the per-problem differences (B - A) on the problems both runs share get a sign-flip
permutation test (two-sided p-value) and a paired bootstrap 95% confidence interval of the mean.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from prettytable import PrettyTable

from evalkit.reporting.metrics import DEFAULT_KS, ProblemRecords, group_by_problem
from evalkit.run.records import SampleRecord


@dataclass(frozen=True, slots=True)
class PairedTest:
    """Mean of paired differences, its bootstrap 95% CI and the sign-flip permutation p-value."""

    mean: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True, slots=True)
class Delta:
    """One metric of one benchmark in runs A and B (percent), with the paired test of B - A."""

    benchmark: str
    metric: str
    num_problems: int
    a: float
    b: float
    test: PairedTest


def paired_test(diffs: Sequence[float], *, n_resamples: int = 10000, seed: int = 0) -> PairedTest:
    """Sign-flip permutation test of mean(diffs) = 0 and a percentile bootstrap CI of the mean."""
    d = np.asarray(diffs, dtype=float)
    if d.size == 0:
        raise ValueError("paired test needs at least one paired problem")
    rng = np.random.default_rng(seed)
    observed = d.mean()
    null = (rng.choice([-1.0, 1.0], size=(n_resamples, d.size)) * d).mean(axis=1)
    p_value = (1 + np.count_nonzero(np.abs(null) >= abs(observed) - 1e-12)) / (n_resamples + 1)
    boot = d[rng.integers(0, d.size, size=(n_resamples, d.size))].mean(axis=1)
    low, high = np.percentile(boot, [2.5, 97.5])
    return PairedTest(float(observed), float(low), float(high), float(p_value))


def _per_problem(problems: Sequence[ProblemRecords], ks: Sequence[int]) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    greedy = [p.greedy for p in problems if p.greedy is not None]
    if len(greedy) == len(problems):
        values["greedy_acc"] = [float(r.correct) for r in greedy]
    if all(p.n for p in problems):
        values["sample_pass@1"] = [p.c / p.n for p in problems]
        values |= {f"pass@{k}": [p.pass_at_k(k) for p in problems] for k in ks}
    return values


def compare_benchmark(
    name: str,
    records_a: Sequence[SampleRecord],
    records_b: Sequence[SampleRecord],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    n_resamples: int = 10000,
    seed: int = 0,
) -> list[Delta]:
    """Deltas of one benchmark on the problems both runs share; ``k`` above either run's n is skipped."""
    a, b = group_by_problem(records_a), group_by_problem(records_b)
    shared = [pid for pid in a if pid in b]
    if not shared:
        raise ValueError(f"{name}: the two runs share no problem ids")
    pa, pb = [a[pid] for pid in shared], [b[pid] for pid in shared]
    min_n = min(p.n for p in [*pa, *pb])
    usable = [k for k in ks if 1 < k <= min_n]
    va, vb = _per_problem(pa, usable), _per_problem(pb, usable)
    deltas = []
    for metric in [m for m in va if m in vb]:
        x, y = np.asarray(va[metric]), np.asarray(vb[metric])
        test = paired_test(100 * (y - x), n_resamples=n_resamples, seed=seed)
        deltas.append(Delta(name, metric, len(shared), 100 * x.mean(), 100 * y.mean(), test))
    return deltas


def compare_runs(
    runs_a: Mapping[str, Sequence[SampleRecord]],
    runs_b: Mapping[str, Sequence[SampleRecord]],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    n_resamples: int = 10000,
    seed: int = 0,
) -> list[Delta]:
    """Deltas for every benchmark present in both runs (see :func:`compare_benchmark`)."""
    return [
        delta
        for name in runs_a
        if name in runs_b
        for delta in compare_benchmark(
            name, runs_a[name], runs_b[name], ks=ks, n_resamples=n_resamples, seed=seed
        )
    ]


def render_deltas(deltas: Sequence[Delta], marked: Sequence[str] = ()) -> str:
    """The deltas table; benchmarks in ``marked`` (run with different settings) get a ``*``."""
    table = PrettyTable()
    table.field_names = ["dataset", "metric", "problems", "A", "B", "B - A", "95% CI", "p-value"]
    table.align["dataset"] = table.align["metric"] = "l"
    for d in deltas:
        t = d.test
        table.add_row(
            [f"{d.benchmark} *" if d.benchmark in marked else d.benchmark, d.metric, d.num_problems, f"{d.a:.1f}", f"{d.b:.1f}", f"{t.mean:+.1f}",
             f"[{t.ci_low:+.1f}, {t.ci_high:+.1f}]", f"{t.p_value:.4f}"]
        )  # fmt: skip
    return table.get_string()
