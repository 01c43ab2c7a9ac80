"""Data parallelism over Ray: one actor per rank, each holding one sampler built once and kept for every call.

``stream`` puts every job in one shared queue (a small actor); each rank pulls jobs from it as its engine
frees room (it keeps ``in_flight_per_rank`` at most, by default a little over what its engine decodes at
once) and sends each completion back the moment it finishes. No rank idles while jobs are left; at the end
each rank holds only the jobs it is decoding. Each sample has its own seed, so which rank draws it does not
change it. With ``ray_address`` the sampler joins a cluster started with ``ray start --head`` (``"auto"`` or
``"host:6379"``); without it, it joins the Ray instance already initialised in this process or starts a
local one.
"""

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import ray
from ray.util.queue import Empty, Queue

from evalkit.sampling.base import BatchCall, Completion, Job, Sampler
from evalkit.sampling.errors import BackendUnavailable

_DEFAULT_IN_FLIGHT = 256  # for samplers that do not say how many sequences they decode at once


class _JobQueue:
    """Ray actor body: the shared queue of jobs; ranks take up to n at a time."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = deque(jobs)

    def take(self, n: int) -> list[Job]:
        return [self.jobs.popleft() for _ in range(min(n, len(self.jobs)))]

    def clear(self) -> None:
        self.jobs.clear()


class _Rank:
    """Ray actor body: builds the sampler once from the factory."""

    def __init__(self, factory: Callable[[], Sampler]) -> None:
        self.sampler = factory()

    def capacity(self) -> int:
        """Sequences the engine decodes at once (the sampler's ``capacity``, if it has one)."""
        return int(getattr(self.sampler, "capacity", None) or _DEFAULT_IN_FLIGHT)

    def drain(self, jobs: Any, results: Queue, max_in_flight: int) -> int:
        """Stream jobs pulled from the shared queue into ``results``; return how many this rank did."""

        def pull() -> Iterator[Job]:  # one job at a time: a rank never holds a job it has no room for
            while batch := ray.get(jobs.take.remote(1)):
                yield from batch

        count = 0
        for item in self.sampler.stream(pull(), max_in_flight=max_in_flight):
            results.put(item)
            count += 1
        return count

    def describe(self) -> dict[str, Any]:
        return self.sampler.describe()


class RaySampler(BatchCall):
    """Wrap a picklable sampler factory (e.g. ``functools.partial(VLLMSampler, path, config)``) in Ray ranks."""

    name = "ray"

    def __init__(
        self,
        factory: Callable[[], Sampler],
        *,
        num_ranks: int,
        gpus_per_rank: float,
        ray_address: str | None = None,
        in_flight_per_rank: int | None = None,
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
        if in_flight_per_rank is None:
            capacity = ray.get(self.ranks[0].capacity.remote())
            in_flight_per_rank = capacity + max(8, capacity // 8)  # a little queued: refills at once
        self.in_flight_per_rank = in_flight_per_rank

    def describe(self) -> dict[str, Any]:
        """The rank sampler's description plus the data-parallel layout."""
        layout = {"ray": ray.__version__, "num_ranks": self.num_ranks, "gpus_per_rank": self.gpus_per_rank}
        return {**self._describe, "data_parallel": layout}

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        """All jobs go to the shared queue; completions are yielded as any rank finishes them.

        ``max_in_flight`` is ignored: each rank keeps ``in_flight_per_rank``. Closing the stream early
        empties the queue and ends the ranks' streams, which abort their jobs in flight.
        """
        todo = list(jobs)
        if not todo:
            return
        queue = ray.remote(num_cpus=0)(_JobQueue).remote(todo)
        results = Queue(actor_options={"num_cpus": 0})
        tasks = [rank.drain.remote(queue, results, self.in_flight_per_rank) for rank in self.ranks]
        remaining, checked = len(todo), time.monotonic()
        try:
            while remaining:
                try:
                    item = results.get(timeout=1.0)
                except Empty:
                    item = None
                if item is not None:
                    remaining -= 1
                    yield item
                if item is None or time.monotonic() - checked > 1.0:
                    checked = time.monotonic()
                    self._check(tasks, results, remaining)
            ray.get(tasks)  # every rank found the queue empty and ended its stream
        finally:
            if remaining:
                ray.get(queue.clear.remote())
            results.shutdown(force=True)  # a rank still streaming fails its next put: it closes and aborts
            ray.kill(queue)

    @staticmethod
    def _check(tasks: list[Any], results: Queue, remaining: int) -> None:
        """Raise a rank's error at once; fail if every rank stopped with completions still owed."""
        ready, _ = ray.wait(tasks, num_returns=len(tasks), timeout=0)
        ray.get(ready)
        if len(ready) == len(tasks) and remaining and results.empty():
            raise RuntimeError(f"every Ray rank finished but {remaining} completions never arrived")

    def close(self) -> None:
        """Stop the rank actors (and free their GPUs); the Ray instance itself is left running."""
        for rank in self.ranks:
            ray.kill(rank)
        self.ranks = []
