"""Cross-check against Math-Verify: every verdict on which evalkit and Math-Verify disagree.

Math-Verify (``pip install math-verify``) is optional. It is called as documented,
``verify(parse("$gold$"), parse(response))``, in worker processes of its own (``python -m
evalkit.graders.audit``, capped in memory like the grader's workers): its own time limits are
``signal.alarm`` based and cannot stop every hang, so a call that overruns gets its worker killed
and counts as no verdict. Each distinct (response, gold) pair is judged once.
"""

import importlib.util
import logging
import math
from collections.abc import Sequence
from concurrent.futures import Future, TimeoutError
from dataclasses import dataclass
from typing import Any

from evalkit.graders.pool import WorkerDied, WorkerPool

MISSING = "Math-Verify is not installed (pip install math-verify): no cross-check"
WORKER = "evalkit.graders.audit"  # the worker's module: this one, run as ``python -m``


@dataclass(frozen=True, slots=True)
class Judged:
    """Math-Verify's verdict: its extracted answer, and ``correct`` None when it gave none."""

    pred: str | None
    correct: bool | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One response on which the two graders disagree; ``index`` is its position in the input."""

    index: int
    gold: str
    evalkit_pred: str | None
    evalkit_correct: bool
    math_verify_pred: str | None
    math_verify_correct: bool | None
    note: str


def available() -> bool:
    """Whether Math-Verify can be imported here."""
    return importlib.util.find_spec("math_verify") is not None


def math_verify_answer(response: str, gold: str, timeout: int) -> tuple[str | None, bool | None, str]:
    """Math-Verify's (answer, verdict, note) on one pair, in this process (its own time limits apply)."""
    from math_verify import parse, verify

    try:
        gold_parsed = parse(f"${gold}$", parsing_timeout=timeout)
        parsed = parse(response, parsing_timeout=timeout)
        pred = str(parsed[1] if len(parsed) > 1 else parsed[0]) if parsed else None
        if not gold_parsed:
            return pred, False, "Math-Verify cannot read the gold"
        return pred, bool(verify(gold_parsed, parsed, timeout_seconds=timeout)), ""
    except Exception as error:  # a parser bug must not lose the other verdicts
        return None, None, f"Math-Verify failed: {type(error).__name__}"


def judge_all(
    pairs: Sequence[tuple[str, str]], *, timeout: float = 5.0, workers: int | None = None
) -> list[Judged]:
    """Math-Verify's verdicts on (response, gold) pairs, in order; no call runs past its time limit."""
    seconds = max(1, math.ceil(timeout))
    limit = 3 * seconds + 2.0  # two parses and a verify, each under Math-Verify's own limit
    pool = WorkerPool(WORKER)
    try:
        futures = {
            (response, gold): pool.submit(response, (gold, seconds), timeout=limit, workers=workers)  # type: ignore[arg-type]
            for response, gold in dict.fromkeys(pairs)
        }
        judged = {pair: _result(future, limit) for pair, future in futures.items()}
    finally:
        pool.shutdown()
    return [judged[pair] for pair in pairs]


def _result(future: "Future[Any]", limit: float) -> Judged:
    try:
        return Judged(*future.result())
    except TimeoutError:
        return Judged(None, None, f"Math-Verify gave no verdict within {limit:g} s (worker killed)")
    except WorkerDied as error:
        return Judged(None, None, f"Math-Verify's worker died ({error})")


def disagreements(
    golds: Sequence[str],
    evalkit: Sequence[tuple[str | None, bool]],
    math_verify: Sequence[Judged],
) -> list[Disagreement]:
    """The verdicts that differ (Math-Verify giving no verdict counts as wrong, as a grader time-out does)."""
    return [
        Disagreement(i, gold, pred, correct, mv.pred, mv.correct, mv.note)
        for i, (gold, (pred, correct), mv) in enumerate(zip(golds, evalkit, math_verify, strict=True))
        if bool(mv.correct) != correct
    ]


if __name__ == "__main__":  # the worker: requests are (response, (gold, seconds))
    from evalkit.graders.worker import serve

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # its time-outs come back as verdicts
    serve(lambda response, spec: math_verify_answer(response, *spec))
