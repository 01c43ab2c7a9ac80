"""make_sampler: backend choice, option routing, lazy imports."""

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.sampling import make_sampler
from evalkit.sampling.errors import BackendUnavailable
from evalkit.sampling.openai_backend import OpenAISampler


def test_importing_the_package_loads_no_backend() -> None:
    code = "import sys, evalkit.sampling; print(sorted({'torch', 'ray', 'transformers', 'vllm'} & set(sys.modules)))"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "[]"


def test_transformers_backend(tiny_model_dir: Path) -> None:
    sampler = make_sampler("transformers", tiny_model_dir, device="cpu", batch_size=2)
    assert sampler.describe()["backend"] == "transformers" and sampler.describe()["batch_size"] == 2


def test_openai_backend_serves_model_path_by_default() -> None:
    sampler = make_sampler("openai", "/models/m", base_url="http://127.0.0.1:8000")
    assert isinstance(sampler, OpenAISampler) and sampler.model == "/models/m"
    assert make_sampler("openai", "/models/m", base_url="http://x/v1", model="served").model == "served"
    with pytest.raises(ValueError, match="max_concurrency instead of using Ray"):
        make_sampler("openai", "m", base_url="http://x", data_parallel_size=2)


def test_vllm_options_are_checked_before_the_engine_loads() -> None:
    with pytest.raises(TypeError, match="not_an_option"):
        make_sampler("vllm", "m", not_an_option=1)
    from evalkit.sampling.vllm_backend import VLLMConfig

    with pytest.raises(ValueError, match="either config= or VLLMConfig fields"):
        make_sampler("vllm", "m", config=VLLMConfig(), enforce_eager=False)


def test_vllm_without_vllm_or_gpu_says_what_to_do() -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    with pytest.raises(BackendUnavailable, match="--backend transformers"):
        make_sampler("vllm", "m")


def test_unknown_backend() -> None:
    with pytest.raises(
        ValueError, match="unknown sampling backend 'tgi'; choose one of vllm, transformers, openai"
    ):
        make_sampler("tgi", "m")
