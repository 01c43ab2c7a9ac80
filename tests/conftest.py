"""Shared fixtures: the benchmark data directory and a tiny locally built model."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"

# Tests read benchmark data through the product's own data-directory setting.
if "EVALKIT_DATA_DIR" not in os.environ and SHARED_BENCHMARKS.is_dir():
    os.environ["EVALKIT_DATA_DIR"] = str(SHARED_BENCHMARKS)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The benchmark data directory (``EVALKIT_DATA_DIR``, ../shared/benchmarks in CI)."""
    path = Path(os.environ.get("EVALKIT_DATA_DIR", SHARED_BENCHMARKS))
    if not (path / "math_500.jsonl").is_file():
        pytest.skip(f"benchmark data not found in {path}; set EVALKIT_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Qwen2 model with a freshly trained tokenizer, in HF format."""
    from evalkit.sampling.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))
