"""Benchmark files that cannot be used: not UTF-8, or holding no problem. Each is one line naming the file
(and the line), in `eval_and_aggregate` and `evalkit benchmarks verify/import`; none is a traceback."""

import io
import json
from pathlib import Path

import pytest

from evalkit.benchmarks.loading import BenchmarkError, load_benchmark, load_benchmarks
from evalkit.cli.eval_and_aggregate import main as eval_and_aggregate
from evalkit.cli.main import main as evalkit


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only the directories a test names hold data: no $EVALKIT_DATA_DIR, an empty home."""
    monkeypatch.delenv("EVALKIT_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


ROWS = [{"id": i, "problem": f"What is {i}+{i}?", "answer": str(2 * i)} for i in range(3)]


def not_utf8(folder: Path, name: str = "aime24.jsonl") -> tuple[Path, int]:
    """A JSONL file whose second line holds a Latin-1 byte (0xe9, 'é'); returns it and that byte's offset."""
    lines = [json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in ROWS]
    lines[1] = lines[1].replace(b"What", b"Wh\xe9t")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"".join(lines))
    return path, len(lines[0]) + lines[1].index(b"\xe9")


def eval_args(tmp_path: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        "--backend", "transformers", "--model_path", str(tmp_path / "no-model"), "--output_path",
        str(tmp_path / "out"), "--data_dir", str(data_dir), "--data_names", "aime24", *extra,
    ]  # fmt: skip


def test_a_file_that_is_not_utf8_names_the_file_line_and_byte(tmp_path: Path) -> None:
    path, offset = not_utf8(tmp_path, "mine.jsonl")
    with pytest.raises(BenchmarkError) as err:
        load_benchmark(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}:2: not UTF-8 (byte 0xe9 at byte offset {offset}, ")
    assert "\n" not in message


def test_eval_and_aggregate_refuses_a_file_that_is_not_utf8_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, offset = not_utf8(tmp_path / "data")
    assert eval_and_aggregate(eval_args(tmp_path, tmp_path / "data")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"eval_and_aggregate: {path}:2: not UTF-8 (byte 0xe9 at byte offset {offset}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_verify_reports_a_file_that_is_not_utf8_in_one_line_and_checks_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    path, _ = not_utf8(tmp_path / "data")
    (tmp_path / "data" / "amc23.jsonl").write_bytes((data_dir / "amc23.jsonl").read_bytes())
    assert evalkit(["benchmarks", "verify", "aime24", "amc23", "--data_dir", str(tmp_path / "data")]) == 1
    out = capsys.readouterr().out
    assert f"aime24: INVALID {path}:2: not UTF-8 (byte 0xe9" in out
    assert "amc23: OK" in out  # one bad file does not stop the check of the others


def test_import_of_a_file_that_is_not_utf8_names_the_source_and_keeps_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = not_utf8(tmp_path / "source")
    assert (
        evalkit(["benchmarks", "import", str(tmp_path / "source"), "--data_dir", str(tmp_path / "data")]) == 1
    )
    assert capsys.readouterr().err.startswith(f"evalkit benchmarks: {path}:2: not UTF-8")
    assert not (tmp_path / "data" / "aime24.jsonl").exists()


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
def test_a_file_without_problems_is_an_error_even_when_changed_files_are_allowed(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / "aime24.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(BenchmarkError, match=rf"^{tmp_path / 'aime24.jsonl'}: the file holds no problems$"):
        load_benchmarks(["aime24"], str(tmp_path), allow_changed=True, out=io.StringIO())


def test_eval_and_aggregate_refuses_an_empty_file_with_allow_changed_benchmark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "aime24.jsonl").write_bytes(b"")
    assert eval_and_aggregate(eval_args(tmp_path, tmp_path / "data", "--allow_changed_benchmark")) == 2
    err = capsys.readouterr().err
    assert err == f"eval_and_aggregate: {tmp_path / 'data' / 'aime24.jsonl'}: the file holds no problems\n"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("samples.jsonl"))


def test_verify_reports_an_empty_file_as_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "aime24.jsonl").write_bytes(b"")
    assert evalkit(["benchmarks", "verify", "aime24", "--data_dir", str(tmp_path)]) == 1
    assert (
        f"aime24: INVALID {tmp_path / 'aime24.jsonl'}: the file holds no problems" in capsys.readouterr().out
    )
