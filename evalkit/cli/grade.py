"""``evalkit grade``: re-grade saved generations (JSONL) without regenerating them.

Each input line is one of:

* a flat record ``{"response": ..., "gold": ...}`` (the gold may also be named ``answer`` or ``gt``),
  which includes evalkit's own run store lines (:class:`evalkit.run.records.SampleRecord`);
* an AReaL per-sample line ``{"idx", "gt", "code": [responses], "pred": [...], "score": [...]}``,
  which yields one verdict per response in ``code``.

One verdict line is written per response (with the input line number it came from); a bad line is
reported as ``file:line: message`` on stderr and skipped. Exit status: 0, 1 if some lines were bad,
2 if the input cannot be read.

Given a run directory of evalkit's run store instead (a benchmark run, a model tag or an output path),
it re-grades the stored records in place with the run's own grader policy, e.g. after a grader upgrade,
holding the run lock (``--lock_wait``): a running evaluation is never written under.
Given an AReaL output folder (``math_eval_<N>``, the folder holding it, or one dataset folder in it), it
re-grades AReaL's responses with evalkit's grader and prints each dataset's accuracy by AReaL's own
``score`` and by evalkit; ``-o DIR`` also saves them as evalkit runs there (for ``report``/``compare``),
under DIR's lock, and never over a stored run of other settings.

``--audit`` also grades every response with Math-Verify (when installed) and lists each verdict on
which the two disagree, side by side with both extracted answers (``OUTPUT.audit.jsonl`` beside the
verdicts, or ``audit.jsonl`` in each run directory).
"""

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from evalkit.cli.signals import interrupted, terminate_as_interrupt
from evalkit.errors import UsageError
from evalkit.graders import ResponseContext, Verdict, audit, grade_many
from evalkit.graders.saved import GOLD_FIELDS, Item, read_items, verdict_lines
from evalkit.reporting.areal_files import AReaLFolderError, grading_for, is_areal_folder, read_areal_folder
from evalkit.run.lock import run_lock
from evalkit.run.records import SampleRecord
from evalkit.run.regrade import accuracy, grader_section, regrade
from evalkit.run.store import RunStore, StoreError, find_runs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input",
        type=Path,
        help="JSONL of saved generations (flat, AReaL or evalkit records), or a run directory to re-grade in place",
    )
    parser.add_argument(
        "-o",
        "--output",
        help="verdict JSONL to write ('-' for stdout; default: INPUT with suffix .graded.jsonl)",
    )
    parser.add_argument(
        "--response-field",
        help="field holding the response (or a list of responses); default: 'response', or AReaL's 'code'",
    )
    parser.add_argument(
        "--gold-field", help=f"field holding the gold; default: first of {', '.join(GOLD_FIELDS)}"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per verdict (default 5)")
    parser.add_argument("--workers", type=int, default=None, help="grading processes (default: all cores)")
    parser.add_argument(
        "--lock_wait",
        type=float,
        default=0.0,
        help="seconds to wait for a run directory another command holds (default: refuse at once)",
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="also grade with Math-Verify and list every verdict on which the two disagree (needs math-verify)",
    )


def summary(items: list[Item], verdicts: list[Verdict], bad: int) -> str:
    """Accuracy, and how many verdicts changed where the input carried its own."""
    n = len(verdicts)
    correct = sum(v.correct for v in verdicts)
    lines = [f"graded {n} responses: accuracy {100 * correct / n if n else 0.0:.2f}% ({correct}/{n})"]
    compared = [(i.stored, v.correct) for i, v in zip(items, verdicts, strict=True) if i.stored is not None]
    if compared:
        changed = sum(old != new for old, new in compared)
        lines.append(f"verdicts changed vs stored: {changed}/{len(compared)}")
    if bad:
        lines.append(f"skipped {bad} bad line(s)")
    return "\n".join(lines)


SHOWN = 50  # disagreements printed; all of them go to the audit file
_CLIP = 40


def _clip(text: str | None) -> str:
    text = "(none)" if text is None else " ".join(text.split())
    return text if len(text) <= _CLIP else text[: _CLIP - 3] + "..."


def _verdict_word(correct: bool | None) -> str:
    return "no verdict" if correct is None else "correct" if correct else "wrong"


def write_audit(
    where: Sequence[str],
    responses: Sequence[str],
    verdicts: Sequence[Verdict],
    path: Path,
    *,
    timeout: float,
    workers: int | None,
    out: TextIO,
) -> list[audit.Disagreement]:
    """Grade ``responses`` with Math-Verify, write every disagreement to ``path`` (JSONL, ``where``
    naming each response) and print a summary with the first :data:`SHOWN` side by side."""
    golds = [v.gold for v in verdicts]
    print(f"audit: grading {len(verdicts):,} responses with Math-Verify", file=out, flush=True)
    judged = audit.judge_all(list(zip(responses, golds, strict=True)), timeout=timeout, workers=workers)
    found = audit.disagreements(golds, [(v.pred, v.correct) for v in verdicts], judged)
    with open(path, "w", encoding="utf-8") as f:
        for d in found:
            row = {"where": where[d.index], **{k: v for k, v in asdict(d).items() if k != "index"}}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    ours = sum(d.evalkit_correct for d in found)
    silent = sum(d.math_verify_correct is None for d in found)
    print(
        f"audit: Math-Verify disagrees on {len(found):,} of {len(verdicts):,} verdicts (evalkit alone credits "
        f"{ours:,}, Math-Verify alone {len(found) - ours - silent:,}, Math-Verify gave no verdict on {silent:,}); "
        f"all in {path}",
        file=out,
    )
    for d in found[:SHOWN]:
        print(
            f"  {where[d.index]}  gold {_clip(d.gold)}  |  evalkit {_clip(d.evalkit_pred)} "
            f"({_verdict_word(d.evalkit_correct)})  |  Math-Verify {_clip(d.math_verify_pred)} "
            f"({_verdict_word(d.math_verify_correct)}){f'  [{d.note}]' if d.note else ''}",
            file=out,
        )
    if len(found) > SHOWN:
        print(f"  ... {len(found) - SHOWN:,} more in {path}", file=out)
    return found


def _audit_records(
    records: Sequence[SampleRecord], path: Path, *, timeout: float, workers: int | None
) -> None:
    """:func:`write_audit` of a run's stored records, each named ``problem kind sample_index``."""
    write_audit(
        [f"{r.problem_id} {r.kind} {r.sample_index}" for r in records],
        [r.response for r in records],
        [Verdict(r.correct, r.pred, r.gold, r.method, r.reason) for r in records],
        path,
        timeout=timeout,
        workers=workers,
        out=sys.stdout,
    )


def regrade_runs(
    path: Path, timeout: float, check: bool = False, workers: int | None = None, lock_wait: float = 0.0
) -> int:
    """Re-grade every benchmark run under ``path`` in place, each under its run lock (the model-tag
    directory's, as ``eval_and_aggregate`` takes it), and print each accuracy before and after; with
    ``check``, audit each run against Math-Verify into its ``audit.jsonl``."""
    runs = find_runs(path)
    for name, run_dir in runs.items():
        with run_lock(run_dir.parent, wait=lock_wait):
            before, after = regrade(run_dir, timeout=timeout)
        changed = sum(a.correct != b.correct for a, b in zip(before, after, strict=True))
        print(
            f"{name}: accuracy {accuracy(before)} -> {accuracy(after)} over {len(after)} records "
            f"({changed} verdicts changed)"
        )
        if check:
            _audit_records(after, run_dir / "audit.jsonl", timeout=timeout, workers=workers)
    return 0


def regrade_areal(
    path: Path,
    timeout: float,
    workers: int | None,
    output: str | None,
    check: bool = False,
    lock_wait: float = 0.0,
) -> int:
    """Re-grade an AReaL output folder; print AReaL's and evalkit's accuracy per dataset; with ``output``,
    store each dataset as an evalkit run under that directory (and with ``check``, its audit there), under
    its lock; a stored run there with other settings is refused, not replaced."""
    runs = read_areal_folder(path, timeout=timeout, workers=workers)
    for name, areal_run in runs.items():
        records = areal_run.records
        stored = sum(areal_run.areal_scores)
        changed = sum(r.correct != s for r, s in zip(records, areal_run.areal_scores, strict=True))
        print(
            f"{name}: {len(records)} responses: accuracy by AReaL's score "
            f"{100 * stored / len(records):.2f}% -> by evalkit {accuracy(records)} ({changed} verdicts changed)"
        )
        if output:
            store = RunStore(Path(output) / name)
            grading = grading_for(name, areal_run.settings["template"]["name"])
            manifest = {**areal_run.settings, "grader": grader_section(grading)}
            with run_lock(Path(output), wait=lock_wait):
                store.check(manifest, mutable=("grader",))
                store.run_dir.mkdir(parents=True, exist_ok=True)
                store.rewrite(records)
                store.write_manifest(manifest)
            if check:
                _audit_records(records, store.run_dir / "audit.jsonl", timeout=timeout, workers=workers)
    if output:
        print(f"evalkit runs written to {output} (evalkit report / compare read them)")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        with terminate_as_interrupt():
            return _run(args)
    except BrokenPipeError:
        raise  # the reader went away: the dispatcher exits quietly
    except (OSError, ValueError, StoreError, UsageError, AReaLFolderError) as err:
        print(f"evalkit grade: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        what, code = interrupted(stop)
        print(
            f"evalkit grade: {what}; every file is whole (runs re-graded before it are stored, the others "
            "unchanged)",
            file=sys.stderr,
        )
        return code


def _run(args: argparse.Namespace) -> int:
    if args.audit and not audit.available():
        print(f"evalkit grade --audit: {audit.MISSING}", file=sys.stderr)
        return 2

    if is_areal_folder(args.input):
        if args.audit and not args.output:
            print(
                "evalkit grade --audit: with an AReaL folder, name where to write (-o DIR)", file=sys.stderr
            )
            return 2
        return regrade_areal(args.input, args.timeout, args.workers, args.output, args.audit, args.lock_wait)
    if args.input.is_dir():
        return regrade_runs(args.input, args.timeout, args.audit, args.workers, args.lock_wait)
    try:
        items, bad = read_items(args.input, args.response_field, args.gold_field, sys.stderr)
    except OSError as err:
        print(f"evalkit grade: cannot read {args.input}: {err.strerror or err}", file=sys.stderr)
        return 2
    verdicts = grade_many(
        [(i.response, i.gold) for i in items],
        timeout=args.timeout,
        workers=args.workers,
        contexts=[ResponseContext(truncated=i.truncated) for i in items],
    )
    output = args.output or str(args.input.with_suffix(".graded.jsonl"))
    if output == "-":
        sys.stdout.writelines(verdict_lines(items, verdicts))
        print(summary(items, verdicts, bad), file=sys.stderr)
    else:
        with open(output, "w", encoding="utf-8") as f:
            f.writelines(verdict_lines(items, verdicts))
        print(summary(items, verdicts, bad))
        print(f"verdicts written to {output}")
    if args.audit:
        write_audit(
            [f"{args.input}:{i.line}" + (f"[{i.index}]" if i.index else "") for i in items],
            [i.response for i in items],
            verdicts,
            (args.input if output == "-" else Path(output)).with_suffix(".audit.jsonl"),
            timeout=args.timeout,
            workers=args.workers,
            out=sys.stderr if output == "-" else sys.stdout,
        )
    return 1 if bad else 0
