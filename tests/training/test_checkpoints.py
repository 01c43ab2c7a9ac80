"""Checkpoint discovery per trainer layout, completeness, and `evalkit watch` with an injected evaluator."""

import json
import shutil
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from evalkit.cli.watch import eval_command, watch_config
from evalkit.training import watch as watch_module
from evalkit.training.checkpoints import Checkpoint, discover, is_saved
from evalkit.training.watch import WatchConfig, Watcher, watch

LAYOUTS = {
    "areal-v0.2": "v02/checkpoints/root/ppo-1.5B-distill-gpus-8/512x16/actor/epoch1epochstep2globalstep2",
    "areal": "a1/checkpoints/root/gsm8k-grpo/trial0/default/epoch0epochstep3globalstep3",
    "verl": "verl/ckpts/proj/exp/global_step_6/actor/huggingface",
    "trl": "trl/out/checkpoint-10",
}


@pytest.fixture
def ckpt_root(tmp_path: Path, tiny_model_dir: Path) -> Path:
    root = tmp_path / "ckpts"
    for rel in LAYOUTS.values():
        shutil.copytree(tiny_model_dir, root / rel)
    unmerged = root / "verl/ckpts/proj/exp/global_step_8/actor"
    (unmerged / "huggingface").mkdir(parents=True)
    (unmerged / "huggingface/config.json").write_text("{}")
    (unmerged / "model_world_size_2_rank_0.pt").write_bytes(b"x")
    writing = root / "trl/out/checkpoint-12"
    shutil.copytree(tiny_model_dir, writing)
    (writing / "model.safetensors.tmp").write_bytes(b"x")
    (root / "trl/out/checkpoint-14").mkdir()
    (root / "trl/out/checkpoint-14/config.json").write_text("{}")
    return root


def test_discovers_each_layout_with_its_global_step(ckpt_root: Path) -> None:
    found = discover(ckpt_root)
    assert [(c.trainer, c.global_step, c.merged) for c in found] == [
        ("areal-v0.2", 2, True), ("areal", 4, True), ("verl", 6, True), ("verl", 8, False), ("trl", 10, True),
    ]  # fmt: skip
    assert found[0].path == ckpt_root / LAYOUTS["areal-v0.2"]
    assert found[3].path.name == "actor"
    merge = found[3].merge_command("py")
    assert merge[:5] == ["py", "-m", "verl.model_merger", "merge", "--backend"]
    assert merge[-2:] == ["--target_dir", str(found[3].path.parent / "merged_hf")]


def test_sharded_checkpoint_needs_every_shard(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"x")
    assert not is_saved(tmp_path)
    (tmp_path / "model-00002-of-00002.safetensors").write_bytes(b"x")
    assert is_saved(tmp_path)


def watch_args(root: Path, out: Path) -> Namespace:
    return Namespace(ckpt_root=str(root), output_path=str(out), once=True, settle=0.0, interval=0.0, merge=False,
                     merge_python=None, python="py", cuda_visible_devices=None, data_names="aime24,amc23", backend="transformers",
                     n_sampling=1, max_gen_tokens=4, data_dir=None, eval_args="--seed 3", retries=1)  # fmt: skip


def settings(root: Path, out: Path) -> WatchConfig:
    return watch_config(watch_args(root, out))


def test_watch_once_evaluates_each_settled_checkpoint_once(
    ckpt_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[int] = []

    def fake_evaluate(ckpt: Checkpoint) -> dict:
        seen.append(ckpt.global_step)
        return {
            b: {"greedy_acc": 10.0 * ckpt.global_step, "sample_pass@1": None} for b in ("aime24", "amc23")
        }

    out = tmp_path / "eval"
    watcher = watch(settings(ckpt_root, out), fake_evaluate)
    assert seen == [2, 4, 6, 10]
    rows = json.loads((out / "watch_table.json").read_text())
    assert [r["step"] for r in rows] == [2, 4, 6, 10]
    assert rows[1]["aime24 greedy_acc"] == 40.0 and rows[1]["amc23 sample_pass@1"] is None
    assert (out / "watch.png").read_bytes()[:4] == b"\x89PNG"
    captured = capsys.readouterr()
    assert (
        "global_step_8/actor holds FSDP shards" in captured.err and "verl.model_merger merge" in captured.err
    )
    assert "aime24 greedy_acc" in captured.out
    assert watcher.rows() == rows

    watch(settings(ckpt_root, out), fake_evaluate)  # resumes from watch.json: nothing new
    assert seen == [2, 4, 6, 10]


def test_a_checkpoint_still_changing_waits_for_the_next_poll(ckpt_root: Path, tmp_path: Path) -> None:
    calls: list[int] = []
    watcher = Watcher(settings(ckpt_root, tmp_path / "eval"), lambda c: calls.append(c.global_step) or {})
    assert watcher.poll() == 4 and calls == []  # first sighting: signatures recorded
    (ckpt_root / LAYOUTS["trl"] / "model.safetensors").write_bytes(b"grown")
    assert watcher.poll() == 1 and calls == [2, 4, 6]
    assert watcher.poll() == 0 and calls == [2, 4, 6, 10]


def test_eval_command_passes_the_eval_flags(ckpt_root: Path, tmp_path: Path) -> None:
    ckpt = discover(ckpt_root)[-1]
    cmd = eval_command(watch_args(ckpt_root, tmp_path), ckpt)
    assert cmd[:4] == ["py", "-m", "evalkit", "eval"]
    assert cmd[cmd.index("--model_tag") + 1] == "step000010"
    assert "--no_areal_files" in cmd  # every checkpoint shares the output path: AReaL's files hold one model
    cmd.remove("--no_areal_files")
    assert cmd[-8:] == [
        "--backend",
        "transformers",
        "--n_sampling",
        "1",
        "--max_gen_tokens",
        "4",
        "--seed",
        "3",
    ]


def areal_save(role_dir: Path, name: str, model: Path) -> Path:
    """A save as AReaL writes it: the directory first (1.0's Saver makes it before saving), then the files."""
    path = role_dir / name
    path.mkdir(parents=True)
    for f in model.iterdir():
        shutil.copy(f, path / f.name)
    return path


def v02_recover_save(role_dir: Path, global_step: int, model: Path) -> None:
    """v0.2's recover save (model_worker.__save_model, recover_only): unlink every symlink, rewrite
    ``recover_checkpoint/``, then symlink the step-style name to it."""
    role_dir.mkdir(parents=True, exist_ok=True)
    for entry in role_dir.iterdir():
        if entry.is_symlink():
            entry.unlink()
    shutil.rmtree(role_dir / "recover_checkpoint", ignore_errors=True)
    areal_save(role_dir, "recover_checkpoint", model)
    (role_dir / f"epoch1epochstep{global_step}globalstep{global_step}").symlink_to(
        role_dir / "recover_checkpoint"
    )


def test_watch_skips_recover_checkpoints_as_areal_rewrites_them(tmp_path: Path, tiny_model_dir: Path) -> None:
    root = tmp_path / "checkpoints/root"
    v02 = root / "ppo-1.5B-distill-gpus-8/512x16/actor"  # v0.2: steps 1.., persistent save after step 3
    a1 = root / "ppo-1.5B-distill-gpus-8/run1/default"  # 1.0: steps 0.., persistent save after the 1st
    v02_recover_save(v02, 2, tiny_model_dir)
    areal_save(v02, "epoch1epochstep3globalstep3", tiny_model_dir)
    areal_save(a1, "recover_checkpoint", tiny_model_dir)
    areal_save(a1, "epoch0epochstep0globalstep0", tiny_model_dir)
    (a1 / "epoch0epochstep1globalstep1").mkdir()  # 1.0 makes the directory before writing the weights

    assert [(c.trainer, c.global_step, c.path.name) for c in discover(root)] == [
        ("areal", 1, "epoch0epochstep0globalstep0"), ("areal-v0.2", 3, "epoch1epochstep3globalstep3"),
    ]  # fmt: skip
    evaluated: list[Path] = []
    watcher = Watcher(settings(root, tmp_path / "eval"), lambda c: evaluated.append(c.path) or {})
    assert watcher.poll() == 2  # first sighting
    v02_recover_save(v02, 4, tiny_model_dir)  # AReaL rewrites the recover checkpoint mid-watch
    shutil.rmtree(a1 / "recover_checkpoint")
    areal_save(a1, "recover_checkpoint", tiny_model_dir)
    assert watcher.poll() == 0
    for f in tiny_model_dir.iterdir():
        shutil.copy(f, a1 / "epoch0epochstep1globalstep1" / f.name)
    v02_recover_save(v02, 5, tiny_model_dir)
    assert watcher.poll() == 1 and watcher.poll() == 0
    assert [p.name for p in evaluated] == [
        "epoch0epochstep0globalstep0", "epoch1epochstep3globalstep3", "epoch0epochstep1globalstep1",
    ]  # fmt: skip
    assert all(not p.is_symlink() and "recover_checkpoint" not in p.resolve().parts for p in evaluated)
    assert [r["step"] for r in watcher.rows()] == [1, 2, 3]


def test_a_failed_evaluation_is_retried_a_bounded_number_of_times(
    ckpt_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []

    def flaky(ckpt: Checkpoint) -> dict:
        calls.append(ckpt.global_step)
        if ckpt.global_step == 4:
            raise RuntimeError("evaluation exited with 1")
        return {}

    out = tmp_path / "eval"
    watcher = watch(settings(ckpt_root, out), flaky)  # retries=1: step 4 is tried twice, then given up
    assert calls.count(4) == 2 and sorted(set(calls)) == [2, 4, 6, 10]
    assert "attempt 2, 0 retries left" in capsys.readouterr().err
    assert watcher.results[str(discover(ckpt_root)[1].path)]["attempts"] == 2
    watch(settings(ckpt_root, out), flaky)  # a later watch does not try a given-up checkpoint again
    assert calls.count(4) == 2


def test_a_save_without_weights_is_reported_once(
    ckpt_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = ckpt_root / "trl_extra" / "checkpoint-12"
    empty.mkdir(parents=True)
    (empty / "config.json").write_text("{}")
    watcher = Watcher(settings(ckpt_root, tmp_path / "eval"), lambda c: {})
    for _ in range(3):
        watcher.poll()
    err = capsys.readouterr().err
    assert err.count(f"checkpoint {empty} holds no weight files") == 1
    assert all(c.path != empty for c in discover(ckpt_root))


def test_the_evaluation_subprocess_ignores_a_shadowing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shadow = tmp_path / "evalkit"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise SystemExit('the shadowing folder was imported')")
    monkeypatch.chdir(tmp_path)
    seen: dict[str, str] = {}
    real_run = subprocess.run

    def fake_run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
        seen.update(env)
        return real_run([sys.executable, "-c", "import evalkit"], env=env)

    monkeypatch.setattr(watch_module.subprocess, "run", fake_run)
    monkeypatch.setattr(watch_module, "read_metrics", lambda *a: {})
    args = watch_args(tmp_path, tmp_path / "eval")
    args.python = sys.executable
    evaluator = watch_module.subprocess_evaluator(watch_config(args), lambda c: eval_command(args, c))
    assert evaluator(Checkpoint("trl", 1, tmp_path)) == {}
    assert seen["PYTHONSAFEPATH"] == "1"


def fake_merger(tmp_path: Path, model: Path | None) -> Path:
    """A stand-in for an environment's python running ``-m verl.model_merger merge ... --target_dir DIR``:
    without ``model`` it fails as the evaluation environment's python does (no veRL); with it, it copies
    ``model`` to the target directory as the merger would write the merged HF model."""
    script = tmp_path / ("merger-ok" if model else "merger-fails")
    if model is None:
        body = "echo 'Traceback (most recent call last):' >&2\necho \"ModuleNotFoundError: No module named 'verl'\" >&2\nexit 1"
    else:
        body = f'for a; do last="$a"; done\nmkdir -p "$last" && cp -r {model}/. "$last"/'
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


def test_a_failed_merge_is_recorded_retried_and_the_watcher_goes_on(
    ckpt_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []
    args = watch_args(ckpt_root, tmp_path / "eval")
    args.merge, args.merge_python = True, str(fake_merger(tmp_path, None))
    watcher = watch(watch_config(args), lambda c: calls.append(c.global_step) or {})  # retries=1
    assert sorted(calls) == [2, 4, 6, 10]  # every other checkpoint evaluated
    unmerged = str(ckpt_root / "verl/ckpts/proj/exp/global_step_8/actor")
    entry = json.loads((tmp_path / "eval/watch.json").read_text())[unmerged]
    assert entry["stage"] == "merge" and entry["attempts"] == 2 and entry["global_step"] == 8
    assert "merge exited with 1: ModuleNotFoundError: No module named 'verl'" in entry["error"]
    assert args.merge_python in entry["error"]  # the merger ran under --merge_python
    err = capsys.readouterr().err
    assert "attempt 2, 0 retries left" in err and "Traceback" in err  # the merger's output is shown
    assert "error" in watcher.results[unmerged]


def test_merge_python_defaults_to_python_and_a_merged_checkpoint_is_evaluated(
    ckpt_root: Path, tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli.main import main

    args = watch_args(ckpt_root, tmp_path / "eval")
    assert Watcher(watch_config(args), lambda c: {}).merge_python == "py"
    args.merge, args.python = True, str(fake_merger(tmp_path, tiny_model_dir))
    calls: list[Path] = []
    watch(watch_config(args), lambda c: calls.append(c.path) or {})
    assert ckpt_root / "verl/ckpts/proj/exp/global_step_8/merged_hf" in calls
    # The flag exists on the command line, and a merger that cannot start is a failure like any other.
    args.merge_python = str(tmp_path / "no-such-python")
    config = watch_config(args)
    watcher = Watcher(config, lambda c: {})
    assert watcher._unmerged(Checkpoint("verl", 9, tmp_path / "global_step_9/actor", merged=False)) == 1
    assert "merge could not start" in watcher.results[str(tmp_path / "global_step_9/actor")]["error"]
    assert (
        main(["watch", str(tmp_path / "missing"), "--output_path", str(tmp_path), "--merge_python", "x"]) == 2
    )


def test_watch_reads_the_metrics_of_each_benchmark_of_a_suite(tmp_path: Path) -> None:
    from evalkit.run.records import SampleRecord
    from evalkit.run.store import RunStore

    for bench in ("aime24", "minerva_math"):
        store = RunStore(tmp_path / "step1" / bench)
        store.run_dir.mkdir(parents=True)
        store.append([SampleRecord("p", "greedy", 0, None, "h", "r", 3, "stop", "1", "1", True, "exact", "")])
    metrics = watch_module.read_metrics(tmp_path, "step1", "rl_math")
    assert list(metrics) == ["aime24", "aime25", "amc23", "math_500", "minerva_math", "olympiadbench"]
    assert metrics["aime24"]["greedy_acc"] == metrics["minerva_math"]["greedy_acc"] == 100.0
    assert metrics["amc23"]["greedy_acc"] is None
