"""``evalkit compare RUN_A RUN_B``: per-benchmark deltas with a paired test (see ``evalkit.reporting.paired``)."""

import argparse
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from evalkit.benchmarks.loading import split_limit
from evalkit.reporting.areal_files import AReaLFolderError
from evalkit.reporting.paired import compare_runs, render_deltas
from evalkit.reporting.runs import Run, load_runs, settings_diff
from evalkit.reporting.table import display_name
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
        help="compare benchmarks run with another template, sampling settings or --limit (on the problems "
        "both runs hold; marked * in the table)",
    )


def limit_pairs(names_a: Iterable[str], names_b: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Runs of one benchmark with different ``--limit``s (``aime24@first10`` in A, ``aime24`` in B), neither
    of which has a same-named run on the other side: label -> (name in A, name in B)."""
    a, b = list(names_a), list(names_b)
    pairs = {}
    for name_a in a:
        base, _ = split_limit(name_a)
        match = [n for n in b if n not in a and n != name_a and split_limit(n)[0] == base]
        if name_a not in b and len(match) == 1:
            pairs[f"{display_name(name_a)} / {display_name(match[0])}"] = (name_a, match[0])
    return pairs


def _limit_note(name_a: str, name_b: str, run_a: Run, run_b: Run) -> str:
    def held(name: str, run: Run) -> str:
        problems = len({r.problem_id for r in run.records})
        limit = split_limit(name)[1]
        return f"the first {limit} problems" if limit else f"all {problems} problems"

    return (
        f"{display_name(name_a)} (A) holds {held(name_a, run_a)} and {display_name(name_b)} (B) "
        f"{held(name_b, run_b)} (--limit differs)"
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
        limits = limit_pairs(loaded_a, loaded_b)  # a limited run against a full one (or another limit)
        for label, (name_a, name_b) in limits.items():
            run_a, run_b = loaded_a.pop(name_a), loaded_b.pop(name_b)
            loaded_a[label], loaded_b[label] = run_a, run_b
            note = _limit_note(name_a, name_b, run_a, run_b)
            differ[label] = [note, *settings_diff(run_a.settings, run_b.settings)]
        if differ and not args.allow_different_settings:
            raise ValueError(
                "the runs differ in settings, so their numbers are not comparable: "
                + "; ".join(f"{name}: {', '.join(diff)}" for name, diff in differ.items())
                + " (--allow_different_settings compares them anyway, on the problems both runs hold)"
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
    shown = [replace(d, benchmark=display_name(d.benchmark)) for d in deltas]
    print(render_deltas(shown, marked=[display_name(name) for name in differ]))
    for name, diff in differ.items():
        print(f"* {display_name(name)} was run with different settings: {'; '.join(diff)}")
    print(
        "B - A in percentage points over the problems both runs share; 95% CI: paired bootstrap; "
        "p-value: two-sided sign-flip permutation test over problems."
    )
    return 0
