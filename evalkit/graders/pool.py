"""Worker processes for the sympy checks: persistent, lazily started, time- and memory-limited.

Each worker is a fresh interpreter started as ``python -m evalkit.graders.worker``, never a fork
and never a multiprocessing child: it does not re-import the caller's ``__main__`` (scripts need no
``if __name__ == "__main__"`` guard), does not inherit threads or locks (safe inside Ray actors,
reward threads and forked DataLoader workers), and cannot break a caller's own multiprocessing.
A task that overruns its time limit gets its worker killed; the next task starts a fresh one.
A worker that dies (a crash, the OS's OOM killer) is reaped and its pipes closed, and the task is
tried once more on a fresh worker before it fails with :class:`WorkerDied`.
Pool threads and workers are shared by all callers of a process and stopped at exit.
"""

import atexit
import os
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

from evalkit.graders.equivalence import Outcome

MEMORY_LIMIT_BYTES = 3 * 2**30
STARTUP_TIMEOUT = 120.0  # seconds for a worker to import sympy (not counted in a task's limit)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerDied(RuntimeError):
    """The worker process ended (crashed, was killed by the OS) before answering."""


def default_workers() -> int:
    """The CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _Worker:
    """One worker process (``python -m module``) and its request/reply pipes."""

    def __init__(self, module: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, str(MEMORY_LIMIT_BYTES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        self._requests = Connection(os.dup(stdin.fileno()), readable=False)
        self._replies = Connection(os.dup(stdout.fileno()), writable=False)
        stdin.close()
        stdout.close()
        self._ready = False

    def judge(self, pred: str, gold: str, timeout: float) -> Outcome:
        """The worker's outcome; raises ``TimeoutError`` (worker killed) or ``WorkerDied``."""
        if not self._ready:
            self._receive(STARTUP_TIMEOUT)
            self._ready = True
        try:
            self._requests.send((pred, gold))
        except OSError as error:
            self.kill()
            raise WorkerDied(f"worker exited with code {self.process.returncode}") from error
        return self._receive(timeout)  # type: ignore[return-value]

    def _receive(self, timeout: float) -> object:
        try:
            answered = self._replies.poll(timeout)
            reply = self._replies.recv() if answered else None
        except (EOFError, OSError) as error:
            self.kill()
            raise WorkerDied(f"worker exited with code {self.process.returncode}") from error
        if not answered:
            self.kill()
            raise TimeoutError
        return reply

    def kill(self) -> None:
        """End the process (if it still runs), reap it and close its pipes; safe to repeat."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._requests.close()
        self._replies.close()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


class WorkerPool:
    """``size`` threads, each driving its own worker process; shared by all callers and threads.

    ``module`` is the worker's module (one that serves requests with :func:`evalkit.graders.worker.serve`).
    """

    def __init__(self, module: str = "evalkit.graders.worker") -> None:
        self._module = module
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._workers: list[_Worker] = []
        os.register_at_fork(after_in_child=self._forget)

    def submit(self, pred: str, gold: str, *, timeout: float, workers: int | None = None) -> Future[Outcome]:
        """Schedule one judgement; its future raises ``TimeoutError`` after ``timeout`` seconds of work.

        ``workers`` sizes the pool when it starts (default: the usable CPUs).
        """
        return self._ensure(workers or default_workers()).submit(self._judge, pred, gold, timeout)

    def _judge(self, pred: str, gold: str, timeout: float) -> Outcome:
        try:
            return self._worker().judge(pred, gold, timeout)
        except WorkerDied as first:  # a crash or an OOM kill may have nothing to do with this pair
            if self._executor is None:  # shut down (its workers killed): no fresh one
                raise
            try:
                return self._worker().judge(pred, gold, timeout)
            except WorkerDied as second:
                raise WorkerDied(f"{first}; retried on a fresh worker, which died too ({second})") from second

    def _worker(self) -> _Worker:
        """This thread's live worker: a dead one (killed after a time-out, crashed, killed by the OS
        while idle) is reaped, its pipes closed, and replaced."""
        worker: _Worker | None = getattr(self._local, "worker", None)
        if worker is not None and worker.alive:
            return worker
        if worker is not None:
            worker.kill()
        fresh = self._local.worker = _Worker(self._module)
        with self._lock:
            self._workers = [w for w in self._workers if w is not worker] + [fresh]
        return fresh

    def _ensure(self, size: int) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="evalkit-grader")
            return self._executor

    def _forget(self) -> None:
        """In a forked child: the parent's threads and workers are not ours."""
        self._lock = threading.Lock()
        self._executor = None
        self._local = threading.local()
        self._workers = []

    def shutdown(self) -> None:
        """Stop the workers and threads (also done at exit)."""
        with self._lock:
            executor, self._executor = self._executor, None
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.kill()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


POOL = WorkerPool()
atexit.register(POOL.shutdown)
