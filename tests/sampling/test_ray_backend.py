"""RaySampler on a local Ray (CPUs and one pretend GPU): ranks build their sampler once and pull work from one
queue; a dead rank's jobs go to the others, a restarted rank rejoins, and failures are one line."""

import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
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


def on_loopback() -> pytest.MonkeyPatch:
    """Ray on 127.0.0.1 only: left alone, it binds the host's address (and turns 127.0.0.1 into it)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(ray._private.ray_constants, "ENABLE_RAY_CLUSTER", False)
    return patch


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    patch = on_loopback()
    # One pretend GPU (Ray only counts it): enough to test GPU accounting; nothing here uses it.
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()
        patch.undo()


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

    with pytest.raises(BackendUnavailable, match="need 2 GPUs, but the Ray cluster has 1;"):
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


class StepSampler(BatchCall):
    """A stand-in engine with continuous batching: each step (``step_s``) finishes the jobs that have run
    their 1-4 steps (fixed by the job id) and tops up from the iterable, as ``VLLMSampler`` does."""

    name = "step"

    def __init__(self, step_s: float = 0.01, capacity: int = 8) -> None:
        self.step_s, self.capacity = step_s, capacity
        BUILT.append("step")

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        pending, running = iter(jobs), {}
        while True:
            while max_in_flight is None or len(running) < max_in_flight:
                job = next(pending, None)
                if job is None:
                    break
                running[job.id] = [job, 1 + job.id % 4]
            if not running:
                return
            time.sleep(self.step_s)
            for job_id in list(running):
                running[job_id][1] -= 1
                if running[job_id][1] == 0:
                    job = running.pop(job_id)[0]
                    yield job.id, Completion(f"{job.prompt}|{job.seed}|{os.getpid()}", 1, "stop", job.seed)


def _jobs(n: int) -> list[Job]:
    return [Job(i, f"p{i}", i, SamplingParams()) for i in range(n)]


def _check_each_once(arrived: list[tuple[int, Completion]], n: int) -> None:
    assert sorted(i for i, _ in arrived) == list(range(n))  # every job, each exactly once
    assert all(c.text.startswith(f"p{i}|{i}|") for i, c in arrived)


def _run_and_kill(
    sampler: Any, n: int, kill: Callable[[], None], after: int = 30
) -> list[tuple[int, Completion]]:
    arrived = []
    for item in sampler.stream(_jobs(n)):
        arrived.append(item)
        if len(arrived) == after:
            kill()
    return arrived


def test_a_killed_rank_gives_its_jobs_in_flight_to_the_others(local_ray: None) -> None:
    import io

    from evalkit.sampling.ray_backend import RaySampler

    log = io.StringIO()
    sampler = RaySampler(StepSampler, num_ranks=2, gpus_per_rank=0, max_restarts=0, log=log)
    try:
        victim = sampler.ranks[0]

        def kill() -> None:  # and wait until it is gone: what it sent before is all it will send
            ray.kill(victim)
            with pytest.raises(ray.exceptions.RayActorError):
                ray.get(victim.ready.remote(), timeout=30)

        arrived = _run_and_kill(sampler, 300, kill)
        _check_each_once(arrived, 300)
        assert sampler.engines_alive == 1 and sampler.status == {"engines": "1/2"}
        (line,) = [line for line in log.getvalue().splitlines() if "died" in line]
        assert re.match(r"ray: rank 0 on node \S+ \([0-9a-f]{8}\) died: ", line)
        assert "killed by `ray.kill`" in line and "go back to the queue; 1 of 2 engines alive" in line
        assert len({c.text.rsplit("|", 1)[1] for _, c in arrived[-100:]}) == 1  # the survivor did the rest
        _check_each_once(list(sampler.stream(_jobs(20))), 20)  # later streams use the survivor
    finally:
        sampler.close()


def test_a_restarted_rank_rejoins_the_run(local_ray: None) -> None:
    import io

    from evalkit.sampling.ray_backend import RaySampler

    log = io.StringIO()
    sampler = RaySampler(
        partial(StepSampler, 0.02), num_ranks=2, gpus_per_rank=0, max_restarts=1, max_backlog=20, log=log
    )
    try:
        arrived: list[tuple[int, Completion]] = []
        for item in sampler.stream(_jobs(600)):
            arrived.append(item)
            if len(arrived) == 30:
                ray.kill(sampler.ranks[1], no_restart=False)
            if len(arrived) > 30 and "rejoined" not in log.getvalue():
                time.sleep(0.05)  # a slow consumer: with the backlog full, jobs wait for the restarted rank
        _check_each_once(arrived, 600)
        assert re.search(r"rank 1 rejoined on node \S+ \([0-9a-f]{8}\); 2 of 2 engines alive", log.getvalue())
        assert sampler.engines_alive == 2
        assert len({c.text.rsplit("|", 1)[1] for _, c in arrived}) == 3  # two ranks, one of them restarted
    finally:
        sampler.close()


def test_when_no_rank_is_left_the_run_fails_in_one_line(local_ray: None) -> None:
    import io

    from evalkit.sampling.errors import RanksLost
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(StepSampler, num_ranks=2, gpus_per_rank=0, max_restarts=0, log=io.StringIO())
    try:
        with pytest.raises(RanksLost) as caught:
            _run_and_kill(sampler, 300, lambda: [ray.kill(rank) for rank in sampler.ranks])
        message = str(caught.value)
        assert "\n" not in message and re.match(r"rank [01] on node \S+ \([0-9a-f]{8}\) died: ", message)
        assert "died: it was killed by `ray.kill`; no Ray rank is left (" in message
        assert message.endswith("completions not generated); stored samples are kept, rerun to resume")
        with pytest.raises(RanksLost, match="no Ray rank is left"):  # and so does the next stream
            list(sampler.stream(_jobs(5)))
    finally:
        sampler.close()


def test_the_queue_is_on_the_driver_node_and_its_loss_is_one_error(local_ray: None) -> None:
    import io

    from evalkit.sampling.errors import RanksLost
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(StepSampler, num_ranks=2, gpus_per_rank=0, log=io.StringIO())
    try:
        stream = sampler.stream(_jobs(300))
        next(stream)
        driver = ray.get_runtime_context().get_node_id()
        assert ray.get(sampler._hub.node_id.remote()) == driver
        ray.kill(sampler._hub)
        with pytest.raises(RanksLost) as caught:  # the cleanup of the dead queue adds no second error
            list(stream)
        assert "\n" not in str(caught.value) and str(caught.value).startswith("the run's job queue")
        assert caught.value.__suppress_context__  # printed alone, without Ray's traceback
        _check_each_once(list(sampler.stream(_jobs(50))), 50)  # the ranks are fine: the next stream runs
    finally:
        sampler.close()


def test_ranks_batch_both_directions_and_the_backlog_is_bounded(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(
        partial(StepSampler, 0.002, 64), num_ranks=2, gpus_per_rank=0, max_backlog=100, fetch=50
    )
    try:
        stream = sampler.stream(_jobs(3000))
        arrived = [next(stream)]
        time.sleep(2.0)  # the consumer stalls: ranks stop getting jobs once 100 completions wait
        stats = ray.get(sampler._hub.stats.remote())
        in_flight = 2 * sampler.in_flight_per_rank
        assert stats["results"] <= 100 + in_flight
        # handed out: two fetched batches, the backlog and what ranks finished beyond it, what ranks hold
        assert stats["pending"] >= 3000 - (2 * 50 + 100 + 2 * in_flight)
        arrived += list(stream)
        _check_each_once(arrived, 3000)
        calls = sampler.last_calls  # round trips to the queue, counted by the queue
        assert calls["trade"] < 3000 / 5 and calls["get"] < 3000 / 10  # many jobs and completions per call
    finally:
        sampler.close()


def test_a_rank_that_cannot_build_its_engine_raises_its_own_error(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    def broken() -> EchoSampler:
        raise BackendUnavailable("vLLM is not installed here: pip install vllm")

    with pytest.raises(BackendUnavailable, match=r"^vLLM is not installed here: pip install vllm$"):
        RaySampler(broken, num_ranks=2, gpus_per_rank=0)


def test_a_busy_cluster_waits_for_free_gpus_then_fails_in_one_line(local_ray: None) -> None:
    import io
    import threading

    from evalkit.sampling.ray_backend import RaySampler

    @ray.remote(num_gpus=1)
    class Trainer:
        def ping(self) -> int:
            return 1

    trainer = Trainer.remote()
    ray.get(trainer.ping.remote())  # it holds the cluster's one GPU
    log = io.StringIO()
    start = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        RaySampler(partial(EchoSampler, "x"), num_ranks=1, gpus_per_rank=1, wait_timeout=1.5, log=log)
    assert 1.5 <= time.monotonic() - start < 10
    assert str(caught.value) == (
        "1 ranks x 1 GPU(s) need 1 GPUs, but only 0 of the Ray cluster's 1 were free during 1.5 s (other jobs "
        "hold them); free them, lower data_parallel_size, or wait longer (EVALKIT_RAY_WAIT=SECONDS)"
    )
    assert log.getvalue().startswith("ray: 1 ranks x 1 GPU(s) need 1 GPUs: 0 of the cluster's 1 are free")
    threading.Timer(1.0, ray.kill, (trainer,)).start()  # the trainer gives its GPU back: the ranks start
    sampler = RaySampler(partial(EchoSampler, "x"), num_ranks=1, gpus_per_rank=1, wait_timeout=30, log=log)
    try:
        assert [c.text.split("|")[0] for _, c in sampler.stream(_jobs(3))] == ["p0", "p1", "p2"]
    finally:
        sampler.close()


def test_closing_a_stream_early_stops_the_ranks_and_the_sampler_goes_on(local_ray: None) -> None:
    from evalkit.sampling.ray_backend import RaySampler

    sampler = RaySampler(partial(StepSampler, 0.05), num_ranks=2, gpus_per_rank=0)
    try:
        stream = sampler.stream(_jobs(1000))
        for _ in range(5):
            next(stream)
        start = time.monotonic()
        stream.close()
        assert time.monotonic() - start < 5
        _check_each_once(list(sampler.stream(_jobs(40))), 40)
    finally:
        sampler.close()
