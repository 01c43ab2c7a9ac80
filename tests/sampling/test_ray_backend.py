"""RaySampler on a local CPU-only Ray: two ranks, each builds its sampler once and pulls work from one queue."""

import os
import sys
import time
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

import pytest

from evalkit.sampling.base import BatchCall, Completion, Job, SampleRequest, SamplingParams
from evalkit.sampling.errors import BackendUnavailable

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray

BUILT: list[str] = []  # per process: how many samplers this worker built


class EchoSampler(BatchCall):
    """Echoes prompt, seed and the process that answered, one job at a time; prompt "slow" takes 3 s,
    prompt "boom" fails."""

    name = "echo"

    def __init__(self, flag: str) -> None:
        self.flag = flag
        BUILT.append(flag)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "echo-model", "flag": self.flag}

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        tag = f"{os.getpid()}:{len(BUILT)}"
        for job in jobs:
            if job.prompt == "boom":
                raise RuntimeError("rank engine died")
            time.sleep(3.0 if job.prompt == "slow" else 0.01)
            yield job.id, Completion(f"{job.prompt}|{job.seed}|{tag}", 1, "stop", job.seed)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_ranks_build_once_and_results_merge_in_order(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(partial(EchoSampler, "x"), num_ranks=2, gpus_per_rank=0)
    try:
        requests = [SampleRequest(f"p{i}", (i, 10 + i)) for i in range(5)]
        params = SamplingParams()
        first, second = sampler(requests, params), sampler(requests[:1], params)
        assert [[c.text.rsplit("|", 1)[0] for c in per] for per in first] == [
            [f"p{i}|{i}", f"p{i}|{10 + i}"] for i in range(5)
        ]
        tags = {c.text.rsplit("|", 1)[1] for per in first + second for c in per}
        assert {tag.split(":")[1] for tag in tags} == {"1"}  # each rank built one sampler and kept it
        assert sampler.describe() == {
            "backend": "echo",
            "model": "echo-model",
            "flag": "x",
            "data_parallel": {"ray": ray.__version__, "num_ranks": 2, "gpus_per_rank": 0},
        }
    finally:
        sampler.close()


def test_missing_gpus_are_reported_before_any_actor_starts(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    with pytest.raises(BackendUnavailable, match="need 2 GPUs, but the Ray cluster has 0"):
        RaySampler(partial(EchoSampler, "x"), num_ranks=2, gpus_per_rank=1)


def test_no_rank_idles_while_another_is_busy(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(partial(EchoSampler, "x"), num_ranks=2, gpus_per_rank=0, in_flight_per_rank=1)
    try:
        jobs = [Job(0, "slow", 1, SamplingParams())] + [
            Job(i, f"p{i}", i, SamplingParams()) for i in range(1, 41)
        ]
        arrived = list(sampler.stream(jobs))
        assert sorted(i for i, _ in arrived) == list(range(41))
        assert arrived[-1][0] == 0  # the slow job finishes last, after the other rank did all the rest
        by_rank: dict[str, int] = {}
        for _, c in arrived:
            by_rank[c.text.rsplit("|", 1)[1]] = by_rank.get(c.text.rsplit("|", 1)[1], 0) + 1
        assert sorted(by_rank.values()) == [1, 40]  # round-robin would have given the slow rank 20
    finally:
        sampler.close()


def test_a_failing_rank_fails_the_stream(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(partial(EchoSampler, "x"), num_ranks=2, gpus_per_rank=0, in_flight_per_rank=1)
    try:
        jobs = [Job(i, "boom" if i == 5 else f"p{i}", i, SamplingParams()) for i in range(20)]
        with pytest.raises(Exception, match="rank engine died"):
            list(sampler.stream(jobs))
    finally:
        sampler.close()
