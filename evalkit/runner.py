"""Run one benchmark through a sampler into the run store: greedy run + n samples per problem, resumable.

Work goes to the sampler in chunks of ``chunk_size`` completions; each chunk is graded and appended
(flushed) before the next starts, so a kill loses at most the chunk in flight. Sample ``i`` of problem
``p`` always uses seed ``derive_seed(seed, p, i)``, so a resumed run draws what an uninterrupted one would.
"""

import hashlib
import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from evalkit import __version__
from evalkit.data import Benchmark, Problem
from evalkit.prompts import PromptTemplate, prompt_opens_think
from evalkit.records import Kind, SampleRecord
from evalkit.sampling.base import Completion, Sampler, SampleRequest, SamplingParams, derive_seed
from evalkit.store import RunStore, StoreError
from evalkit.verdicts import grader_section, refresh_verdicts

_KIND_ORDER = {"greedy": 0, "sample": 1}


@dataclass(frozen=True, slots=True)
class RunConfig:
    """What to generate per problem; ``chunk_size`` is the number of completions per sampler call."""

    n_sampling: int = 32
    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = -1
    max_new_tokens: int = 32768
    seed: int = 0
    greedy: bool = True
    chunk_size: int = 512
    grade_timeout: float = 5.0

    def __post_init__(self) -> None:
        if self.n_sampling < 0 or self.chunk_size < 1 or self.max_new_tokens < 1:
            raise ValueError(f"need n_sampling >= 0, chunk_size >= 1 and max_new_tokens >= 1: {self}")

    def sampling(self) -> dict[str, Any]:
        """The fields that decide the generated text (the run fingerprint's ``sampling`` section)."""
        return {k: v for k, v in asdict(self).items() if k not in ("chunk_size", "grade_timeout")}

    def params(self, kind: Kind) -> SamplingParams:
        base = SamplingParams(
            n=self.n_sampling,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_new_tokens=self.max_new_tokens,
            seed=self.seed,
        )
        return replace(base, n=1, temperature=0.0, top_p=1.0, top_k=-1) if kind == "greedy" else base


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


def _task_fingerprint(benchmark: Benchmark, template: PromptTemplate, config: RunConfig) -> dict[str, Any]:
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
    grader: dict[str, bool],
) -> dict[str, Any]:
    """The manifest of a run: everything that decides its records."""
    return {
        "evalkit": __version__,
        "model": model_fingerprint(backend.get("model")),
        **_task_fingerprint(benchmark, template, config),
        "backend": backend,
        "grader": grader_section(grader),
    }


def _tasks(num_problems: int, config: RunConfig) -> list[_Task]:
    greedy = [_Task(p, "greedy", 0, None) for p in range(num_problems)] if config.greedy else []
    samples = [
        _Task(p, "sample", i, derive_seed(config.seed, p, i))
        for p in range(num_problems)
        for i in range(config.n_sampling)
    ]
    return greedy + samples


def _key(problem: Problem, task: _Task) -> tuple[str, str, int]:
    return (problem.id, task.kind, task.sample_index)


def is_complete(
    benchmark: Benchmark,
    template: PromptTemplate,
    run_dir: str | Path,
    config: RunConfig,
    *,
    model: str | None = None,
) -> bool:
    """Whether ``run_dir`` holds every record of this run (same benchmark, template, sampling; and ``model``
    if given), so that no sampler is needed. Backend and grader are not checked here."""
    store = RunStore(run_dir)
    manifest = store.manifest()
    if manifest is None:
        return False
    expected = _task_fingerprint(benchmark, template, config)
    if model is not None:
        expected["model"] = model_fingerprint(model)
    if any(manifest.get(k) != v for k, v in expected.items()):
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
    """Generate and grade what ``run_dir`` still lacks; return all records of the run in problem order."""
    problems = benchmark.problems
    prompts = [template.render(p.problem, tokenizer=tokenizer) for p in problems]
    hashes = [prompt_hash(p) for p in prompts]
    grader = {
        "last_number_fallback": benchmark.spec.last_number_fallback,
        "require_think_end": bool(prompts) and all(prompt_opens_think(p) for p in prompts),
    }
    store = RunStore(run_dir)
    if not overwrite:
        # another grader version or policy is no reason to resample: re-grade what is stored
        refresh_verdicts(run_dir, policy=grader, timeout=config.grade_timeout)
    records = {
        r.key: r
        for r in store.open(
            run_fingerprint(benchmark, template, sampler.describe(), config, grader), overwrite=overwrite
        )
    }
    _check_prompts(records.values(), problems, hashes, store)
    pending = [t for t in _tasks(len(problems), config) if _key(problems[t.problem_index], t) not in records]
    all_tasks = len(records) + len(pending)
    tokens, start = 0, time.monotonic()
    with tqdm(
        total=all_tasks,
        initial=all_tasks - len(pending),
        desc=benchmark.name,
        unit="sample",
        disable=not progress,
    ) as bar:
        for kind, group in itertools.groupby(pending, key=lambda t: t.kind):
            params, tasks = config.params(kind), list(group)
            for chunk in (tasks[i : i + config.chunk_size] for i in range(0, len(tasks), config.chunk_size)):
                completions = _sample(sampler, chunk, params, prompts)
                new = _grade(chunk, completions, problems, hashes, grader, config.grade_timeout)
                store.append(new)
                records.update((r.key, r) for r in new)
                tokens += sum(c.num_tokens for c in completions)
                bar.update(len(new))
                bar.set_postfix(tok_s=f"{tokens / max(time.monotonic() - start, 1e-9):.0f}")
    order = {p.id: i for i, p in enumerate(problems)}
    return sorted(records.values(), key=lambda r: (order[r.problem_id], _KIND_ORDER[r.kind], r.sample_index))


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


def _sample(
    sampler: Sampler, chunk: Sequence[_Task], params: SamplingParams, prompts: list[str]
) -> list[Completion]:
    """One sampler call for a chunk; consecutive tasks of a problem share a request. Completions in task order.

    Greedy tasks have no seed of their own: their request carries the run seed, which greedy decoding ignores.
    """
    requests = [
        SampleRequest(prompts[p], tuple(params.seed if t.seed is None else t.seed for t in group))
        for p, group in itertools.groupby(chunk, key=lambda t: t.problem_index)
    ]
    results = sampler(requests, params)
    if [len(r) for r in results] != [len(r.seeds) for r in requests]:
        raise RuntimeError(f"sampler {sampler.name!r} did not return one completion per seed of each request")
    return [c for per_request in results for c in per_request]


def _grade(
    chunk: Sequence[_Task],
    completions: list[Completion],
    problems: Sequence[Problem],
    hashes: list[str],
    grader: dict[str, bool],
    timeout: float,
) -> list[SampleRecord]:
    from evalkit.graders import ExtractionPolicy, grade_many  # sympy: only when there is something to grade

    golds = [problems[t.problem_index].gold for t in chunk]
    verdicts = grade_many(
        [(c.text, gold) for c, gold in zip(completions, golds, strict=True)],
        timeout=timeout,
        policy=ExtractionPolicy(**grader),
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
        )
        for t, c, gold, v in zip(chunk, completions, golds, verdicts, strict=True)
    ]
