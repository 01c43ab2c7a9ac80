"""``evalkit benchmarks``: list, verify, download (with a fake ``datasets.load_dataset``) and import."""

import json
import shutil
from pathlib import Path
from typing import Any

import datasets
import pytest

from evalkit.benchmarks.loading import list_benchmarks, load_benchmark, load_spec
from evalkit.cli.main import main


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only the directories a test names hold data: no $EVALKIT_DATA_DIR, an empty home."""
    monkeypatch.delenv("EVALKIT_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def fake_hub(monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Make ``datasets.load_dataset`` return ``rows``; returns the calls it receives."""
    calls: list[tuple[Any, ...]] = []

    def load_dataset(path: str, split: str | None = None, revision: str | None = None) -> datasets.Dataset:
        calls.append((path, split, revision))
        return datasets.Dataset.from_list(rows)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_list_shows_where_each_file_was_found(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "list", "--data_dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert (
        f"aime24           30 problems  integer  aime24.jsonl        found {data_dir / 'aime24.jsonl'}" in out
    )
    assert "math_500        500 problems  latex" in out
    assert "college_math  2,818 problems  latex    college_math.jsonl" in out
    assert "gpqa_diamond    198 problems  choice   gpqa_diamond.jsonl" in out
    assert (
        "suite rl_math: aime24, aime25, amc23, math_500, minerva_math, olympiadbench (--data_names rl_math)"
        in out
    )


def test_list_marks_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "list", "--data_dir", str(tmp_path)]) == 0
    assert "amc23            40 problems  number   amc23.jsonl         missing" in capsys.readouterr().out


def test_verify_canonical_data(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "verify", "--data_dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    for name in list_benchmarks():  # the ten
        if (data_dir / load_spec(name).file).is_file():
            assert f"{name}: OK ({data_dir / load_spec(name).file})" in out


def test_verify_mismatch_exits_1(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (data_dir / "aime25.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "aime25.jsonl").write_text("".join(lines[:10]), encoding="utf-8")
    assert main(["benchmarks", "verify", "aime25", "--data_dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "aime25: MISMATCH" in out and "expected 30 problems, found 10" in out
    assert load_spec("aime25").sha256 in out


def test_verify_a_missing_named_benchmark_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "verify", "amc23", "--data_dir", str(tmp_path)]) == 1
    assert "evalkit benchmarks download amc23" in capsys.readouterr().out


def test_verify_unknown_benchmark_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "verify", "gsm9k"]) == 1
    assert "unknown benchmark 'gsm9k'; known benchmarks: aime24" in capsys.readouterr().err


def test_download_maps_columns_and_verifies(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_rows = [
        {"problem": r["problem"], "answer": str(r["answer"]), "id": r["id"]}
        for r in rows_of(data_dir / "aime25.jsonl")
    ]
    calls = fake_hub(monkeypatch, hub_rows)
    assert main(["benchmarks", "download", "aime25", "--data_dir", str(tmp_path)]) == 0
    assert calls == [("math-ai/aime25", "test", "main")]
    assert "aime25: OK" in capsys.readouterr().out
    assert rows_of(tmp_path / "aime25.jsonl") == hub_rows
    assert load_benchmark("aime25", tmp_path).problems == load_benchmark("aime25", data_dir).problems
    assert not list(tmp_path.glob(".*.tmp"))


def test_download_filters_rows(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    amc23 = [{k: r[k] for k in ("id", "problem", "answer", "url")} for r in rows_of(data_dir / "amc23.jsonl")]
    amc22 = {"id": 99, "problem": "p", "answer": 1.0, "url": "https://aops/2022_AMC_12A_Problems/Problem_1"}
    fake_hub(monkeypatch, [amc22, *amc23])
    assert main(["benchmarks", "download", "amc23", "--data_dir", str(tmp_path)]) == 0
    written = rows_of(tmp_path / "amc23.jsonl")
    assert len(written) == 40 and written[0]["question"] == written[0]["problem"] == amc23[0]["problem"]


def test_download_of_different_data_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_hub(monkeypatch, [{"problem": "1+1", "answer": "2", "id": "0"}])
    assert main(["benchmarks", "download", "aime25", "--data_dir", str(tmp_path)]) == 1
    assert "expected 30 problems, found 1" in capsys.readouterr().out


def test_download_names_missing_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_hub(monkeypatch, [{"question": "1+1", "answer": "2", "id": "0"}])
    assert main(["benchmarks", "download", "aime25", "--data_dir", str(tmp_path)]) == 1
    assert (
        "math-ai/aime25 (test) lacks column(s) problem; it has question, answer, id"
        in capsys.readouterr().err
    )


def test_malformed_download_keeps_the_existing_file(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = shutil.copy(data_dir / "aime25.jsonl", tmp_path / "aime25.jsonl")
    before = Path(good).read_bytes()
    fake_hub(monkeypatch, [{"problem": "", "answer": "2", "id": "0"}])
    assert main(["benchmarks", "download", "aime25", "--data_dir", str(tmp_path)]) == 1
    assert Path(good).read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_import_copies_flat_and_areal_layouts(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = tmp_path / "areal_data", tmp_path / "target"
    (source / "aime24").mkdir(parents=True)
    shutil.copy(data_dir / "aime24.jsonl", source / "aime24" / "test.jsonl")
    shutil.copy(data_dir / "amc23.jsonl", source / "amc23.jsonl")
    assert main(["benchmarks", "import", str(source), "--data_dir", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == ["aime24.jsonl", "amc23.jsonl"]
    assert (target / "aime24.jsonl").read_bytes() == (data_dir / "aime24.jsonl").read_bytes()
    out = capsys.readouterr().out
    assert "aime24: OK" in out and "amc23: OK" in out


def test_import_of_a_modified_file_exits_1(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    lines = (data_dir / "aime24.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (source / "aime24.jsonl").write_text("".join(lines[1:]), encoding="utf-8")
    assert main(["benchmarks", "import", str(source), "--data_dir", str(tmp_path / "target")]) == 1
    assert "aime24: MISMATCH" in capsys.readouterr().out


def test_import_from_a_directory_without_benchmarks_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["benchmarks", "import", str(tmp_path), "--data_dir", str(tmp_path / "t")]) == 1
    assert f"no benchmark files in {tmp_path}" in capsys.readouterr().err


# --- AReaL's gpqa_diamond and Qwen2.5-Math's suite -------------------------------------------

QWEN = ("minerva_math", "olympiadbench", "gsm8k", "gaokao2023en", "college_math")


def need(data_dir: Path, *names: str) -> None:
    missing = [n for n in names if not (data_dir / load_spec(n).file).is_file()]
    if missing:
        pytest.skip(f"not in {data_dir}: {', '.join(missing)}")


def test_import_reads_qwen_and_areal_data_folders_as_they_are(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need(data_dir, *QWEN, "gpqa_diamond")
    qwen, areal, target = tmp_path / "Qwen2.5-Math" / "evaluation", tmp_path / "AReaL_data", tmp_path / "t"
    for name in QWEN:  # Qwen2.5-Math's evaluation/ folder: data/<name>/test.jsonl, beside other datasets
        (qwen / "data" / name).mkdir(parents=True)
        shutil.copy(data_dir / f"{name}.jsonl", qwen / "data" / name / "test.jsonl")
    (qwen / "data" / "svamp").mkdir()
    (qwen / "data" / "svamp" / "test.jsonl").write_text('{"Body": "x"}\n', encoding="utf-8")
    (areal / "gpqa_diamond").mkdir(parents=True)  # AReaL's evaluation/data folder
    shutil.copy(data_dir / "gpqa_diamond.jsonl", areal / "gpqa_diamond" / "test.jsonl")
    assert main(["benchmarks", "import", str(qwen), "--data_dir", str(target)]) == 0
    assert main(["benchmarks", "import", str(areal), "--data_dir", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{n}.jsonl" for n in (*QWEN, "gpqa_diamond"))
    out = capsys.readouterr().out
    assert all(f"{name}: OK" in out for name in (*QWEN, "gpqa_diamond"))
    assert main(["benchmarks", "verify", *QWEN, "gpqa_diamond", "--data_dir", str(target)]) == 0


def test_import_keeps_a_matching_file_over_a_differing_copy(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need(data_dir, "gsm8k")
    target, source = tmp_path / "t", tmp_path / "other" / "data" / "gsm8k"
    target.mkdir()
    good = shutil.copy(data_dir / "gsm8k.jsonl", target / "gsm8k.jsonl")
    source.mkdir(parents=True)
    lines = (data_dir / "gsm8k.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (source / "test.jsonl").write_text("".join(lines[:5]), encoding="utf-8")
    assert main(["benchmarks", "import", str(tmp_path / "other"), "--data_dir", str(target)]) == 0
    assert Path(good).read_bytes() == (data_dir / "gsm8k.jsonl").read_bytes()
    assert "gsm8k: kept" in capsys.readouterr().out


def test_download_without_a_hub_copy_says_where_the_file_comes_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["benchmarks", "download", "gpqa_diamond", "--data_dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "has no Hugging Face source" in err and "evaluation/data/gpqa_diamond/test.jsonl" in err
    assert "evalkit benchmarks import DIR" in err


def test_download_passes_the_hub_config_and_reads_the_gold_after_its_marker(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    need(data_dir, "gsm8k")
    rows = [{"question": r["question"], "answer": r["answer"]} for r in rows_of(data_dir / "gsm8k.jsonl")]
    calls: list[tuple[Any, ...]] = []

    def load_dataset(path: str, name: str, split: str, revision: str) -> datasets.Dataset:
        calls.append((path, name, split, revision))
        return datasets.Dataset.from_list(rows)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    assert main(["benchmarks", "download", "gsm8k", "--data_dir", str(tmp_path)]) == 0
    assert calls == [("openai/gsm8k", "main", "test", "main")]
    assert "gsm8k: OK" in capsys.readouterr().out  # by content: the Hub has no 'idx' column
    assert load_benchmark("gsm8k", tmp_path).problems == load_benchmark("gsm8k", data_dir).problems
