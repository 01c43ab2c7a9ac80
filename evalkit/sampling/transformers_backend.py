"""Hugging Face transformers sampler: CPU or one GPU, left-padded batches, one RNG per sample.

Each sample draws from its own ``torch.Generator`` seeded with its seed, so a sample's text does not
depend on which other samples share its batch (up to floating-point noise from padding).
The model's own ``generation_config.json`` sampling defaults are ignored (as with vLLM's offline API
given explicit parameters): only ``SamplingParams`` and the EOS tokens count.
"""

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from evalkit.sampling.base import BatchCall, Completion, Job, SamplingParams
from evalkit.sampling.errors import BackendUnavailable


class _SeededSampling(LogitsProcessor):
    """Samples each row with its own generator, then leaves only the chosen token for generate's argmax."""

    def __init__(self, generators: list[torch.Generator], params: SamplingParams) -> None:
        self.generators = generators
        self.warpers: list[LogitsProcessor] = [TemperatureLogitsWarper(params.temperature)]
        if params.top_k > 0:
            self.warpers.append(TopKLogitsWarper(params.top_k))
        if params.top_p < 1.0:
            self.warpers.append(TopPLogitsWarper(params.top_p))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for warper in self.warpers:
            scores = warper(input_ids, scores)
        probs = scores.softmax(dim=-1)
        chosen = torch.cat(
            [torch.multinomial(row, 1, generator=g) for row, g in zip(probs, self.generators, strict=True)]
        )
        out = torch.full_like(scores, -float("inf"))
        return out.scatter_(1, chosen[:, None], 0.0)


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailable(f"device={device!r} requested but torch sees no CUDA GPU: use device='cpu'")
    return torch.device(device)


class TransformersSampler(BatchCall):
    """``AutoModelForCausalLM`` sampler with vLLM semantics (n seeds -> n completions, temperature 0 = greedy).

    ``dtype="auto"`` means float32 on CPU and the checkpoint's dtype on GPU.
    """

    name = "transformers"

    def __init__(
        self,
        model_path: str | Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 16,
        trust_remote_code: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model_path = str(model_path)
        self.device = _resolve_device(device)
        self.batch_size = batch_size
        self.trust_remote_code = trust_remote_code
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path, trust_remote_code=trust_remote_code)
        self.tokenizer.padding_side = "left"
        if dtype == "auto" and self.device.type == "cpu":
            dtype = "float32"
        self.model = AutoModelForCausalLM.from_pretrained(
            self.model_path, dtype=dtype, trust_remote_code=trust_remote_code
        ).to(self.device)
        self.model.eval()
        self.eos_token_ids = self._eos_token_ids()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token_id = self.eos_token_ids[0]
        self.pad_token_id: int = self.tokenizer.pad_token_id
        # Keep only the stop tokens from the checkpoint's generation config: SamplingParams decide the rest.
        self.model.generation_config = GenerationConfig(
            eos_token_id=self.eos_token_ids, pad_token_id=self.pad_token_id
        )

    def _eos_token_ids(self) -> list[int]:
        ids = [self.tokenizer.eos_token_id, self.model.generation_config.eos_token_id]
        flat = [i for item in ids for i in (item if isinstance(item, list) else [item]) if i is not None]
        if not flat:
            raise ValueError(
                f"{self.model_path}: neither the tokenizer nor generation_config names an EOS token"
            )
        return sorted(set(flat))

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model_path,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "device": self.device.type,
            "dtype": str(self.model.dtype).removeprefix("torch."),
            "batch_size": self.batch_size,
            "trust_remote_code": self.trust_remote_code,
            "attn_implementation": self.model.config._attn_implementation,
            "eos_token_ids": self.eos_token_ids,
        }

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        """Batches of ``batch_size`` jobs with the same parameters, longest prompts together; each batch's
        completions are yielded when it finishes. Jobs are read ``max_in_flight`` (default: all) at a time."""
        pending = iter(jobs)
        while window := list(itertools.islice(pending, max_in_flight)):
            encoded = {job.id: self.tokenizer(job.prompt)["input_ids"] for job in window}
            by_params: dict[SamplingParams, list[Job]] = {}
            for job in window:
                by_params.setdefault(job.params, []).append(job)
            for params, group in by_params.items():
                group.sort(key=lambda job: -len(encoded[job.id]))
                for start in range(0, len(group), self.batch_size):
                    batch = group[start : start + self.batch_size]
                    completions = self._generate(
                        [encoded[j.id] for j in batch], [j.seed for j in batch], params
                    )
                    yield from zip([j.id for j in batch], completions, strict=True)

    @torch.inference_mode()
    def _generate(
        self, prompts: list[list[int]], seeds: list[int | None], params: SamplingParams
    ) -> list[Completion]:
        inputs = self.tokenizer.pad({"input_ids": prompts}, return_tensors="pt").to(self.device)
        processors = LogitsProcessorList()
        if not params.greedy:
            generators = [torch.Generator(device=self.device).manual_seed(s or 0) for s in seeds]
            processors.append(_SeededSampling(generators, params))
        eos = sorted({*self.eos_token_ids, *params.stop_token_ids})
        output = self.model.generate(
            **inputs,
            do_sample=False,
            max_new_tokens=params.max_new_tokens,
            logits_processor=processors,
            eos_token_id=eos,
            stop_strings=list(params.stop) or None,
            tokenizer=self.tokenizer,
        )
        generated = output[:, inputs["input_ids"].shape[1] :].tolist()
        return [
            self._completion(ids, seed, params, set(eos)) for ids, seed in zip(generated, seeds, strict=True)
        ]

    def _completion(
        self, ids: list[int], seed: int | None, params: SamplingParams, eos: set[int]
    ) -> Completion:
        """Cut at the first EOS (counted, as vLLM does, but not decoded) or stop string (cut from the text, as
        vLLM does); neither means the length limit hit."""
        end = next((k for k, t in enumerate(ids) if t in eos), None)
        text = self.tokenizer.decode(ids[:end], skip_special_tokens=True)
        cut = min((i for i in (text.find(stop) for stop in params.stop) if i >= 0), default=None)
        if end is None and cut is not None:  # stopped by a string: the row is padded after it
            end = next((k for k, t in enumerate(ids) if t == self.pad_token_id), len(ids)) - 1
        return Completion(
            text=text if cut is None else text[:cut],
            num_tokens=len(ids) if end is None else end + 1,
            finish_reason="length" if end is None else "stop",
            seed=None if params.greedy else seed,
        )
