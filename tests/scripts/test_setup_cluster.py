"""scripts/setup_cluster.py in dry-run: every SSH command of the guide's set-up, and no connection."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup_cluster.py"


@pytest.fixture(scope="module")
def setup_cluster():
    spec = importlib.util.spec_from_file_location("setup_cluster", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dry_run_prints_every_command(setup_cluster, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(subprocess, "run", pytest.fail)
    argv = ["--private_key_file", "/k", "--ssh_port", "2222", "--username", "root",
            "--hostnames", "10.0.0.1", "10.0.0.2", "10.0.0.3", "--dry_run"]  # fmt: skip
    assert setup_cluster.main(argv) == 0
    commands = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ssh ")]
    assert all(c.startswith("ssh -i /k -p 2222 ") for c in commands)
    pulls = [c for c in commands if "docker pull ghcr.io/inclusionai/areal-runtime:v0.2.0" in c]
    assert len(pulls) == 3
    (head,) = [c for c in commands if "ray start --head --port=6379" in c]
    assert "root@10.0.0.1" in head and "--name r1-ray-head" in head and "-v /storage:/storage" in head
    workers = [c for c in commands if "ray start --address=10.0.0.1:6379" in c]
    assert [w.split()[9] for w in workers] == ["root@10.0.0.2", "root@10.0.0.3"]
    assert commands[-1].endswith("'docker exec r1-ray-head ray status'")


def test_active_nodes_counts_the_guides_status(setup_cluster) -> None:
    status = (
        "Active:\n" + "".join(f" 1 node_{i:040x}\n" for i in range(16)) + "Pending:\n (no pending nodes)\n"
    )
    assert setup_cluster.active_nodes(status) == 16


def test_stop_removes_only_the_scripts_containers(
    setup_cluster, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(subprocess, "run", pytest.fail)
    argv = ["--private_key_file", "/k", "--hostnames", "10.0.0.1", "10.0.0.2", "--dry_run", "--stop"]
    assert setup_cluster.main(argv) == 0
    commands = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ssh ")]
    assert len(commands) == 2
    assert commands[0].endswith("root@10.0.0.2 'docker rm -f r1-ray-worker'")
    assert commands[1].endswith("root@10.0.0.1 'docker rm -f r1-ray-head'")
    assert not any("ray stop" in c for c in commands)
