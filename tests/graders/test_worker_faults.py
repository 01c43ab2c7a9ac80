"""A dead or hung worker: retried once on a fresh one, reaped with its pipes closed, never remembered.

The worker here is ``tests/graders/misbehaving_worker.py``: it hangs or dies on demand, so nothing
depends on how fast sympy is or how busy the machine is.
"""

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from evalkit.graders import Grader, engine
from evalkit.graders.normalize import normalize_answer
from evalkit.graders.pool import WorkerPool

WORKER = "tests.graders.misbehaving_worker"


def pair(k: int = 0, term: str = "y") -> tuple[str, str]:
    """A (response, gold) pair that no cheap check decides: it goes to a worker."""
    pred, gold = f"\\sqrt{{50}}+\\sqrt{{2}}+{k}{term}", "6\\sqrt{2}+y"
    assert engine._decide_here(normalize_answer(pred), normalize_answer(gold)) is None
    return f"\\boxed{{{pred}}}", gold


PAIR = pair()
KEY = (normalize_answer(PAIR[0][len("\\boxed{") : -1]), normalize_answer(PAIR[1]))


@pytest.fixture
def deaths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write a count here: the worker dies that many times before it answers again."""
    control = tmp_path / "deaths"
    control.write_text("0")
    monkeypatch.setenv("EVALKIT_TEST_DEATHS", str(control))
    return control


@pytest.fixture
def grader(deaths: Path) -> Iterator[Grader]:
    pool = WorkerPool(WORKER)
    try:
        yield Grader(pool=pool, workers=1, timeout=60.0)
    finally:
        pool.shutdown()


def test_a_worker_death_is_retried_once_on_a_fresh_worker(grader: Grader, deaths: Path) -> None:
    deaths.write_text("1")
    verdict = grader.grade(*PAIR)
    assert (verdict.correct, verdict.method) == (True, "symbolic"), verdict
    assert deaths.read_text() == "0"


def test_a_worker_that_dies_twice_gives_a_verdict_that_says_so_and_is_not_remembered(
    grader: Grader, deaths: Path
) -> None:
    deaths.write_text("2")
    verdict = grader.grade(*PAIR)
    assert (verdict.correct, verdict.method) == (False, "error"), verdict
    assert "died" in verdict.reason and "retried on a fresh worker" in verdict.reason, verdict.reason
    assert grader.cache.get(KEY) is None
    verdict = grader.grade(*PAIR)  # the worker behaves again: the pair is judged, not read back
    assert (verdict.correct, verdict.method) == (True, "symbolic"), verdict


def test_a_worker_killed_while_idle_is_reaped_with_its_pipes_closed(grader: Grader) -> None:
    assert grader.grade(*pair(1)).correct
    (old,) = grader.pool._workers
    os.kill(old.process.pid, signal.SIGKILL)
    os.waitid(os.P_PID, old.process.pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
    assert grader.grade(*PAIR).correct
    assert old.process.returncode == -signal.SIGKILL  # reaped
    assert old._requests.closed and old._replies.closed
    assert old not in grader.pool._workers and len(grader.pool._workers) == 1


def test_repeated_deaths_leak_no_file_descriptors(grader: Grader, deaths: Path) -> None:
    assert grader.grade(*pair(1)).correct
    before = len(os.listdir("/proc/self/fd"))
    for k in range(5):
        deaths.write_text("1")
        assert grader.grade(*pair(2 + k)).correct
        os.kill(grader.pool._workers[0].process.pid, signal.SIGKILL)
        time.sleep(0.05)
    assert grader.grade(*PAIR).correct
    assert len(os.listdir("/proc/self/fd")) <= before


def test_a_time_out_is_a_verdict_not_remembered_and_the_next_pair_gets_a_fresh_worker(grader: Grader) -> None:
    hanging = pair(term="hang")
    verdict = grader.grade_many([hanging], timeout=0.5)[0]
    assert (verdict.correct, verdict.method) == (False, "timeout")
    assert "0.5 s" in verdict.reason
    assert grader.cache.get((normalize_answer(hanging[0][len("\\boxed{") : -1]), KEY[1])) is None
    assert grader.grade(*PAIR).correct  # the replaced worker serves


def test_a_cancelled_check_is_not_remembered(grader: Grader, monkeypatch: pytest.MonkeyPatch) -> None:
    cancelled: Future[object] = Future()
    cancelled.cancel()
    monkeypatch.setattr(grader.pool, "submit", lambda *args, **kwargs: cancelled)
    verdict = grader.grade(*PAIR)
    assert (verdict.correct, verdict.method) == (False, "error") and "unavailable" in verdict.reason
    assert grader.cache.get(KEY) is None
    monkeypatch.undo()
    assert grader.grade(*PAIR).correct
