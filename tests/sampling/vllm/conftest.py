"""Fixtures of the real-vLLM tests (marker ``vllm``, run by scripts/ci_vllm_cpu.sh)."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def vllm_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight model (vLLM's CPU attention needs head_dim >= 32), where vLLM can run."""
    from transformers import AutoConfig

    from evalkit.sampling.tiny_model import build_tiny_model
    from evalkit.sampling.vllm_backend import detect_platform

    if not detect_platform().usable:
        pytest.skip("the installed vLLM finds no device to run on here (a GPU build without a GPU?)")

    path = build_tiny_model(tmp_path_factory.mktemp("vllm_tiny_model"))
    config = AutoConfig.from_pretrained(path)
    assert config.hidden_size // config.num_attention_heads >= 32, "vLLM on CPU rejects head_dim < 32"
    return path
