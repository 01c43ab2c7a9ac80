"""AReaL-compatible ``eval_and_aggregate``: sample, grade and aggregate every benchmark, print AReaL's table.

The sampler (engine) is built once for all benchmarks, greedy and sampled runs, and only when some
benchmark still has samples to generate: a complete run only re-aggregates and prints.
"""

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit import areal_files, eval_inputs
from evalkit.data import Benchmark, BenchmarkError
from evalkit.metrics import DEFAULT_KS, aggregate
from evalkit.prompts import PromptError, PromptTemplate, load_template
from evalkit.runlock import run_lock
from evalkit.runner import RunConfig, is_complete, run_benchmarks, select
from evalkit.sampling.errors import BackendUnavailable, EngineFailure
from evalkit.store import RunStore, StoreError
from evalkit.table import render_table, table_view
from evalkit.usage import DefaultsHelpFormatter, UsageError
from evalkit.verdicts import refresh_verdicts

PROG = "eval_and_aggregate"
# AReaL flags that no longer apply: name -> why.
_LEGACY = {
    "evaluate_train": "every call resumes the stored run and re-aggregates",
}


_VLLM_ONLY = ("tensor_parallel_size", "max_model_len", "gpu_memory_utilization")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--model_path", required=True, help="model directory (or the served model name with --backend openai)")
    a("--output_path", help="where runs are stored (default: --model_path, as in AReaL)")
    a("--data_names", default="math_500,aime24,amc23", help="comma-separated benchmarks")
    a(
        "--data_dir",
        help="benchmark data directory (default: $EVALKIT_DATA_DIR, then ~/.cache/evalkit/benchmarks)",
    )
    a("--prompt_type", default="r1-distilled-qwen", help="prompt template name or .toml path")
    a("--max_gen_tokens", type=int, default=32768, help="max new tokens per response")
    a(
        "--n_sampling",
        type=int,
        help="samples per problem besides the greedy run (default 32, or N x M below)",
    )
    a("--temperature", type=float, default=0.6, help="sampling temperature (greedy uses 0)")
    a("--top_p", type=float, default=0.95, help="nucleus sampling, in (0, 1]")
    a("--top_k", type=int, default=-1, help="top-k sampling (-1: off)")
    a("--seed", type=int, default=0, help="run seed; each sample's seed derives from it")
    a("--ks", help="pass@k columns, comma-separated (default 8,16; a default k above --n_sampling shows '-')")
    a("--overwrite", action="store_true", help="discard stored samples and start again")
    a("--model_tag", help="run directory name under --output_path (default: derived from --model_path)")
    a("--task", default="math", help="only 'math' is supported")
    g = parser.add_argument_group("sampler")
    g.add_argument(
        "--backend", choices=("vllm", "transformers", "openai"), default="vllm", help="inference engine"
    )
    g.add_argument("--base_url", help="OpenAI-compatible server URL (--backend openai)")
    g.add_argument("--tensor_parallel_size", type=int, help="vLLM tensor parallel size")
    g.add_argument(
        "--data_parallel_size",
        type=int,
        help="engine replicas over Ray (default for vllm: one per tensor_parallel_size GPUs, all GPUs)",
    )
    g.add_argument("--ray_address", help="Ray cluster address, e.g. 'auto' on a multi-node cluster")
    g.add_argument("--max_model_len", type=int, help="vLLM max model length")
    g.add_argument("--gpu_memory_utilization", type=float, help="vLLM GPU memory fraction")
    g.add_argument("--no_enforce_eager", action="store_true", help="let vLLM capture CUDA graphs")
    legacy = parser.add_argument_group("AReaL flags accepted for compatibility (no longer apply)")
    legacy.add_argument("--evaluate_train", action="store_true", help=_LEGACY["evaluate_train"])
    eval_inputs.add_arguments(parser)


def resolve_ks(text: str | None, n_sampling: int) -> tuple[list[int], list[int]]:
    """(table columns, ks to compute). A requested k above ``n_sampling`` is an error; a default one is skipped."""
    if text is None:
        return list(DEFAULT_KS), [k for k in DEFAULT_KS if k <= n_sampling]
    try:
        ks = sorted({int(k) for k in text.split(",") if k.strip()})
    except ValueError:
        raise UsageError(f"--ks must be comma-separated integers, got {text!r}") from None
    bad = [k for k in ks if not 1 <= k <= n_sampling]
    if bad:
        raise UsageError(
            f"--ks {','.join(map(str, bad))}: pass@k needs 1 <= k <= --n_sampling ({n_sampling})"
        )
    return ks, ks


def sampler_options(args: argparse.Namespace) -> dict[str, Any]:
    """``make_sampler`` options from the flags the user set (unset ones keep the backend's defaults)."""
    names = ("base_url", "data_parallel_size", "ray_address", *_VLLM_ONLY)
    options = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    if args.backend == "vllm":
        options |= {"enforce_eager": not args.no_enforce_eager, "seed": args.seed}
        options.setdefault("data_parallel_size", _engines_for_all_gpus(args))
    return options


def _engines_for_all_gpus(args: argparse.Namespace) -> int:
    """One vLLM engine per ``tensor_parallel_size`` GPUs: this node's, or the Ray cluster's with --ray_address."""
    if args.ray_address:
        import ray

        ray.init(address=args.ray_address, ignore_reinit_error=True)
        gpus = int(ray.cluster_resources().get("GPU", 0))
    else:
        from evalkit.sampling.vllm_backend import detect_platform, vllm_installed

        gpus = detect_platform().devices if vllm_installed() else 0
    engines = max(1, gpus // (args.tensor_parallel_size or 1))
    if engines > 1 and not args.ray_address and importlib.util.find_spec("ray") is None:
        print(
            f"note: {gpus} GPUs but Ray is not installed: one engine only (pip install ray)", file=sys.stderr
        )
        return 1
    return engines


def _check_args(args: argparse.Namespace) -> None:
    for name, why in _LEGACY.items():
        if getattr(args, name) not in (None, False):
            print(f"note: --{name} no longer applies ({why})", file=sys.stderr)
    if args.task != "math":
        raise UsageError(f"--task {args.task!r}: only 'math' is supported")
    if args.n_sampling < 1:
        raise UsageError("--n_sampling must be at least 1")
    if args.backend != "vllm":
        vllm_only = [n for n in (*_VLLM_ONLY, "no_enforce_eager") if getattr(args, n) not in (None, False)]
        if vllm_only:
            raise UsageError(f"--{', --'.join(vllm_only)}: only for --backend vllm")
    if (args.backend == "openai") != bool(args.base_url):
        raise UsageError("--base_url goes with --backend openai (e.g. --base_url http://localhost:8000/v1)")


def _check_model_path(args: argparse.Namespace) -> None:
    """A local model path must be a Hugging Face model directory (a hub id such as ``org/name`` passes)."""
    if args.backend == "openai":
        return  # the served model's name
    path = Path(args.model_path).expanduser()
    looks_local = path.is_absolute() or args.model_path.startswith((".", "~")) or path.exists()
    if looks_local and not path.is_dir():
        raise UsageError(f"--model_path {args.model_path}: no such directory")
    if looks_local and not (path / "config.json").is_file():
        raise UsageError(
            f"--model_path {args.model_path}: no config.json there (not a Hugging Face model directory)"
        )


def _require_vllm_platform(args: argparse.Namespace) -> None:
    """Fail early, before loading anything, where vLLM cannot run (vLLM's own platform detection)."""
    if args.backend != "vllm" or args.ray_address:  # with Ray the devices may be on other nodes
        return
    from evalkit.sampling.vllm_backend import check_vllm

    check_vllm(args.tensor_parallel_size or 1)


def _tokenizer(template: PromptTemplate, model_path: str) -> Any:
    """The model's tokenizer when the template needs it: for its chat template, or to look up its stop tokens
    (only in a local model directory: a served model's name has no tokenizer here). Else ``None``."""
    local = (Path(model_path).expanduser() / "config.json").is_file()
    if not (template.chat or (template.stop_tokens and local)):
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path)


def evaluate(args: argparse.Namespace) -> tuple[dict[str, dict[str, Any]], list[int]]:
    """Run (or resume) every benchmark; return the aggregate per benchmark and the table's pass@k columns."""
    _check_args(args)
    columns, ks = resolve_ks(args.ks, args.n_sampling)
    benchmarks: list[Benchmark] = eval_inputs.load_benchmarks(args)  # a changed file is an error
    template = load_template(args.prompt_type)
    if template.chat:
        _check_model_path(args)  # the chat template comes from the model's tokenizer
    tokenizer = _tokenizer(template, args.model_path)
    config = RunConfig(
        n_sampling=args.n_sampling,
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        max_new_tokens=args.max_gen_tokens,
        seed=args.seed,
        greedy=True,
        stop=template.stop,
        stop_token_ids=template.stop_token_ids(tokenizer) if tokenizer is not None else (),
    )
    run_root = eval_inputs.run_root(args)
    todo = [
        b
        for b in benchmarks
        if args.overwrite or not is_complete(b, template, run_root / b.name, config, model=args.model_path)
    ]
    if todo:
        _require_vllm_platform(args)
        _check_model_path(args)
        from evalkit.sampling.factory import make_sampler

        sampler = make_sampler(args.backend, args.model_path, **sampler_options(args))
        for b in todo:
            print(f"{b.name}: sampling into {run_root / b.name}", file=sys.stderr)
        # one stream for every benchmark: no engine drains between them
        run_benchmarks(
            [(b, run_root / b.name) for b in todo],
            template,
            sampler,
            config,
            tokenizer=tokenizer,
            overwrite=args.overwrite,
        )
    results, selected = {}, {}
    for b in benchmarks:
        refresh_verdicts(run_root / b.name)  # verdicts from an older grader are re-graded, not reprinted
        store = RunStore(run_root / b.name)
        records = select(store.records(), config)  # a run grown past --n_sampling: its first n samples
        results[b.name] = aggregate(records, ks=ks) | {"fingerprint": store.manifest()}
        selected[b.name] = (b, records)
    missing = [k for k in columns if k not in ks]
    if missing:
        print(
            f"note: pass@{', pass@'.join(map(str, missing))} need --n_sampling >= k; shown as '-'",
            file=sys.stderr,
        )
    path = (
        run_root
        / f"aggregate_parallel_{template.name}_{args.temperature:.1f}_{args.top_p:.2f}_{args.top_k}.json"
    )
    areal_files.merge_json(path, results)  # benchmarks of earlier calls are kept
    areal = areal_files.write_from_args(args, template.name, selected, run_root.name)
    print(f"Evaluation output to {path}")
    return table_view(args.table, results, columns, areal, marked=args.changed_benchmarks)


def run(args: argparse.Namespace) -> int:
    try:
        eval_inputs.prepare(args)
        with run_lock(eval_inputs.run_root(args), wait=args.lock_wait):
            results, columns = evaluate(args)
    except (UsageError, BenchmarkError, PromptError, StoreError, BackendUnavailable) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except EngineFailure as e:
        print(f"{PROG}: the engine failed; stored samples are kept, rerun to resume.\n{e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; stored samples are kept, rerun to resume", file=sys.stderr)
        return 130
    print(render_table(results, columns))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="evaluate a model and print AReaL's table",
        formatter_class=DefaultsHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
