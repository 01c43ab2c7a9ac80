"""AReaL-compatible ``eval_and_aggregate``: sample, grade and aggregate every benchmark, print AReaL's table.

The command line of :func:`evalkit.evaluate`: flags -> ``EvalConfig`` -> ``evaluate`` -> the table.
"""

import argparse
import inspect
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from evalkit.benchmarks.loading import BenchmarkError
from evalkit.benchmarks.templates import PromptError
from evalkit.cli import eval_inputs
from evalkit.cli.engine_log import log_path, tee_stderr
from evalkit.cli.help import DefaultsHelpFormatter
from evalkit.cli.pipes import quiet_on_broken_pipe
from evalkit.cli.signals import interrupted, terminate_as_interrupt
from evalkit.errors import UsageError
from evalkit.evaluation import evaluate
from evalkit.reporting.table import render_table
from evalkit.run.config import BACKENDS, BackendConfig, EvalConfig, add_sampling_arguments, default
from evalkit.run.store import StoreError
from evalkit.sampling.errors import BackendUnavailable, EngineFailure, OpenAIServerError, RanksLost

PROG = "eval_and_aggregate"
# AReaL flags that no longer apply: name -> why.
_LEGACY = {
    "evaluate_train": "every call resumes the stored run and re-aggregates",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags; their defaults are ``EvalConfig``'s (the sampling flags are generated from ``RunConfig``)."""
    a = parser.add_argument
    a("--model_path", required=True, help="model directory (or the served model name with --backend openai)")
    a("--output_path", help="where runs are stored (default: --model_path, as in AReaL)")
    a(
        "--data_names",
        default=",".join(default(EvalConfig, "benchmarks")),
        help="comma-separated benchmarks or suites (rl_math: aime24, aime25, amc23, math_500, minerva_math, "
        "olympiadbench); `evalkit benchmarks list` shows them",
    )
    a(
        "--data_dir",
        help="benchmark data directory (default: $EVALKIT_DATA_DIR, then ~/.cache/evalkit/benchmarks)",
    )
    a("--prompt_type", default=default(EvalConfig, "template"), help="prompt template name or .toml path")
    add_sampling_arguments(parser)
    a("--ks", help="pass@k columns, comma-separated (default 8,16; a default k above --n_sampling shows '-')")
    a("--overwrite", action="store_true", help="discard stored samples and start again")
    a("--model_tag", help="run directory name under --output_path (default: derived from --model_path)")
    a("--task", default="math", help="only 'math' is supported")
    g = parser.add_argument_group("sampler")
    g.add_argument(
        "--backend", choices=BACKENDS, default=default(BackendConfig, "name"), help="inference engine"
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
    server = parser.add_argument_group(
        "OpenAI-compatible server (--backend openai; the API key is read from $OPENAI_API_KEY)"
    )
    for flag, (kind, help_) in _OPENAI_FLAGS.items():
        shown = _openai_default("timeout" if flag == "request_timeout" else flag)
        server.add_argument(f"--{flag}", type=kind, help=f"{help_} (default: {shown})")
    legacy = parser.add_argument_group("AReaL flags accepted for compatibility (no longer apply)")
    legacy.add_argument("--evaluate_train", action="store_true", help=_LEGACY["evaluate_train"])
    eval_inputs.add_arguments(parser)


_OPENAI_FLAGS = {
    "max_concurrency": (int, "requests kept at the server at once"),
    "max_retries": (int, "retries of a failed request (connection errors, timeouts, 429, 5xx)"),
    "request_timeout": (float, "seconds one request may take"),
    "backoff": (float, "seconds before the first retry; doubles up to 30 s"),
    "retry_deadline": (float, "seconds a request may keep failing (a server restart) before the run stops"),
}


def _openai_default(name: str) -> object:
    """OpenAISampler's default for one of its options (written once, in its signature)."""
    from evalkit.sampling.openai_backend import OpenAISampler

    return inspect.signature(OpenAISampler).parameters[name].default


def config_from_args(args: argparse.Namespace) -> EvalConfig:
    """Check the flags (every check that needs no model), note AReaL's legacy ones, build the config."""
    eval_inputs.prepare(args)
    for name, why in _LEGACY.items():
        if getattr(args, name) not in (None, False):
            print(f"note: --{name} no longer applies ({why})", file=sys.stderr)
    if args.task != "math":
        raise UsageError(f"--task {args.task!r}: only 'math' is supported")
    return EvalConfig.from_args(args)


@contextmanager
def _log_file(logs_dir: Path) -> Iterator[None]:
    """While the engine samples: stderr copied to a new log file in ``logs_dir`` (named first)."""
    path = log_path(logs_dir)
    with tee_stderr(path):
        print(f"log: {path}", file=sys.stderr)
        yield


def run(args: argparse.Namespace) -> int:
    try:
        with terminate_as_interrupt():
            results = evaluate(config_from_args(args), log=sys.stderr, while_sampling=_log_file)
    except (UsageError, BenchmarkError, PromptError, StoreError, BackendUnavailable) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except RanksLost as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except EngineFailure as e:
        print(f"{PROG}: the engine failed; stored samples are kept, rerun to resume.\n{e}", file=sys.stderr)
        return 1
    except OpenAIServerError as e:
        if e.refused:
            print(f"{PROG}: stored samples are kept; {e}", file=sys.stderr)
            return 2
        print(f"{PROG}: the server failed; stored samples are kept, rerun to resume: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        what, code = interrupted(e)
        print(
            f"{PROG}: {what}; stored samples are kept and the run is unlocked, rerun to resume",
            file=sys.stderr,
        )
        return code
    print(f"Evaluation output to {results.aggregate_path}")
    print(render_table(*results.table()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="evaluate a model and print AReaL's table",
        formatter_class=DefaultsHelpFormatter,
    )
    add_arguments(parser)
    # `eval_and_aggregate --help | head -1`: a reader that leaves early ends the command quietly (141)
    return quiet_on_broken_pipe(lambda: run(parser.parse_args(argv)))
