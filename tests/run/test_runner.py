"""Runner: seeds, one stream, grading as records arrive, resume after a crash or SIGKILL, growing a run,
refused changes."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.benchmarks.loading import Benchmark, BenchmarkSpec, Problem, load_benchmark
from evalkit.benchmarks.templates import PromptTemplate, load_template
from evalkit.errors import UsageError
from evalkit.graders import GRADER_VERSION, ExtractionPolicy
from evalkit.run.config import RunConfig
from evalkit.run.records import SampleRecord
from evalkit.run.regrade import regrade
from evalkit.run.runner import is_complete, run_benchmark, run_benchmarks
from evalkit.run.store import RunStore, StoreError, read_records
from evalkit.sampling.base import Completion, Job, derive_seed

TEMPLATE = PromptTemplate(name="qa", input_template="Question: {input}\nAnswer:")
BENCH = Benchmark(
    spec=BenchmarkSpec(name="toy", file="toy.jsonl", last_number_fallback=True),
    problems=tuple(Problem(id=f"p{i}", problem=f"What is {i} + {i}?", gold=str(2 * i)) for i in range(4)),
    path=Path("toy.jsonl"),
    sha256="0" * 64,
)
CONFIG = RunConfig(n_sampling=3, max_new_tokens=8)


class FakeSampler:
    """Streams completions in reverse job order (as an engine finishes them, not as asked); answers correctly
    when the seed is even; can crash after a number of completions."""

    name = "fake"

    def __init__(self, crash_after: int | None = None) -> None:
        self.crash_after = crash_after
        self.jobs: list[Job] = []

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "fake-model"}

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        batch = list(jobs)
        self.jobs += batch
        for done, job in enumerate(reversed(batch)):
            if done == self.crash_after:
                raise RuntimeError("engine died")
            yield job.id, self._complete(job.prompt, job.seed)

    @staticmethod
    def _complete(prompt: str, seed: int | None) -> Completion:
        i = int(prompt.split("What is ")[1].split(" ")[0])
        text = f"So the answer is \\boxed{{{2 * i}}}." if (seed or 0) % 2 == 0 else "I give up."
        return Completion(text=f"[{seed}] {text}", num_tokens=5, finish_reason="stop", seed=seed)


def run(run_dir: Path, sampler: Any, config: RunConfig = CONFIG, **kwargs: Any) -> list[SampleRecord]:
    return run_benchmark(BENCH, TEMPLATE, sampler, run_dir, config, progress=False, **kwargs)


def test_run_records_seeds_greedy_and_grading(tmp_path: Path) -> None:
    sampler = FakeSampler()
    records = run(tmp_path, sampler)
    assert [r.key for r in records] == [
        (p.id, kind, i)
        for p in BENCH.problems
        for kind, n in (("greedy", 1), ("sample", 3))
        for i in range(n)
    ]
    assert len(sampler.jobs) == 16  # one stream: greedy and sampled jobs together
    greedy = [j for j in sampler.jobs if j.params.greedy]
    assert len(greedy) == 4 and all(j.seed is None for j in greedy)
    assert {j.params.temperature for j in sampler.jobs} == {0.0, 0.6}
    for p_index, p in enumerate(BENCH.problems):
        mine = [r for r in records if r.problem_id == p.id]
        assert mine[0].seed is None
        assert [r.seed for r in mine[1:]] == [derive_seed(0, p_index, i) for i in range(3)]
    for r in records:
        assert r.gold == BENCH.problems[int(r.problem_id[1:])].gold
        assert r.correct == ("boxed" in r.response), r
        assert r.rule == "box" or not r.correct, r  # the rule that found the answer is stored
    stored = read_records(tmp_path / "samples.jsonl")
    assert len(stored) == len(records) and set(stored) == set(records)
    manifest = RunStore(tmp_path).manifest()
    assert manifest is not None
    assert manifest["sampling"]["temperature"] == 0.6 and manifest["backend"]["backend"] == "fake"
    assert manifest["grader"] == {**dataclasses.asdict(ExtractionPolicy()), "version": GRADER_VERSION}
    assert manifest["grader"]["last_number_fallback"] and not manifest["grader"]["require_think_end"]
    assert is_complete(BENCH, TEMPLATE, tmp_path, CONFIG)
    assert not is_complete(BENCH, TEMPLATE, tmp_path, dataclasses.replace(CONFIG, n_sampling=4))


def test_crash_keeps_every_completion_that_arrived(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="engine died"):
        run(tmp_path / "a", FakeSampler(crash_after=7))
    kept = read_records(tmp_path / "a" / "samples.jsonl")
    assert len(kept) == 7  # graded and stored as they arrived: only the jobs in flight are lost
    assert not is_complete(BENCH, TEMPLATE, tmp_path / "a", CONFIG)
    resumed_sampler = FakeSampler()
    resumed = run(tmp_path / "a", resumed_sampler)
    assert len(resumed_sampler.jobs) == 16 - 7
    assert resumed == run(tmp_path / "b", FakeSampler())


def test_raising_n_sampling_draws_only_the_new_indices_and_lowering_reads_a_prefix(tmp_path: Path) -> None:
    four, eight = dataclasses.replace(CONFIG, n_sampling=4), dataclasses.replace(CONFIG, n_sampling=8)
    first = run(tmp_path, FakeSampler(), four)
    grower = FakeSampler()
    grown = run(tmp_path, grower, eight)
    assert len(grower.jobs) == 4 * 4 and not any(j.params.greedy for j in grower.jobs)  # 4 new per problem
    assert set(first) <= set(grown) and len(grown) == 4 * (1 + 8)
    assert grown == run(tmp_path / "fresh", FakeSampler(), eight)  # the same samples as drawing 8 at once
    assert RunStore(tmp_path).manifest()["sampling"]["n_sampling"] == 8
    assert is_complete(BENCH, TEMPLATE, tmp_path, four)
    shrinker = FakeSampler()
    assert run(tmp_path, shrinker, four) == first and shrinker.jobs == []
    assert len(RunStore(tmp_path).records()) == 4 * 9  # the stored samples stay
    with pytest.raises(StoreError, match=r"sampling\.max_new_tokens: 8 \(stored\) vs 16 \(now\)"):
        run(tmp_path, FakeSampler(), dataclasses.replace(eight, max_new_tokens=16))


def test_another_data_parallel_layout_resumes_the_same_run(tmp_path: Path) -> None:
    class TwoRanks(FakeSampler):
        def describe(self) -> dict[str, Any]:
            return {
                **super().describe(),
                "data_parallel": {"ray": "2.60", "num_ranks": 2, "gpus_per_rank": 1},
            }

    with pytest.raises(RuntimeError, match="engine died"):
        run(tmp_path, FakeSampler(crash_after=5))
    resumed = TwoRanks()
    assert run(tmp_path, resumed) == run(tmp_path / "fresh", FakeSampler()) and len(resumed.jobs) == 16 - 5
    with pytest.raises(StoreError, match=r"backend\.backend"):
        run(
            tmp_path,
            type("Other", (FakeSampler,), {"name": "other", "describe": lambda self: {"backend": "other"}})(),
        )


def test_several_benchmarks_share_one_stream_and_keep_their_own_stores(tmp_path: Path) -> None:
    other = dataclasses.replace(
        BENCH, spec=dataclasses.replace(BENCH.spec, name="toy2"), problems=BENCH.problems[:2]
    )
    sampler = FakeSampler()
    both = run_benchmarks(
        [(BENCH, tmp_path / "a"), (other, tmp_path / "b")], TEMPLATE, sampler, CONFIG, progress=False
    )
    assert len(sampler.jobs) == 16 + 8  # one stream for both
    assert both == [
        run(tmp_path / "a1", FakeSampler()),
        run_benchmark(other, TEMPLATE, FakeSampler(), tmp_path / "b1", CONFIG, progress=False),
    ]
    assert len(read_records(tmp_path / "b" / "samples.jsonl")) == 8


def test_changed_sampling_parameter_is_refused_by_name(tmp_path: Path) -> None:
    run(tmp_path, FakeSampler())
    with pytest.raises(StoreError, match=r"sampling\.temperature: 0\.6 \(stored\) vs 0\.7 \(now\)") as info:
        run(tmp_path, FakeSampler(), dataclasses.replace(CONFIG, temperature=0.7, n_sampling=5))
    assert "n_sampling" not in str(info.value)
    records = run(tmp_path, FakeSampler(), dataclasses.replace(CONFIG, temperature=0.7), overwrite=True)
    assert len(records) == 16 and RunStore(tmp_path).manifest()["sampling"]["temperature"] == 0.7


class ChatTokenizer:
    """Just enough of a tokenizer for a chat template."""

    chat_template = "fake"

    def __init__(self, system: str) -> None:
        self.system = system

    def apply_chat_template(self, messages: list[dict[str, str]], **kwargs: Any) -> str:
        return f"<{self.system}>{messages[0]['content']}<assistant>"


def test_changed_chat_template_is_refused_by_prompt_hash(tmp_path: Path) -> None:
    chat = PromptTemplate(name="chat", input_template="{input}", chat=True)
    run_benchmark(BENCH, chat, FakeSampler(), tmp_path, CONFIG, tokenizer=ChatTokenizer("a"), progress=False)
    with pytest.raises(StoreError, match=r"prompt of problem p\d differs"):
        run_benchmark(
            BENCH, chat, FakeSampler(), tmp_path, CONFIG, tokenizer=ChatTokenizer("b"), progress=False
        )


def test_think_prompt_requires_think_end_and_regrade_restores_verdicts(tmp_path: Path) -> None:
    think = PromptTemplate(name="think", input_template="{input}<think>\n")
    run_benchmark(BENCH, think, FakeSampler(), tmp_path, CONFIG, progress=False)
    store = RunStore(tmp_path)
    assert store.manifest()["grader"]["require_think_end"] is True
    records = store.records()
    assert not any(r.correct for r in records)  # no </think>: nothing counts
    store.rewrite([dataclasses.replace(r, correct=True, method="tampered") for r in records])
    assert regrade(tmp_path)[1] == records
    assert store.records() == records


# ------------------------------------------------------------------ real model, killed with SIGKILL

CHILD = """
import dataclasses, sys, time
from pathlib import Path
from evalkit.benchmarks.loading import load_benchmark
from evalkit.benchmarks.templates import load_template
from evalkit.run.runner import run_benchmark
from evalkit.run.config import RunConfig
from evalkit.sampling.transformers_backend import TransformersSampler

model, data_dir, run_dir = sys.argv[1:4]
bench = load_benchmark("aime24", data_dir)
bench = dataclasses.replace(bench, problems=bench.problems[:6])
inner = TransformersSampler(model, device="cpu", batch_size=4)

class Slow:  # leaves time to kill the run between completions
    name = inner.name
    describe = inner.describe
    def stream(self, jobs, max_in_flight=None):
        for item in inner.stream(jobs, max_in_flight=2):
            time.sleep(0.3)
            yield item

config = RunConfig(n_sampling=3, max_new_tokens=8)
run_benchmark(bench, load_template("r1-distilled-qwen"), Slow(), Path(run_dir), config, progress=False)
"""


def sigkill_midway(tiny_model_dir: Path, data_dir: Path, run_dir: Path) -> int:
    """Run CHILD in a subprocess and kill -9 it once some records are stored; return how many were."""
    samples, log = run_dir / "samples.jsonl", run_dir.with_suffix(".log")
    args = [sys.executable, "-c", CHILD, str(tiny_model_dir), str(data_dir), str(run_dir)]
    with log.open("wb") as stderr:
        proc = subprocess.Popen(args, stderr=stderr)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if samples.is_file() and samples.read_bytes().count(b"\n") >= 6:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        assert proc.wait(timeout=30) == -signal.SIGKILL, f"not killed midway:\n{log.read_text()[-2000:]}"
    finally:
        if proc.poll() is None:
            proc.kill()
    return len(read_records(samples))


@pytest.mark.slow
def test_sigkilled_run_resumes_to_the_uninterrupted_result(
    tiny_model_dir: Path, data_dir: Path, tmp_path: Path
) -> None:
    from evalkit.sampling.transformers_backend import TransformersSampler

    kept = sigkill_midway(tiny_model_dir, data_dir, tmp_path / "killed")
    assert 6 <= kept < 24
    bench = load_benchmark("aime24", data_dir)
    bench = dataclasses.replace(bench, problems=bench.problems[:6])
    template = load_template("r1-distilled-qwen")
    sampler = TransformersSampler(tiny_model_dir, device="cpu", batch_size=4)
    config = RunConfig(n_sampling=3, max_new_tokens=8)

    with pytest.raises(StoreError, match=r"sampling\.top_p: 0\.95 \(stored\) vs 0\.9 \(now\)"):
        run_benchmark(bench, template, sampler, tmp_path / "killed", dataclasses.replace(config, top_p=0.9))
    resumed = run_benchmark(bench, template, sampler, tmp_path / "killed", config, progress=False)
    fresh = run_benchmark(bench, template, sampler, tmp_path / "fresh", config, progress=False)
    assert len(resumed) == 24 and resumed == fresh
    stored = read_records(tmp_path / "killed" / "samples.jsonl")
    assert len(stored) == 24 and len({r.key for r in stored}) == 24
    assert all(r.completion_tokens <= 8 for r in resumed)


def test_the_grading_backlog_is_bounded_and_the_stream_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While grading is stuck, the stream stops after one batch in grading, GRADING_BACKLOG queued and one
    waiting to be queued (a bound, whatever the machine's speed); once grading goes on, every completion is
    stored once."""
    import threading
    import time

    import evalkit.run.runner as runner_module

    monkeypatch.setattr(runner_module, "GRADING_BACKLOG", 2)
    release = threading.Event()
    real_grade = runner_module._grade
    produced: list[int] = []

    def stuck_grade(batch, *args):  # type: ignore[no-untyped-def]
        release.wait(60)
        return real_grade(batch, *args)

    monkeypatch.setattr(runner_module, "_grade", stuck_grade)

    class Counting(FakeSampler):
        def stream(self, jobs, *, max_in_flight=None):  # type: ignore[no-untyped-def]
            for item in super().stream(jobs, max_in_flight=max_in_flight):
                produced.append(1)
                yield item

    held: list[int] = []

    def watch() -> None:
        while len(produced) < 4:
            time.sleep(0.01)
        time.sleep(0.5)  # the stream had time to run on: without back-pressure it would have
        held.append(len(produced))
        release.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    records = run_benchmark(BENCH, TEMPLATE, Counting(), tmp_path, CONFIG, progress=False)
    watcher.join()
    # stuck in grading: one batch (at most 1 + the backlog), then the backlog queued, one waiting to be queued
    assert 4 <= held[0] <= 2 * 2 + 2 < 16
    assert (
        len({r.key for r in records}) == len(records) == len(read_records(tmp_path / "samples.jsonl")) == 16
    )


class PhaseSampler(FakeSampler):
    """The fake sampler, recording each stream call's jobs and each prefix-cache clearing, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[object] = []

    def clear_prefix_cache(self) -> None:
        self.calls.append("clear")

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        batch = list(jobs)
        self.calls.append([(j.params.greedy, j.seed, j.prompt) for j in batch])
        return super().stream(batch)


AREAL = dataclasses.replace(CONFIG, n_sampling=6, seed_layout="areal", samples_per_seed=2)


def test_areal_seed_layout_seeds_and_sends_each_seed_run_as_areal_does(tmp_path: Path) -> None:
    other = dataclasses.replace(BENCH, spec=dataclasses.replace(BENCH.spec, name="other"))
    sampler = PhaseSampler()
    runs = run_benchmarks(
        [(BENCH, tmp_path / "toy"), (other, tmp_path / "other")], TEMPLATE, sampler, AREAL, progress=False
    )
    for records in runs:  # sample i is sample i % M of seed run i // M + 1, seeded as vLLM seeds its child
        assert [(r.sample_index, r.seed) for r in records if r.problem_id == "p2" and r.kind == "sample"] == [
            (0, 1),
            (1, 2),
            (2, 2),
            (3, 3),
            (4, 3),
            (5, 4),
        ]
    prompts = [TEMPLATE.render(p.problem) for p in BENCH.problems]
    greedy = [(True, None, p) for p in prompts]
    seed_run = [[(False, s + j, p) for p in prompts for j in range(2)] for s in (1, 2, 3)]
    # the greedy run, then seed runs 1..3, each benchmark its own stream, each run on an empty prefix cache
    assert sampler.calls == ["clear", greedy, greedy, *(x for run in seed_run for x in ("clear", run, run))]
    manifest = RunStore(tmp_path / "toy").manifest()
    assert manifest["sampling"]["seed_layout"] == "areal" and manifest["sampling"]["samples_per_seed"] == 2


def test_areal_seed_layout_grows_by_seed_runs_and_refuses_another_layout(tmp_path: Path) -> None:
    four = dataclasses.replace(AREAL, n_sampling=4)
    first = run(tmp_path, FakeSampler(), four)
    grower = PhaseSampler()
    grown = run(tmp_path, grower, AREAL)
    assert grower.calls[0] == "clear" and [c for c in grower.calls if c != "clear"] == [
        [(False, 3 + j, TEMPLATE.render(p.problem)) for p in BENCH.problems for j in range(2)]
    ]  # only seed run 3, and nothing else
    assert set(first) <= set(grown) and grown == run(tmp_path / "fresh", FakeSampler(), AREAL)
    for changed, field in (
        (CONFIG, "seed_layout"),
        (dataclasses.replace(AREAL, samples_per_seed=3), "samples_per_seed"),
    ):
        with pytest.raises(StoreError, match=field):
            run(tmp_path, FakeSampler(), dataclasses.replace(changed, n_sampling=6))


def test_evalkit_layout_keeps_its_fingerprint_and_one_stream(tmp_path: Path) -> None:
    assert "seed_layout" not in CONFIG.sampling() and "samples_per_seed" not in CONFIG.sampling()
    sampler = PhaseSampler()
    run(tmp_path, sampler)
    assert len(sampler.calls) == 1 and len(sampler.calls[0]) == 16  # no clearing, one stream


@pytest.mark.parametrize("m", [None, 0, 4])
def test_areal_seed_layout_needs_samples_per_seed_dividing_n(m: int | None) -> None:
    with pytest.raises(UsageError, match="samples_per_node"):
        RunConfig(n_sampling=6, seed_layout="areal", samples_per_seed=m)
