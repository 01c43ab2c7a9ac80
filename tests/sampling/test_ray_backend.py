"""RaySampler on a local CPU-only Ray: two ranks, each builds its sampler once; order survives the split."""

import os
import sys
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import pytest

from evalkit.sampling.base import Completion, SampleRequest, SamplingParams
from evalkit.sampling.errors import BackendUnavailable

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray

BUILT: list[str] = []  # per process: how many samplers this worker built


class EchoSampler:
    """Echoes prompt, seed and the process that answered."""

    name = "echo"

    def __init__(self, flag: str) -> None:
        self.flag = flag
        BUILT.append(flag)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "echo-model", "flag": self.flag}

    def __call__(self, requests: Sequence[SampleRequest], params: SamplingParams) -> list[list[Completion]]:
        tag = f"{os.getpid()}:{len(BUILT)}"
        return [[Completion(f"{r.prompt}|{s}|{tag}", 1, "stop", s) for s in r.seeds] for r in requests]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_ranks_split_round_robin_and_merge_in_order(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(partial(EchoSampler, "x"), num_ranks=2, gpus_per_rank=0)
    try:
        requests = [SampleRequest(f"p{i}", (i, 10 + i)) for i in range(5)]
        params = SamplingParams()
        first, second = sampler(requests, params), sampler(requests[:1], params)
        assert [[c.text.rsplit("|", 1)[0] for c in per] for per in first] == [
            [f"p{i}|{i}", f"p{i}|{10 + i}"] for i in range(5)
        ]
        tags = [per[0].text.rsplit("|", 1)[1] for per in first]
        assert tags[0::2] == [tags[0]] * 3 and tags[1::2] == [tags[1]] * 2 and tags[0] != tags[1]
        assert tags[0].endswith(":1") and tags[1].endswith(":1")  # each rank built one sampler
        assert second[0][0].text == first[0][0].text  # ...and kept it
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
