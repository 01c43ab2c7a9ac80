"""``make_sampler``: one entry point for every backend; backends are imported only when chosen."""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from evalkit.sampling.base import Sampler

BACKENDS = ("vllm", "transformers", "openai")


def make_sampler(
    backend: str,
    model_path: str | Path,
    *,
    data_parallel_size: int = 1,
    ray_address: str | None = None,
    ray_options: dict[str, Any] | None = None,
    **options: Any,
) -> Sampler:
    """Build a sampler; ``data_parallel_size > 1`` or a ``ray_address`` wraps it in a ``RaySampler``.

    ``ray_options`` go to ``RaySampler`` (``max_restarts``, ``wait_timeout``, ``max_backlog``, ``log``, ...).
    Ranks that hold no GPU (CPU engines) are spread over the cluster's nodes (Ray's SPREAD strategy).

    ``options`` go to the backend: ``TransformersSampler`` keywords, ``OpenAISampler`` keywords
    (``base_url`` required; ``model`` defaults to ``model_path``), or ``VLLMConfig`` fields (or a
    ready ``config=VLLMConfig(...)``). Each Ray rank holds ``tensor_parallel_size`` GPUs for vLLM
    (none with a CPU build of vLLM), one GPU for transformers (none with ``device="cpu"``).
    """
    factory, gpus = _factory(backend, str(model_path), options)
    if data_parallel_size == 1 and ray_address is None:
        return factory()
    if backend == "openai":
        raise ValueError(
            "the openai backend parallelises on the server: raise max_concurrency instead of using Ray"
        )
    from evalkit.sampling.ray_backend import RaySampler

    if backend == "vllm" and _vllm_on_cpu():
        gpus = 0
    ray_options = {"spread": gpus == 0, **(ray_options or {})}
    return RaySampler(
        factory, num_ranks=data_parallel_size, gpus_per_rank=gpus, ray_address=ray_address, **ray_options
    )


def _vllm_on_cpu() -> bool:
    """Whether vLLM here is a CPU build (vLLM's own detection), whose ranks hold no GPU."""
    from evalkit.sampling.vllm_backend import detect_platform, vllm_installed

    return vllm_installed() and detect_platform().device_type == "cpu"


def _factory(backend: str, model_path: str, options: dict[str, Any]) -> tuple[Callable[[], Sampler], float]:
    """The backend's constructor with its arguments bound (picklable for Ray), and the GPUs one instance needs."""
    if backend == "transformers":
        from evalkit.sampling.transformers_backend import TransformersSampler

        return partial(TransformersSampler, model_path, **options), 0 if options.get("device") == "cpu" else 1
    if backend == "openai":
        from evalkit.sampling.openai_backend import OpenAISampler

        return partial(OpenAISampler, **{"model": model_path, **options}), 0
    if backend == "vllm":
        from evalkit.sampling.vllm_backend import VLLMConfig, VLLMSampler

        config = options.pop("config", None)
        if config is None:
            config = VLLMConfig(**options)
        elif options:
            raise ValueError(f"pass either config= or VLLMConfig fields, not both (got {sorted(options)})")
        return partial(VLLMSampler, model_path, config), config.tensor_parallel_size
    raise ValueError(f"unknown sampling backend {backend!r}; choose one of {', '.join(BACKENDS)}")
