"""The gold's answer type reaches the grader in a run, is recorded in the manifest's grader section
so that a stored run re-grades the same way, and AReaL's files of a multiple-choice benchmark are its own."""

import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evalkit.benchmarks.loading import Benchmark, load_benchmark, load_spec
from evalkit.benchmarks.templates import PromptTemplate
from evalkit.reporting.areal_files import Layout, grading_for, read_areal_folder, write_areal_files
from evalkit.run.config import EvalConfig, RunConfig
from evalkit.run.grading import RunGrading
from evalkit.run.regrade import regrade, regrade_records
from evalkit.run.runner import run_benchmark, run_grading
from evalkit.run.store import RunStore
from evalkit.sampling.base import Completion, Job

TEMPLATE = PromptTemplate(name="qa", input_template="Question: {input}\nAnswer:")
CONFIG = RunConfig(n_sampling=2, max_new_tokens=8)


def gpqa(data_dir: Path, n: int = 6) -> Benchmark:
    if not (data_dir / "gpqa_diamond.jsonl").is_file():
        pytest.skip(f"gpqa_diamond is not in {data_dir}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = load_benchmark("gpqa_diamond", data_dir)
    return Benchmark(full.spec, full.problems[:n], full.path, full.sha256)


class LetterSampler:
    """Ends each response with a letter line: the right letter for even seeds (and greedy), "A." otherwise,
    so that only a multiple-choice reading finds an answer."""

    name = "letters"

    def __init__(self, letters: dict[str, str]) -> None:
        self.letters = letters

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "m"}

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        for job in jobs:
            letter = self.letters[job.prompt] if (job.seed or 0) % 2 == 0 else "A"
            yield job.id, Completion(f"Weighing the options.\n{letter}.", 6, "stop", job.seed)


def test_run_grading_records_the_declared_answer_types(data_dir: Path) -> None:
    def grading(name: str) -> RunGrading:
        if not (data_dir / load_spec(name).file).is_file():
            pytest.skip(f"{name} is not in {data_dir}")
        benchmark = load_benchmark(name, data_dir)
        return run_grading(benchmark, [TEMPLATE.render(p.problem) for p in benchmark.problems])

    assert grading("gpqa_diamond").answer_type == "choice"
    assert grading("gsm8k").answer_type == "number"
    olympiad = grading("olympiadbench")
    assert len(olympiad.answer_type) == 675
    assert olympiad.answer_type_of("1606") == "number" and olympiad.answer_type_of("1737") == "tuple"
    math = grading("math_500")
    assert math.answer_type is None and not math.policy.last_number_fallback
    assert "answer_type" not in math.section()  # a run without declared types keeps its section
    assert (
        RunGrading.from_section({**olympiad.section(), "version": 6}) == olympiad
    )  # the manifest round trip


def test_a_choice_run_is_graded_and_regraded_by_its_letter(tmp_path: Path, data_dir: Path) -> None:
    benchmark = gpqa(data_dir)
    letters = {TEMPLATE.render(p.problem): p.gold[1] for p in benchmark.problems}
    records = run_benchmark(benchmark, TEMPLATE, LetterSampler(letters), tmp_path, CONFIG, progress=False)
    by_seed = {(r.kind, (r.seed or 0) % 2): r.correct for r in records}
    assert by_seed == {("greedy", 0): True, ("sample", 0): True, ("sample", 1): False}
    assert {r.pred for r in records} <= set("ABCD") and {r.rule for r in records} == {"conclusion"}
    manifest = RunStore(tmp_path).manifest()
    assert manifest is not None and manifest["grader"]["answer_type"] == "choice"
    before, after = regrade(tmp_path)  # the stored run re-grades the same way
    assert [r.correct for r in after] == [r.correct for r in before]
    stored = RunGrading.from_section(manifest["grader"])
    assert stored.answer_type == "choice"
    plain = regrade_records(before, replace(stored, answer_type=None))
    assert not any(r.correct for r in plain)  # without the answer type, "D." is no answer


def test_data_names_accept_a_suite() -> None:
    config = EvalConfig("m", benchmarks=("gpqa_diamond", "rl_math", "aime24"))
    assert config.benchmarks == (
        "gpqa_diamond", "aime24", "aime25", "amc23", "math_500", "minerva_math", "olympiadbench",
    )  # fmt: skip
    assert "--data_names" in config.to_argv()


def test_areal_files_of_gpqa_diamond_are_its_own(tmp_path: Path, data_dir: Path) -> None:
    benchmark = gpqa(data_dir)
    letters = {TEMPLATE.render(p.problem): p.gold[1] for p in benchmark.problems}
    records = run_benchmark(
        benchmark, TEMPLATE, LetterSampler(letters), tmp_path / "run", CONFIG, progress=False
    )
    layout = Layout(tmp_path / "out", 8, "qwen25-math-cot", 0.6, 0.95, -1, 1, 2)  # opens no <think>
    results = write_areal_files(layout, {"gpqa_diamond": (benchmark, records)}, tag="m")
    assert results["gpqa_diamond"]["greedy_acc"] == 100.0
    folder = layout.eval_dir / "gpqa_diamond"
    greedy = folder / layout.greedy_file
    lines = [json.loads(line) for line in greedy.read_text(encoding="utf-8").split("\n") if line]
    source = [json.loads(line) for line in benchmark.path.read_text(encoding="utf-8").split("\n") if line]
    # AReaL's gt is the letter (parse_ground_truth reads 'answer'); math_eval.py keeps the row's 'answer'
    assert [(li["gt"], li["answer"]) for li in lines] == [(r["answer"], r["answer"]) for r in source[:6]]
    assert list(lines[0]) == ["idx", "question", "gt_cot", "gt", "code", "pred", "report", "score", "answer"]
    assert grading_for("gpqa_diamond", "r1-distilled-qwen-gpqa").answer_type == "choice"
    (run,) = read_areal_folder(layout.eval_dir).values()  # read back: graded by the letter
    assert [r.correct for r in run.records if r.kind == "greedy"] == [True] * 6
