"""Stored verdicts follow the grader version: a stale run is re-graded in place, never re-sampled."""

import dataclasses
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

import evalkit.sampling.factory as factory
from evalkit.benchmarks.loading import Benchmark, BenchmarkSpec, Problem, load_benchmark
from evalkit.benchmarks.templates import PromptTemplate
from evalkit.cli.eval_and_aggregate import main as eval_main
from evalkit.cli.main import main as cli_main
from evalkit.graders import GRADER_VERSION
from evalkit.run.config import RunConfig
from evalkit.run.records import SampleRecord
from evalkit.run.regrade import accuracy, current_records, grader_version, refresh_verdicts
from evalkit.run.runner import run_benchmark
from evalkit.run.store import RunStore
from evalkit.sampling.base import Completion, Job

TEMPLATE = PromptTemplate(name="qa", input_template="Question: {input}\nAnswer:")
BENCH = Benchmark(
    spec=BenchmarkSpec(name="toy", file="toy.jsonl"),
    problems=tuple(Problem(id=f"p{i}", problem=f"What is {i} + {i}?", gold=str(2 * i)) for i in range(4)),
    path=Path("toy.jsonl"),
    sha256="0" * 64,
)
CONFIG = RunConfig(n_sampling=3, max_new_tokens=8)


class BoxSampler:
    """Boxes the right sum for even seeds, a wrong one for odd seeds; counts completions; may crash."""

    name = "box"

    def __init__(self, crash_after: int | None = None) -> None:
        self.crash_after, self.completions = crash_after, 0

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "m"}

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        for job in jobs:
            if self.completions == self.crash_after:
                raise RuntimeError("engine died")
            self.completions += 1
            yield job.id, self._complete(job.prompt, job.seed or 0)

    @staticmethod
    def _complete(prompt: str, seed: int) -> Completion:
        i = int(prompt.split("What is ")[1].split(" ")[0])
        return Completion(f"So \\boxed{{{2 * i + seed % 2}}}.", 4, "stop", seed)


def make_stale(run_dir: Path, version: int | None) -> list[SampleRecord]:
    """Flip every stored verdict and record an older grader (or none); return the true records."""
    store = RunStore(run_dir)
    true = store.records()
    store.rewrite([dataclasses.replace(r, correct=not r.correct, reason="old grader") for r in true])
    manifest = store.manifest()
    assert manifest is not None and manifest["grader"]["version"] == GRADER_VERSION
    if version is None:
        del manifest["grader"]["version"]
    else:
        manifest["grader"]["version"] = version
    store.write_manifest(manifest)
    return true


def test_refresh_regrades_a_stale_run_once_and_stamps_the_version(tmp_path: Path) -> None:
    run_benchmark(BENCH, TEMPLATE, BoxSampler(), tmp_path, CONFIG, progress=False)
    true = make_stale(tmp_path, version=None)
    out = io.StringIO()
    assert refresh_verdicts(tmp_path, out=out) == 16
    assert out.getvalue() == (
        f"{tmp_path.name}: re-graded 16 stored responses with grader {GRADER_VERSION} (run was graded by "
        "grader 1): accuracy 25.00% -> 75.00%, 16 verdicts changed\n"
    )
    store = RunStore(tmp_path)
    assert store.records() == true
    assert grader_version(store.manifest() or {}) == GRADER_VERSION
    assert refresh_verdicts(tmp_path, out=out) == 0 and out.getvalue().count("\n") == 1  # now current


def test_current_version_keeps_stored_verdicts_and_no_run_is_a_no_op(tmp_path: Path) -> None:
    run_benchmark(BENCH, TEMPLATE, BoxSampler(), tmp_path / "a", CONFIG, progress=False)
    store = RunStore(tmp_path / "a")
    tampered = [dataclasses.replace(r, correct=True) for r in store.records()]
    store.rewrite(tampered)
    assert refresh_verdicts(tmp_path / "a") == 0 and store.records() == tampered
    assert refresh_verdicts(tmp_path / "nothing-here") == 0


def test_resuming_a_stale_run_regrades_and_samples_only_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RuntimeError, match="engine died"):
        run_benchmark(BENCH, TEMPLATE, BoxSampler(crash_after=9), tmp_path, CONFIG, progress=False)
    kept = len(RunStore(tmp_path).records())
    make_stale(tmp_path, version=GRADER_VERSION - 1)
    sampler = BoxSampler()
    records = run_benchmark(BENCH, TEMPLATE, sampler, tmp_path, CONFIG, progress=False)  # no StoreError
    assert sampler.completions == 16 - kept
    assert f"re-graded {kept} stored responses" in capsys.readouterr().err
    fresh = run_benchmark(BENCH, TEMPLATE, BoxSampler(), tmp_path / "fresh", CONFIG, progress=False)
    assert records == fresh


def test_eval_and_aggregate_regrades_a_stale_complete_run_without_a_sampler(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = load_benchmark("aime24", data_dir).problems
    by_prompt = {p.problem: str(p.gold) for p in problems}

    class GoldSampler(BoxSampler):
        def _complete(self, prompt: str, seed: int) -> Completion:  # type: ignore[override]
            gold = next(g for text, g in by_prompt.items() if text in prompt)
            return Completion(f"</think> \\boxed{{{gold if seed % 2 == 0 else -1}}}", 4, "stop", seed)

    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: GoldSampler())
    args = ["--backend", "transformers", "--model_path", "m", "--output_path", str(tmp_path)]
    args += ["--data_dir", str(data_dir), "--data_names", "aime24", "--n_sampling", "2", "--ks", "1"]
    assert eval_main(args) == 0
    table = capsys.readouterr().out.splitlines()[-3:]
    run_dir = tmp_path / "m" / "aime24"
    true = make_stale(run_dir, version=GRADER_VERSION - 1)
    stale = RunStore(run_dir).records()

    def no_sampler(*args: object, **kwargs: object) -> None:
        raise AssertionError("re-grading must not sample")

    monkeypatch.setattr(factory, "make_sampler", no_sampler)
    assert eval_main(args) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-3:] == table  # the true verdicts, not the stale ones
    regraded = [line for line in err.splitlines() if "re-graded" in line]
    assert regraded == [
        f"aime24: re-graded {len(true)} stored responses with grader {GRADER_VERSION} (run was graded by "
        f"grader {GRADER_VERSION - 1}): accuracy {accuracy(stale)} -> {accuracy(true)}, "
        f"{len(true)} verdicts changed"
    ]
    assert RunStore(run_dir).records() == true
    aggregate = json.loads(next(run_dir.parent.glob("aggregate_*.json")).read_text())
    assert aggregate["aime24"]["fingerprint"]["grader"]["version"] == GRADER_VERSION


def stored_bytes(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run_dir.iterdir()) if p.is_file()}


def test_report_shows_a_stale_run_regraded_in_memory_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "out" / "model" / "toy"
    run_benchmark(BENCH, TEMPLATE, BoxSampler(), run_dir, CONFIG, progress=False)
    true = make_stale(run_dir, version=None)
    before = stored_bytes(run_dir)
    assert cli_main(["report", str(tmp_path / "out"), "--no-audit", "-o", str(tmp_path / "r.html")]) == 0
    err = capsys.readouterr().err
    assert "toy: graded by grader 1, shown with grader" in err and "stored verdicts are unchanged" in err
    assert stored_bytes(run_dir) == before  # a reader never writes
    assert current_records(run_dir, out=io.StringIO()) == true


def test_resuming_under_another_extraction_policy_regrades_instead_of_refusing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_benchmark(BENCH, TEMPLATE, BoxSampler(), tmp_path, CONFIG, progress=False)
    fallback = dataclasses.replace(BENCH, spec=dataclasses.replace(BENCH.spec, last_number_fallback=True))
    sampler = BoxSampler()
    records = run_benchmark(fallback, TEMPLATE, sampler, tmp_path, CONFIG, progress=False)
    assert sampler.completions == 0 and len(records) == 16
    assert (
        f"re-graded 16 stored responses with grader {GRADER_VERSION} (run was graded by grader "
        f"{GRADER_VERSION} under another extraction policy)"
    ) in capsys.readouterr().err
    assert (RunStore(tmp_path).manifest() or {})["grader"]["last_number_fallback"] is True
    run_benchmark(fallback, TEMPLATE, sampler, tmp_path, CONFIG, progress=False)
    assert "re-graded" not in capsys.readouterr().err  # the same policy again: nothing to do


def test_compare_regrades_stale_runs_before_testing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for tag in ("a", "b"):
        run_benchmark(BENCH, TEMPLATE, BoxSampler(), tmp_path / tag / "toy", CONFIG, progress=False)
    true = make_stale(tmp_path / "b" / "toy", version=None)
    assert (
        cli_main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--ks", "1", "--n_resamples", "100"])
        == 0
    )
    assert "toy: graded by grader 1, shown with grader" in capsys.readouterr().err
    assert RunStore(tmp_path / "b" / "toy").records() != true  # shown re-graded, stored as it was
    assert current_records(tmp_path / "b" / "toy", out=io.StringIO()) == true
