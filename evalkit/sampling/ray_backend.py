"""Data parallelism over Ray: one actor per rank, each holding one sampler built once and kept for every call.

Requests are dealt round-robin by index (request i goes to rank i % num_ranks) and merged back in order,
so the split is deterministic. With ``ray_address`` the sampler joins a cluster started with
``ray start --head`` (``"auto"`` or ``"host:6379"``); without it, it joins the Ray instance already
initialised in this process or starts a local one.
"""

from collections.abc import Callable, Sequence
from typing import Any

import ray

from evalkit.sampling.base import Completion, Sampler, SampleRequest, SamplingParams
from evalkit.sampling.errors import BackendUnavailable


class _Rank:
    """Ray actor body: builds the sampler once from the factory."""

    def __init__(self, factory: Callable[[], Sampler]) -> None:
        self.sampler = factory()

    def generate(self, requests: Sequence[SampleRequest], params: SamplingParams) -> list[list[Completion]]:
        return self.sampler(requests, params)

    def describe(self) -> dict[str, Any]:
        return self.sampler.describe()


class RaySampler:
    """Wrap a picklable sampler factory (e.g. ``functools.partial(VLLMSampler, path, config)``) in Ray ranks."""

    name = "ray"

    def __init__(
        self,
        factory: Callable[[], Sampler],
        *,
        num_ranks: int,
        gpus_per_rank: float,
        ray_address: str | None = None,
    ) -> None:
        if num_ranks < 1:
            raise ValueError(f"num_ranks must be >= 1, got {num_ranks}")
        if not ray.is_initialized():
            ray.init(address=ray_address)
        available = ray.cluster_resources().get("GPU", 0)
        if num_ranks * gpus_per_rank > available:
            raise BackendUnavailable(
                f"{num_ranks} ranks x {gpus_per_rank} GPU(s) need {num_ranks * gpus_per_rank:g} GPUs, "
                f"but the Ray cluster has {available:g}; lower data_parallel_size or add nodes"
            )
        self.num_ranks = num_ranks
        self.gpus_per_rank = gpus_per_rank
        actor = ray.remote(num_gpus=gpus_per_rank)(_Rank)
        self.ranks = [actor.remote(factory) for _ in range(num_ranks)]
        # Wait for every rank's engine, so that a rank that cannot start fails here rather than mid-run.
        self._describe: dict[str, Any] = ray.get([r.describe.remote() for r in self.ranks])[0]

    def describe(self) -> dict[str, Any]:
        """The rank sampler's description plus the data-parallel layout."""
        layout = {"ray": ray.__version__, "num_ranks": self.num_ranks, "gpus_per_rank": self.gpus_per_rank}
        return {**self._describe, "data_parallel": layout}

    def __call__(self, requests: Sequence[SampleRequest], params: SamplingParams) -> list[list[Completion]]:
        n = self.num_ranks
        jobs = {
            rank: self.ranks[rank].generate.remote(list(requests[rank::n]), params)
            for rank in range(min(n, len(requests)))
        }
        merged: list[list[Completion]] = [[] for _ in requests]
        for rank, result in zip(jobs, ray.get(list(jobs.values())), strict=True):
            merged[rank::n] = result
        return merged

    def close(self) -> None:
        """Stop the rank actors (and free their GPUs); the Ray instance itself is left running."""
        for rank in self.ranks:
            ray.kill(rank)
        self.ranks = []
