"""``evalkit compare RUN_A RUN_B``: per-benchmark deltas with a paired test (see ``evalkit.reporting.paired``)."""

import argparse
import sys
from pathlib import Path

from evalkit.reporting.areal_files import AReaLFolderError
from evalkit.reporting.paired import compare_runs, render_deltas
from evalkit.reporting.runs import load_runs, settings_diff
from evalkit.run.store import StoreError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_a", type=Path, help="baseline: a model-tag directory (or output path with one tag)"
    )
    parser.add_argument("run_b", type=Path, help="candidate, same layout")
    parser.add_argument("--ks", default="8,16", help="pass@k values to compare (those above n are skipped)")
    parser.add_argument("--n_resamples", type=int, default=10000, help="permutations and bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling")
    parser.add_argument(
        "--allow_different_settings",
        action="store_true",
        help="compare benchmarks run with another template or sampling settings (marked * in the table)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        ks = [int(k) for k in args.ks.split(",") if k.strip()]
        loaded_a, loaded_b = load_runs(args.run_a), load_runs(args.run_b)
        differ = {
            name: diff
            for name in loaded_a
            if name in loaded_b and (diff := settings_diff(loaded_a[name].settings, loaded_b[name].settings))
        }
        if differ and not args.allow_different_settings:
            raise ValueError(
                "the runs differ in settings, so their numbers are not comparable: "
                + "; ".join(f"{name}: {', '.join(diff)}" for name, diff in differ.items())
                + " (--allow_different_settings compares them anyway)"
            )
        runs_a = {name: run.records for name, run in loaded_a.items()}
        runs_b = {name: run.records for name, run in loaded_b.items()}
        deltas = compare_runs(runs_a, runs_b, ks=ks, n_resamples=args.n_resamples, seed=args.seed)
    except (FileNotFoundError, ValueError, StoreError, AReaLFolderError) as e:
        print(f"evalkit compare: {e}", file=sys.stderr)
        return 2
    only = sorted(set(runs_a) ^ set(runs_b))
    if only:
        print(f"note: benchmarks in only one run are skipped: {', '.join(only)}")
    if not deltas:
        print("evalkit compare: the two runs share no benchmark", file=sys.stderr)
        return 2
    print(f"A = {args.run_a}\nB = {args.run_b}")
    print(render_deltas(deltas, marked=list(differ)))
    for name, diff in differ.items():
        print(f"* {name} was run with different settings: {'; '.join(diff)}")
    print(
        "B - A in percentage points over the problems both runs share; 95% CI: paired bootstrap; "
        "p-value: two-sided sign-flip permutation test over problems."
    )
    return 0
