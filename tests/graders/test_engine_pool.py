"""grade / grade_many: ordering, de-duplication, caching, the shared worker pool, failures.

A verdict asserted here comes with a generous time limit: it must not depend on how busy the machine
is. Time-outs and dead workers, which must not either, are in ``test_worker_faults.py``."""

import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.graders import grade, grade_many, worker
from evalkit.graders.engine import Grader
from evalkit.graders.pool import POOL, WorkerPool
from evalkit.graders.worker import judge_in_worker

SLOW_OK = 60.0  # a time limit no check that is asserted here comes near, however busy the machine


def test_grade_many_keeps_order_and_reports_pred_as_written() -> None:
    items = [("\\boxed{\\dfrac12}", "0.5"), ("no answer", "1"), ("\\boxed{3}", 4), ("\\boxed{27}", 27.0)]
    verdicts = grade_many(items)
    assert [v.correct for v in verdicts] == [True, False, False, True]
    assert [v.pred for v in verdicts] == ["\\dfrac12", None, "3", "27"]
    assert [v.gold for v in verdicts] == ["0.5", "1", "4", "27"]
    assert verdicts[1].method == "none"


def test_distinct_pairs_are_judged_once_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    submitted: list[tuple[str, str]] = []
    submit = POOL.submit

    def counting_submit(pred: str, gold: str, **kwargs: object):  # type: ignore[no-untyped-def]
        submitted.append((pred, gold))
        return submit(pred, gold, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(POOL, "submit", counting_submit)
    answer = "\\boxed{\\sqrt{50}+\\sqrt{2}}"
    verdicts = grade_many(
        [(answer, "6\\sqrt{2}")] * 5 + [(answer.replace("50", "50 "), "6\\sqrt2")], timeout=SLOW_OK
    )
    assert all(v.correct and v.method == "symbolic" for v in verdicts)
    assert len(submitted) == 1  # both spellings normalise to one pair
    submitted.clear()
    assert grade(answer, "6\\sqrt{2}", timeout=SLOW_OK).correct
    assert submitted == []


def test_pool_is_reused_across_calls() -> None:
    grade("\\boxed{\\sqrt{12}}", "2\\sqrt3")
    first = (POOL._executor, [w.process.pid for w in POOL._workers])
    grade("\\boxed{\\sqrt{18}}", "3\\sqrt2")
    assert first[0] is not None and (POOL._executor, [w.process.pid for w in POOL._workers]) == first


def test_a_shared_worker_killed_by_the_os_is_replaced() -> None:
    assert grade("\\boxed{\\sqrt{50}+\\sqrt{8}}", "7\\sqrt{2}", timeout=SLOW_OK).correct
    for process in [w.process for w in POOL._workers]:
        os.kill(process.pid, signal.SIGKILL)  # as the OOM killer would, between two checks
    verdict = grade("\\boxed{\\sqrt{27}+\\sqrt{3}}", "4\\sqrt{3}", timeout=SLOW_OK)
    assert (verdict.correct, verdict.method) == (True, "symbolic"), verdict


def test_long_answers_are_compared_as_strings() -> None:
    long = "1+" * 2_000 + "1"
    verdict = grade(long, long, extract=False)
    assert verdict.correct and verdict.method == "exact" and "string" in verdict.reason
    assert not grade(long, "4001", extract=False).correct


def test_worker_failures_become_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(pred: str, gold: str) -> None:
        raise MemoryError

    monkeypatch.setattr(worker, "judge", explode)
    assert judge_in_worker("x", "y") == (False, "error", "memory limit exceeded while checking equivalence")


def test_a_script_without_main_guard_gets_symbolic_verdicts(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from evalkit.graders import grade\n"
        "v = grade('\\\\boxed{\\\\frac{\\\\sqrt3}{3}}', '\\\\frac{1}{\\\\sqrt{3}}')\n"
        "print(v.correct, v.method)\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["True", "symbolic"], result.stderr


def test_a_forked_child_grades_with_its_own_workers() -> None:
    grade("\\boxed{\\sqrt{12}}", "2\\sqrt3")  # the parent's pool is running
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as children:
        verdict = children.apply(grade, ("\\boxed{\\sqrt{20}}", "2\\sqrt5"))
    assert (verdict.correct, verdict.method) == (True, "symbolic")


@pytest.mark.parametrize(
    ("answer", "hazard"),
    [
        ("10^{10^{10^{10}}}", "power tower"),
        ("9^{9^9}", "power tower"),
        ("10^{12345678}", "huge numeric exponent"),
        ("1000000!", "factorial"),
        ("(2^{99999})!", "factorial"),
    ],
)
def test_explosive_answers_are_compared_as_written_without_a_worker(
    answer: str, hazard: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(POOL, "submit", lambda *a, **k: pytest.fail("sent to a worker"))
    verdict = grade(answer, "7", extract=False)
    assert (verdict.correct, verdict.method) == (False, "exact") and hazard in verdict.reason
    assert grade(answer, answer, extract=False).correct


def test_small_numeric_towers_are_still_evaluated() -> None:
    assert grade("2^{2^3}", "256", extract=False).correct
    assert not grade("2^{2^3}", "64", extract=False).correct


def test_a_deadline_bounds_the_whole_call_and_is_not_cached() -> None:
    """A pair still waiting for a worker when the call's deadline passes gets a timeout verdict, which is not
    remembered; what the caller decides itself is unaffected."""
    from concurrent.futures import Future

    class NeverAnswers(WorkerPool):
        def submit(self, pred: str, gold: str, *, timeout: float, workers: int | None = None) -> Future:  # type: ignore[override]
            return Future()  # a worker that never comes up

    grader = Grader(pool=NeverAnswers())
    verdicts = grader.grade_many([("\\boxed{\\log_2 8}", "3"), ("\\boxed{7}", "7")], deadline=0.2)
    assert verdicts[0].method == "timeout" and "0.2 s" in verdicts[0].reason and not verdicts[0].correct
    assert verdicts[1].correct
    assert [outcome[1] for outcome in grader.cache._items.values()] == ["exact"]  # the timeout is not kept
