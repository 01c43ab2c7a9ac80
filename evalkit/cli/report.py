"""``evalkit report``: a run directory rendered as one static HTML file (see ``evalkit.reporting.html``)."""

import argparse
import sys
from pathlib import Path

from evalkit.reporting.areal_files import AReaLFolderError
from evalkit.reporting.html import audit_runs, build_report, problem_texts
from evalkit.reporting.runs import incomplete, load_runs
from evalkit.run.store import StoreError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "output_dir", type=Path, help="a model-tag directory, or an output path with one model tag"
    )
    parser.add_argument(
        "-o", "--output", type=Path, help="HTML file to write (default OUTPUT_DIR/report.html)"
    )
    parser.add_argument("--data_dir", help="benchmark data directory, for the problem texts")
    parser.add_argument(
        "--max_chars",
        type=int,
        default=4000,
        help="clip each response to this many characters (0: no clipping)",
    )
    parser.add_argument(
        "--no-audit",
        action="store_true",
        help="skip the Math-Verify cross-check section (it grades every response)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_runs(args.output_dir)
    except (FileNotFoundError, ValueError, StoreError, AReaLFolderError) as e:
        print(f"evalkit report: {e}", file=sys.stderr)
        return 2
    for line in incomplete(loaded):
        print(f"note: {line} (rerun eval_and_aggregate to finish it)", file=sys.stderr)
    runs = {name: run.records for name, run in loaded.items()}
    html = build_report(
        runs,
        texts={name: run.texts or problem_texts(name, args.data_dir) for name, run in loaded.items()},
        settings={name: run.settings for name, run in loaded.items()},
        title=f"evalkit report: {args.output_dir}",
        max_chars=args.max_chars,
        audits=None if args.no_audit else audit_runs(runs),
    )
    out = args.output or args.output_dir / "report.html"
    out.write_text(html, encoding="utf-8")
    print(f"wrote {out}")
    return 0
