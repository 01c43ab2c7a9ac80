"""One writer per run directory: a lock file ``<run_dir>/.evalkit.lock`` naming its holder.

The lock is taken by creating the file exclusively (``O_CREAT | O_EXCL``), which is atomic on local
file systems and on NFS v3 and later. It holds the holder's pid, host, process start time and command.
A second run on the same directory waits (``wait`` seconds) or refuses in one line naming the holder.
A lock left by a dead process on this host (no such pid, or the pid now belongs to a process started
later) is taken over; taking over is serialised by ``flock`` on a guard file, so two runs cannot both
take over one stale lock. A lock held from another host is never taken over (its pid cannot be checked
from here): the message says which host holds it and which file to delete if that process is gone.
"""

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalkit.errors import UsageError

LOCK = ".evalkit.lock"
_POLL = 0.5
_UNREADABLE_RETRIES = 20  # a lock file read between its creation and its first write


class LockHeld(UsageError):
    """Another live process holds the run directory's lock."""


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), where known."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _me() -> dict[str, Any]:
    pid = os.getpid()
    return {
        "pid": pid,
        "host": socket.gethostname(),
        "start_time": _start_time(pid),
        "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(sys.argv),
    }


def _alive(holder: dict[str, Any]) -> bool:
    """Whether the holder (on this host) still runs: its pid exists and started when the lock says."""
    pid = int(holder.get("pid", -1))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    started = holder.get("start_time")
    return started is None or _start_time(pid) in (None, started)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {}  # being written, or torn: treated as held (its writer is alive or the file is stale)
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, Any], path: Path) -> str:
    return (
        f"{path.parent} is in use by pid {holder.get('pid', '?')} on host {holder.get('host', '?')} "
        f"since {holder.get('since', '?')} ({holder.get('command', '?')})"
    )


def _try_create(path: Path, me: dict[str, Any]) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(me) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return True


def _take_over_stale(path: Path) -> bool:
    """Remove ``path`` if its holder is a dead process of this host; True if removed. Serialised by
    ``flock`` on a guard file so that two takers re-check before either removes."""
    guard = path.with_name(path.name + ".guard")
    with open(guard, "a") as g:
        with contextlib.suppress(OSError):  # no flock (some NFS servers): re-reading still narrows the race
            fcntl.flock(g, fcntl.LOCK_EX)
        holder = _read(path)
        if holder is None:
            return True
        if holder.get("host") != socket.gethostname() or _alive(holder):
            return False
        print(
            f"note: taking over a stale lock of pid {holder.get('pid')} (no longer running): {path}",
            file=sys.stderr,
        )
        path.unlink(missing_ok=True)
        return True


def acquire(run_dir: Path, *, wait: float = 0.0) -> Path:
    """Take the lock of ``run_dir`` (created if missing); wait up to ``wait`` seconds for a live holder,
    then raise :class:`LockHeld` naming it. Return the lock file."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK
    me = _me()
    deadline = time.monotonic() + wait
    announced = False
    unreadable = 0
    while True:
        if _try_create(path, me):
            return path
        holder = _read(path)
        if holder == {} and unreadable < _UNREADABLE_RETRIES:  # its holder is still writing it
            unreadable += 1
            time.sleep(_POLL / 10)
            continue
        if holder is not None and not _take_over_stale(path):
            if time.monotonic() >= deadline:
                hint = (
                    f"delete {path} if that process is gone"
                    if holder.get("host") != me["host"]
                    else "wait for it (--lock_wait SECONDS)"
                )
                raise LockHeld(f"{_describe(holder, path)}; {hint}")
            if not announced:
                print(f"waiting: {_describe(holder, path)}", file=sys.stderr)
                announced = True
            time.sleep(_POLL)


def release(path: Path) -> None:
    """Remove the lock if this process still holds it."""
    holder = _read(path)
    if holder and holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def run_lock(run_dir: Path, *, wait: float = 0.0) -> Iterator[Path]:
    """Hold the lock of ``run_dir`` for the ``with`` block (see :func:`acquire`)."""
    path = acquire(run_dir, wait=wait)
    try:
        yield path
    finally:
        release(path)
