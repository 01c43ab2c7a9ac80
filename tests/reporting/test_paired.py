"""Run comparison: deltas per benchmark and the paired test over problems."""

from pathlib import Path

import numpy as np
import pytest

from evalkit.cli.main import main as cli_main
from evalkit.graders import GRADER_VERSION
from evalkit.reporting.paired import compare_benchmark, compare_runs, paired_test, render_deltas
from evalkit.run.records import SampleRecord
from evalkit.run.store import RunStore


def rec(pid: str, kind: str, index: int, correct: bool) -> SampleRecord:
    return SampleRecord(
        problem_id=pid, kind=kind, sample_index=index, seed=index, prompt_hash="h",  # type: ignore[arg-type]
        response="", completion_tokens=5, finish_reason="stop", gold="1",
        pred="1" if correct else "2", correct=correct, method="exact", reason="",
    )  # fmt: skip


def run(correct_per_problem: list[int], n: int = 4, greedy: list[bool] | None = None) -> list[SampleRecord]:
    """A run where problem i has ``correct_per_problem[i]`` correct samples out of ``n``."""
    greedy = greedy or [c > n // 2 for c in correct_per_problem]
    out = []
    for i, c in enumerate(correct_per_problem):
        out.append(rec(f"p{i}", "greedy", 0, greedy[i]))
        out += [rec(f"p{i}", "sample", j, j < c) for j in range(n)]
    return out


def test_paired_test_on_identical_runs_finds_nothing() -> None:
    t = paired_test([0.0] * 30)
    assert (t.mean, t.ci_low, t.ci_high, t.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_paired_test_detects_a_consistent_improvement() -> None:
    t = paired_test([25.0] * 20 + [0.0] * 10)
    assert t.mean == pytest.approx(50 / 3)
    assert t.p_value < 0.001
    assert 0 < t.ci_low < t.mean < t.ci_high


def test_paired_test_is_symmetric_and_reproducible() -> None:
    diffs = np.random.default_rng(1).normal(0, 10, size=30)
    up, down = paired_test(diffs, seed=3), paired_test(-diffs, seed=3)
    assert up.p_value == down.p_value
    assert up.ci_low == pytest.approx(-down.ci_high)
    assert paired_test(diffs, seed=3) == up
    assert 0.0 < up.p_value <= 1.0


def test_paired_test_p_value_matches_exact_enumeration_for_small_n() -> None:
    diffs = np.array([3.0, 1.0, 2.0, -1.0, 4.0])
    signs = np.array(np.meshgrid(*[[-1, 1]] * 5)).reshape(5, -1).T
    exact = np.mean(np.abs((signs * diffs).mean(axis=1)) >= abs(diffs.mean()) - 1e-12)
    assert paired_test(diffs, n_resamples=20000).p_value == pytest.approx(exact, abs=0.01)


def test_compare_benchmark_deltas() -> None:
    a = run([0, 1, 2, 4], greedy=[False, False, True, True])
    b = run([2, 1, 4, 4], greedy=[True, False, True, True])
    deltas = {d.metric: d for d in compare_benchmark("aime24", a, b, ks=(2, 8))}
    assert list(deltas) == ["greedy_acc", "sample_pass@1", "pass@2"]  # pass@8 > n = 4: skipped
    assert deltas["greedy_acc"].a == 50.0 and deltas["greedy_acc"].b == 75.0
    pass1 = deltas["sample_pass@1"]
    assert pass1.a == pytest.approx(7 / 16 * 100) and pass1.b == pytest.approx(11 / 16 * 100)
    assert pass1.test.mean == pytest.approx(pass1.b - pass1.a)
    assert pass1.num_problems == 4


def test_compare_uses_shared_problems_and_benchmarks_only() -> None:
    a = {"aime24": run([1, 2, 3]), "amc23": run([1])}
    b = {"aime24": run([1, 2]), "math_500": run([4])}
    deltas = compare_runs(a, b, ks=())
    assert {d.benchmark for d in deltas} == {"aime24"}
    assert all(d.num_problems == 2 for d in deltas)
    text = render_deltas(deltas)
    assert "sample_pass@1" in text and "p-value" in text and "95% CI" in text


def test_compare_without_shared_problems_raises() -> None:
    b = [rec("other", "greedy", 0, True)]
    with pytest.raises(ValueError, match="share no problem"):
        compare_benchmark("aime24", run([1]), b)


def test_compare_cli_on_stored_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for tag, correct in (("a", [0, 1, 2, 4]), ("b", [4, 3, 4, 4])):
        store = RunStore(tmp_path / tag / "aime24")
        store.open(
            {"benchmark": {"name": "aime24"}, "grader": {"version": GRADER_VERSION}}
        )  # current verdicts
        store.append(run(correct))
    assert cli_main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--ks", "2"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[2].strip(): line for line in out.splitlines() if line.startswith("| aime24")}
    assert list(rows) == ["greedy_acc", "sample_pass@1", "pass@2"]
    assert [c.strip() for c in rows["sample_pass@1"].split("|")[3:7]] == ["4", "43.8", "93.8", "+50.0"]
    assert cli_main(["compare", str(tmp_path / "a"), str(tmp_path / "missing")]) == 2
