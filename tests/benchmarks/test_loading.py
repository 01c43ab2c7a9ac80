"""Benchmark specs and data loading: counts, hashes, ids, golds and actionable errors."""

import json
import shutil
import warnings
from pathlib import Path

import pytest

from evalkit.benchmarks.loading import (
    BenchmarkError,
    BenchmarkWarning,
    Problem,
    content_sha256,
    list_benchmarks,
    load_benchmark,
    load_spec,
    parse_spec,
    resolve_data_dir,
)

COUNTS = {
    "math_500": 500,
    "aime24": 30,
    "amc23": 40,
    "aime25": 30,
    "gpqa_diamond": 198,
    "minerva_math": 272,
    "olympiadbench": 675,
    "gsm8k": 1319,
    "gaokao2023en": 385,
    "college_math": 2818,
}


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No data found anywhere but where a test puts it: no $EVALKIT_DATA_DIR, an empty home."""
    monkeypatch.delenv("EVALKIT_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_the_ten_benchmarks_ship_a_spec() -> None:
    assert list_benchmarks() == sorted(COUNTS)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_canonical_data_matches_its_spec(name: str, data_dir: Path) -> None:
    if not (data_dir / load_spec(name).file).is_file():
        pytest.skip(f"{name}'s file is not in {data_dir}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        benchmark = load_benchmark(name, data_dir)
    spec = load_spec(name)
    assert len(benchmark) == spec.count == COUNTS[name]
    assert benchmark.sha256 == spec.sha256
    assert content_sha256(benchmark.problems) == spec.content_sha256
    assert benchmark.path == data_dir / spec.file
    assert benchmark.mismatches() == []
    assert len({p.id for p in benchmark.problems}) == len(benchmark)


@pytest.mark.parametrize(
    ("name", "index", "expected_id", "expected_gold"),
    [
        ("math_500", 0, "test/precalculus/807.json", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("aime24", 0, "60", "204"),
        ("aime24", 7, "67", "025"),  # leading zero kept
        ("amc23", 0, "0", "27.0"),  # float gold kept faithful
        ("aime25", 0, "0", "70"),  # int gold as a string
    ],
)
def test_ids_and_golds_are_faithful_strings(
    name: str, index: int, expected_id: str, expected_gold: str, data_dir: Path
) -> None:
    problem = load_benchmark(name, data_dir).problems[index]
    assert (problem.id, problem.gold) == (expected_id, expected_gold)


def test_problem_text_is_read_as_is(data_dir: Path) -> None:
    carlos = next(p for p in load_benchmark("amc23", data_dir).problems if p.id == "36")
    assert carlos.problem.startswith("Carlos went to a spo") and carlos.problem.endswith("buy? ")


def test_extraction_policy_per_answer_kind() -> None:
    policy = {n: (load_spec(n).answer_kind, load_spec(n).last_number_fallback) for n in COUNTS}
    assert policy == {
        "math_500": ("latex", False),
        "aime24": ("integer", True),
        "amc23": ("number", False),
        "aime25": ("integer", True),
        "gpqa_diamond": ("choice", False),
        "minerva_math": ("latex", False),
        "olympiadbench": ("latex", False),
        "gsm8k": ("integer", True),
        "gaokao2023en": ("latex", False),
        "college_math": ("latex", False),
    }


def test_specs_declare_their_hugging_face_source() -> None:
    amc = load_spec("amc23")
    assert (amc.hf_dataset, amc.hf_split, amc.hf_filter) == (
        "AI-MO/aimo-validation-amc",
        "train",
        ("url", "2023"),
    )
    assert amc.hf_columns == {
        "id": "id",
        "problem": "problem",
        "answer": "answer",
        "url": "url",
        "question": "problem",
    }
    assert load_spec("math_500").hf_dataset == "HuggingFaceH4/MATH-500"
    assert (load_spec("aime24").hf_dataset, load_spec("aime24").hf_split) == (
        "HuggingFaceH4/aime_2024",
        "train",
    )
    assert (load_spec("aime25").hf_dataset, load_spec("aime25").hf_split) == ("math-ai/aime25", "test")


def test_resolve_data_dir_order(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_data_dir() == isolated_dirs / "home" / ".cache" / "evalkit" / "benchmarks"
    monkeypatch.setenv("EVALKIT_DATA_DIR", str(isolated_dirs / "env"))
    assert resolve_data_dir() == isolated_dirs / "env"
    assert resolve_data_dir(isolated_dirs / "flag") == isolated_dirs / "flag"


def test_later_candidate_dirs_are_searched(
    isolated_dirs: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_DATA_DIR", str(data_dir))
    assert load_benchmark("aime25", isolated_dirs / "empty").path == data_dir / "aime25.jsonl"


def test_missing_file_says_where_it_looked_and_how_to_get_it(
    isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_DATA_DIR", str(isolated_dirs / "env"))
    with pytest.raises(BenchmarkError) as err:
        load_benchmark("aime24", isolated_dirs / "flag")
    message = str(err.value)
    for where in ("flag", "env", "home/.cache/evalkit/benchmarks"):
        assert f"{isolated_dirs / where}/aime24.jsonl" in message
    assert "evalkit benchmarks download aime24" in message
    assert "--data_dir" in message and "EVALKIT_DATA_DIR" in message


def test_unknown_benchmark_lists_the_known_ones() -> None:
    with pytest.raises(
        BenchmarkError,
        match=r"unknown benchmark 'aime23'; known benchmarks: aime24, aime25, amc23, college_math, "
        r"gaokao2023en, gpqa_diamond, gsm8k, math_500, minerva_math, olympiadbench; "
        r"suites: rl_math \(aime24,aime25,amc23,math_500,minerva_math,olympiadbench\)$",
    ):
        load_benchmark("aime23")


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"problem": "1+1", "answer": "2"}\n\n{"problem": "2+2", "answer": \n', encoding="utf-8")
    with pytest.raises(BenchmarkError, match=rf"^{path}:3: invalid JSON"):
        load_benchmark(str(path))


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"answer": "2"}, "missing problem field (one of question, problem)"),
        ({"problem": "1+1"}, "missing answer field 'answer'"),
        ({"problem": "1+1", "answer": ["2"]}, "answer field 'answer' must be a string or a number"),
    ],
)
def test_missing_field_names_field_file_and_line(
    tmp_path: Path, row: dict[str, object], expected: str
) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{"problem": "0+0", "answer": "0"}, row])
    with pytest.raises(BenchmarkError) as err:
        load_benchmark(str(path))
    assert str(err.value) == f"{path}:2: {expected}"


def test_duplicate_ids_name_file_and_lines(tmp_path: Path) -> None:
    rows = [{"id": i, "problem": "p", "answer": "1"} for i in (1, 2, 1)]
    path = write_jsonl(tmp_path / "dup.jsonl", rows)
    with pytest.raises(BenchmarkError, match=rf"^{path}: duplicate problem id '1' on lines 1 and 3$"):
        load_benchmark(str(path))


def test_ids_fall_back_to_the_record_index(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mine.jsonl", [{"question": "a", "answer": 1}, {"problem": "b", "answer": 2.5}]
    )
    benchmark = load_benchmark(str(path))
    assert benchmark.name == "mine" and benchmark.spec.count is None
    assert benchmark.problems == (Problem("0", "a", "1"), Problem("1", "b", "2.5"))


def test_a_path_to_a_known_file_uses_its_spec(tmp_path: Path, data_dir: Path) -> None:
    path = shutil.copy(data_dir / "aime24.jsonl", tmp_path / "aime24.jsonl")
    benchmark = load_benchmark(str(path))
    assert benchmark.spec == load_spec("aime24") and len(benchmark) == 30


def test_count_and_hash_mismatch_warn_with_both_values(tmp_path: Path, data_dir: Path) -> None:
    lines = (data_dir / "aime24.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "aime24.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.warns(BenchmarkWarning) as record:
        benchmark = load_benchmark("aime24", tmp_path)
    messages = [str(w.message) for w in record]
    assert len(benchmark) == 29
    assert any("expected 30 problems, found 29" in m for m in messages)
    assert any(benchmark.sha256 in m and load_spec("aime24").sha256 in m for m in messages)


def test_reformatted_file_with_the_same_problems_does_not_warn(tmp_path: Path, data_dir: Path) -> None:
    rows = [json.loads(line) for line in (data_dir / "amc23.jsonl").read_text(encoding="utf-8").splitlines()]
    write_jsonl(tmp_path / "amc23.jsonl", [{k: r[k] for k in ("id", "question", "answer")} for r in rows])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        benchmark = load_benchmark("amc23", tmp_path)
    assert benchmark.sha256 != load_spec("amc23").sha256 and benchmark.mismatches() == []


def test_spec_errors_name_the_spec_and_key() -> None:
    with pytest.raises(BenchmarkError, match=r"^specs/x.toml: missing key 'sha256'$"):
        parse_spec({"name": "x", "file": "x.jsonl", "count": 1}, source="specs/x.toml")


def test_arealss_data_folder_is_read_as_it_is(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AReaL's and Qwen2.5-Math's ``data/<name>/test.jsonl``: as --data_dir, or ``./data`` where the guide's
    command runs (its evaluation folder)."""
    import shutil

    from evalkit.benchmarks.loading import load_benchmark

    evaluation = tmp_path / "evaluation"
    (evaluation / "data" / "aime24").mkdir(parents=True)
    shutil.copy(data_dir / "aime24.jsonl", evaluation / "data" / "aime24" / "test.jsonl")
    monkeypatch.delenv("EVALKIT_DATA_DIR", raising=False)
    monkeypatch.setattr("evalkit.benchmarks.loading.DEFAULT_DATA_DIR", tmp_path / "empty-cache")
    for given in (evaluation / "data", evaluation):
        bench = load_benchmark("aime24", given)
        assert len(bench.problems) == 30 and not bench.mismatches()
    monkeypatch.chdir(evaluation)
    assert load_benchmark("aime24").path == evaluation / "data" / "aime24" / "test.jsonl"
