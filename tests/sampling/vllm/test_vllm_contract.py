"""Contract of the vLLM backend with the installed vLLM (CPU is enough): options, sampling, outputs.

Run in an environment with vLLM (scripts/ci_vllm_cpu.sh; scripts/vllm_contract.sh for the CUDA wheel):
``pytest tests/sampling/vllm -m vllm``.
"""

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest

NO_VLLM = "vllm not installed: run scripts/ci_vllm_cpu.sh for the vLLM contract"
vllm = pytest.importorskip("vllm", reason=NO_VLLM)

from vllm.engine.arg_utils import EngineArgs  # noqa: E402
from vllm.outputs import CompletionOutput, RequestOutput  # noqa: E402
from vllm.sampling_params import SamplingType  # noqa: E402
from vllm.v1.engine.llm_engine import LLMEngine  # noqa: E402

from evalkit.sampling import vllm_backend  # noqa: E402
from evalkit.sampling.base import Completion, SampleRequest, SamplingParams  # noqa: E402
from evalkit.sampling.troubleshooting import SYMPTOMS  # noqa: E402
from evalkit.sampling.vllm_backend import VLLMSampler, engine_options, to_completion  # noqa: E402
from evalkit.sampling.vllm_options import REPLACED_OPTIONS, VLLMConfig, engine_kwargs, sampling_kwargs  # noqa: E402

pytestmark = pytest.mark.vllm

CONFIGS = {
    "default": VLLMConfig(),
    "cuda_graphs": VLLMConfig(enforce_eager=False),
    "tensor_parallel": VLLMConfig(tensor_parallel_size=4),
    "custom_all_reduce": VLLMConfig(tensor_parallel_size=2, disable_custom_all_reduce=False),
    "chunked_prefill": VLLMConfig(enable_chunked_prefill=True),
    "max_model_len": VLLMConfig(max_model_len=1024),
    "memory": VLLMConfig(gpu_memory_utilization=0.5, max_num_seqs=64),
    "seed_dtype_remote_code": VLLMConfig(seed=7, dtype="bfloat16", trust_remote_code=True),
    "areal_legacy": VLLMConfig(trust_remote_code=True, max_model_len=1024, swap_space=32),
    "advised_extras": VLLMConfig(
        extra={
            "attention_backend": "TRITON_ATTN",
            "kv_offloading_size": 4.0,
            "cpu_offload_gb": 2.0,
        },
        kv_cache_memory_bytes=8 << 30,
    ),
}
# Engine options that notes and troubleshooting advice tell users to change.
ADVISED = (
    "gpu_memory_utilization",
    "max_num_seqs",
    "max_model_len",
    "tensor_parallel_size",
    "kv_cache_memory_bytes",
    "kv_offloading_size",
    "cpu_offload_gb",
    "attention_backend",
    "enforce_eager",
)
SAMPLING = {
    "greedy": SamplingParams(temperature=0.0, top_p=1.0, max_new_tokens=32768),
    "areal_sampling": SamplingParams(temperature=0.6, top_p=0.95, top_k=-1, max_new_tokens=32768),
    "top_k": SamplingParams(temperature=1.0, top_p=1.0, top_k=20, max_new_tokens=16),
}


def _fields() -> set[str]:
    return {f.name for f in dataclasses.fields(EngineArgs)}


def test_engine_options_are_read_from_engine_args() -> None:
    assert engine_options() == _fields()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_engine_options_construct_engine_args(name: str) -> None:
    kwargs, notes = engine_kwargs(CONFIGS[name], engine_options())
    assert set(kwargs) <= _fields()
    args = EngineArgs(model="some/model", **kwargs)
    for option, value in kwargs.items():
        assert getattr(args, option) == value, option
    assert all(note.startswith("dropped swap_space") for note in notes)


def test_swap_space_is_translated_not_passed() -> None:
    if "swap_space" in _fields():
        pytest.skip(f"vLLM {vllm.__version__} still accepts swap_space")
    kwargs, notes = engine_kwargs(CONFIGS["areal_legacy"], engine_options())
    assert "swap_space" not in kwargs and len(notes) == 1
    with pytest.raises(TypeError, match="swap_space"):
        EngineArgs(model="some/model", swap_space=32)


def test_advised_options_exist() -> None:
    advice = " ".join([*REPLACED_OPTIONS.values(), *(line for s in SYMPTOMS for line in s.advice)])
    for option in ADVISED:
        assert option in _fields(), option
    for option in ADVISED[:-1]:
        assert option in advice, option


@pytest.mark.parametrize("name", ["default", "max_model_len", "seed_dtype_remote_code", "areal_legacy"])
def test_model_options_are_valid_for_a_real_model(name: str, tiny_model_dir: Path) -> None:
    kwargs, _ = engine_kwargs(CONFIGS[name], engine_options())
    model_config = EngineArgs(model=str(tiny_model_dir), **kwargs).create_model_config()
    assert model_config.enforce_eager is kwargs["enforce_eager"]
    assert model_config.seed == kwargs["seed"]
    if "max_model_len" in kwargs:
        assert model_config.max_model_len == kwargs["max_model_len"]


@pytest.mark.parametrize("name", sorted(SAMPLING))
def test_sampling_parameters_build_vllm_sampling_params(name: str) -> None:
    params = SAMPLING[name]
    built = vllm.SamplingParams(**sampling_kwargs(params, 1234))
    assert (built.n, built.max_tokens) == (1, params.max_new_tokens)
    if params.greedy:
        assert built.sampling_type == SamplingType.GREEDY
    else:
        assert built.sampling_type == SamplingType.RANDOM_SEED and built.seed == 1234
        assert (built.temperature, built.top_p) == (params.temperature, params.top_p)
        assert built.top_k == max(params.top_k, 0)


def test_output_fields_the_backend_reads_exist() -> None:
    assert {"text", "token_ids", "finish_reason"} <= {f.name for f in dataclasses.fields(CompletionOutput)}
    assert "outputs" in inspect.signature(RequestOutput.__init__).parameters


def _request_output(text: str, token_ids: list[int], finish_reason: str | None, request_id: str = "0") -> Any:
    completion = CompletionOutput(
        index=0,
        text=text,
        token_ids=token_ids,
        cumulative_logprob=None,
        logprobs=None,
        finish_reason=finish_reason,
    )
    return RequestOutput(
        request_id=request_id,
        prompt="p",
        prompt_token_ids=[1],
        prompt_logprobs=None,
        outputs=[completion],
        finished=True,
    )


@pytest.mark.parametrize(("reason", "expected"), [("length", "length"), ("stop", "stop"), ("abort", "stop")])
def test_request_output_converts_to_completion(reason: str, expected: str) -> None:
    assert to_completion(_request_output("x = 1", [5, 6, 7], reason), 9) == Completion(
        "x = 1", 3, expected, 9
    )


class ContractEngine:
    """vLLM's LLMEngine without a device: binds every call against the installed engine's signatures."""

    def __init__(self) -> None:
        self.added: list[tuple[str, Any, Any]] = []

    def add_request(self, *args: Any, **kwargs: Any) -> None:
        bound = inspect.signature(LLMEngine.add_request).bind(self, *args, **kwargs).arguments
        assert isinstance(bound["request_id"], str) and isinstance(bound["params"], vllm.SamplingParams)
        self.added.append((bound["request_id"], bound["prompt"], bound["params"]))

    def step(self, *args: Any, **kwargs: Any) -> list[Any]:
        inspect.signature(LLMEngine.step).bind(self, *args, **kwargs)
        finished, self.added = self.added, []
        return [_request_output(f"{p}/{s.seed}", [1] * (s.seed or 1), "stop", rid) for rid, p, s in finished]

    def abort_request(self, *args: Any, **kwargs: Any) -> None:
        inspect.signature(LLMEngine.abort_request).bind(self, *args, **kwargs)


class ContractLLM:
    """vllm.LLM without a device: its options build real EngineArgs; its engine is a ContractEngine."""

    def __init__(self, model: str, **kwargs: Any) -> None:
        self.engine_args = EngineArgs(model=model, **kwargs)
        self.llm_engine = ContractEngine()


def test_sampler_drives_the_installed_vllm_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vllm_backend, "detect_platform", lambda: vllm_backend.VLLMPlatform("cuda", 1, "GPU"))
    monkeypatch.setattr(vllm_backend, "ENGINE", vllm_backend.EngineSlot())
    monkeypatch.setattr(vllm, "LLM", ContractLLM)
    sampler = VLLMSampler("some/model", CONFIGS["areal_legacy"])
    out = sampler([SampleRequest("a", (2, 3)), SampleRequest("b", (4,))], SAMPLING["areal_sampling"])
    assert out == [
        [Completion("a/2", 2, "stop", 2), Completion("a/3", 3, "stop", 3)],
        [Completion("b/4", 4, "stop", 4)],
    ]
    description = sampler.describe()
    assert description["vllm_version"] == vllm.__version__
    assert description["engine"]["enforce_eager"] is True and "swap_space" not in description["engine"]


def test_no_platform_fails_before_building_an_engine() -> None:
    if vllm_backend.detect_platform().usable:
        pytest.skip(f"vLLM runs here ({vllm_backend.detect_platform().device_type})")
    with pytest.raises(vllm_backend.BackendUnavailable, match="vLLM finds no device to run on here"):
        VLLMSampler("some/model")
