"""A grading worker process: ``python -m evalkit.graders.worker MEMORY_LIMIT_BYTES``.

It imports sympy and judges a few warm-up pairs, caps its own address space, says it is ready, then
answers (pred, gold) requests on stdin with outcomes on stdout (``multiprocessing.connection``
framing) until stdin closes.
:func:`serve` is that loop for any answer function (the Math-Verify audit worker uses it too).
"""

import os
import resource
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection

from evalkit.graders.equivalence import Outcome
from evalkit.graders.symbolic import judge, warm_up

READY = "ready"
NICENESS = 5  # below the caller: starting workers (sympy imports) must not slow the caller's own checks


def judge_in_worker(pred: str, gold: str) -> Outcome:
    """``judge`` with failures turned into verdicts."""
    try:
        return judge(pred, gold)
    except MemoryError:
        return False, "error", "memory limit exceeded while checking equivalence"
    except RecursionError:
        return False, "error", "expression nested too deeply"
    except Exception as error:  # a parser or sympy bug must not lose the verdict
        return False, "error", f"checker failed: {type(error).__name__}"


def _limit_memory(limit: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def serve(answer: Callable[[str, str], object]) -> None:
    """Answer requests with ``answer(first, second)`` until stdin closes (memory limit from argv[1])."""
    _limit_memory(int(sys.argv[1]))
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stray prints from libraries must not corrupt the reply stream
    replies.send(READY)
    while True:
        try:
            pred, gold = requests.recv()
        except EOFError:
            return
        replies.send(answer(pred, gold))


if __name__ == "__main__":
    os.nice(NICENESS)
    warm_up()  # before "ready": a task's time limit never pays for sympy's first imports
    serve(judge_in_worker)
