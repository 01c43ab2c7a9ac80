"""``--limit N``: the first N problems of each benchmark, stored, aggregated, shown and compared apart from
full runs (``<benchmark>@first<N>``), with no "differs from its spec" refusal."""

import json
from pathlib import Path

import pytest
from scripted import AskedSampler, table_row

import evalkit
import evalkit.sampling.factory as factory
from evalkit.benchmarks.loading import file_sha256, limit_benchmark, load_benchmark, split_limit
from evalkit.benchmarks.templates import load_template
from evalkit.cli.eval_and_aggregate import main
from evalkit.cli.main import main as evalkit_main
from evalkit.errors import UsageError
from evalkit.reporting.table import display_name
from evalkit.run.store import RunStore, read_records
from evalkit.sampling.base import Job

PT = "r1-distilled-qwen"
asked: list[Job] = []


@pytest.fixture
def base(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    template = load_template(PT)
    golds = {
        template.render(p.problem): p.gold
        for name in ("aime24", "amc23")
        for p in load_benchmark(name, data_dir).problems
    }
    asked.clear()
    monkeypatch.setattr(
        factory, "make_sampler", lambda backend, model, **_: AskedSampler(golds, model, asked)
    )
    return [
        "--backend", "transformers", "--model_path", "m", "--output_path", str(tmp_path),
        "--data_dir", str(data_dir), "--n_sampling", "4", "--ks", "2", "--max_gen_tokens", "64",
    ]  # fmt: skip


def test_a_limited_run_is_stored_aggregated_and_shown_apart_from_the_full_one(
    base: list[str], tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "--data_names", "aime24,amc23", "--limit", "5"]) == 0
    captured = capsys.readouterr()
    assert len(asked) == 2 * 5 * (1 + 4)
    assert table_row(captured.out, "aime24 (first 5)")[1] == "5"
    assert table_row(captured.out, "amc23 (first 5)")[1] == "5"
    assert "stored apart from full runs as aime24@first5" in captured.err
    assert sorted(p.name for p in (tmp_path / "m").iterdir() if p.is_dir()) == [
        "aime24@first5",
        "amc23@first5",
    ]
    manifest = RunStore(tmp_path / "m" / "aime24@first5").manifest()
    assert manifest is not None
    full = load_benchmark("aime24", data_dir)
    assert manifest["benchmark"] == {"name": "aime24@first5", "problems": 5, "sha256": file_sha256(full.path)}
    records = read_records(tmp_path / "m" / "aime24@first5" / "samples.jsonl")
    assert {r.problem_id for r in records} == {p.id for p in full.problems[:5]}
    aggregate = json.loads((tmp_path / "m" / f"aggregate_parallel_{PT}_0.6_0.95_-1.json").read_text())
    assert set(aggregate) == {"aime24@first5", "amc23@first5"}
    areal = tmp_path / "math_eval_64"
    assert (areal / "aime24@first5").is_dir() and not (areal / "aime24").exists()
    assert set(json.loads(next(areal.glob("aggregate_parallel_*.json")).read_text())) == set(aggregate)

    # the full run: never resumed from the limited one, which stays byte-identical beside it
    limited = (tmp_path / "m" / "aime24@first5" / "samples.jsonl").read_bytes()
    asked.clear()
    assert main([*base, "--data_names", "aime24"]) == 0
    out = capsys.readouterr().out
    assert len(asked) == 30 * (1 + 4)
    assert table_row(out, "aime24")[1] == "30"
    assert (tmp_path / "m" / "aime24@first5" / "samples.jsonl").read_bytes() == limited
    aggregate = json.loads((tmp_path / "m" / f"aggregate_parallel_{PT}_0.6_0.95_-1.json").read_text())
    assert aggregate["aime24"]["num_questions"] == 30 and aggregate["aime24@first5"]["num_questions"] == 5
    # the first problems of the full run drew exactly the limited run's samples (same seeds)
    whole = {r.key: r for r in read_records(tmp_path / "m" / "aime24" / "samples.jsonl")}
    assert all(whole[r.key].response == r.response and whole[r.key].seed == r.seed for r in records)

    # a complete limited run only re-prints
    asked.clear()
    assert main([*base, "--data_names", "aime24", "--limit", "5"]) == 0
    assert asked == [] and table_row(capsys.readouterr().out, "aime24 (first 5)")[1] == "5"


def test_a_limit_at_or_above_the_size_is_the_full_run(
    base: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "--data_names", "aime24", "--limit", "30"]) == 0
    captured = capsys.readouterr()
    assert table_row(captured.out, "aime24")[1] == "30"
    assert "aime24 has 30 problems, run in full" in captured.err
    assert [p.name for p in (tmp_path / "m").iterdir() if p.is_dir()] == ["aime24"]


def test_a_bad_limit_is_one_line(base: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*base, "--data_names", "aime24", "--limit", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "eval_and_aggregate: --limit 0: must be at least 1"
    with pytest.raises(UsageError, match="--limit"):
        evalkit.EvalConfig("m", limit=0)


def test_the_limit_is_in_the_config_and_its_flags() -> None:
    config = evalkit.EvalConfig("m", benchmarks=("aime24",), limit=10)
    argv = config.to_argv()
    assert argv[argv.index("--limit") + 1] == "10"
    assert "--limit" not in evalkit.EvalConfig("m").to_argv()


def test_limit_helpers(data_dir: Path) -> None:
    full = load_benchmark("aime24", data_dir)
    limited = limit_benchmark(full, 3)
    assert limited.name == "aime24@first3" and limited.problems == full.problems[:3]
    assert limited.sha256 == full.sha256 and limited.spec.gold == full.spec.gold
    assert limit_benchmark(full, 30) is full and limit_benchmark(full, None) is full
    assert split_limit("aime24@first3") == ("aime24", 3) and split_limit("aime24") == ("aime24", None)
    assert display_name("aime24@first3") == "aime24 (first 3)" and display_name("my@firstx") == "my@firstx"


def test_report_marks_a_limited_run_and_compare_refuses_it_against_a_full_one(
    base: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    swap = base.index("--output_path") + 1
    limited = [*base[:swap], str(out_a), *base[swap + 1 :], "--data_names", "amc23", "--limit", "8"]
    whole = [*base[:swap], str(out_b), *base[swap + 1 :], "--data_names", "amc23"]
    assert main(limited) == 0 and main(whole) == 0
    assert evalkit_main(["report", str(out_a / "m"), "-o", str(tmp_path / "r.html"), "--no-audit"]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "<h2>amc23 (first 8)</h2>" in html and load_benchmark("amc23").problems[0].problem[:30] in html
    capsys.readouterr()
    compare = ["compare", str(out_a / "m"), str(out_b / "m"), "--n_resamples", "100", "--ks", "2"]
    assert evalkit_main(compare) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "amc23 (first 8) (A) holds the first 8 problems and amc23 (B) all 40 problems" in err
    assert evalkit_main([*compare, "--allow_different_settings"]) == 0
    out = capsys.readouterr().out
    assert "| amc23 (first 8) / amc23 * | greedy_acc    |    8     |" in out
    assert "--limit differs" in out
    # two runs of the same limit compare as usual
    assert main([*whole, "--limit", "8"]) == 0
    capsys.readouterr()
    assert evalkit_main(compare) == 0  # B holds amc23 and amc23@first8: the limited runs pair
    out = capsys.readouterr().out
    assert "| amc23 (first 8) | greedy_acc    |    8     |" in out and "skipped: amc23" in out


def test_a_limited_run_needs_no_allow_changed_benchmark_but_a_trimmed_file_does(
    base: list[str], tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trimmed = tmp_path / "data"
    trimmed.mkdir()
    lines = (data_dir / "aime24.jsonl").read_text().splitlines(keepends=True)
    (trimmed / "aime24.jsonl").write_text("".join(lines[:5]))
    flags = [*base, "--data_names", "aime24"]
    flags[flags.index("--data_dir") + 1] = str(trimmed)
    assert main(flags) == 2
    assert "differs from its spec" in capsys.readouterr().err
    assert main([*base, "--data_names", "aime24", "--limit", "5"]) == 0
