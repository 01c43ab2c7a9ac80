"""Samplers: vLLM (GPU), transformers (CPU or one GPU), OpenAI-compatible servers, Ray data parallel.

Backends are imported by ``make_sampler`` only when chosen, so importing this package stays light.
"""

from evalkit.sampling.base import Completion, Sampler, SampleRequest, SamplingParams, derive_seed
from evalkit.sampling.factory import BACKENDS, make_sampler

__all__ = [
    "BACKENDS",
    "Completion",
    "SampleRequest",
    "Sampler",
    "SamplingParams",
    "derive_seed",
    "make_sampler",
]
