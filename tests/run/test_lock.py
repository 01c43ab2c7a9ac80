"""One writer per run directory: refused or waited for, stale locks taken over, two concurrent runs store each key once."""

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from scripted import ScriptedSampler

import evalkit.sampling.factory as factory
from evalkit.benchmarks.loading import load_benchmark
from evalkit.benchmarks.templates import load_template
from evalkit.cli.eval_and_aggregate import main
from evalkit.run.lock import LOCK, LockHeld, acquire, release, run_lock
from evalkit.run.store import read_records
from evalkit.sampling.base import Completion, Job


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_holder_is_refused_naming_pid_and_host(tmp_path: Path) -> None:
    held = rf"in use by pid {os.getpid()} on host {socket.gethostname()}"
    with run_lock(tmp_path), pytest.raises(LockHeld, match=held):
        acquire(tmp_path)
    assert not (tmp_path / LOCK).exists()
    release(acquire(tmp_path))  # free again


def test_a_stale_lock_of_a_dead_pid_is_taken_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    holder = {"pid": dead_pid(), "host": socket.gethostname(), "start_time": "1"}
    (tmp_path / LOCK).write_text(json.dumps(holder))
    path = acquire(tmp_path)
    assert json.loads(path.read_text())["pid"] == os.getpid()
    assert "taking over a stale lock" in capsys.readouterr().err
    release(path)


def test_a_reused_pid_with_another_start_time_is_stale(tmp_path: Path) -> None:
    holder = {
        "pid": os.getppid(),
        "host": socket.gethostname(),
        "start_time": "-1",
    }  # alive, but not that process
    (tmp_path / LOCK).write_text(json.dumps(holder))
    release(acquire(tmp_path))


def test_another_hosts_lock_is_never_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK).write_text(json.dumps({"pid": 1, "host": "elsewhere", "since": "then"}))
    with pytest.raises(
        LockHeld, match=r"pid 1 on host elsewhere .*delete .*\.evalkit\.lock if that process is gone"
    ):
        acquire(tmp_path, wait=0.6)


class SlowSampler(ScriptedSampler):
    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        for item in super().stream(jobs, max_in_flight=max_in_flight):
            time.sleep(0.01)
            yield item


def _run(args: list[str], codes: "multiprocessing.Queue[int]") -> None:
    codes.put(main(args))


@pytest.mark.parametrize("wait", [False, True])
def test_two_concurrent_runs_store_every_key_once(
    wait: bool, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = load_template("r1-distilled-qwen")
    golds = {template.render(p.problem): p.gold for p in load_benchmark("aime24", data_dir).problems}
    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: SlowSampler(golds, model))
    args = ["--backend", "transformers", "--model_path", "m", "--output_path", str(tmp_path), "--data_dir"]
    args += [
        str(data_dir),
        "--data_names",
        "aime24",
        "--n_sampling",
        "4",
        *(["--lock_wait", "60"] if wait else []),
    ]
    ctx = multiprocessing.get_context("fork")
    codes: multiprocessing.Queue[int] = ctx.Queue()
    procs = [ctx.Process(target=_run, args=(args, codes)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert sorted(codes.get(timeout=5) for _ in procs) == ([0, 0] if wait else [0, 2])
    keys = Counter(r.key for r in read_records(tmp_path / "m" / "aime24" / "samples.jsonl"))
    assert len(keys) == 30 * 5 and set(keys.values()) == {1}
