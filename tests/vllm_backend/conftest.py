"""Fixtures of the real-vLLM tests (marker ``vllm``, run by scripts/ci_vllm_cpu.sh)."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def vllm_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight model; vLLM's CPU attention needs head_dim >= 32."""
    from transformers import AutoConfig

    from evalkit.tiny_model import build_tiny_model

    path = build_tiny_model(tmp_path_factory.mktemp("vllm_tiny_model"))
    config = AutoConfig.from_pretrained(path)
    assert config.hidden_size // config.num_attention_heads >= 32, "vLLM on CPU rejects head_dim < 32"
    return path
