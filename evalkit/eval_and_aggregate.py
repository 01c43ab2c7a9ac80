"""AReaL-compatible ``eval_and_aggregate`` entry point (filled in by the evaluation pipeline)."""

import argparse
import sys
from collections.abc import Sequence


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model_path", required=True)
    parser.add_argument("--output_path", required=True)
    parser.add_argument("--data_names", default="math_500,aime24,amc23")
    parser.add_argument("--max_gen_tokens", type=int, default=32768)


def run(args: argparse.Namespace) -> int:
    print("eval_and_aggregate: not implemented yet", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval_and_aggregate")
    add_arguments(parser)
    return run(parser.parse_args(argv))
