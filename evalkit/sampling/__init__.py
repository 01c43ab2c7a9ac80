"""Samplers: vLLM (GPU, or a CPU build of vLLM), transformers (CPU or one GPU), OpenAI-compatible servers, Ray data parallel.

Backends are imported by ``make_sampler`` only when chosen, so importing this package stays light.
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
