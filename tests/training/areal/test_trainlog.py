"""`evalkit train-log`: the guide's log lines parsed into a table, curves and warnings; bad lines skipped."""

import json
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.training.areal.trainlog import literal_dict, parse

PREFIX = "(master_worker/0 pid=96390, ip=10.0.0.1) 20250222-{t} master worker INFO: "
TIMES = [2124.429, 2405.716, 2122.318, 2313.134, 2296.076, 2299.448]
REWARDS = [
    -0.2996826171875,
    -0.6793212890625,
    -0.6280517578125,
    -0.78857421875,
    -0.6158447265625,
    -0.7025146484375,
]


def rpc(reward: float, weight: float = 1.0000014305114746, clip: float = 2.1e-07) -> str:
    return (
        f"RPC name actor_train returns {{'ppo_approx_kl': -2.26e-05, 'actor_loss': 1.11e-06, "
        f"'actor_clip_ratio': {clip}, 'importance_weight': {weight}, 'task_reward': {reward}, "
        f"'kl_reward': -2.27e-07, 'avg_seq_len': 7907.8955078125, 'n_seqs': 16384.0, 'no_eos_ratio': 0.1228}}"
    )


def step(g: int, took: float, total: float, eta: float | None) -> str:
    tail = f" Estimated remaining time: {eta:.3f}s." if eta is not None else ""
    return (
        f"Epoch 1/1 step {g}/19 (global step {g}) finishes. Average #tokens per batch is 111847. "
        f"#End to end# execution time: *{took}*s. Total time consumption: {total:.3f}s.{tail} "
    )


def guide_log(**rpc_kwargs: float) -> str:
    lines, total = [], 0.0
    for g, (took, reward) in enumerate(zip(TIMES, REWARDS, strict=True), start=1):
        total += took
        lines.append(PREFIX.format(t="11:11:56.991") + rpc(reward, **rpc_kwargs))
        lines.append(PREFIX.format(t="11:11:56.997") + step(g, took, total, None if g < 3 else 30000.0 - g))
        if g >= 2:
            lines.append(PREFIX.format(t="11:52:02.760") + "Dumped recover info to file.")
    return "\n".join(lines) + "\n"


def test_parses_the_guides_log() -> None:
    log = parse(guide_log())
    assert [s.global_step for s in log.steps] == [1, 2, 3, 4, 5, 6]
    assert [s.step_time for s in log.steps] == TIMES
    assert [s.stats["task_reward"] for s in log.steps] == REWARDS
    assert log.steps[0].eta is None and log.steps[5].eta == pytest.approx(29994.0)
    assert log.steps[0].stats["no_eos_ratio"] == 0.1228 and log.steps[0].epoch_steps == 19
    assert (log.last_recover_step, log.recover_dumps, log.malformed) == (6, 5, 0)
    assert log.warnings == []


def test_malformed_lines_are_counted_and_skipped() -> None:
    text = guide_log() + "\n".join(
        [
            PREFIX.format(t="x") + "Epoch 1/1 step 7/19 (global step 7) finishes. Average #tokens per",
            PREFIX.format(t="x") + "RPC name actor_train returns {'task_reward': __import__('os').getcwd()}",
            PREFIX.format(t="x") + "RPC name actor_train returns {'task_reward': 0.5",
            "some unrelated line \x00 with odd bytes",
        ]
    )
    log = parse(text)
    assert len(log.steps) == 6 and log.malformed == 3
    assert "3 malformed line(s) skipped" in log.warnings


def test_literal_dict_accepts_only_plain_literals() -> None:
    assert literal_dict("{'a': -1.5, 'b': nan, 'c': 3}")["a"] == -1.5
    for bad in ("{'a': f(1)}", "{'a': x}", "[1, 2]", "{'a': (1, 2)}"):
        with pytest.raises(ValueError):
            literal_dict(bad)


def test_warns_on_the_guides_symptoms() -> None:
    text = guide_log(weight=1.2, clip=0.3).replace("Dumped recover info to file.", "")
    text += "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n"
    text += "RuntimeError: Aborted due to the lack of CPU swap space. Please increase the swap space\n"
    text += "RuntimeError: CUDA error: an illegal memory access was encountered\n"
    warnings = parse(text).warnings
    names = [w.split(":", 1)[0] for w in warnings]
    assert names[:3] == [
        "cuda_oom",
        "cpu_swap_space",
        "illegal_memory_access",
    ]  # evalkit.sampling.troubleshooting
    joined = "\n".join(warnings)
    assert "importance_weight far from 1" in joined and "[1, 2, 3, 4, 5, 6]" in joined
    assert "actor_clip_ratio above 0.1" in joined
    assert "no recover checkpoint yet" in joined


def test_cli_table_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "train.log"
    path.write_text(guide_log())
    assert main(["train-log", str(path)]) == 0
    out = capsys.readouterr().out
    assert "task_reward" in out and "2299.4" in out and "last recover point: step 6" in out
    png = tmp_path / "curves.png"
    assert main(["train-log", str(path), "--json", "--plot", str(png)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["steps"]) == 6 and data["last_recover_step"] == 6
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["train-log", str(tmp_path / "missing.log")]) == 2


def test_an_areal_1_log_is_named_not_silently_empty() -> None:
    line = "20260101-10:00:00.000 StatsLogger INFO: Epoch 1/10 Step 1/3326 Train step 1/33260 done."
    log = parse(line + "\n")
    assert log.steps == [] and any("an AReaL 1.0 log" in w for w in log.warnings)
    assert not any("AReaL 1.0" in w for w in parse(guide_log()).warnings)
