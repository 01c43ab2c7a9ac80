"""The ``evalkit`` command: a thin dispatcher to subcommand modules, imported only when chosen.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``.
"""

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from evalkit import __version__
from evalkit.cli.help import DefaultsHelpFormatter
from evalkit.cli.pipes import quiet_on_broken_pipe

# name -> (module, one-line help). Order is the order shown by ``evalkit --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "eval": (
        "evalkit.cli.eval_and_aggregate",
        "evaluate a model directory and print the table (= eval_and_aggregate)",
    ),
    "grade": ("evalkit.cli.grade", "re-grade saved generations (JSONL) without regenerating"),
    "benchmarks": ("evalkit.cli.benchmarks", "list, download, verify or import benchmark data"),
    "report": ("evalkit.cli.report", "render a run directory as one static HTML file with plots"),
    "compare": ("evalkit.cli.compare", "compare two runs per benchmark with a paired test"),
    "train": ("evalkit.cli.train", "render and launch an AReaL PPO run from a hardware preset"),
    "watch": ("evalkit.cli.watch", "evaluate each new training checkpoint as it appears"),
    "train-log": ("evalkit.cli.train_log", "summarise a trainer log: steps, rewards, warnings"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [
        f"usage: evalkit <command> [options]   (evalkit {__version__})",
        "",
        "Evaluate LLM checkpoints on math benchmarks and use the same grader as an RL reward.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()),
        "",
        "Run 'evalkit <command> --help' for the options of one command.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """The command's exit code; a reader that closes stdout early (``| head -1``) ends it quietly (141)."""
    return quiet_on_broken_pipe(lambda: _main(argv))


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(_usage(), file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if args[0] == "--version":
        print(__version__)
        return 0
    name = args[0]
    if name not in COMMANDS:
        print(f"evalkit: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(
        prog=f"evalkit {name}", description=COMMANDS[name][1], formatter_class=DefaultsHelpFormatter
    )
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(args[1:])) or 0)


if __name__ == "__main__":
    sys.exit(main())
