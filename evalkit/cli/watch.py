"""``evalkit watch CKPT_ROOT --output_path OUT``: evaluate every new training checkpoint as it appears
(see ``evalkit.training.watch``), each by ``python -m evalkit eval`` with the flags of an ``EvalConfig`` built
from watch's evaluation flags and ``--eval_args``."""

import argparse
import shlex
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from evalkit.cli import eval_and_aggregate
from evalkit.errors import UsageError
from evalkit.run.config import EvalConfig
from evalkit.training.checkpoints import Checkpoint
from evalkit.training.watch import WatchConfig, subprocess_evaluator, watch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for f in fields(WatchConfig):  # watch's own flags, then the evaluation's
        if f.name == "ckpt_root":
            parser.add_argument(f.name, help=f.metadata["help"])
        elif f.default is MISSING:
            parser.add_argument(f"--{f.name}", required=True, help=f.metadata["help"])
        elif f.type is bool:
            parser.add_argument(f"--{f.name}", action="store_true", help=f.metadata["help"])
        else:
            kind = f.type if isinstance(f.type, type) else str  # ``str | None``: a string flag
            parser.add_argument(f"--{f.name}", type=kind, default=f.default, help=f.metadata["help"])
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
