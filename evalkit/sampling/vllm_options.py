"""vLLM engine and sampling options, checked against the options the installed vLLM accepts.

Nothing here imports vLLM: the accepted engine options are passed in (the backend reads them from
``dataclasses.fields(vllm.engine.arg_utils.EngineArgs)``), so the translation is testable anywhere.
"""

from collections.abc import Mapping, Set
from dataclasses import dataclass, field, fields, replace
from typing import Any

from evalkit.sampling.base import SamplingParams

# Options removed from vLLM, with what to use instead. swap_space left EngineArgs in vLLM 0.18: the V1 engine
# preempts by recomputation and never allocated a CPU swap space.
REPLACED_OPTIONS: dict[str, str] = {
    "swap_space": (
        "this vLLM has no CPU swap space (the V1 engine preempts by recomputation); for fewer preemptions raise "
        "gpu_memory_utilization or set kv_cache_memory_bytes, lower max_num_seqs or max_model_len, or raise "
        "tensor_parallel_size; to use CPU memory set kv_offloading_size (KV cache, GiB) or cpu_offload_gb "
        "(weights, GiB) through VLLMConfig.extra"
    ),
}

AREAL_GPU_MEMORY_UTILIZATION = 0.9
AREAL_MAX_MODEL_LEN = 32768
CPU_KV_CACHE_BYTES = 2 * 1024**3


def areal_max_model_len(model_config: Mapping[str, Any] | None) -> int:
    """AReaL's ``max_model_len=32768``, capped at what the model supports (its ``max_position_embeddings``
    times a rope-scaling ``factor``), which vLLM would otherwise refuse. ``None``: a config not at hand."""
    if not model_config or not isinstance(model_config.get("max_position_embeddings"), int):
        return AREAL_MAX_MODEL_LEN
    scaling = model_config.get("rope_scaling") or {}
    factor = scaling.get("factor", 1.0) if isinstance(scaling, Mapping) else 1.0
    return min(AREAL_MAX_MODEL_LEN, int(model_config["max_position_embeddings"] * factor))


@dataclass(frozen=True)
class VLLMConfig:
    """Engine options of the vLLM backend; the defaults follow AReaL's evaluation (reproducible scores).

    ``None`` leaves an option to vLLM. ``swap_space`` is only passed to a vLLM that still accepts it.
    ``extra`` holds further ``vllm.LLM(...)`` keyword arguments, checked like the others.
    ``gpu_memory_utilization`` and ``kv_cache_memory_bytes`` unset are settled by :meth:`on_platform`;
    ``max_model_len`` unset becomes AReaL's (:func:`areal_max_model_len`) when the sampler is built.
    """

    enforce_eager: bool = True
    tensor_parallel_size: int = 1
    max_model_len: int | None = None
    disable_sliding_window: bool = True
    gpu_memory_utilization: float | None = None
    kv_cache_memory_bytes: int | None = None
    max_num_seqs: int | None = None
    seed: int = 0
    trust_remote_code: bool = False
    disable_custom_all_reduce: bool = True
    enable_chunked_prefill: bool = False
    swap_space: float | None = None
    dtype: str = "auto"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tensor_parallel_size < 1:
            raise ValueError(f"tensor_parallel_size must be >= 1, got {self.tensor_parallel_size}")
        if self.gpu_memory_utilization is not None and not 0.0 < self.gpu_memory_utilization <= 1.0:
            raise ValueError(f"gpu_memory_utilization must be in (0, 1], got {self.gpu_memory_utilization}")
        for name in ("max_model_len", "max_num_seqs", "kv_cache_memory_bytes"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {value}")
        clashes = sorted(set(self.extra) & ({f.name for f in fields(self)} | {"model"}))
        if clashes:
            raise ValueError(
                f"set {', '.join(clashes)} through VLLMConfig's own field(s) or model_path, not extra"
            )

    def on_platform(self, device_type: str) -> "VLLMConfig":
        """The memory settings for where the engine runs, unless one of them is given.

        On an accelerator: AReaL's ``gpu_memory_utilization=0.9``. On CPU vLLM reads that share as a share of
        the host's RAM, reserved up front and refused when not free (0.9 fails on any machine doing anything
        else), so a fixed KV cache of ``CPU_KV_CACHE_BYTES`` is set instead.
        """
        if self.gpu_memory_utilization is not None or self.kv_cache_memory_bytes is not None:
            return self
        if device_type == "cpu":
            return replace(self, kv_cache_memory_bytes=CPU_KV_CACHE_BYTES)
        return replace(self, gpu_memory_utilization=AREAL_GPU_MEMORY_UTILIZATION)


def engine_kwargs(config: VLLMConfig, accepted: Set[str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The ``vllm.LLM(model, **kwargs)`` keyword arguments for ``config`` and notes on what was changed.

    With ``accepted`` (the installed vLLM's engine options), an option it lacks is dropped with a note, and
    the note of a removed option names its replacements. ``None`` values are left to vLLM's defaults.
    """
    wanted: dict[str, Any] = {
        f.name: value
        for f in fields(config)
        if f.name != "extra" and (value := getattr(config, f.name)) is not None
    }
    wanted.update(config.extra)
    if accepted is None:
        return wanted, []
    kwargs: dict[str, Any] = {}
    notes: list[str] = []
    for name, value in wanted.items():
        if name in accepted:
            kwargs[name] = value
        elif name in REPLACED_OPTIONS:
            notes.append(f"dropped {name}={value!r}: {REPLACED_OPTIONS[name]}")
        else:
            notes.append(f"dropped {name}={value!r}: not an engine option of the installed vLLM")
    return kwargs, notes


def sampling_kwargs(params: SamplingParams, seed: int | None) -> dict[str, Any]:
    """``vllm.SamplingParams(**kwargs)`` for ONE completion drawn with ``seed``.

    One request per seed (``n=1``) makes each sample depend on its own seed only, so a resumed run redraws
    exactly the missing samples. Greedy (``temperature == 0``) ignores top-p/top-k and the seed. vLLM >= 0.9
    disables top-k with 0 (-1 is still accepted but deprecated); evalkit's ``top_k <= 0`` means disabled.
    """
    greedy = params.greedy
    return {
        "n": 1,
        "temperature": 0.0 if greedy else params.temperature,
        "top_p": 1.0 if greedy else params.top_p,
        "top_k": 0 if greedy else max(params.top_k, 0),
        "max_tokens": params.max_new_tokens,
        "seed": None if greedy else seed,
        "stop": list(params.stop),
        "stop_token_ids": list(params.stop_token_ids),
    }
