#!/usr/bin/env python3
"""Benchmark of the Ray layer alone: RaySampler with stand-in engines (no model), at 8, 32 and 128 ranks.

Each rank holds a stand-in engine with continuous batching: ``--capacity`` sequences, a decode step of
``--step-ms`` (a sleep), each job finishing after 1 to 8 steps (fixed by its id), topping up from the job
iterator after each step as ``VLLMSampler`` does. Ranks are lightweight actors (``num_cpus=0``) on a local Ray
instance on 127.0.0.1. For each rank count it prints the completions per second through the driver (which
only counts them) and the per-step stall (the time a rank's engine loop spends between two steps: sending
what finished and getting new jobs), for the current RaySampler and for the implementation before issue 22
(one job per ``ray.get``, one blocking ``put`` per completion, the driver taking one at a time: kept in this
script only, as BASELINE), run in the same process, and their ratio.

    .venv/bin/python scripts/bench_ray_queue.py                      # 8, 32, 128 ranks
    .venv/bin/python scripts/bench_ray_queue.py --ranks 8 --jobs 20000 --baseline-jobs 2000
"""

import argparse
import os
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import ray

from evalkit.sampling.base import Completion, Job, SamplingParams


class StandInEngine:
    """A stand-in for a vLLM engine: continuous batching over sleeps; it measures its own stalls."""

    name = "stand-in"

    def __init__(self, capacity: int, step_s: float) -> None:
        self.capacity, self.step_s = capacity, step_s
        self.stalls: list[float] = []

    def describe(self) -> dict[str, Any]:
        stalls = sorted(self.stalls) or [0.0]
        return {
            "backend": self.name,
            "steps": len(self.stalls),
            "stall_mean_ms": 1000 * statistics.fmean(stalls),
            "stall_p99_ms": 1000 * stalls[int(0.99 * (len(stalls) - 1))],
        }

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        pending, running = iter(jobs), {}
        step_end = None
        while True:
            while max_in_flight is None or len(running) < max_in_flight:
                job = next(pending, None)
                if job is None:
                    break
                running[job.id] = [job, 1 + (job.id * 2654435761) % 8]
            if not running:
                return
            if step_end is not None:
                self.stalls.append(time.perf_counter() - step_end)
            time.sleep(self.step_s)  # one decode step of the whole batch
            step_end = time.perf_counter()
            done = []
            for job_id in list(running)[: self.capacity]:
                running[job_id][1] -= 1
                if running[job_id][1] == 0:
                    done.append(running.pop(job_id)[0])
            for job in done:
                yield job.id, Completion("x" * 64, 64, "stop", job.seed)


# ---- BASELINE: the Ray layer before issue 22 (evalkit 96fc032, evalkit/sampling/ray_backend.py), kept here
# ---- only to measure against. Ranks get num_cpus=0 so that 128 fit on one machine; nothing else changed.
class _OldJobQueue:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = deque(jobs)

    def take(self, n: int) -> list[Job]:
        return [self.jobs.popleft() for _ in range(min(n, len(self.jobs)))]

    def clear(self) -> None:
        self.jobs.clear()


class _OldRank:
    def __init__(self, factory: Callable[[], Any]) -> None:
        self.sampler = factory()

    def drain(self, jobs: Any, results: Any, max_in_flight: int) -> int:
        def pull() -> Iterator[Job]:
            while batch := ray.get(jobs.take.remote(1)):
                yield from batch

        count = 0
        for item in self.sampler.stream(pull(), max_in_flight=max_in_flight):
            results.put(item)
            count += 1
        return count

    def describe(self) -> dict[str, Any]:
        return self.sampler.describe()


class OldRaySampler:
    def __init__(self, factory: Callable[[], Any], *, num_ranks: int, in_flight_per_rank: int) -> None:
        actor = ray.remote(num_gpus=0, num_cpus=0)(_OldRank)
        self.ranks = [actor.remote(factory) for _ in range(num_ranks)]
        ray.get([r.describe.remote() for r in self.ranks])
        self.in_flight_per_rank = in_flight_per_rank

    def stream(self, jobs: Iterable[Job]) -> Iterator[tuple[int, Completion]]:
        from ray.util.queue import Empty, Queue

        todo = list(jobs)
        queue = ray.remote(num_cpus=0)(_OldJobQueue).remote(todo)
        results = Queue(actor_options={"num_cpus": 0})
        tasks = [rank.drain.remote(queue, results, self.in_flight_per_rank) for rank in self.ranks]
        remaining = len(todo)
        try:
            while remaining:
                try:
                    item = results.get(timeout=1.0)
                except Empty:
                    continue
                remaining -= 1
                yield item
            ray.get(tasks)
        finally:
            if remaining:
                ray.get(queue.clear.remote())
            results.shutdown(force=True)
            ray.kill(queue)

    def close(self) -> None:
        for rank in self.ranks:
            ray.kill(rank)


# ---- end of BASELINE


def _jobs(n: int) -> list[Job]:
    params = SamplingParams()
    return [Job(i, f"prompt {i}", i, params) for i in range(n)]


def _measure(sampler: Any, n: int) -> dict[str, float]:
    start = time.perf_counter()
    count = sum(1 for _ in sampler.stream(_jobs(n)))
    elapsed = time.perf_counter() - start
    assert count == n, (count, n)
    engines = ray.get([rank.describe.remote() for rank in sampler.ranks])
    steps = sum(e["steps"] for e in engines) or 1
    return {
        "rate": n / elapsed,
        "seconds": elapsed,
        "stall_mean_ms": sum(e["stall_mean_ms"] * e["steps"] for e in engines) / steps,
        "stall_p99_ms": max(e["stall_p99_ms"] for e in engines),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ranks", default="8,32,128", help="rank counts, comma-separated")
    parser.add_argument("--jobs", type=int, default=40000, help="completions per run of the current sampler")
    parser.add_argument(
        "--baseline-jobs", type=int, default=2000, help="completions per baseline run (0: skip)"
    )
    parser.add_argument(
        "--capacity", type=int, default=256, help="sequences a stand-in engine decodes at once"
    )
    parser.add_argument("--step-ms", type=float, default=20.0, help="a stand-in engine's decode step")
    args = parser.parse_args(argv)

    from ray._private import ray_constants

    from evalkit.sampling.ray_backend import RaySampler

    ray_constants.ENABLE_RAY_CLUSTER = False  # a local instance on 127.0.0.1 only
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False)
    factory = partial(StandInEngine, args.capacity, args.step_ms / 1000)
    in_flight = args.capacity + max(8, args.capacity // 8)
    print(
        f"stand-in engines: {args.capacity} sequences, {args.step_ms:g} ms per step, jobs of 1-8 steps; "
        f"{os.cpu_count()} CPUs; ray {ray.__version__}"
    )
    header = "| ranks | RaySampler completions/s | stall per step mean / p99 | before (baseline) completions/s | stall per step mean / p99 | ratio |"
    print(header + "\n|" + "---|" * 6)
    try:
        for ranks in [int(r) for r in args.ranks.split(",")]:
            new = RaySampler(
                factory,
                num_ranks=ranks,
                gpus_per_rank=0,
                in_flight_per_rank=in_flight,
                actor_options={"num_cpus": 0},
            )
            try:
                now = _measure(new, args.jobs)
            finally:
                new.close()
            before = None
            if args.baseline_jobs:
                old = OldRaySampler(factory, num_ranks=ranks, in_flight_per_rank=in_flight)
                try:
                    before = _measure(old, args.baseline_jobs)
                finally:
                    old.close()
            row = f"| {ranks} | {now['rate']:,.0f} | {now['stall_mean_ms']:.2f} / {now['stall_p99_ms']:.1f} ms |"
            if before:
                row += (
                    f" {before['rate']:,.0f} | {before['stall_mean_ms']:.1f} / {before['stall_p99_ms']:.1f} ms |"
                    f" {now['rate'] / before['rate']:.1f}x |"
                )
            else:
                row += " - | - | - |"
            print(row, flush=True)
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
