"""``evalkit benchmarks``: list, download, verify or import benchmark data files."""

import argparse
import sys
from pathlib import Path

from evalkit.benchmarks.files import download, import_dir, verify
from evalkit.benchmarks.loading import (
    BenchmarkError,
    candidate_data_dirs,
    find_benchmark_file,
    list_benchmarks,
    list_suites,
    load_spec,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    data_dir_help = "benchmark data directory (default: $EVALKIT_DATA_DIR, then ~/.cache/evalkit/benchmarks)"
    actions = {
        "list": "show each benchmark and where its data file was found",
        "download": "fetch from the Hugging Face Hub, write AReaL-format JSONL, verify",
        "verify": "check problem counts and hashes against the specs (exit 1 on mismatch)",
        "import": "copy benchmark files from DIR (flat, or AReaL's and Qwen2.5-Math's [data/]<name>/test.jsonl) "
        "and verify",
    }
    for action, help_ in actions.items():
        p = sub.add_parser(action, help=help_, description=help_)
        if action == "import":
            p.add_argument("source", metavar="DIR", type=Path, help="directory holding the benchmark files")
        elif action != "list":
            p.add_argument("names", nargs="*", metavar="NAME", help="benchmarks (default: all)")
        p.add_argument("--data_dir", type=Path, default=None, help=data_dir_help)


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            return _list(args.data_dir)
        if args.action == "import":
            return import_dir(args.source, args.data_dir)
        specs = [load_spec(n) for n in args.names or list_benchmarks()]
        if args.action == "download":
            return max((download(spec, args.data_dir) for spec in specs), default=0)
        return verify(specs, args.data_dir, require_all=bool(args.names))
    except BenchmarkError as err:
        print(f"evalkit benchmarks: {err}", file=sys.stderr)
        return 1


def _list(data_dir: Path | None) -> int:
    print("data directories searched, in order: " + ", ".join(map(str, candidate_data_dirs(data_dir))))
    names = list_benchmarks()
    width, file_width = max(map(len, names)), max(len(load_spec(n).file) for n in names)
    for name in names:
        spec = load_spec(name)
        try:
            where = f"found {find_benchmark_file(spec, data_dir)}"
        except BenchmarkError:
            where = "missing"
        print(
            f"{name:<{width}} {spec.count:>5,} problems  {spec.answer_kind:<8} {spec.file:<{file_width}} {where}"
        )
    for suite, members in list_suites().items():
        print(f"suite {suite}: {', '.join(members)} (--data_names {suite})")
    return 0
