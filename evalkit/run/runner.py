"""Run one benchmark through a sampler into the run store: greedy run + n samples per problem, resumable.

Every missing completion goes to the sampler's stream at once; each completion is graded and appended
(flushed) as it arrives, by a grading thread that takes whatever has arrived since its last batch, so the
engine never waits for grading and a kill loses only the completions in flight. Sample ``i`` of problem
``p`` always uses seed ``config.seed_of(p, i)``, so a resumed run draws what an uninterrupted one would;
raising ``n_sampling`` on a stored run draws only the new indices, lowering it reads the first ``n``.
With AReaL's seed layout the completions go to the sampler as AReaL's math_eval.py sends them: the greedy
run, then seed run 1, 2, ..., each one benchmark at a time, each after the previous has finished, and each
seed run (and the greedy run) on an empty prefix cache as in AReaL's fresh process per run, so that the
engine sees the same batches and the samples are AReaL's to the last token.

Opening runs has two phases: every run directory is checked first, writing nothing (fingerprint, stored
prompts, records), and only when all pass are stale verdicts re-graded and manifests written, so a
refused rerun leaves every stored file byte-identical. The caller holds the run lock.
"""

import hashlib
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tqdm.auto import tqdm

from evalkit import __version__
from evalkit.benchmarks.loading import Benchmark, Problem
from evalkit.benchmarks.templates import PromptTemplate, prompt_opens_think
from evalkit.graders.extract import ExtractionPolicy
from evalkit.run.config import RunConfig
from evalkit.run.grading import RunGrading
from evalkit.run.records import Kind, SampleRecord
from evalkit.run.regrade import grader_section, refresh_verdicts
from evalkit.run.store import Manifest, RunStore, StoreError, fingerprint_diff, refused_fields
from evalkit.sampling.base import Completion, Job, Sampler

_KIND_ORDER = {"greedy": 0, "sample": 1}


# Fingerprint fields that change no stored sample: the number of samples (a run grows, or is read as a
# prefix) and the data-parallel layout (each sample has its own seed, whichever rank draws it).
MUTABLE = ("sampling.n_sampling", "backend.data_parallel")
# Completions that may wait for grading; beyond it the stream waits, so that a kill loses little and memory
# stays bounded when grading falls behind (back-pressure to the engines).
GRADING_BACKLOG = 4096
# Fields that change stored verdicts but no sample: a resumed run re-grades its stored responses.
REGRADABLE = ("grader",)


@dataclass(frozen=True, slots=True)
class _Task:
    problem_index: int
    kind: Kind
    sample_index: int
    seed: int | None


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


def model_fingerprint(model: str | None) -> dict[str, Any]:
    """The model's path and, for a local directory, the sha256 of its config files."""
    path = Path(model) if model else None
    if path is None or not path.is_dir():
        return {"path": model}
    info: dict[str, Any] = {"path": str(path.resolve())}
    for name in ("config.json", "generation_config.json"):
        file = path / name
        info[name] = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
    return info


def _task_fingerprint(benchmark: Benchmark, template: PromptTemplate, config: RunConfig) -> Manifest:
    """The part of the fingerprint known without a sampler: what is asked, and how it is sampled."""
    return {
        "benchmark": {"name": benchmark.name, "sha256": benchmark.sha256, "problems": len(benchmark)},
        "template": {"name": template.name, "sha256": template.sha256},
        "sampling": config.sampling(),
    }


def run_fingerprint(
    benchmark: Benchmark,
    template: PromptTemplate,
    backend: dict[str, Any],
    config: RunConfig,
    grading: RunGrading,
) -> Manifest:
    """The manifest of a run: everything that decides its records."""
    return {
        "evalkit": __version__,
        "model": model_fingerprint(backend.get("model")),
        **_task_fingerprint(benchmark, template, config),
        "backend": backend,
        "grader": grader_section(grading),
    }


def _tasks(num_problems: int, config: RunConfig) -> list[_Task]:
    greedy = [_Task(p, "greedy", 0, None) for p in range(num_problems)] if config.greedy else []
    samples = [
        _Task(p, "sample", i, config.seed_of(p, i))
        for p in range(num_problems)
        for i in range(config.n_sampling)
    ]
    return greedy + samples


def _key(problem: Problem, task: _Task) -> tuple[str, str, int]:
    return (problem.id, task.kind, task.sample_index)


def select(records: Iterable[SampleRecord], config: RunConfig) -> list[SampleRecord]:
    """The records of ``config``'s run: the greedy ones (if it has a greedy run) and samples ``0..n-1``.

    A store grown to more samples than ``config.n_sampling`` is read as its first ``n_sampling``."""
    return [
        r
        for r in records
        if (r.kind == "greedy" and config.greedy)
        or (r.kind == "sample" and r.sample_index < config.n_sampling)
    ]


def _refused(manifest: Manifest, expected: Manifest) -> list[str]:
    """Differences between the stored manifest and ``expected`` that would change stored samples."""
    stored = {k: manifest.get(k) for k in expected}
    return refused_fields(fingerprint_diff(stored, expected), MUTABLE)


def run_grading(benchmark: Benchmark, prompts: Sequence[str]) -> RunGrading:
    """How a run's responses are graded: the benchmark's last-number rule, reasoning the prompts open, and
    the golds' answer types where the benchmark declares them (one for all its problems, or one per id)."""
    policy = ExtractionPolicy(
        last_number_fallback=benchmark.spec.last_number_fallback,
        require_think_end=bool(prompts) and all(prompt_opens_think(p) for p in prompts),
    )
    types = {p.id: p.answer_type for p in benchmark.problems if p.answer_type}
    uniform = set(types.values())
    if len(uniform) == 1 and len(types) == len(benchmark.problems):
        return RunGrading(policy, uniform.pop())
    return RunGrading(policy, types or None)


def check_resumable(
    benchmark: Benchmark,
    template: PromptTemplate,
    run_dir: str | Path,
    config: RunConfig,
    *,
    model: str | None = None,
    tokenizer: Any = None,
) -> None:
    """Refuse, writing nothing and before any engine loads, a run that ``run_dir`` cannot take: an unreadable
    manifest, samples without one, a stored run with other settings (all but the backend, which needs the
    sampler), or stored prompts that differ. ``StoreError`` names the file or the fields."""
    store = RunStore(run_dir)
    manifest = store.manifest()
    if manifest is None:
        store.check({})  # samples without a manifest
        return
    expected = _task_fingerprint(benchmark, template, config)
    if model is not None:
        expected["model"] = model_fingerprint(model)
    if _refused(manifest, expected):
        store.check(expected, mutable=MUTABLE)  # raises, naming the fields
    prompts = [template.render(p.problem, tokenizer=tokenizer) for p in benchmark.problems]
    _check_prompts(store.records(), benchmark.problems, [prompt_hash(p) for p in prompts], store)


def is_complete(
    benchmark: Benchmark,
    template: PromptTemplate,
    run_dir: str | Path,
    config: RunConfig,
    *,
    model: str | None = None,
) -> bool:
    """Whether ``run_dir`` holds every record of this run (same benchmark, template, sampling; and ``model``
    if given), so that no sampler is needed: a run that holds more samples than asked for is complete.
    Backend and grader are not checked here."""
    store = RunStore(run_dir)
    manifest = store.manifest()
    if manifest is None:
        return False
    expected = _task_fingerprint(benchmark, template, config)
    if model is not None:
        expected["model"] = model_fingerprint(model)
    if _refused(manifest, expected):
        return False
    done = {r.key for r in store.records()}
    return all(_key(benchmark.problems[t.problem_index], t) in done for t in _tasks(len(benchmark), config))


def run_benchmark(
    benchmark: Benchmark,
    template: PromptTemplate,
    sampler: Sampler,
    run_dir: str | Path,
    config: RunConfig,
    *,
    tokenizer: Any = None,
    overwrite: bool = False,
    progress: bool = True,
) -> list[SampleRecord]:
    """Generate and grade what ``run_dir`` still lacks for ``config``; return the run's records in problem
    order (with a store grown past ``config.n_sampling``, its first ``n_sampling`` samples)."""
    (records,) = run_benchmarks(
        [(benchmark, Path(run_dir))],
        template,
        sampler,
        config,
        tokenizer=tokenizer,
        overwrite=overwrite,
        progress=progress,
    )
    return records


def run_benchmarks(
    runs: Sequence[tuple[Benchmark, Path]],
    template: PromptTemplate,
    sampler: Sampler,
    config: RunConfig,
    *,
    tokenizer: Any = None,
    overwrite: bool = False,
    progress: bool = True,
    out: TextIO | None = None,
) -> list[list[SampleRecord]]:
    """``run_benchmark`` for several (benchmark, run directory) pairs through ONE stream, so the engine
    starts on the next benchmark while the longest completions of the previous one finish. A re-grade of
    stored records is noted on ``out`` (default stderr)."""
    dirs = [Path(run_dir).resolve() for _, run_dir in runs]
    if len(set(dirs)) != len(dirs):
        raise ValueError(
            f"run directories named twice: {sorted({str(d) for d in dirs if dirs.count(d) > 1})}"
        )
    backend = sampler.describe()
    checked = [_Opening.check(b, Path(d), template, backend, config, tokenizer, overwrite) for b, d in runs]
    prepared: list[_Run] = []
    tokens, arrived, start = 0, 0, time.monotonic()
    try:
        for opening in checked:  # every run passed its checks: now re-grade and write manifests
            prepared.append(opening.start(config, out))
        owners = [(run, task) for run in prepared for task in run.pending]
        jobs = [
            Job(i, run.prompts[t.problem_index], t.seed, config.params(t.kind))
            for i, (run, t) in enumerate(owners)
        ]
        total = sum(run.total for run in prepared)
        desc = ",".join(b.name for b, _ in runs)
        with tqdm(
            total=total, initial=total - len(jobs), desc=desc, unit="sample", disable=not progress
        ) as bar:
            for fresh, phase in _phases(jobs, owners, config):
                if fresh and hasattr(sampler, "clear_prefix_cache"):
                    sampler.clear_prefix_cache()
                for job_id, completion in sampler.stream(phase):
                    run, task = owners[job_id]
                    run.appender.put(task, completion)
                    arrived += 1
                    tokens += completion.num_tokens
                    bar.update(1)
                    bar.set_postfix(  # with Ray ranks, how many engines are alive ("engines": "3/4")
                        tok_s=f"{tokens / max(time.monotonic() - start, 1e-9):.0f}",
                        **getattr(sampler, "status", {}),
                        refresh=False,
                    )
    finally:
        for run in prepared:
            run.appender.close()  # grades and stores what arrived, also when the stream failed
    if arrived != len(jobs):
        raise RuntimeError(f"sampler {sampler.name!r} finished {arrived} of {len(jobs)} completions")
    return [run.result(config) for run in prepared]


def _phases(
    jobs: list[Job], owners: list[tuple["_Run", _Task]], config: RunConfig
) -> list[tuple[bool, list[Job]]]:
    """The streams the jobs go to, in order, each ``(fresh, jobs)``; ``fresh``: clear the prefix cache first.

    evalkit's layout: one stream of everything. AReaL's: the greedy run, then each seed run, each of them
    one stream per benchmark in order (math_eval.py's ``llm.generate`` per dataset), the first of each run
    fresh (AReaL starts a new process per run)."""
    if config.seed_layout != "areal":
        return [(False, jobs)] if jobs else []
    groups: dict[tuple[int, int], list[Job]] = {}
    runs: dict[int, int] = {}  # a run's position among the benchmarks
    for job, (run, task) in zip(jobs, owners, strict=True):
        seed_run = 0 if task.kind == "greedy" else config.seed_run(task.sample_index)
        groups.setdefault((seed_run, runs.setdefault(id(run), len(runs))), []).append(job)
    keys = sorted(groups)
    return [(i == 0 or keys[i - 1][0] != key[0], groups[key]) for i, key in enumerate(keys)]


@dataclass(frozen=True)
class _Opening:
    """A run directory checked for a run, before anything is written to it."""

    benchmark: Benchmark
    store: RunStore
    prompts: list[str]
    hashes: list[str]
    grading: RunGrading
    fingerprint: Manifest
    overwrite: bool

    @classmethod
    def check(
        cls,
        benchmark: Benchmark,
        run_dir: Path,
        template: PromptTemplate,
        backend: dict[str, Any],
        config: RunConfig,
        tokenizer: Any,
        overwrite: bool,
    ) -> "_Opening":
        """Render the prompts and check the stored run against this one, writing nothing; ``StoreError``
        if it cannot be resumed."""
        prompts = [template.render(p.problem, tokenizer=tokenizer) for p in benchmark.problems]
        hashes = [prompt_hash(p) for p in prompts]
        grading = run_grading(benchmark, prompts)
        fingerprint = run_fingerprint(benchmark, template, backend, config, grading)
        store = RunStore(run_dir)
        if not overwrite:
            store.check(fingerprint, mutable=MUTABLE + REGRADABLE)
            _check_prompts(store.records(), benchmark.problems, hashes, store)
        return cls(benchmark, store, prompts, hashes, grading, fingerprint, overwrite)

    def start(self, config: RunConfig, out: TextIO | None) -> "_Run":
        """Re-grade stale stored verdicts, write the manifest, and start the appender."""
        if not self.overwrite:
            refresh_verdicts(self.store.run_dir, grading=self.grading, timeout=config.grade_timeout, out=out)
        problems = self.benchmark.problems
        stored = self.store.open(self.fingerprint, overwrite=self.overwrite, mutable=MUTABLE + REGRADABLE)
        records = {r.key: r for r in stored}
        tasks = _tasks(len(problems), config)
        pending = [t for t in tasks if _key(problems[t.problem_index], t) not in records]
        appender = _Appender(self.store, records, problems, self.hashes, self.grading, config.grade_timeout)
        return _Run(problems, self.prompts, records, pending, len(tasks), appender)


@dataclass
class _Run:
    """One benchmark's run being generated: its prompts, stored records, pending tasks and appender."""

    problems: Sequence[Problem]
    prompts: list[str]
    records: dict[tuple[str, str, int], SampleRecord]
    pending: list[_Task]
    total: int
    appender: "_Appender"

    def result(self, config: RunConfig) -> list[SampleRecord]:
        """The run's records of ``config`` in problem order."""
        order = {p.id: i for i, p in enumerate(self.problems)}
        return sorted(
            select(self.records.values(), config),
            key=lambda r: (order[r.problem_id], _KIND_ORDER[r.kind], r.sample_index),
        )


class _Appender:
    """Grades completions and appends their records on a thread of its own: each batch is everything that
    arrived while the previous one was graded, so grading keeps pace and the sampler never waits for it."""

    def __init__(
        self,
        store: RunStore,
        records: dict[tuple[str, str, int], SampleRecord],
        problems: Sequence[Problem],
        hashes: list[str],
        grading: RunGrading,
        timeout: float,
    ) -> None:
        self._store, self._records = store, records
        self._grade = lambda batch: _grade(batch, problems, hashes, grading, timeout)
        self._queue: queue.Queue[tuple[_Task, Completion] | None] = queue.Queue(maxsize=GRADING_BACKLOG)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="evalkit-grader", daemon=True)
        self._thread.start()

    def put(self, task: _Task, completion: Completion) -> None:
        """Queue one completion; with :data:`GRADING_BACKLOG` waiting, wait (the stream waits with it)."""
        while True:
            self._raise()
            try:
                self._queue.put((task, completion), timeout=1.0)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        """Grade and store everything put so far, then stop; re-raise a grading or storing error."""
        while self._thread.is_alive():  # a thread that failed takes nothing more
            try:
                self._queue.put(None, timeout=1.0)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        error = self._error
        if isinstance(error, OSError):  # a full disk, a lost mount: the records stored so far are intact
            raise StoreError(
                f"cannot write {self._store.samples_path}: {error.strerror or error}; the records stored "
                "before are kept, rerun to resume"
            ) from error
        if error is not None:
            raise RuntimeError("grading failed") from error

    def _run(self) -> None:
        finished = False
        while not finished:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get())
            finished = batch[-1] is None
            items = [item for item in batch if item is not None]
            try:
                if items:
                    new = self._grade(items)
                    self._store.append(new)
                    self._records.update((r.key, r) for r in new)
            except BaseException as exc:
                self._error = exc
                return


def _check_prompts(
    records: Iterable[SampleRecord], problems: Sequence[Problem], hashes: list[str], store: RunStore
) -> None:
    current = {p.id: h for p, h in zip(problems, hashes, strict=True)}
    for r in records:
        if current.get(r.problem_id) != r.prompt_hash:
            raise StoreError(
                f"{store.samples_path}: the prompt of problem {r.problem_id} differs from the stored run's "
                "(template or tokenizer chat template changed); use --overwrite to start over"
            )


def _grade(
    batch: Sequence[tuple[_Task, Completion]],
    problems: Sequence[Problem],
    hashes: list[str],
    grading: RunGrading,
    timeout: float,
) -> list[SampleRecord]:
    from evalkit.graders import grade_many  # sympy: only when needed

    golds = [problems[t.problem_index].gold for t, _ in batch]
    verdicts = grade_many(
        [(c.text, gold) for (_, c), gold in zip(batch, golds, strict=True)],
        timeout=timeout,
        policy=grading.policy,
        contexts=[
            grading.context(problems[t.problem_index].id, truncated=c.finish_reason == "length")
            for t, c in batch
        ],
    )
    return [
        SampleRecord(
            problem_id=problems[t.problem_index].id,
            kind=t.kind,
            sample_index=t.sample_index,
            seed=t.seed,
            prompt_hash=hashes[t.problem_index],
            response=c.text,
            completion_tokens=c.num_tokens,
            finish_reason=c.finish_reason,
            gold=gold,
            pred=v.pred,
            correct=v.correct,
            method=v.method,
            reason=v.reason,
            rule=v.rule,
        )
        for (t, c), gold, v in zip(batch, golds, verdicts, strict=True)
    ]
