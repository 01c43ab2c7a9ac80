"""The sampler protocol: prompts and sampling parameters in, n completions per prompt out."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Sampling parameters shared by every backend. ``temperature == 0`` means greedy."""

    n: int = 1
    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = -1
    max_new_tokens: int = 32768
    seed: int = 0

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
class SampleRequest:
    """One prompt with the seeds of the samples still to generate (one seed per completion)."""

    prompt: str
    seeds: tuple[int, ...] = field(default_factory=tuple)


@runtime_checkable
class Sampler(Protocol):
    """A sampler is a callable: for each request, one completion per seed, in seed order."""

    name: str

    def __call__(
        self, requests: Sequence[SampleRequest], params: SamplingParams
    ) -> list[list[Completion]]: ...

    def describe(self) -> dict[str, object]:
        """Backend name, version and every engine flag, recorded in the run fingerprint."""
        ...


def derive_seed(run_seed: int, problem_index: int, sample_index: int) -> int:
    """Seed of sample ``sample_index`` of problem ``problem_index``: stable across runs and resumes."""
    digest = hashlib.blake2b(f"{run_seed}:{problem_index}:{sample_index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") & 0x7FFFFFFF
