"""The sampler protocol: jobs (one prompt, one seed, the sampling parameters) in, completions streamed out.

A sampler's ``stream(jobs)`` yields ``(job.id, Completion)`` as each completion finishes, in whatever order
the engine finishes them, pulling jobs from the iterable only as it needs them (``max_in_flight`` bounds how
many it holds at once; ``None`` means as many as it can take). Closing the stream early aborts the jobs in
flight. ``sample(sampler, requests, params)`` collects a stream into one list per request, in seed order.
"""

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Sampling parameters shared by every backend. ``temperature == 0`` means greedy.

    The one definition of each sampling default (and its help text, as field metadata): ``RunConfig``
    and ``eval_and_aggregate``'s flags take theirs from here.

    ``stop`` strings end a completion (not included in its text); ``stop_token_ids`` are extra EOS ids.
    """

    n: int = 1
    temperature: float = field(default=0.6, metadata={"help": "sampling temperature (greedy uses 0)"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling, in (0, 1]"})
    top_k: int = field(default=-1, metadata={"help": "top-k sampling (-1: off)"})
    max_new_tokens: int = field(default=32768, metadata={"help": "max new tokens per response"})
    seed: int = 0
    stop: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True, slots=True)
class Completion:
    """One generated continuation."""

    text: str
    num_tokens: int
    finish_reason: FinishReason
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One completion to generate: ``id`` is the caller's handle, ``seed`` is ``None`` for greedy decoding."""

    id: int
    prompt: str
    seed: int | None
    params: SamplingParams


@dataclass(frozen=True, slots=True)
class SampleRequest:
    """One prompt with the seeds of the samples still to generate (one seed per completion)."""

    prompt: str
    seeds: tuple[int, ...] = field(default_factory=tuple)


@runtime_checkable
class Sampler(Protocol):
    """A streaming sampler: one completion per job, yielded the moment it finishes."""

    name: str

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]: ...

    def describe(self) -> dict[str, object]:
        """Backend name, version and every engine flag, recorded in the run fingerprint."""
        ...


def request_jobs(requests: Sequence[SampleRequest], params: SamplingParams) -> list[Job]:
    """One job per seed of each request; job ids count up in request then seed order."""
    jobs = [(r.prompt, seed) for r in requests for seed in r.seeds]
    return [Job(i, prompt, None if params.greedy else seed, params) for i, (prompt, seed) in enumerate(jobs)]


def sample(
    sampler: Sampler, requests: Sequence[SampleRequest], params: SamplingParams
) -> list[list[Completion]]:
    """Every completion of ``requests`` (one per seed, in seed order), collected from ``sampler.stream``."""
    jobs = request_jobs(requests, params)
    done = dict(sampler.stream(jobs))
    if len(done) != len(jobs):
        raise RuntimeError(f"sampler {sampler.name!r} finished {len(done)} of {len(jobs)} jobs")
    flat = iter(range(len(jobs)))
    return [[done[next(flat)] for _ in r.seeds] for r in requests]


class BatchCall:
    """Mixin: ``sampler(requests, params) -> list[list[Completion]]``, the batch form of ``stream``."""

    def __call__(
        self: Sampler, requests: Sequence[SampleRequest], params: SamplingParams
    ) -> list[list[Completion]]:
        return sample(self, requests, params)


def derive_seed(run_seed: int, problem_index: int, sample_index: int) -> int:
    """Seed of sample ``sample_index`` of problem ``problem_index``: stable across runs and resumes."""
    digest = hashlib.blake2b(f"{run_seed}:{problem_index}:{sample_index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF
