"""``evalkit train-log LOG``: a trainer log summarised: steps, rewards, warnings (see
``evalkit.training.areal.trainlog``)."""

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from evalkit.training.areal.trainlog import parse, plot, table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logfile", help="trainer log (master worker lines)")
    parser.add_argument("--plot", help="write the curves to this PNG")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")


def run(args: argparse.Namespace) -> int:
    path = Path(args.logfile)
    if not path.is_file():
        print(f"error: log not found: {path}", file=sys.stderr)
        return 2
    log = parse(path.read_text(errors="replace"))
    if args.json:
        print(json.dumps(asdict(log), indent=2))
    else:
        print(table(log))
        for w in log.warnings:
            print(f"warning: {w}", file=sys.stderr)
    if args.plot:
        plot(log, args.plot)
    return 0
