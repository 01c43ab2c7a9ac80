"""evalkit: trustworthy math-reasoning evaluation and RL reward for LLM checkpoints.

Data flows one way: benchmark -> prompt -> sampler -> responses -> grader -> scores -> metrics -> report.
Heavy parts (sympy, transformers, vllm) are imported lazily by the modules that need them.
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "grade": "evalkit.graders",
    "grade_many": "evalkit.graders",
    "Verdict": "evalkit.graders",
    "load_benchmark": "evalkit.benchmarks.loading",
    "evaluate": "evalkit.evaluation",
    "EvalResults": "evalkit.evaluation",
    "EvalConfig": "evalkit.run.config",
    "BackendConfig": "evalkit.run.config",
    "OutputConfig": "evalkit.run.config",
    "RunConfig": "evalkit.run.config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = ["__version__", *_LAZY]
