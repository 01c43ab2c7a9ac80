"""Stored verdicts kept current with the grader.

A run's manifest records the grader that gave its verdicts: the extraction policy's fields and the
grader version (``grader.version``; runs stored before versions were recorded count as
:data:`~evalkit.graders.version.UNVERSIONED`). When the version is not the installed grader's, or a
resumed run asks for another policy, :func:`refresh_verdicts` re-grades the stored responses in place
(nothing is sampled again) and stamps the manifest, so that a rerun after a grader fix never reprints
old verdicts, and a run is never mistaken for a different one because its grader changed.
"""

import sys
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TextIO

from evalkit.graders.version import GRADER_VERSION, UNVERSIONED
from evalkit.run.records import SampleRecord
from evalkit.run.store import RunStore, StoreError


def grader_section(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest's ``grader`` section: the extraction policy's fields and the grader version."""
    return {**policy, "version": GRADER_VERSION}


def grader_version(manifest: Mapping[str, Any]) -> int:
    """The grader version that graded a stored run."""
    return int(manifest.get("grader", {}).get("version", UNVERSIONED))


def _policy_fields(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest.get("grader", {}).items() if k != "version"}


def regrade(
    run_dir: str | Path, *, timeout: float = 5.0, policy: Mapping[str, Any] | None = None
) -> list[SampleRecord]:
    """Re-grade every stored record with ``policy`` (the extraction policy's fields; default: the
    run's own), rewrite them, and record that policy and the installed grader version in the manifest;
    return the records."""
    from evalkit.graders import ExtractionPolicy, grade_many  # sympy: only when there is something to grade

    store = RunStore(run_dir)
    manifest = store.manifest()
    if manifest is None:
        raise StoreError(f"{run_dir}: no manifest.json, not a run directory")
    chosen = dict(_policy_fields(manifest) if policy is None else policy)
    known = {f.name for f in fields(ExtractionPolicy)}  # a newer evalkit's fields are not ours to read
    records = store.records()
    verdicts = grade_many(
        [(r.response, r.gold) for r in records],
        timeout=timeout,
        policy=ExtractionPolicy(**{k: v for k, v in chosen.items() if k in known}),
    )
    regraded = [
        replace(r, pred=v.pred, correct=v.correct, method=v.method, reason=v.reason, rule=v.rule)
        for r, v in zip(records, verdicts, strict=True)
    ]
    store.rewrite(regraded)  # records first: a kill before the manifest is stamped only re-grades again
    store.write_manifest({**manifest, "grader": grader_section(chosen)})
    return regraded


def refresh_verdicts(
    run_dir: str | Path,
    *,
    policy: Mapping[str, Any] | None = None,
    timeout: float = 5.0,
    out: TextIO | None = None,
) -> int:
    """Re-grade a stored run whose verdicts came from another grader version (or, given ``policy``,
    another extraction policy), saying so in one line on ``out`` (default stderr); return the number
    of re-graded records (0 when already current, or when there is no run)."""
    store = RunStore(run_dir)
    manifest = store.manifest()
    if manifest is None:
        return 0
    other_policy = policy is not None and _policy_fields(manifest) != dict(policy)
    if grader_version(manifest) == GRADER_VERSION and not other_policy:
        return 0
    before = store.records()
    after = regrade(run_dir, timeout=timeout, policy=policy)
    changed = sum(a.correct != b.correct for a, b in zip(after, before, strict=True))
    print(
        f"{store.run_dir.name}: re-graded {len(after):,} stored responses with grader {GRADER_VERSION} "
        f"(run was graded by grader {grader_version(manifest)}"
        f"{' under another extraction policy' if other_policy else ''}): accuracy {accuracy(before)} -> "
        f"{accuracy(after)}, {changed:,} verdicts changed",
        file=out or sys.stderr,
    )
    return len(after)


def current_records(run_dir: str | Path) -> list[SampleRecord]:
    """A stored run's records, re-graded first if another grader version graded them."""
    refresh_verdicts(run_dir)
    return RunStore(run_dir).records()


def accuracy(records: list[SampleRecord]) -> str:
    """The share of correct records, as ``12.34%``."""
    return f"{100 * sum(r.correct for r in records) / len(records) if records else 0.0:.2f}%"
