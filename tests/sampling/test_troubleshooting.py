"""diagnose(): the users' guide's troubleshooting, recognised in error text and logs."""

import pytest

from evalkit.sampling.troubleshooting import SYMPTOMS, diagnose, diagnose_exception

TORCH_OOM = (
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of "
    "79.19 GiB of which 1.12 GiB is free."
)
LOGS = {
    "cuda_oom": f"(actor_train pid=4242) Traceback (most recent call last):\n{TORCH_OOM}",
    "cuda_error_oom": "RuntimeError: CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported",
    "cpu_swap_space": "RuntimeError: Aborted due to the lack of CPU swap space. Please increase the swap space.",
    "illegal_memory_access": "RuntimeError: CUDA error: an illegal memory access was encountered",
    "engine_dead": "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace.",
}


def test_every_symptom_has_a_sample_log() -> None:
    assert set(LOGS) == {s.name for s in SYMPTOMS}


@pytest.mark.parametrize("name", sorted(LOGS))
def test_each_symptom_is_recognised_alone(name: str) -> None:
    assert [d.name for d in diagnose(LOGS[name])] == [name]


def test_matching_ignores_case() -> None:
    assert [d.name for d in diagnose("cuda OUT OF MEMORY")] == ["cuda_oom"]


def test_clean_log_has_no_diagnosis() -> None:
    assert diagnose("INFO step 3/19 finished. Average #tokens per batch is 111847.") == []


def test_whole_log_lists_every_symptom_once_in_table_order() -> None:
    log = "\n".join([LOGS["illegal_memory_access"], LOGS["cuda_oom"], LOGS["cuda_oom"]])
    assert [d.name for d in diagnose(log)] == ["cuda_oom", "illegal_memory_access"]


@pytest.mark.parametrize(
    ("name", "must_mention"),
    [
        (
            "cuda_oom",
            [
                "max_num_seqs",
                "gpu_memory_utilization",
                "max_model_len",
                "tensor_parallel_size",
                "max_tokens_per_mb",
            ],
        ),
        ("cuda_error_oom", ["swap_space"]),
        ("cpu_swap_space", ["swap_space", "max_num_seqs", "kv_cache_memory_bytes", "kv_offloading_size"]),
        ("illegal_memory_access", ["max_num_seqs", "attention_backend", "group_size"]),
        ("engine_dead", ["resume"]),
    ],
)
def test_advice_says_what_to_change(name: str, must_mention: list[str]) -> None:
    (found,) = diagnose(LOGS[name])
    lines = found.advice.splitlines()
    assert lines and all(line.startswith("- ") for line in lines)
    for option in must_mention:
        assert option in found.advice


def test_exception_diagnosis_reads_type_and_cause_chain() -> None:
    torch = pytest.importorskip("torch")
    try:
        try:
            raise torch.OutOfMemoryError("Tried to allocate 2.50 GiB")
        except torch.OutOfMemoryError as inner:
            raise RuntimeError("generation failed") from inner
    except RuntimeError as outer:
        assert [d.name for d in diagnose_exception(outer)] == ["cuda_oom"]


def test_unrelated_exception_has_no_diagnosis() -> None:
    assert diagnose_exception(ValueError("bad prompt")) == []
