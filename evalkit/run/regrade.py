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
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TextIO

from evalkit.graders.version import GRADER_VERSION, UNVERSIONED
from evalkit.run.records import SampleRecord
from evalkit.run.store import Manifest, RunStore, StoreError


def grader_section(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's ``grader`` section: the extraction policy's fields and the grader version."""
    return {**policy, "version": GRADER_VERSION}


def answer_type_of(policy: Mapping[str, Any], problem_id: str) -> str | None:
    """The gold's answer type of problem ``problem_id`` in a run graded under ``policy`` (the manifest's
    ``grader`` section): its ``answer_type``, one type for every problem or one per problem id."""
    declared = policy.get("answer_type")
    if isinstance(declared, Mapping):
        declared = declared.get(problem_id)
    return declared if isinstance(declared, str) else None


def grader_version(manifest: Mapping[str, Any]) -> int:
    """The grader version that graded a stored run."""
    return int(manifest.get("grader", {}).get("version", UNVERSIONED))


def policy_fields(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The extraction policy's fields a stored run was graded under."""
    return {k: v for k, v in manifest.get("grader", {}).items() if k != "version"}


def is_current(manifest: Mapping[str, Any], policy: Mapping[str, Any] | None = None) -> bool:
    """Whether a run's stored verdicts are the installed grader's under ``policy`` (default: its own)."""
    same_policy = policy is None or policy_fields(manifest) == dict(policy)
    return grader_version(manifest) == GRADER_VERSION and same_policy


def regrade_records(
    records: Sequence[SampleRecord],
    policy: Mapping[str, Any],
    *,
    timeout: float = 5.0,
    workers: int | None = None,
) -> list[SampleRecord]:
    """``records`` graded again under ``policy`` (the extraction policy's fields), each with what its record
    knows of how it was made (cut off at the token limit or not) and its gold's answer type where
    ``policy`` records one (:func:`answer_type_of`), in memory."""
    from evalkit.graders import ExtractionPolicy, ResponseContext, grade_many  # sympy: only when needed

    known = {f.name for f in fields(ExtractionPolicy)}  # a newer evalkit's fields are not ours to read
    verdicts = grade_many(
        [(r.response, r.gold) for r in records],
        timeout=timeout,
        workers=workers,
        policy=ExtractionPolicy(**{k: v for k, v in policy.items() if k in known}),
        contexts=[  # with the gold's answer type
            ResponseContext(truncated=r.truncated, answer_type=answer_type_of(policy, r.problem_id))
            for r in records
        ],
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
    run_dir: str | Path, *, timeout: float = 5.0, policy: Mapping[str, Any] | None = None
) -> tuple[list[SampleRecord], list[SampleRecord]]:
    """Re-grade every stored record with ``policy`` (default: the run's own), replace them, and record that
    policy and the installed grader version in the manifest; return (records before, after). A writer: the
    caller holds the run lock."""
    store = RunStore(run_dir)
    manifest = _manifest(store)
    chosen = dict(policy_fields(manifest) if policy is None else policy)
    before = store.records()
    after = regrade_records(before, chosen, timeout=timeout)
    store.rewrite(after)  # records first: a kill before the manifest is stamped only re-grades again
    store.write_manifest({**manifest, "grader": grader_section(chosen)})
    return before, after


def refresh_verdicts(
    run_dir: str | Path,
    *,
    policy: Mapping[str, Any] | None = None,
    timeout: float = 5.0,
    out: TextIO | None = None,
) -> int:
    """Re-grade a stored run whose verdicts came from another grader version (or, given ``policy``,
    another extraction policy), saying so in one line on ``out`` (default stderr); return the number
    of re-graded records (0 when already current, or when there is no run). A writer: the caller holds
    the run lock."""
    store = RunStore(run_dir)
    manifest = store.manifest()
    if manifest is None or is_current(manifest, policy):
        return 0
    before, after = regrade(run_dir, timeout=timeout, policy=policy)
    other_policy = policy is not None and policy_fields(manifest) != dict(policy)
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
    after = regrade_records(records, policy_fields(manifest))
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
