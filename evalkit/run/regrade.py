"""Stored verdicts kept current with the grader.

A run's manifest records the grader that gave its verdicts: the extraction policy's fields and the
grader version (``grader.version``; runs stored before versions were recorded count as
:data:`~evalkit.graders.version.UNVERSIONED`). When the version is not the installed grader's, or a
resumed run asks for another policy, the stored responses are graded again (nothing is sampled again).

Readers never write: :func:`current_records` (``report``, ``compare``) re-grades in memory. Writers
(:func:`regrade`, :func:`refresh_verdicts`) replace ``samples.jsonl`` and stamp the manifest; their
callers hold the run lock (``eval_and_aggregate`` for its whole run, ``evalkit grade`` while it writes),
so no record appended by a running evaluation can be lost.
"""

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from evalkit.graders.version import GRADER_VERSION, UNVERSIONED
from evalkit.run.grading import RunGrading
from evalkit.run.records import SampleRecord
from evalkit.run.store import Manifest, RunStore, StoreError


def grader_section(grading: RunGrading) -> dict[str, Any]:
    """The manifest's ``grader`` section: the run's grading and the grader version."""
    return {**grading.section(), "version": GRADER_VERSION}


def grader_version(manifest: Mapping[str, Any]) -> int:
    """The grader version that graded a stored run."""
    return int(manifest.get("grader", {}).get("version", UNVERSIONED))


def stored_grading(manifest: Mapping[str, Any]) -> RunGrading:
    """The grading a stored run's verdicts were given under."""
    return RunGrading.from_section(manifest.get("grader", {}))


def is_current(manifest: Mapping[str, Any], grading: RunGrading | None = None) -> bool:
    """Whether a run's stored verdicts are the installed grader's under ``grading`` (default: its own)."""
    same = grading is None or stored_grading(manifest) == grading
    return grader_version(manifest) == GRADER_VERSION and same


def regrade_records(
    records: Sequence[SampleRecord],
    grading: RunGrading,
    *,
    timeout: float = 5.0,
    workers: int | None = None,
) -> list[SampleRecord]:
    """``records`` graded again under ``grading``, each with what its record knows of how it was made (cut
    off at the token limit or not) and its gold's declared answer type, in memory."""
    from evalkit.graders import grade_many  # sympy: only when needed

    verdicts = grade_many(
        [(r.response, r.gold) for r in records],
        timeout=timeout,
        workers=workers,
        policy=grading.policy,
        contexts=[grading.context(r.problem_id, truncated=r.truncated) for r in records],
    )
    return [
        replace(r, pred=v.pred, correct=v.correct, method=v.method, reason=v.reason, rule=v.rule)
        for r, v in zip(records, verdicts, strict=True)
    ]


def _manifest(store: RunStore) -> Manifest:
    manifest = store.manifest()
    if manifest is None:
        raise StoreError(f"{store.run_dir}: no manifest.json, not a run directory")
    return manifest


def regrade(
    run_dir: str | Path, *, timeout: float = 5.0, grading: RunGrading | None = None
) -> tuple[list[SampleRecord], list[SampleRecord]]:
    """Re-grade every stored record under ``grading`` (default: the run's own), replace them, and record that
    grading and the installed grader version in the manifest; return (records before, after). A writer:
    the caller holds the run lock."""
    store = RunStore(run_dir)
    manifest = _manifest(store)
    chosen = stored_grading(manifest) if grading is None else grading
    before = store.records()
    after = regrade_records(before, chosen, timeout=timeout)
    store.rewrite(after)  # records first: a kill before the manifest is stamped only re-grades again
    store.write_manifest({**manifest, "grader": grader_section(chosen)})
    return before, after


def refresh_verdicts(
    run_dir: str | Path,
    *,
    grading: RunGrading | None = None,
    timeout: float = 5.0,
    out: TextIO | None = None,
) -> int:
    """Re-grade a stored run whose verdicts came from another grader version (or, given ``grading``,
    under another grading), saying so in one line on ``out`` (default stderr); return the number
    of re-graded records (0 when already current, or when there is no run). A writer: the caller holds
    the run lock."""
    store = RunStore(run_dir)
    manifest = store.manifest()
    if manifest is None or is_current(manifest, grading):
        return 0
    before, after = regrade(run_dir, timeout=timeout, grading=grading)
    other_policy = grading is not None and stored_grading(manifest) != grading
    print(
        f"{store.run_dir.name}: re-graded {len(after):,} stored responses with grader {GRADER_VERSION} "
        f"(run was graded by grader {grader_version(manifest)}"
        f"{' under another extraction policy' if other_policy else ''}): {_change(before, after)}",
        file=out or sys.stderr,
    )
    return len(after)


def current_records(run_dir: str | Path, *, out: TextIO | None = None) -> list[SampleRecord]:
    """A stored run's records with the installed grader's verdicts, writing nothing: a run graded by another
    grader version is re-graded in memory, with a note on ``out`` (default stderr)."""
    store = RunStore(run_dir)
    manifest = store.manifest()
    records = store.records()
    if manifest is None or is_current(manifest):
        return records
    after = regrade_records(records, stored_grading(manifest))
    print(
        f"{store.run_dir.name}: graded by grader {grader_version(manifest)}, shown with grader "
        f"{GRADER_VERSION} ({_change(records, after)}); the stored verdicts are unchanged "
        f"(`evalkit grade {store.run_dir}` stores the new ones)",
        file=out or sys.stderr,
    )
    return after


def _change(before: Sequence[SampleRecord], after: Sequence[SampleRecord]) -> str:
    changed = sum(a.correct != b.correct for a, b in zip(after, before, strict=True))
    return f"accuracy {accuracy(before)} -> {accuracy(after)}, {changed:,} verdicts changed"


def accuracy(records: Sequence[SampleRecord]) -> str:
    """The share of correct records, as ``12.34%``."""
    return f"{100 * sum(r.correct for r in records) / len(records) if records else 0.0:.2f}%"
