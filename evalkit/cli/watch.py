"""``evalkit watch CKPT_ROOT --output_path OUT``: evaluate every new training checkpoint as it appears
(see ``evalkit.training.watch``), each by ``python -m evalkit eval`` with the flags of an ``EvalConfig`` built
from watch's evaluation flags and ``--eval_args``."""

import argparse
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from evalkit.cli import eval_and_aggregate
from evalkit.errors import UsageError
from evalkit.run.config import EvalConfig, default
from evalkit.training.checkpoints import Checkpoint
from evalkit.training.watch import WatchConfig, subprocess_evaluator, watch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ckpt_root", help="directory the trainer writes checkpoints under")
    parser.add_argument("--output_path", required=True)
    parser.add_argument(
        "--interval", type=float, default=default(WatchConfig, "interval"), help="seconds between polls"
    )
    parser.add_argument("--once", action="store_true", help="evaluate what is there now, then exit")
    parser.add_argument(
        "--settle",
        type=float,
        default=default(WatchConfig, "settle"),
        help="with --once: seconds between the two polls",
    )
    parser.add_argument("--merge", action="store_true", help="merge veRL FSDP shards to HF before evaluating")
    parser.add_argument(
        "--retries",
        type=int,
        default=default(WatchConfig, "retries"),
        help="times a failed evaluation is tried again (on later polls)",
    )
    parser.add_argument(
        "--python", default=default(WatchConfig, "python"), help="python of the evaluation environment"
    )
    parser.add_argument("--cuda_visible_devices", help="GPUs for the evaluation, e.g. 6,7")
    parser.add_argument("--data_names", default=",".join(default(EvalConfig, "benchmarks")))
    parser.add_argument("--backend")
    parser.add_argument("--n_sampling", type=int)
    parser.add_argument("--max_gen_tokens", type=int)
    parser.add_argument("--data_dir")
    parser.add_argument(
        "--eval_args", default="", help="further eval_and_aggregate flags, quoted as one string"
    )


def eval_config(args: argparse.Namespace, model_path: str, tag: str) -> EvalConfig:
    """The evaluation of one checkpoint: watch's eval flags and ``--eval_args``, read as
    ``eval_and_aggregate`` reads its flags (an unknown or conflicting one fails here, naming it)."""
    argv = [
        "--model_path",
        model_path,
        "--output_path",
        args.output_path,
        "--model_tag",
        tag,
        "--data_names",
        args.data_names,
        "--no_areal_files",
    ]  # fmt: skip  (AReaL's layout: one model a path)
    for flag in ("backend", "n_sampling", "max_gen_tokens", "data_dir"):
        if getattr(args, flag) is not None:
            argv += [f"--{flag}", str(getattr(args, flag))]
    parser = argparse.ArgumentParser(prog="evalkit watch --eval_args", add_help=False)
    eval_and_aggregate.add_arguments(parser)
    return EvalConfig.from_args(parser.parse_args(argv + shlex.split(args.eval_args)))


def eval_command(args: argparse.Namespace, ckpt: Checkpoint) -> list[str]:
    """The ``eval_and_aggregate`` command for one checkpoint: the flags of its ``eval_config``."""
    return [args.python, "-m", "evalkit", "eval", *eval_config(args, str(ckpt.path), ckpt.tag).to_argv()]


def watch_config(args: argparse.Namespace) -> WatchConfig:
    """Watch's own settings from its flags."""
    return WatchConfig(**{f.name: getattr(args, f.name) for f in fields(WatchConfig)})


def run(args: argparse.Namespace) -> int:
    if not Path(args.ckpt_root).is_dir():
        print(f"error: checkpoint root not found: {args.ckpt_root}", file=sys.stderr)
        return 2
    try:
        eval_config(args, "CKPT", "TAG")  # a bad --eval_args fails now, not at the first checkpoint
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        config = watch_config(args)
        watcher = watch(config, subprocess_evaluator(config, lambda ckpt: eval_command(args, ckpt)))
    except KeyboardInterrupt:
        return 130
    return 1 if any("error" in e for e in watcher.results.values()) else 0
