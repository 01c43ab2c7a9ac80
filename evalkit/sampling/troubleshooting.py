"""Known GPU and vLLM failures, recognised in error text or logs, with what to change (from the users' guide).

``diagnose(text)`` is used by the vLLM sampler on its exceptions and by the training log monitor on logs.
"""

import re
from dataclasses import dataclass

PREEMPTION_DOCS = "https://docs.vllm.ai/en/stable/configuration/optimization/"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A recognised failure: ``message`` says what happened, ``advice`` (one "- " line per fix) what to change."""

    name: str
    message: str
    advice: str


@dataclass(frozen=True, slots=True)
class Symptom:
    """A failure recognised by a case-insensitive regular expression."""

    name: str
    pattern: str
    message: str
    advice: tuple[str, ...]

    def diagnosis(self) -> Diagnosis:
        return Diagnosis(self.name, self.message, "\n".join(f"- {line}" for line in self.advice))


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        name="cuda_oom",
        pattern=r"CUDA out of memory|torch\.(?:cuda\.)?OutOfMemoryError|CudaOutOfMemoryError",
        message="The GPU ran out of memory (CUDA out of memory).",
        advice=(
            "If it happens at start-up, look for leftover processes on the GPU (nvidia-smi): restart the "
            "Ray cluster, or end the stale process on a single machine.",
            "Evaluation (vLLM): lower max_num_seqs (fewer sequences decoded at once) or gpu_memory_utilization "
            "(more headroom outside vLLM's KV cache), set a shorter max_model_len, or raise "
            "tensor_parallel_size to spread the model over more GPUs.",
            "Training, in ref_inf or actor_train: lower {actor_train|ref_inf}.mb_spec.max_tokens_per_mb "
            "(e.g. 20480; not below the longest prompt + generation), or change allocation_mode to less data "
            "parallelism and more tensor or pipeline parallelism.",
        ),
    ),
    Symptom(
        name="cuda_error_oom",
        pattern=r"CUDA error: out of memory",
        message="CUDA error: out of memory, usually while vLLM allocates pinned CPU memory (the CPU KV cache): "
        "the machine's RAM is short.",
        advice=(
            "vLLM < 0.18 (V0 engine): lower swap_space (AReaL: actor.vllm.swap_space).",
            "Current vLLM has no swap space: lower kv_offloading_size or cpu_offload_gb if you set them, or run "
            "fewer engines per machine.",
        ),
    ),
    Symptom(
        name="cpu_swap_space",
        pattern=r"Aborted due to the lack of CPU swap space",
        message="vLLM preempted long sequences by swapping their KV cache to CPU memory and the swap space "
        "ran out (the sequences need more KV cache than the GPU holds).",
        advice=(
            "vLLM < 0.18 (V0 engine, the only one that swaps): raise swap_space (AReaL: "
            "actor.vllm.swap_space); if it recurs, lower max_num_seqs (AReaL: actor.vllm.max_num_seqs). "
            f"See vLLM's notes on preemption: {PREEMPTION_DOCS}",
            "Current vLLM (V1) preempts by recomputation and has no swap_space: to preempt less, give the KV "
            "cache more room (raise gpu_memory_utilization or set kv_cache_memory_bytes, lower max_num_seqs or "
            "max_model_len, raise tensor_parallel_size); kv_offloading_size (GiB) keeps KV cache in CPU memory.",
        ),
    ),
    Symptom(
        name="illegal_memory_access",
        pattern=r"an illegal memory access was encountered",
        message="CUDA illegal memory access: during vLLM generation this is usually another sign of running "
        "short of GPU memory.",
        advice=(
            "Evaluation (vLLM): lower max_num_seqs or gpu_memory_utilization and keep enforce_eager=True; try "
            "another attention backend, e.g. VLLMConfig(extra={'attention_backend': 'TRITON_ATTN'}) (the "
            "xformers backend the guide names no longer exists in current vLLM); rerun with "
            "CUDA_LAUNCH_BLOCKING=1 to find the failing kernel.",
            "Training: lower the batch size (dataset.train_bs_n_seqs) or the answers per prompt (group_size); "
            "this costs sample efficiency and time.",
        ),
    ),
    Symptom(
        name="engine_dead",
        pattern=r"EngineDeadError|EngineCore encountered an issue|Engine core initialization failed",
        message="vLLM's engine process died; its own traceback, printed earlier in the log, names the cause.",
        advice=(
            "Look above in the log for 'CUDA out of memory', 'illegal memory access' or 'Error', or run "
            "evalkit.sampling.troubleshooting.diagnose() on the log to get the fix.",
            "Samples already written to the run directory are kept: rerun the same command to resume.",
        ),
    ),
)

_COMPILED = tuple((symptom, re.compile(symptom.pattern, re.IGNORECASE)) for symptom in SYMPTOMS)


def diagnose(text: str) -> list[Diagnosis]:
    """Every known failure found in ``text`` (an error message or a whole log), in ``SYMPTOMS`` order."""
    return [symptom.diagnosis() for symptom, regex in _COMPILED if regex.search(text)]


def diagnose_exception(exc: BaseException) -> list[Diagnosis]:
    """``diagnose`` over the exception, its type and its chain of causes."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}: {current}")
        current = current.__cause__ or current.__context__
    return diagnose("\n".join(parts))
