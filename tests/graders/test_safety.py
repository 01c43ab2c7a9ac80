"""Model text is data, never code; every verdict comes back within its time limit, in any context."""

import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from evalkit.graders import Verdict, grade, grade_many

TIMEOUT = 1.0
OVERHEAD = 8.0  # generous: process start-up and a loaded 2-core CI box
VERDICT_TIMEOUT = 60.0  # where a verdict is asserted: it must not depend on how busy the machine is

PAYLOADS = [
    "__import__('os').system('touch {file}')",
    '__import__("os").system("touch {file}")',
    "exec(\"open('{file}', 'w').close()\")",
    "eval(\"__import__('pathlib').Path('{file}').touch()\")",
    "(lambda: __import__('os').system('touch {file}'))()",
    "().__class__.__base__.__subclasses__()",
    "open('{file}', 'w')",
    "\\text{__import__('os').system('touch {file}')}",
]

HOSTILE = {
    "tower-of-powers": "10^{10^{10^{10}}}",
    "power-tower-nines": "9^{9^{9^{9^{9}}}}",
    "huge-factorial": "100000!",
    "nested-factorial": "((100!)!)!",
    "huge-binomial-power": "(x+1)^{100000}",
    "one-megabyte": "7" * 1_000_000,
    "one-megabyte-text": "the answer is unclear " * 50_000,
    "unbalanced-open": "\\boxed{" * 5_000 + "1",
    "unbalanced-close": "}" * 5_000 + "\\boxed{1}}}}",
    "deep-fractions": "\\frac{1}{" * 400 + "2" + "}" * 400,
    "deep-parentheses": "(" * 3_000 + "1" + ")" * 3_000,
    "deep-sqrt": "\\sqrt{" * 500 + "2" + "}" * 500,
    "many-boxes": "\\boxed{1} " * 20_000,
    "long-sum": "+".join(["x"] * 20_000),
    "huge-exponent-float": "1e999999999",
    "huge-matrix": "\\begin{pmatrix}" + "\\\\".join(["&".join(["x"] * 60)] * 60) + "\\end{pmatrix}",
    "null-and-control": "\\boxed{\x00\x01\x1b[31m\u202e42}",
}


def _timed(response: str, gold: str, **kwargs: object) -> tuple[Verdict, float]:
    start = time.monotonic()
    verdict = grade(response, gold, timeout=TIMEOUT, **kwargs)
    return verdict, time.monotonic() - start


def _assert_bounded(verdict: Verdict, elapsed: float) -> None:
    assert isinstance(verdict, Verdict)
    assert verdict.reason, verdict
    assert elapsed < TIMEOUT + OVERHEAD, f"took {elapsed:.1f}s: {verdict}"


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
@pytest.mark.parametrize("extract", [True, False], ids=["boxed", "bare"])
def test_payload_runs_no_code(tmp_path: Path, payload: str, extract: bool) -> None:
    target = tmp_path / "pwned"
    answer = payload.replace("{file}", str(target))
    response = f"So the answer is $\\boxed{{{answer}}}$." if extract else answer
    verdict = grade(response, "42", extract=extract, timeout=TIMEOUT)
    assert not target.exists()
    assert verdict.correct is False


def test_payload_as_gold_runs_no_code(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    verdict = grade("\\boxed{0}", PAYLOADS[0].replace("{file}", str(target)), timeout=TIMEOUT)
    assert not target.exists()
    assert verdict.correct is False


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_returns_in_time(text: str) -> None:
    _assert_bounded(*_timed(f"So the answer is $\\boxed{{{text}}}$.", "1"))
    _assert_bounded(*_timed(text, "1", extract=False))


@pytest.mark.parametrize(
    "text",
    ["10^{10^{10^{10}}}", "100000!", "\\frac{1}{" * 400 + "2" + "}" * 400],
    ids=["tower", "factorial", "fractions"],
)
def test_hostile_gold_returns_in_time(text: str) -> None:
    _assert_bounded(*_timed("\\boxed{2}", text))


def test_hostile_tower_is_not_credited() -> None:
    verdict, _ = _timed("\\boxed{10^{10^{10^{10}}}}", "10^{10^{10^{11}}}")
    assert verdict.correct is False


def test_no_signal_alarm(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_: object) -> None:
        raise AssertionError("the grader must not use SIGALRM timers")

    monkeypatch.setattr(signal, "alarm", forbidden)
    monkeypatch.setattr(signal, "setitimer", forbidden)
    _assert_bounded(*_timed("\\boxed{100000!}", "1"))
    assert grade("\\boxed{\\frac{1}{2}}", "0.5", timeout=TIMEOUT).correct


def test_time_limit_from_non_main_thread() -> None:
    results: list[tuple[Verdict, float]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(_timed("\\boxed{10^{10^{10^{10}}}}", "1"))
            normal = grade("\\boxed{\\frac{\\sqrt3}{3}}", "\\frac{1}{\\sqrt{3}}", timeout=VERDICT_TIMEOUT)
            results.append((normal, 0.0))
        except BaseException as exc:  # surfaced below, in the main thread
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(TIMEOUT + OVERHEAD + VERDICT_TIMEOUT)
    assert not thread.is_alive() and not errors, errors
    (hostile, elapsed), (normal, _) = results
    _assert_bounded(hostile, elapsed)
    assert hostile.correct is False
    assert normal.correct is True


def test_time_limit_from_process_pool_worker() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        start = time.monotonic()
        hostile = pool.submit(grade, "\\boxed{100000!}", "1", timeout=TIMEOUT)
        normal = pool.submit(grade, "\\boxed{2\\sqrt{2}}", "\\sqrt{8}", timeout=TIMEOUT)
        verdicts = [hostile.result(timeout=60), normal.result(timeout=60)]
    assert time.monotonic() - start < 2 * (TIMEOUT + OVERHEAD) + 10  # plus the worker's imports
    assert verdicts[0].correct is False and verdicts[0].reason
    assert verdicts[1].correct is True


def test_grade_many_survives_hostile_items() -> None:
    items = [
        ("\\boxed{1}", "1"),
        *((f"\\boxed{{{t}}}", "1") for t in list(HOSTILE.values())[:6]),
        ("\\boxed{2}", "2"),
    ]
    start = time.monotonic()
    verdicts = grade_many(items, timeout=TIMEOUT, workers=2)
    elapsed = time.monotonic() - start
    assert len(verdicts) == len(items)
    assert verdicts[0].correct and verdicts[-1].correct
    assert not any(v.correct for v in verdicts[1:-1])
    assert elapsed < len(items) * TIMEOUT + OVERHEAD
