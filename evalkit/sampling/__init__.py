"""Samplers: vLLM (GPU), transformers (CPU or one GPU), OpenAI-compatible servers, Ray data parallel."""

from evalkit.sampling.base import Completion, SampleRequest, Sampler, SamplingParams, derive_seed

__all__ = ["Completion", "SampleRequest", "Sampler", "SamplingParams", "derive_seed"]
