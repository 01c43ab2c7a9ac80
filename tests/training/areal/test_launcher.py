"""`evalkit train`: presets from the guide's table, rendered configs, preflight checks, the launch command."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from evalkit.cli.main import main
from evalkit.training.areal import launcher
from evalkit.training.areal.presets import (
    PRESETS,
    TrainJob,
    allocation_gpus,
    areal_allocation,
    areal_backends,
    areal_release,
    parse_allocation,
    render_areal,
    render_v02,
)
from evalkit.training.areal.trainlog import parse

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
    c = render_v02(PRESETS["7B_n16"], TrainJob(model_path="/m", dataset="/d.jsonl", fileroot="/storage/x"))
    assert (c["mode"], c["n_nodes"], c["n_gpus_per_node"]) == ("ray", 16, 8)
    assert c["allocation_mode"] == "sglang.d64p1m1+d32p2m1"
    assert c["actor"]["path"] == c["ref"]["path"] == c["critic"]["path"] == "/m"
    assert (c["dataset"]["path"], c["dataset"]["train_bs_n_seqs"], c["group_size"]) == ("/d.jsonl", 512, 16)
    assert c["ppo"]["gen"]["max_new_tokens"] == 27648
    assert "max_running_requests" not in c["actor"]["sglang"]
    assert (c["ppo"]["reward_output_scaling"], c["ppo"]["reward_output_bias"]) == (5, 0.0)
    assert c["exp_ctrl"]["ckpt_freq_secs"] == 600 and c["exp_ctrl"]["save_freq_epochs"] == 1
    assert c["recover_mode"] == "auto"
    assert (c["experiment_name"], c["trial_name"]) == ("ppo-7B-distill-gpus-128", "512x16")
    assert c["external_configs"]["cluster_config"]["fileroot"] == "/storage/x"


def test_32b_keeps_the_shipped_sglang_limits() -> None:
    c = render_v02(PRESETS["32B_n16"], TrainJob(model_path="/m", dataset="/d.jsonl"))
    assert c["actor"]["sglang"] == {
        "mem_fraction_static": 0.8, "triton_attention_num_kv_splits": 16, "disable_radix_cache": False,
        "max_running_requests": 128, "context_length": 29696,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("version", "release"),
    [("1.0.4", "1.0.4"), ("v1.0.2", "1.0.2"), ("1.0.0.post1", "1.0.0"), ("v0.2.0", "0.2"), ("0.2.1", "0.2")],
)
def test_areal_release_names_the_config_dialect(version: str, release: str) -> None:
    assert areal_release(version) == release


@pytest.mark.parametrize("version", ["0.3.0", "0.5.3", "1.0.5", "1.1.0", "main"])
def test_unchecked_areal_releases_are_refused(version: str) -> None:
    with pytest.raises(ValueError, match=r"not supported.*pip install areal==1\.0\.4"):
        areal_release(version)


@pytest.mark.parametrize(
    ("version", "cap_key", "has_backends"),
    [("1.0.0", "behav_imp_weight_cap", False), ("1.0.2", "behave_imp_weight_cap", False),
     ("1.0.3", "behave_imp_weight_cap", True), ("1.0.4", "rejection_sampling", True)],
)  # fmt: skip
def test_areal_config_uses_each_release_s_keys(version: str, cap_key: str, has_backends: bool) -> None:
    c = render_areal(
        PRESETS["32B_n16"], TrainJob(model_path="/m", dataset="/d.jsonl", trial_name="t1"), version=version
    )
    caps = [k for k in c["actor"] if "imp_weight" in k or k == "rejection_sampling"]
    assert caps == [cap_key]
    assert ("allocation_mode" in c) is not has_backends
    if has_backends:
        assert (c["rollout"]["backend"], c["actor"]["backend"]) == ("sglang:d8p1t8", "fsdp:d16p1t4")
        assert c["ref"]["backend"] == "${actor.backend}"
    else:
        assert c["allocation_mode"] == "sglang:d8p1t8+d16p1t4" and "backend" not in c["ref"]
    assert c["cluster"]["n_nodes"] == 16 and c["scheduler"]["type"] == "ray"
    assert (c["gconfig"]["n_samples"], c["gconfig"]["max_new_tokens"]) == (32, 8192)
    assert (c["actor"]["optimizer"]["lr"], c["actor"]["eps_clip"]) == (1e-5, 0.4)
    assert (c["actor"]["reward_scaling"], c["actor"]["reward_bias"]) == (10.0, -0.5)
    assert c["sglang"]["max_running_requests"] == 128
    assert (c["train_dataset"]["path"], c["train_dataset"]["batch_size"]) == ("/d.jsonl", 512)
    assert c["recover"]["mode"] == "auto" and c["actor"]["path"] == "/m" and c["trial_name"] == "t1"


def test_areal_backends_keep_the_v02_split() -> None:
    assert areal_backends(PRESETS["1.5B_n1"]) == ("sglang:d4p1t1", "fsdp:d4p1t1")


@pytest.fixture
def model_and_data(tmp_path: Path) -> SimpleNamespace:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    data = tmp_path / "train.jsonl"
    data.write_text('{"prompt": "1+1?", "answer": "2"}\n')
    checkout = tmp_path / "AReaL"
    (checkout / "realhf/apps").mkdir(parents=True)
    (checkout / "realhf/apps/quickstart.py").write_text("")
    return SimpleNamespace(model=str(model), data=str(data), root=tmp_path, checkout=str(checkout))


def answers(monkeypatch: pytest.MonkeyPatch, *, version: str | None, gpus: int = 8) -> None:
    """Fake probes: ``git describe`` / the trainer's ``areal`` version, and ``ray status``."""
    monkeypatch.setattr(launcher, "_output", lambda cmd: version)
    monkeypatch.setattr(launcher, "cluster_gpus", lambda address: (gpus, "ray status"))
    monkeypatch.setattr(launcher, "tee", pytest.fail)


def train(*extra: str, preset: str = "1.5B_n1") -> int:
    return main(["train", "--preset", preset, *extra])


def test_dry_run_prints_config_and_command_and_launches_nothing(
    model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers(monkeypatch, version=None)
    monkeypatch.setattr(launcher, "cluster_gpus", lambda address: (None, "neither answered"))
    assert (
        train("--model_path", "/no/model", "--dataset", model_and_data.data, "--dry_run", preset="7B_n4") == 0
    )
    out, err = capsys.readouterr()
    config = yaml.safe_load(out)
    assert config["n_nodes"] == 4 and config["allocation_mode"] == "sglang.d16p1m1+d8p2m1"
    assert config["ppo"]["gen"]["max_new_tokens"] == 27648
    assert "python3 -m realhf.apps.quickstart ppo-math --config /storage/ray/experiments/" in out
    assert "/logs/" in out and "evalkit_train.log" in out
    assert "warning: model not found: /no/model" in err
    assert "warning: Ray cluster not reachable" in err


@pytest.mark.parametrize(
    ("extra", "version", "message"),
    [
        (["--areal_dir", "/no/AReaL"], None,
         "error: AReaL checkout not found: /no/AReaL; git clone https://github.com/inclusionAI/AReaL /no/AReaL && git -C /no/AReaL checkout v0.2.0"),
        (["--areal_dir", "{root}"], None, "error: {root} has no realhf/apps/quickstart.py (realhf left AReaL before v0.5): git -C {root} checkout v0.2.0"),
        (["--areal_dir", "{checkout}"], "v1.0.4", "error: AReaL v1.0.4 is not v0.2, which the guide's configs need: git -C {checkout} checkout v0.2.0"),
        (["--areal_dir", "{checkout}", "--trial_name", "run_1"], "v0.2.0", "error: AReaL v0.2 rejects '_' in trial_name 'run_1': use --trial_name run-1"),
        (["--trainer", "areal"], None, "error: no AReaL in python3's environment: python3 -m pip install areal==1.0.4"),
        (["--trainer", "areal"], "0.5.3", "error: AReaL 0.5.3 is not supported"),
    ],
)  # fmt: skip
def test_prerequisites_are_one_line_errors_that_say_what_to_do(
    extra: list[str], version: str | None, message: str, model_and_data: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    answers(monkeypatch, version=version)
    fill = {"root": str(model_and_data.root), "checkout": model_and_data.checkout}
    argv = [
        "--model_path",
        model_and_data.model,
        "--dataset",
        model_and_data.data,
        "--fileroot",
        str(model_and_data.root),
    ]
    assert train(*argv, *(a.format(**fill) for a in extra)) == 2
    errors = capsys.readouterr().err.splitlines()
    assert [e for e in errors if e.startswith(message.format(**fill))], errors


def test_preflight_failures_name_what_is_missing_and_exit_2(
    model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers(monkeypatch, version="v0.2.0")
    monkeypatch.setattr(launcher, "mount_type", lambda path: ("/", "overlay"))
    argv = ["--model_path", model_and_data.model, "--dataset", "/no/data.jsonl", "--areal_dir", model_and_data.checkout,
            "--fileroot", str(model_and_data.root / "out")]  # fmt: skip
    assert train(*argv, preset="7B_n4") == 2
    err = capsys.readouterr().err
    assert "error: dataset not found: /no/data.jsonl" in err
    assert "needs 4 node(s) x 8 GPUs = 32 GPUs" in err and "reports 8" in err
    assert "need shared storage" in err


@pytest.mark.parametrize(
    ("installed", "cap_key"), [("1.0.4", "rejection_sampling"), ("1.0.2", "behave_imp_weight_cap")]
)
def test_launch_renders_for_the_installed_areal_and_tees_its_log(
    installed: str, cap_key: str, model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    answers(monkeypatch, version=installed)
    monkeypatch.setattr(launcher, "tee", lambda cmd, log, **kw: calls.append((cmd, log, kw)) or 0)
    out = model_and_data.root / "out"
    argv = ["--trainer", "areal", "--model_path", model_and_data.model, "--dataset", model_and_data.data,
            "--fileroot", str(out), "--ray_address", "10.0.0.1:6379", "--trial_name", "run_1"]  # fmt: skip
    assert train(*argv) == 0
    ((cmd, log, kw),) = calls
    assert cmd[:4] == ["python3", "-m", "evalkit.training.areal.entry", "--config"]
    config = yaml.safe_load(Path(cmd[4]).read_text())
    assert config["cluster"]["fileroot"] == str(out) and cap_key in config["actor"]
    assert (
        log == out / "logs" / launcher.getpass.getuser() / "ppo-1.5B-distill-gpus-8/run_1/evalkit_train.log"
    )
    assert kw["env"]["RAY_ADDRESS"] == "10.0.0.1:6379" and kw["cwd"] is None


def test_areal_version_flag_overrides_detection(
    model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    answers(monkeypatch, version=None)
    monkeypatch.setattr(launcher, "tee", lambda cmd, log, **kw: calls.append(cmd) or 0)
    argv = ["--trainer", "areal", "--areal_version", "1.0.0", "--model_path", model_and_data.model,
            "--dataset", model_and_data.data, "--fileroot", str(model_and_data.root)]  # fmt: skip
    assert train(*argv) == 0
    assert "behav_imp_weight_cap" in yaml.safe_load(Path(calls[0][4]).read_text())["actor"]


def test_save_freq_steps_adds_persistent_saves() -> None:
    v02 = render_v02(PRESETS["1.5B_n1"], TrainJob(model_path="/m", save_freq_steps=20))
    assert v02["exp_ctrl"] == {
        "total_train_epochs": 5,
        "save_freq_epochs": 1,
        "ckpt_freq_secs": 600,
        "save_freq_steps": 20,
    }
    a1 = render_areal(PRESETS["1.5B_n1"], TrainJob(model_path="/m", save_freq_steps=20))
    assert (a1["saver"]["freq_epochs"], a1["saver"]["freq_steps"]) == (1, 20)
    assert "save_freq_steps" not in render_v02(PRESETS["1.5B_n1"], TrainJob(model_path="/m"))["exp_ctrl"]


def test_v02_runs_in_the_checkout(model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    answers(monkeypatch, version="v0.2.0")
    monkeypatch.setattr(launcher, "tee", lambda cmd, log, **kw: calls.append((cmd, kw)) or 0)
    argv = ["--model_path", model_and_data.model, "--dataset", model_and_data.data, "--areal_dir", model_and_data.checkout,
            "--fileroot", str(model_and_data.root)]  # fmt: skip
    assert train(*argv) == 0
    ((cmd, kw),) = calls
    assert cmd[1:4] == ["-m", "realhf.apps.quickstart", "ppo-math"] and kw["cwd"] == model_and_data.checkout


def test_relative_paths_are_resolved_from_the_user_s_directory(
    model_and_data: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trainer runs in --areal_dir: every path it is given must name the user's files."""
    calls = []
    answers(monkeypatch, version="v0.2.0")
    monkeypatch.setattr(launcher, "tee", lambda cmd, log, **kw: calls.append((cmd, log, kw)) or 0)
    monkeypatch.chdir(model_and_data.root)
    argv = ["--model_path", "model", "--dataset", "./train.jsonl", "--areal_dir", "AReaL", "--fileroot", "out",
            "--config_out", "cfg/run.yaml", "--log_file", "logs/train.log"]  # fmt: skip
    assert train(*argv) == 0
    ((cmd, log, kw),) = calls
    root = model_and_data.root
    config_file = Path(cmd[cmd.index("--config") + 1])
    assert config_file == root / "cfg" / "run.yaml" and config_file.is_file()
    assert log == root / "logs" / "train.log" and kw["cwd"] == str(root / "AReaL")
    rendered = config_file.read_text()
    assert str(root / "model") in rendered and str(root / "train.jsonl") in rendered
    assert str(root / "out") in rendered


def test_hub_ids_are_not_taken_for_relative_paths(tmp_path: Path) -> None:
    from argparse import Namespace

    args = Namespace(model_path="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", dataset="d.jsonl", areal_dir=None,
                     fileroot="runs", config_out=None, log_file=None, python="venv/bin/python")  # fmt: skip
    resolved = launcher.resolve_paths(args, cwd=str(tmp_path))
    assert resolved.model_path == "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    assert resolved.fileroot == str(tmp_path / "runs") and resolved.python == str(
        tmp_path / "venv/bin/python"
    )


GUIDE_LINES = (
    "(master_worker/0 pid=1, ip=x) 20250222-11:11:56.991 master worker INFO: RPC name actor_train returns "
    "{'task_reward': -0.2996826171875, 'importance_weight': 1.0000014305114746, 'actor_clip_ratio': 2.1e-07}",
    "(master_worker/0 pid=1, ip=x) 20250222-11:11:56.997 master worker INFO: Epoch 1/1 step 1/19 (global step 1) "
    "finishes. Average #tokens per batch is 111847. #End to end# execution time: *2124.429*s. "
    "Total time consumption: 2283.862s.",
)


def test_tee_copies_the_trainer_output_to_a_log_that_train_log_reads(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = "import sys; print({!r}); print({!r}, file=sys.stderr); sys.exit(3)".format(*GUIDE_LINES)
    log = tmp_path / "logs/evalkit_train.log"
    assert launcher.tee([sys.executable, "-c", script], log) == 3
    assert capfd.readouterr().out.splitlines() == list(GUIDE_LINES)
    assert launcher.tee([sys.executable, "-c", "print('restarted')"], log) == 0  # a relaunch appends
    text = log.read_text()
    assert text.splitlines() == [*GUIDE_LINES, "restarted"]
    (step,) = parse(text).steps
    assert (step.global_step, step.step_time, step.stats["task_reward"]) == (1, 2124.429, -0.2996826171875)


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
