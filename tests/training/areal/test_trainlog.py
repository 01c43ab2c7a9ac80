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


def test_an_areal_1_step_line_without_its_table_is_a_step_without_statistics() -> None:
    line = "20260101-10:00:00.000 StatsLogger INFO: Epoch 1/10 Step 1/3326 Train step 1/33260 done."
    log = parse(line + "\n")
    assert [(s.global_step, s.stats, s.step_time) for s in log.steps] == [(1, {}, None)]
    assert not any("AReaL 1.0" in w for w in parse(guide_log()).warnings)


# --- logs produced by AReaL's own code (tests/training/areal/fixtures/make_fixtures.py says how) ---

FIXTURES = Path(__file__).parent / "fixtures"
V02_LOG = FIXTURES / "areal_v0.2.0_ray.log"  # v0.2.0's realhf.base.logging (colorlog) + Ray's driver prefix
V10_LOG = FIXTURES / "areal_1.0.4_stats.log"  # 1.0.4's StatsLogger.commit on its stats_tracker's export


def test_fixtures_are_coloured_as_areal_writes_them() -> None:
    for path in (V02_LOG, V10_LOG):
        assert "\x1b[" in path.read_text()


def test_reads_areal_v02_log_written_through_its_colorlog_logger() -> None:
    log = parse(V02_LOG.read_text())
    assert [s.global_step for s in log.steps] == [1, 2, 3]
    assert [s.stats["task_reward"] for s in log.steps] == REWARDS[:3]
    assert [s.step_time for s in log.steps] == TIMES[:3]
    assert log.steps[2].eta == pytest.approx(33957.093) and log.steps[0].eta is None
    assert log.steps[0].stats["no_eos_ratio"] == 0.122802734375 and log.steps[0].raw["kl_reward"] < 0
    assert (log.malformed, log.recover_dumps, log.last_recover_step) == (0, 2, 3)
    assert log.warnings == [] and {s.format for s in log.steps} == {"areal-v0.2"}


def test_reads_areal_1_stats_tables() -> None:
    log = parse(V10_LOG.read_text())
    assert [(s.epoch, s.epochs, s.epoch_step, s.epoch_steps, s.global_step) for s in log.steps] == [
        (1, 10, 1, 3326, 1),
        (1, 10, 2, 3326, 2),
        (1, 10, 3, 3326, 3),
    ]
    assert [s.stats["task_reward"] for s in log.steps] == [0.25, 0.5, 0.75]  # ppo_actor/task_reward/avg
    first = log.steps[0]
    assert set(first.stats) == {
        "task_reward",
        "actor_clip_ratio",
        "importance_weight",
        "avg_seq_len",
        "no_eos_ratio",
    }
    assert first.raw["ppo_actor/update/clip_ratio/avg"] == first.stats["actor_clip_ratio"] == 1.5625e-02
    assert first.raw["timeperf/train_step"] == 41.7 and len(first.raw) > 50
    # No step time in the commit lines: from the timestamps of consecutive commits (143.125 s, 146.125 s).
    assert [s.step_time for s in log.steps] == [None, 143.125, 146.125]
    assert log.steps[2].eta == pytest.approx((143.125 + 146.125) / 2 * (33260 - 3))
    assert log.malformed == 0 and {s.format for s in log.steps} == {"areal-1.0"}
    assert log.warnings == [
        "no recover checkpoint yet: a crash now restarts from scratch (AReaL 1.0 writes one per the config's "
        "recover.freq_epochs/freq_steps/freq_secs)"
    ]


def test_areal_1_table_behind_a_line_prefix_and_a_recover_save() -> None:
    """AReaL 1.0's launchers prefix every line of merged.log with ``[role]``; Ray prefixes its own."""
    lines = V10_LOG.read_text().splitlines()
    text = "\n".join(f"[trainer] {line}" for line in lines[:34])
    text += "\n[trainer] 20260112-09:03:00.000 RecoverHandler INFO: Saved recover checkpoint to /x (with_optim=True)\n"
    log = parse(text)
    assert [s.stats["task_reward"] for s in log.steps] == [0.25]
    assert (log.recover_dumps, log.last_recover_step) == (1, 2)


def test_cli_reads_both_real_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train-log", str(V10_LOG)]) == 0
    captured = capsys.readouterr()
    assert "0.75" in captured.out and "143.1" in captured.out
    assert "AReaL 1.0 log" not in captured.err
    assert main(["train-log", str(V02_LOG), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["stats"]["task_reward"] for s in data["steps"]] == REWARDS[:3]


class _Growing:
    """A log written a chunk per poll: ``sleep`` (called by follow between polls) appends the next chunk."""

    def __init__(self, path: Path, chunks: list[str]) -> None:
        self.path, self.chunks, self.sleeps = path, list(chunks), 0

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.chunks:
            with self.path.open("a") as f:
                f.write(self.chunks.pop(0))


def test_follow_yields_each_step_once_its_lines_are_whole(tmp_path: Path) -> None:
    from evalkit.training.areal.trainlog import Parser, follow

    text = V02_LOG.read_text()
    cut = text.index("finishes.")  # the first step line, split in the middle
    path = tmp_path / "train.log"
    grow = _Growing(path, [text[:cut], text[cut:], "torch.OutOfMemoryError: CUDA out of memory.\n"])
    parser = Parser()
    events = list(follow(path, interval=0, sleep=grow.sleep, max_polls=6, parser=parser))
    assert grow.sleeps == 5  # bounded by max_polls; the file did not exist at the first poll
    assert [[s.global_step for s in e.steps] for e in events] == [[1, 2, 3], []]
    assert events[1].warnings[0].startswith("cuda_oom:")
    assert [s.stats["task_reward"] for s in parser.log.steps] == REWARDS[:3]


def test_follow_areal_1_step_is_complete_when_its_table_closes(tmp_path: Path) -> None:
    from evalkit.training.areal.trainlog import follow

    lines = V10_LOG.read_text().splitlines(keepends=True)
    path = tmp_path / "train.log"
    path.write_text("".join(lines[:20]))  # step 1's table half written
    grow = _Growing(path, ["".join(lines[20:40])])
    events = list(follow(path, interval=0, sleep=grow.sleep, max_polls=2))
    assert [[s.global_step for s in e.steps] for e in events] == [[1]]
    assert events[0].steps[0].stats["task_reward"] == 0.25


def test_follow_starts_over_on_a_truncated_log(tmp_path: Path) -> None:
    from evalkit.training.areal.trainlog import follow

    path = tmp_path / "train.log"
    path.write_text(guide_log())

    def truncate(seconds: float) -> None:
        path.write_text(guide_log().splitlines(keepends=True)[0] + guide_log().splitlines(keepends=True)[1])

    events = list(follow(path, interval=0, sleep=truncate, max_polls=2))
    assert (
        len(events[0].steps) == 6 and events[1].restarted and [s.global_step for s in events[1].steps] == [1]
    )


def test_cli_follow_stops_cleanly_on_ctrl_c(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from evalkit.cli import train_log

    path = tmp_path / "train.log"
    path.write_text(guide_log())

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    args = argparse.Namespace(
        logfile=str(path), json=False, plot=str(tmp_path / "c.png"), follow=True, interval=1.0
    )
    assert train_log.run_follow(args, sleep=interrupt) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 7 and "-0.7025" in out.splitlines()[-1]
    assert "stopped after 6 step(s); last recover point: step 6" in err and "Traceback" not in err
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    args.json, args.plot = True, None
    assert train_log.run_follow(args, sleep=interrupt) == 0
    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["global_step"] for s in steps] == [1, 2, 3, 4, 5, 6]
