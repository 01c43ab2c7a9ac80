"""The vLLM backend without vLLM: option translation, fast failures, sampling and error wrapping on fakes."""

import pickle
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from evalkit.sampling import vllm_backend
from evalkit.sampling.base import Completion, Job, SampleRequest, SamplingParams
from evalkit.sampling.errors import BackendUnavailable, EngineFailure
from evalkit.sampling.vllm_backend import VLLMApi, VLLMSampler, load_vllm
from evalkit.sampling.vllm_options import VLLMConfig, areal_max_model_len, engine_kwargs, sampling_kwargs

AREAL_DEFAULTS = {
    "enforce_eager": True,
    "tensor_parallel_size": 1,
    "gpu_memory_utilization": 0.9,
    "seed": 0,
    "trust_remote_code": False,
    "disable_custom_all_reduce": True,
    "enable_chunked_prefill": False,
    "dtype": "auto",
    "disable_sliding_window": True,
}
CURRENT = frozenset(AREAL_DEFAULTS) | {"max_model_len", "max_num_seqs", "attention_backend"}
LEGACY = CURRENT | {"swap_space"}


def test_default_options_are_areals_and_leave_unset_ones_to_vllm() -> None:
    assert engine_kwargs(VLLMConfig().on_platform("cuda"), CURRENT) == (AREAL_DEFAULTS, [])


def test_max_model_len_is_areals_capped_at_what_the_model_supports() -> None:
    assert areal_max_model_len(None) == 32768
    assert areal_max_model_len({"max_position_embeddings": 131072}) == 32768
    assert areal_max_model_len({"max_position_embeddings": 4096}) == 4096
    assert areal_max_model_len({"max_position_embeddings": 4096, "rope_scaling": {"factor": 4.0}}) == 16384


def test_cpu_gets_a_fixed_kv_cache_instead_of_a_share_of_host_memory() -> None:
    kwargs, _ = engine_kwargs(VLLMConfig().on_platform("cpu"), CURRENT | {"kv_cache_memory_bytes"})
    assert "gpu_memory_utilization" not in kwargs and kwargs["kv_cache_memory_bytes"] == 2 * 1024**3
    given = VLLMConfig(gpu_memory_utilization=0.3)
    assert given.on_platform("cpu") == given and given.on_platform("cuda") == given


def test_set_options_are_passed() -> None:
    config = VLLMConfig(max_model_len=32768, max_num_seqs=64, tensor_parallel_size=2, enforce_eager=False)
    kwargs, notes = engine_kwargs(config.on_platform("cuda"), CURRENT)
    assert kwargs == {
        **AREAL_DEFAULTS,
        "max_model_len": 32768,
        "max_num_seqs": 64,
        "tensor_parallel_size": 2,
        "enforce_eager": False,
    }
    assert notes == []


def test_swap_space_is_dropped_by_current_vllm_with_its_replacements() -> None:
    kwargs, notes = engine_kwargs(VLLMConfig(swap_space=32), CURRENT)
    assert "swap_space" not in kwargs
    (note,) = notes
    assert note.startswith("dropped swap_space=32")
    for replacement in ("kv_cache_memory_bytes", "kv_offloading_size", "cpu_offload_gb", "max_num_seqs"):
        assert replacement in note


def test_swap_space_reaches_a_vllm_that_accepts_it() -> None:
    assert engine_kwargs(VLLMConfig(swap_space=32), LEGACY)[0]["swap_space"] == 32


def test_extra_options_are_checked_like_the_others() -> None:
    config = VLLMConfig(extra={"attention_backend": "TRITON_ATTN", "no_such_option": 1})
    kwargs, notes = engine_kwargs(config, CURRENT)
    assert kwargs["attention_backend"] == "TRITON_ATTN"
    assert "no_such_option" not in kwargs
    assert notes == ["dropped no_such_option=1: not an engine option of the installed vLLM"]


def test_without_accepted_set_everything_is_returned_unchecked() -> None:
    assert engine_kwargs(VLLMConfig(swap_space=4).on_platform("cuda"), None) == (
        {**AREAL_DEFAULTS, "swap_space": 4},
        [],
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"tensor_parallel_size": 0},
        {"gpu_memory_utilization": 0.0},
        {"gpu_memory_utilization": 1.5},
        {"max_model_len": 0},
        {"max_num_seqs": -1},
        {"extra": {"enforce_eager": False}},
        {"extra": {"model": "other"}},
    ],
)
def test_invalid_configs_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        VLLMConfig(**bad)


def test_sampled_request_has_its_own_seed_and_vllm_top_k_semantics() -> None:
    params = SamplingParams(temperature=0.6, top_p=0.95, top_k=-1, max_new_tokens=1024)
    assert sampling_kwargs(params, 1234) == {
        "n": 1,
        "temperature": 0.6,
        "top_p": 0.95,
        "top_k": 0,
        "max_tokens": 1024,
        "seed": 1234,
        "stop": [],
        "stop_token_ids": [],
    }
    assert sampling_kwargs(SamplingParams(top_k=20), 1)["top_k"] == 20
    stops = sampling_kwargs(SamplingParams(stop=("</s>",), stop_token_ids=(151645, 151643)), 1)
    assert (stops["stop"], stops["stop_token_ids"]) == (["</s>"], [151645, 151643])


def test_greedy_request_ignores_top_p_top_k_and_seed() -> None:
    kwargs = sampling_kwargs(SamplingParams(temperature=0.0, top_p=0.5, top_k=5), 7)
    assert (kwargs["temperature"], kwargs["top_p"], kwargs["top_k"], kwargs["seed"]) == (0.0, 1.0, 0, None)


# --- fast failures --------------------------------------------------------------------------------


def test_missing_vllm_fails_with_install_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vllm_backend, "vllm_installed", lambda: False)
    with pytest.raises(
        BackendUnavailable, match=r"pip install 'evalkit\[vllm\]' in a separate environment"
    ) as info:
        VLLMSampler("/models/m")
    assert "\n" not in str(info.value)


def test_no_gpu_fails_fast_with_one_line_naming_other_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vllm_backend, "vllm_installed", lambda: True)
    monkeypatch.setattr(vllm_backend, "detect_platform", lambda: vllm_backend.VLLMPlatform("", 0, ""))
    with pytest.raises(BackendUnavailable) as info:
        VLLMSampler("/models/m")
    message = str(info.value)
    assert "vLLM finds no device to run on here" in message and "\n" not in message
    assert "--backend transformers" in message and "--backend openai --base_url" in message


def test_too_few_gpus_for_tensor_parallelism(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vllm_backend, "vllm_installed", lambda: True)
    monkeypatch.setattr(vllm_backend, "detect_platform", lambda: vllm_backend.VLLMPlatform("cuda", 2, "GPU"))
    with pytest.raises(BackendUnavailable, match="tensor_parallel_size=4 needs 4 cuda devices but 2 visible"):
        load_vllm(4)


# --- the sampler on a fake engine -----------------------------------------------------------------


class FakeEngine:
    """Stands in for vLLM's LLMEngine: finishes one request per step, the newest first (not in the order
    added), answering with the request's seed; records what was added and aborted."""

    def __init__(self) -> None:
        self.added: list[tuple[str, str, dict[str, Any]]] = []
        self.aborted: list[str] = []
        self.open: list[tuple[str, str, dict[str, Any]]] = []
        self.most_open = 0

    def add_request(self, request_id: str, prompt: str, params: dict[str, Any]) -> None:
        self.added.append((request_id, prompt, params))
        self.open.append((request_id, prompt, params))
        self.most_open = max(self.most_open, len(self.open))

    def step(self) -> list[Any]:
        if FakeLLM.fail_with is not None:
            raise FakeLLM.fail_with
        request_id, prompt, params = self.open.pop()
        seed = params["seed"]
        first = SimpleNamespace(
            text=f"{prompt}|{seed}",
            token_ids=[1] * (3 if seed is None else seed % 5),
            finish_reason="length" if seed == 3 else "stop",
        )
        return [SimpleNamespace(request_id=request_id, finished=True, outputs=[first])]

    def abort_request(self, request_ids: list[str]) -> None:
        self.aborted += request_ids
        self.open = [r for r in self.open if r[0] not in request_ids]


class FakeLLM:
    """Stands in for vllm.LLM: records its options; its ``llm_engine`` is a ``FakeEngine``."""

    built: ClassVar[list[dict[str, Any]]] = []
    fail_with: ClassVar[Exception | None] = None

    def __init__(self, model: str, **kwargs: Any) -> None:
        FakeLLM.built.append({"model": model, **kwargs})
        self.llm_engine = FakeEngine()


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> type[FakeLLM]:
    api = VLLMApi("0.0-fake", FakeLLM, dict, frozenset(CURRENT))
    monkeypatch.setattr(vllm_backend, "load_vllm", lambda tensor_parallel_size=1: api)
    monkeypatch.setattr(vllm_backend, "ENGINE", vllm_backend.EngineSlot())
    monkeypatch.setattr(FakeLLM, "built", [])
    monkeypatch.setattr(FakeLLM, "fail_with", None)
    return FakeLLM


def test_one_completion_per_seed_in_seed_order(fake_vllm: type[FakeLLM]) -> None:
    sampler = VLLMSampler("/models/m", VLLMConfig(swap_space=16))
    requests = [SampleRequest("a", (3, 4)), SampleRequest("b", ()), SampleRequest("c", (6,))]
    out = sampler(requests, SamplingParams(temperature=0.6))
    assert out == [
        [Completion("a|3", 3, "length", 3), Completion("a|4", 4, "stop", 4)],
        [],
        [Completion("c|6", 1, "stop", 6)],
    ]
    added = sampler._llm.llm_engine.added
    assert [prompt for _, prompt, _ in added] == ["a", "a", "c"]
    assert [p["seed"] for _, _, p in added] == [3, 4, 6] and {p["n"] for _, _, p in added} == {1}


def test_greedy_completion_has_no_seed(fake_vllm: type[FakeLLM]) -> None:
    sampler = VLLMSampler("/models/m")
    (completions,) = sampler([SampleRequest("p", (0,))], SamplingParams(temperature=0.0))
    assert completions == [Completion("p|None", 3, "stop", None)]


def test_stream_yields_as_requests_finish_and_keeps_the_engine_topped_up(fake_vllm: type[FakeLLM]) -> None:
    sampler = VLLMSampler("/models/m")
    jobs = [Job(i, f"q{i}", 10 + i, SamplingParams()) for i in range(6)]
    assert [i for i, _ in sampler.stream(jobs)] == [5, 4, 3, 2, 1, 0]  # all added up front, newest done first
    engine = sampler._llm.llm_engine
    assert engine.most_open == 6
    engine.most_open = 0
    done = [i for i, _ in sampler.stream(jobs, max_in_flight=2)]
    assert sorted(done) == list(range(6)) and engine.most_open == 2 and engine.aborted == []


def test_closing_the_stream_aborts_the_requests_in_flight(fake_vllm: type[FakeLLM]) -> None:
    sampler = VLLMSampler("/models/m")
    stream = sampler.stream([Job(i, f"q{i}", i, SamplingParams()) for i in range(4)])
    assert next(stream)[0] == 3
    stream.close()
    engine = sampler._llm.llm_engine
    assert sorted(engine.aborted) == sorted(r for r, _, _ in engine.added[:3]) and engine.open == []


def test_describe_lists_version_passed_flags_and_notes(fake_vllm: type[FakeLLM]) -> None:
    description = VLLMSampler("/models/m", VLLMConfig(swap_space=16)).describe()
    assert description["vllm_version"] == "0.0-fake"
    assert description["engine"] == {**AREAL_DEFAULTS, "max_model_len": 32768}  # AReaL's: no config.json here
    assert fake_vllm.built == [{"model": "/models/m", **AREAL_DEFAULTS, "max_model_len": 32768}]
    assert len(description["notes"]) == 1 and "swap_space" in description["notes"][0]


def test_engine_is_built_once_per_process(fake_vllm: type[FakeLLM]) -> None:
    first = VLLMSampler("/models/m")
    second = VLLMSampler("/models/m")
    assert first._llm is second._llm and len(fake_vllm.built) == 1
    with pytest.raises(BackendUnavailable, match="already holds a vLLM engine for /models/m"):
        VLLMSampler("/models/other")
    assert vllm_backend.ENGINE.key is not None and vllm_backend.ENGINE.key[0] == "/models/m"
    vllm_backend.ENGINE.release()  # the caller can see the held engine and let it go
    assert VLLMSampler("/models/other")._llm is not first._llm and len(fake_vllm.built) == 2


def test_out_of_memory_in_generate_becomes_advice(fake_vllm: type[FakeLLM]) -> None:
    sampler = VLLMSampler("/models/m")
    oom = RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB")
    fake_vllm.fail_with = oom
    with pytest.raises(EngineFailure) as info:
        sampler([SampleRequest("p", (1,))], SamplingParams())
    assert [d.name for d in info.value.diagnoses] == ["cuda_oom"]
    assert "What to change" in str(info.value) and "max_num_seqs" in str(info.value)
    assert info.value.__cause__ is oom
    restored = pickle.loads(pickle.dumps(info.value))
    assert restored.diagnoses == info.value.diagnoses


def test_unknown_engine_errors_pass_through_unchanged(fake_vllm: type[FakeLLM]) -> None:
    sampler = VLLMSampler("/models/m")
    fake_vllm.fail_with = ValueError("prompt too long")
    with pytest.raises(ValueError, match="prompt too long"):
        sampler([SampleRequest("p", (1,))], SamplingParams())


def test_failure_while_building_the_engine_is_diagnosed(
    fake_vllm: type[FakeLLM], monkeypatch: pytest.MonkeyPatch
) -> None:
    def dead(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Engine core initialization failed. See root cause above.")

    monkeypatch.setattr(
        vllm_backend, "load_vllm", lambda tensor_parallel_size=1: VLLMApi("x", dead, dict, CURRENT)
    )
    with pytest.raises(EngineFailure) as info:
        VLLMSampler("/models/m")
    assert [d.name for d in info.value.diagnoses] == ["engine_dead"]
    assert vllm_backend.ENGINE.key is None
