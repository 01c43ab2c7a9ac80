"""A reader that goes away early (``evalkit --help | head -1``) ends a command quietly, as ``yes | head`` does.

Python's documented recipe (the ``signal`` module's note on SIGPIPE): on ``BrokenPipeError``, point stdout at
``/dev/null`` so that the interpreter's own flush at exit meets no closed pipe, and exit. Exit code 141
(128 + SIGPIPE) is what a shell reports for a writer whose reader went away.
"""

import os
import select
import sys
from collections.abc import Callable

SIGPIPE_EXIT = 141


def _silence_stdout() -> None:
    """Send whatever stdout still holds to ``/dev/null``: no second error when Python flushes it at exit."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a captured stream): nothing flushes at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _flush_failed() -> bool:
    """Flush stdout; True (and stdout silenced) when its reader has gone away."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return True
    except (OSError, ValueError):
        pass
    return False


def _stdout_widowed() -> bool:
    """True when stdout is a pipe whose reader has closed it (the kernel reports POLLERR on its write end)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no fileno (a captured stream), or no poll here
        return False


def quiet_on_broken_pipe(command: Callable[[], int]) -> int:
    """``command()``'s exit code; when stdout's reader went away while it printed (argparse's ``--help``
    included), 141 and no traceback, a failing command keeping its own code. A ``BrokenPipeError`` from
    anything but stdout (a socket) is raised."""
    try:
        code = command()
    except BrokenPipeError:
        if _flush_failed() or _stdout_widowed():
            _silence_stdout()
            return SIGPIPE_EXIT
        raise
    except SystemExit as done:  # argparse's --help (and its usage errors) leave through here
        if _flush_failed() and not done.code:
            return SIGPIPE_EXIT
        raise
    if _flush_failed():  # the last of the output did not reach the reader
        return SIGPIPE_EXIT if code == 0 else code
    return code
