"""``evalkit train-log LOG``: a trainer log summarised: steps, rewards, warnings (see
``evalkit.training.areal.trainlog``); ``--follow`` prints each step as a growing log gains it."""

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from evalkit.training.areal.trainlog import HEADER, Parser, follow, parse, plot, row, table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "logfile", help="trainer log (AReaL v0.2 master worker lines or AReaL 1.0 stats tables)"
    )
    parser.add_argument("--plot", help="write the curves to this PNG (with --follow: when it stops)")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON instead of the table (with --follow: one JSON line per step)",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="keep reading the log as it grows (waits for it to appear); stop with Ctrl-C",
    )
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between reads with --follow")


def run(args: argparse.Namespace) -> int:
    path = Path(args.logfile)
    if args.follow:
        return run_follow(args)
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


def run_follow(
    args: argparse.Namespace, *, sleep: Callable[[float], None] = time.sleep, max_polls: int | None = None
) -> int:
    """Print each step when its statistics are complete, and the log's failure symptoms when they appear;
    on Ctrl-C (or after ``max_polls``, for tests) print the remaining warnings and the last recover point and
    return 0."""
    parser = Parser()
    widths = [max(len(h), 9) for h in HEADER]
    if not args.json:
        print("  ".join(h.rjust(w) for h, w in zip(HEADER, widths, strict=True)), flush=True)
    if not Path(args.logfile).exists():
        print(f"waiting for {args.logfile} to appear ...", file=sys.stderr, flush=True)
    try:
        for event in follow(
            args.logfile, interval=args.interval, sleep=sleep, max_polls=max_polls, parser=parser
        ):
            if event.restarted:
                print(f"{args.logfile} was truncated or replaced: reading it from the start", file=sys.stderr)
            for step in event.steps:
                if args.json:
                    print(json.dumps(asdict(step)), flush=True)
                else:
                    print("  ".join(c.rjust(w) for c, w in zip(row(step), widths, strict=True)), flush=True)
            for w in event.warnings:
                print(f"warning: {w}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print(file=sys.stderr)
    log = parser.finish()
    recover = "none" if log.last_recover_step is None else f"step {log.last_recover_step}"
    print(f"stopped after {len(log.steps)} step(s); last recover point: {recover}", file=sys.stderr)
    for w in log.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.plot and log.steps:
        plot(log, args.plot)
    return 0
