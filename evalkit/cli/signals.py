"""SIGTERM handled like Ctrl-C, so that what Slurm, Kubernetes and ``timeout`` send stops a command cleanly.

Inside :func:`terminate_as_interrupt`, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``) in the
main thread: the same ``finally`` blocks run as for Ctrl-C (completions that arrived are graded and stored,
the run lock is released), and the command says so in one line.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGTERM_EXIT = 128 + signal.SIGTERM
SIGINT_EXIT = 128 + signal.SIGINT


class Terminated(KeyboardInterrupt):
    """SIGTERM was received."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the ``with`` block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted(error: KeyboardInterrupt) -> tuple[str, int]:
    """(what stopped the command, its exit code) for an interrupt."""
    if isinstance(error, Terminated):
        return "terminated (SIGTERM)", SIGTERM_EXIT
    return "interrupted", SIGINT_EXIT
