"""`evalkit train`: presets from the guide's table, rendered configs, preflight checks, the launch command."""

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from evalkit.cli import main
from evalkit.training import launcher
from evalkit.training.presets import (
    PRESETS,
    allocation_gpus,
    areal_allocation,
    parse_allocation,
    render_areal,
    render_v02,
)

GUIDE_RAY_STATUS = """Resources
---------------------------------------------------------------
Usage:
 0.0/2128.0 CPU
 0.0/128.0 GPU
 0B/21.08TiB memory
"""


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_uses_every_gpu(name: str) -> None:
    preset = PRESETS[name]
    assert preset.gpus == preset.nodes * 8
    assert allocation_gpus(preset.allocation_mode) == preset.gpus
    assert allocation_gpus(areal_allocation(preset)) == preset.gpus
    assert preset.group_size == (32 if preset.model_size == "32B" else 16)


def test_allocation_modes_parse_in_either_dimension_order() -> None:
    assert parse_allocation("sglang.d4p1m1+d2p2m1") == [{"d": 4, "t": 1, "p": 1}, {"d": 2, "t": 1, "p": 2}]
    assert parse_allocation("sglang:d8t8p1+d16p1t4") == [{"d": 8, "t": 8, "p": 1}, {"d": 16, "t": 4, "p": 1}]
    assert areal_allocation(PRESETS["32B_n16"]) == "sglang:d8p1t8+d16p1t4"
    with pytest.raises(ValueError, match="bad allocation"):
        parse_allocation("sglang.x4")


def test_v02_config_follows_the_guide() -> None:
    c = render_v02(PRESETS["7B_n16"], model_path="/m", dataset="/d.jsonl", fileroot="/storage/x")
    assert (c["mode"], c["n_nodes"], c["n_gpus_per_node"]) == ("ray", 16, 8)
    assert c["allocation_mode"] == "sglang.d64p1m1+d32p2m1"
    assert c["actor"]["path"] == c["ref"]["path"] == c["critic"]["path"] == "/m"
    assert (c["dataset"]["path"], c["dataset"]["train_bs_n_seqs"], c["group_size"]) == ("/d.jsonl", 512, 16)
    assert c["ppo"]["gen"]["max_new_tokens"] == 16384
    assert (c["ppo"]["reward_output_scaling"], c["ppo"]["reward_output_bias"]) == (5, 0.0)
    assert c["exp_ctrl"]["ckpt_freq_secs"] == 600 and c["exp_ctrl"]["save_freq_epochs"] == 1
    assert c["recover_mode"] == "auto"
    assert (c["experiment_name"], c["trial_name"]) == ("ppo-7B-distill-gpus-128", "512x16")
    assert c["external_configs"]["cluster_config"]["fileroot"] == "/storage/x"


def test_areal_config_wires_the_preset_into_areal_1_keys() -> None:
    c = render_areal(PRESETS["32B_n16"], model_path="/m", dataset="/d.jsonl", trial_name="t1")
    assert c["cluster"]["n_nodes"] == 16 and c["scheduler"]["type"] == "ray"
    assert c["allocation_mode"].startswith("sglang:")
    assert (c["gconfig"]["n_samples"], c["gconfig"]["max_new_tokens"]) == (32, 16384)
    assert (c["train_dataset"]["path"], c["train_dataset"]["batch_size"]) == ("/d.jsonl", 512)
    assert c["recover"]["mode"] == "auto" and c["recover"]["freq_secs"] == 600
    assert c["actor"]["path"] == "/m" and c["trial_name"] == "t1"


@pytest.fixture
def model_and_data(tmp_path: Path) -> SimpleNamespace:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    data = tmp_path / "train.jsonl"
    data.write_text('{"prompt": "1+1?", "answer": "2"}\n')
    return SimpleNamespace(model=str(model), data=str(data), root=tmp_path)


def test_dry_run_prints_config_and_command_and_launches_nothing(
    model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(launcher, "cluster_gpus", lambda address: (None, "neither answered"))
    monkeypatch.setattr(launcher.subprocess, "run", pytest.fail)
    argv = [
        "train",
        "--preset",
        "7B_n4",
        "--model_path",
        "/no/model",
        "--dataset",
        model_and_data.data,
        "--dry_run",
    ]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    config = yaml.safe_load(out)
    assert config["n_nodes"] == 4 and config["allocation_mode"] == "sglang.d16p1m1+d8p2m1"
    assert "python3 -m realhf.apps.quickstart ppo-math --config /storage/ray/experiments/" in out
    assert "warning: model not found: /no/model" in err
    assert "warning: Ray cluster not reachable" in err


def test_preflight_failures_name_what_is_missing_and_exit_2(
    model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(launcher, "cluster_gpus", lambda address: (8, "ray status"))
    monkeypatch.setattr(launcher, "mount_type", lambda path: ("/", "overlay"))
    monkeypatch.setattr(launcher.subprocess, "run", pytest.fail)
    argv = ["train", "--preset", "7B_n4", "--model_path", model_and_data.model, "--dataset", "/no/data.jsonl",
            "--fileroot", str(model_and_data.root / "out")]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error: dataset not found: /no/data.jsonl" in err
    assert "needs 4 node(s) x 8 GPUs = 32 GPUs" in err and "reports 8" in err
    assert "need shared storage" in err


def test_launch_writes_the_config_and_runs_the_trainer_on_ray(
    model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    monkeypatch.setattr(launcher, "cluster_gpus", lambda address: (8, "ray status"))
    monkeypatch.setattr(
        launcher.subprocess,
        "run",
        lambda cmd, **kw: calls.append((cmd, kw)) or subprocess.CompletedProcess(cmd, 0),
    )
    out = model_and_data.root / "out"
    argv = ["train", "--preset", "1.5B_n1", "--trainer", "areal", "--model_path", model_and_data.model,
            "--dataset", model_and_data.data, "--fileroot", str(out), "--ray_address", "10.0.0.1:6379"]  # fmt: skip
    assert main(argv) == 0
    ((cmd, kw),) = calls
    assert cmd[:4] == ["python3", "-m", "evalkit.training.areal_entry", "--config"]
    config = yaml.safe_load(Path(cmd[4]).read_text())
    assert config["cluster"]["fileroot"] == str(out) and config["allocation_mode"] == "sglang:d4p1t1+d4p1t1"
    assert kw["env"]["RAY_ADDRESS"] == "10.0.0.1:6379"


def test_cluster_gpus_reads_ray_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launcher.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        launcher.subprocess,
        "run",
        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, GUIDE_RAY_STATUS, ""),
    )
    assert launcher.cluster_gpus("h:6379") == (128, "ray status")


@pytest.mark.parametrize(
    ("fileroot", "mount", "level"),
    [
        ("/storage/ray", ("/storage", "nfs4"), None),
        ("/mnt/x", ("/mnt", "fuse.juicefs"), None),
        ("/storage/ray", ("/", "ext4"), "warning"),
        ("/home/me/runs", ("/", "ext4"), "error"),
    ],
)
def test_shared_storage_check(
    fileroot: str, mount: tuple[str, str], level: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(launcher, "mount_type", lambda path: mount)
    problem = launcher.storage_problem(fileroot, nodes=4)
    assert (problem.level if problem else None) == level
    assert launcher.storage_problem(fileroot, nodes=1) is None
