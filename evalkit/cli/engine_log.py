"""A run's log file, where AReaL users look for it: everything written to stderr while the engine samples.

AReaL's ``eval_and_aggregate`` writes each run's output to ``<output_path>/math_eval_<max_gen_tokens>/logs/``.
evalkit writes its own there too (``eval-<UTC time>.log``; beside the run store, ``<output_path>/<model_tag>/
logs/``, with ``--no_areal_files``), from the moment sampling starts until it ends: the engine's log (vLLM's
engine runs in a child process, so the copy is made at file descriptor 2, which children inherit), evalkit's
notes and the progress bar. A command that samples nothing writes no log.
"""

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 16
_DRAIN_WAIT = 5.0  # seconds to wait for a child still holding the pipe after sampling ends


def log_path(logs_dir: Path) -> Path:
    """A new log file's path in ``logs_dir`` (the UTC time it starts; a counter where that name exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path, n = logs_dir / f"eval-{stamp}.log", 1
    while path.exists():
        path, n = logs_dir / f"eval-{stamp}-{n}.log", n + 1
    return path


@contextmanager
def tee_stderr(path: Path) -> Iterator[None]:
    """Copy everything written to file descriptor 2 (this process and its children) into ``path`` as well,
    while the block runs. The terminal still gets all of it; a log that cannot be written is skipped with
    a note, never failing the run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = path.open("ab")
    except OSError as e:
        print(f"note: no log file ({path}: {e.strerror or e})", file=sys.stderr)
        yield
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    # the copy owns its own terminal descriptor and the log: a child that outlives the block keeps both valid
    pump = threading.Thread(
        target=_pump, args=(read_end, os.dup(terminal), log), name="evalkit-log", daemon=True
    )
    pump.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)  # the pipe ends when no child holds it any more
        os.close(terminal)
        pump.join(_DRAIN_WAIT)


def _pump(read_end: int, terminal: int, log: BinaryIO) -> None:
    """Copy the pipe to the terminal and the log until every writer has closed it."""
    sinks = {"terminal": lambda c: os.write(terminal, c), "log": lambda c: (log.write(c), log.flush())}
    try:
        while chunk := os.read(read_end, _CHUNK):  # always drained: a writer never blocks on a full pipe
            for name, write in list(sinks.items()):
                try:
                    write(chunk)
                except OSError:  # a closed terminal, a full disk: the other sink goes on
                    del sinks[name]
    finally:
        for fd in (read_end, terminal):
            os.close(fd)
        log.close()
