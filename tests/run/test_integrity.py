"""The run store's guarantees, end to end through the commands: no sequence of commands, signals or faults
changes, loses or duplicates a stored record, except an explicit writer holding the run lock."""

import errno
import io
import json
import os
import signal
import threading
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from scripted import ScriptedSampler

import evalkit.graders as graders
import evalkit.run.runner as runner
import evalkit.sampling.factory as factory
from evalkit.benchmarks.loading import load_benchmark
from evalkit.benchmarks.templates import load_template
from evalkit.cli.eval_and_aggregate import main as eval_main
from evalkit.cli.main import main as cli_main
from evalkit.run.lock import LOCK, run_lock
from evalkit.run.store import DuplicateRecordWarning, RunStore, StoreError, read_records
from evalkit.sampling.base import Completion, Job

TEMPLATES = ("r1-distilled-qwen", "qwen-boxed")


class CountingSampler(ScriptedSampler):
    """The scripted sampler, counting completions; ``signal_after`` sends this process SIGTERM after that
    many (the way Slurm or ``timeout`` would)."""

    started = 0
    completions = 0
    signal_after: int | None = None

    def __init__(self, golds: dict[str, str], model_path: str) -> None:
        super().__init__(golds, model_path)
        CountingSampler.started += 1

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        for job_id, completion in super().stream(jobs, max_in_flight=max_in_flight):
            if CountingSampler.completions == CountingSampler.signal_after:
                os.kill(os.getpid(), signal.SIGTERM)
            CountingSampler.completions += 1
            yield job_id, completion


@pytest.fixture
def base_args(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Flags of a scripted aime24 run (any of TEMPLATES) into ``tmp_path/out``."""
    golds = {
        load_template(t).render(p.problem): p.gold
        for t in TEMPLATES
        for p in load_benchmark("aime24", data_dir).problems
    }
    CountingSampler.started = CountingSampler.completions = 0
    CountingSampler.signal_after = None
    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: CountingSampler(golds, model))
    return [
        "--backend", "transformers", "--model_path", "m", "--output_path", str(tmp_path / "out"),
        "--data_dir", str(data_dir), "--data_names", "aime24", "--n_sampling", "2", "--ks", "1",
    ]  # fmt: skip


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (relative path -> bytes)."""
    files = [p for p in sorted(directory.rglob("*")) if p.is_file() and not p.name.startswith(LOCK)]
    return {str(p.relative_to(directory)): p.read_bytes() for p in files}


def test_a_refused_rerun_leaves_every_stored_file_byte_identical(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_main(base_args) == 0
    before = snapshot(tmp_path / "out")
    started = CountingSampler.started
    assert eval_main([*base_args, "--prompt_type", "qwen-boxed"]) == 2
    err = capsys.readouterr().err
    assert "different fingerprint" in err and "template.name" in err and "nothing was changed" in err
    assert err.index("--model_tag") < err.index("--overwrite")  # the safe advice first
    assert snapshot(tmp_path / "out") == before
    assert CountingSampler.started == started  # refused before any engine loads


def test_a_limited_run_is_never_resumed_as_the_full_one_and_its_refusal_writes_nothing(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_main([*base_args, "--limit", "4"]) == 0
    run = tmp_path / "out" / "m"
    assert [p.name for p in run.iterdir() if p.is_dir()] == ["aime24@first4"]
    before = snapshot(tmp_path / "out")
    started = CountingSampler.started
    assert eval_main([*base_args, "--limit", "4", "--prompt_type", "qwen-boxed"]) == 2
    assert "template.name" in capsys.readouterr().err
    assert snapshot(tmp_path / "out") == before and CountingSampler.started == started
    # a limited run moved where the full run is stored is refused, not resumed or completed
    (run / "aime24@first4").rename(run / "aime24")
    before = snapshot(tmp_path / "out")
    assert eval_main(base_args) == 2
    err = capsys.readouterr().err
    assert 'benchmark.name: "aime24@first4" (stored) vs "aime24" (now)' in err
    assert "benchmark.problems: 4 (stored) vs 30 (now)" in err
    assert snapshot(tmp_path / "out") == before and CountingSampler.started == started


def test_a_refusal_among_several_benchmarks_writes_none_of_them(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = load_template("r1-distilled-qwen")
    bench = load_benchmark("aime24", data_dir)
    golds = {template.render(p.problem): p.gold for p in bench.problems}
    from evalkit.run.config import RunConfig

    config = RunConfig(n_sampling=1)
    first = CountingSampler(golds, "m")
    runner.run_benchmarks([(bench, tmp_path / "a")], template, first, config, progress=False)
    stale = json.loads((tmp_path / "a" / "manifest.json").read_text())
    stale["grader"]["version"] = 1  # "a" would be re-graded on resume ...
    (tmp_path / "a" / "manifest.json").write_text(json.dumps(stale))
    runner.run_benchmarks([(bench, tmp_path / "b")], template, first, config, progress=False)
    other = json.loads((tmp_path / "b" / "manifest.json").read_text())
    other["sampling"]["temperature"] = 0.9  # ... but "b" is refused: nothing may be written to "a" either
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(other))
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match=r"sampling\.temperature"):
        runner.run_benchmarks(
            [(bench, tmp_path / "a"), (bench, tmp_path / "b")],
            template,
            CountingSampler(golds, "m"),
            config,
            progress=False,
            out=io.StringIO(),
        )
    assert snapshot(tmp_path) == before


def test_grade_refuses_a_run_that_an_evaluation_holds_and_writes_nothing(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_main(base_args) == 0
    capsys.readouterr()
    root = tmp_path / "out" / "m"
    before = snapshot(root)
    with run_lock(root):  # as eval_and_aggregate holds it while it appends
        assert cli_main(["grade", str(root / "aime24")]) == 2
    err = capsys.readouterr().err
    assert "is in use by pid" in err and len(err.strip().splitlines()) == 1
    assert snapshot(root) == before


def test_grade_waits_for_the_lock_when_asked(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_main(base_args) == 0
    capsys.readouterr()
    root = tmp_path / "out" / "m"
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with run_lock(root):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(30)
    threading.Timer(1.0, release.set).start()
    try:
        assert cli_main(["grade", str(root), "--lock_wait", "60"]) == 0
    finally:
        release.set()
        holder.join()
    out, err = capsys.readouterr()
    assert "waiting: " in err and "aime24: accuracy" in out
    assert not (root / LOCK).exists()


def test_report_during_an_appending_evaluation_loses_nothing(
    base_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deterministic interleaving: while ``report`` re-grades a stale run, the evaluation appends."""
    assert eval_main(base_args) == 0
    run_dir = tmp_path / "out" / "m" / "aime24"
    store = RunStore(run_dir)
    manifest = store.manifest() or {}
    manifest["grader"]["version"] = 1  # stale: report re-grades it
    store.write_manifest(manifest)
    late = store.records()[-1]
    appended = type(late)(**{**late.to_dict(), "sample_index": 99})
    real = graders.grade_many

    def grade_while_appending(*args: object, **kwargs: object) -> list[graders.Verdict]:
        store.append([appended])  # the running evaluation stores a completion meanwhile
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(graders, "grade_many", grade_while_appending)
    report = tmp_path / "report.html"
    assert cli_main(["report", str(tmp_path / "out"), "--no-audit", "-o", str(report)]) == 0
    assert appended in read_records(run_dir / "samples.jsonl")
    assert (RunStore(run_dir).manifest() or {})["grader"]["version"] == 1  # a reader never writes


def test_a_benchmark_named_twice_is_sampled_and_stored_once(base_args: list[str], tmp_path: Path) -> None:
    args = [*base_args]
    args[args.index("aime24")] = "aime24,aime24"
    assert eval_main(args) == 0
    lines = (tmp_path / "out" / "m" / "aime24" / "samples.jsonl").read_text().splitlines()
    keys = [tuple(json.loads(line)[k] for k in ("problem_id", "kind", "sample_index")) for line in lines]
    assert len(keys) == len(set(keys)) == 30 * 3 == CountingSampler.completions


def test_duplicate_keys_on_load_are_dropped_when_identical_and_refused_when_not(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    record = {
        "problem_id": "p1", "kind": "greedy", "sample_index": 0, "seed": None, "prompt_hash": "h",
        "response": "\\boxed{1}", "completion_tokens": 3, "finish_reason": "stop", "gold": "1", "pred": "1",
        "correct": True, "method": "exact", "reason": "", "rule": "box",
    }  # fmt: skip
    path.write_text(json.dumps(record) + "\n" + json.dumps(record) + "\n")
    with pytest.warns(DuplicateRecordWarning, match="line 2"):
        assert len(read_records(path)) == 1
    path.write_text(path.read_text() + json.dumps({**record, "correct": False}) + "\n")
    with pytest.raises(StoreError, match=r"samples\.jsonl:3: a second, different record .*first on line 1"):
        read_records(path)


def test_unicode_checkpoints_get_their_own_run_directories(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for step in ("步骤一", "步骤二"):
        args = [*base_args]
        args[args.index("m")] = f"ckpt/{step}"
        assert eval_main(args) == 0
    tags = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith("ckpt"))
    assert tags == ["ckpt__步骤一", "ckpt__步骤二"]


@pytest.mark.parametrize("damage", ["truncated", "not an object"])
@pytest.mark.parametrize("command", ["eval", "report", "grade", "compare"])
def test_a_damaged_manifest_is_one_line_naming_the_file(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str, command: str
) -> None:
    assert eval_main(base_args) == 0
    manifest = tmp_path / "out" / "m" / "aime24" / "manifest.json"
    manifest.write_text(manifest.read_text()[:40] if damage == "truncated" else "[1, 2]")
    capsys.readouterr()
    started = CountingSampler.started
    before = snapshot(tmp_path / "out")
    argv = {
        "eval": ["eval", *base_args],
        "report": ["report", str(tmp_path / "out"), "--no-audit", "-o", str(tmp_path / "r.html")],
        "grade": ["grade", str(tmp_path / "out")],
        "compare": ["compare", str(tmp_path / "out"), str(tmp_path / "out")],
    }[command]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert str(manifest) in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert snapshot(tmp_path / "out") == before and CountingSampler.started == started


def test_a_deleted_manifest_is_refused_before_the_model_loads(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_main(base_args) == 0
    (tmp_path / "out" / "m" / "aime24" / "manifest.json").unlink()
    capsys.readouterr()
    started = CountingSampler.started
    assert eval_main(base_args) == 2
    assert "exists without manifest.json" in capsys.readouterr().err
    assert CountingSampler.started == started


def test_a_full_disk_is_one_line_and_keeps_what_was_stored(
    base_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    CountingSampler.signal_after = 10
    eval_main(base_args)  # a first part is stored
    CountingSampler.signal_after = None
    samples = tmp_path / "out" / "m" / "aime24" / "samples.jsonl"
    stored = samples.read_bytes()
    real_append = RunStore.append

    def append(self: RunStore, records: Iterable[object]) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(RunStore, "append", append)
    capsys.readouterr()
    assert eval_main(base_args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    err = err.strip().splitlines()[-1]
    assert f"cannot write {samples}: No space left on device" in err and "rerun to resume" in err
    assert samples.read_bytes() == stored and not (tmp_path / "out" / "m" / LOCK).exists()
    monkeypatch.setattr(RunStore, "append", real_append)
    assert eval_main(base_args) == 0  # resumes: each key once
    assert len({r.key for r in read_records(samples)}) == len(read_records(samples)) == 90


def test_sigterm_stops_a_run_keeps_what_arrived_and_releases_the_lock(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CountingSampler.signal_after = 10
    assert eval_main(base_args) == 128 + signal.SIGTERM
    assert "terminated (SIGTERM); stored samples are kept" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    samples = tmp_path / "out" / "m" / "aime24" / "samples.jsonl"
    assert 10 <= len(read_records(samples)) < 90
    assert not (tmp_path / "out" / "m" / LOCK).exists()
    CountingSampler.signal_after = None
    assert eval_main(base_args) == 0
    assert len(read_records(samples)) == 90


def test_ctrl_c_during_grade_is_one_line_and_leaves_the_run_whole(
    base_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_main(base_args) == 0
    capsys.readouterr()
    before = snapshot(tmp_path / "out")

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(graders, "grade_many", interrupt)
    assert cli_main(["grade", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith("evalkit grade: interrupted") and len(err.splitlines()) == 1
    assert snapshot(tmp_path / "out") == before


def test_report_names_incomplete_benchmarks(
    base_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CountingSampler.signal_after = 10
    eval_main(base_args)
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cli_main(["report", str(tmp_path / "out"), "--no-audit", "-o", str(tmp_path / "r.html")]) == 0
    err = capsys.readouterr().err
    stored = len(read_records(tmp_path / "out" / "m" / "aime24" / "samples.jsonl"))
    assert f"aime24 is incomplete: {90 - stored} of 90 samples missing" in err
