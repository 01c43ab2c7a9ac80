"""RaySampler on a two-node Ray cluster on 127.0.0.1 (Ray's own test cluster: a head and a second raylet on this
host): CPU ranks are spread one per node, the queue stays on the driver's node, and losing the other node
loses nothing. The cluster is this module's own (random ports, its own processes), removed at the end."""

import io
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from .test_ray_backend import StepSampler, _check_each_once, _jobs, on_loopback

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[Any]:
    from ray import cluster_utils

    ray.cloudpickle.register_pickle_by_value(sys.modules[StepSampler.__module__])
    patch = on_loopback()
    # Ray's test cluster writes its address to /tmp/ray/ray_current_cluster, where `ray.init("auto")` of
    # anyone else on this host would find it: not here.
    patch.setattr(ray._private.utils, "write_ray_address", lambda *args, **kwargs: None)
    cluster = cluster_utils.Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False},
    )
    try:
        worker = cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        ray.init(address=cluster.address, log_to_driver=False)
        yield SimpleNamespace(cluster=cluster, worker=worker)
    finally:
        ray.shutdown()
        cluster.shutdown()
        patch.undo()


def test_a_cpu_cluster_gets_one_engine_per_node(two_nodes: Any) -> None:
    from evalkit.evaluation import _engines_for_all_gpus

    config = SimpleNamespace(
        backend=SimpleNamespace(ray_address=two_nodes.cluster.address, tensor_parallel_size=None)
    )
    log = io.StringIO()
    assert _engines_for_all_gpus(config, log) == 2
    assert log.getvalue() == "note: the Ray cluster has no GPU: one CPU engine per node (2)\n"


def test_make_sampler_spreads_ranks_that_hold_no_gpu(two_nodes: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.sampling import factory

    monkeypatch.setattr(factory, "_factory", lambda backend, path, options: (StepSampler, 0))
    sampler = factory.make_sampler(
        "transformers", "tiny", data_parallel_size=2, ray_options={"log": io.StringIO()}
    )
    try:
        assert len(set(sampler.where)) == 2  # one rank on each node
        _check_each_once(list(sampler.stream(_jobs(50))), 50)
    finally:
        sampler.close()


def test_cpu_ranks_are_spread_and_a_lost_node_loses_nothing(two_nodes: Any) -> None:
    """Last in this module: it removes the second node."""
    from evalkit.sampling.ray_backend import RaySampler

    log = io.StringIO()
    sampler = RaySampler(StepSampler, num_ranks=2, gpus_per_rank=0, spread=True, log=log)
    try:
        assert len(set(sampler.where)) == 2  # one rank on each node
        worker_node = two_nodes.worker.node_id
        (lost,) = [i for i, where in enumerate(sampler.where) if where.endswith(f"({worker_node[:8]})")]
        arrived = []
        for item in sampler.stream(_jobs(400)):
            arrived.append(item)
            if len(arrived) == 40:
                assert ray.get(sampler._hub.node_id.remote()) == ray.get_runtime_context().get_node_id()
                two_nodes.cluster.remove_node(two_nodes.worker)
        _check_each_once(arrived, 400)
        assert f"ray: rank {lost} on node 127.0.0.1 ({worker_node[:8]}) died: " in log.getvalue()
        assert sampler.engines_alive == 1
    finally:
        sampler.close()
