"""Stage 2, sampling: prompts -> completions. vLLM (GPU, or a CPU build of vLLM), transformers (CPU or one
GPU), OpenAI-compatible servers, Ray data parallel; ``troubleshooting`` turns engine failures into advice and
``tiny_model`` builds the random model the tests and demos use.

Backends are imported by ``make_sampler`` only when chosen, so importing this package stays light. Imports
nothing of evalkit's other stages.
"""

from evalkit.sampling.base import (
    BatchCall,
    Completion,
    Job,
    Sampler,
    SampleRequest,
    SamplingParams,
    derive_seed,
    sample,
)
from evalkit.sampling.factory import BACKENDS, make_sampler

__all__ = [
    "BACKENDS",
    "BatchCall",
    "Completion",
    "Job",
    "SampleRequest",
    "Sampler",
    "SamplingParams",
    "derive_seed",
    "make_sampler",
    "sample",
]
