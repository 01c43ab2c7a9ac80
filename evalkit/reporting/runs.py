"""Runs as ``report``, ``compare`` and ``grade`` read them: evalkit's run store or an AReaL output folder.

Each run comes with its settings (the manifest, or what AReaL's file names say), so that results are
never shown apart from the model, template and sampling that produced them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.reporting.areal_files import is_areal_folder, read_areal_folder
from evalkit.run.records import SampleRecord
from evalkit.run.regrade import current_records
from evalkit.run.store import RunStore, find_runs, flatten

# Settings that make two runs of one benchmark comparable: what was asked and how it was sampled.
# The sample count and the seed change no distribution, so they may differ.
COMPARABLE = (
    "benchmark.sha256",
    "template.sha256",
    "template.name",
    "sampling.temperature",
    "sampling.top_p",
    "sampling.top_k",
    "sampling.max_new_tokens",
    "sampling.stop",
    "sampling.greedy",
)
_UNKNOWN = "?"


@dataclass(frozen=True, slots=True)
class Run:
    """One benchmark run: its records (verdicts current), settings, and problem texts where known."""

    records: list[SampleRecord]
    settings: dict[str, Any]
    texts: dict[str, str] | None = None


def load_runs(path: Path) -> dict[str, Run]:
    """Runs by benchmark name under ``path``: evalkit's run store (re-graded when another grader graded it)
    or an AReaL output folder (always re-graded with evalkit's grader)."""
    if is_areal_folder(path):
        return {
            name: Run(run.records, run.settings, run.texts) for name, run in read_areal_folder(path).items()
        }
    return {
        name: Run(current_records(d), RunStore(d).manifest() or {}) for name, d in find_runs(path).items()
    }


def expected_samples(settings: Mapping[str, Any]) -> int | None:
    """How many records a stored run holds when complete (problems x (greedy + n_sampling)), from its
    manifest; None where the settings do not say (an AReaL folder holds what it holds)."""
    problems = settings.get("benchmark", {}).get("problems")
    sampling = settings.get("sampling", {})
    n = sampling.get("n_sampling")
    if not isinstance(problems, int) or not isinstance(n, int):
        return None
    return problems * (n + bool(sampling.get("greedy", True)))


def incomplete(runs: Mapping[str, Run]) -> list[str]:
    """One line per run that lacks records for its own settings: ``NAME is incomplete: K of N samples
    missing``."""
    lines = []
    for name, run in runs.items():
        expected = expected_samples(run.settings)
        if expected is not None and len(run.records) < expected:
            lines.append(
                f"{name} is incomplete: {expected - len(run.records):,} of {expected:,} samples missing"
            )
    return lines


def settings_summary(settings: Mapping[str, Any]) -> dict[str, str]:
    """The settings a reader needs beside a run's numbers, as display strings."""
    sampling = settings.get("sampling", {})
    backend = settings.get("backend", {})
    grader = settings.get("grader", {})

    def get(mapping: Mapping[str, Any], key: str) -> str:
        value = mapping.get(key)
        return _UNKNOWN if value is None else str(value)

    return {
        "model": get(settings.get("model", {}), "path"),
        "template": get(settings.get("template", {}), "name"),
        "sampling": (
            f"n={get(sampling, 'n_sampling')} temperature={get(sampling, 'temperature')} "
            f"top_p={get(sampling, 'top_p')} top_k={get(sampling, 'top_k')} "
            f"max_new_tokens={get(sampling, 'max_new_tokens')} seed={get(sampling, 'seed')}"
        ),
        "backend": get(backend, "name") + (f" ({backend['source']})" if backend.get("source") else ""),
        "evalkit": get(settings, "evalkit"),
        "grader": get(grader, "version"),
    }


def settings_diff(
    a: Mapping[str, Any], b: Mapping[str, Any], keys: tuple[str, ...] = COMPARABLE
) -> list[str]:
    """``key: A vs B`` for each comparable setting that differs; a setting unknown on either side
    (AReaL's files keep no hashes) is not compared."""
    fa, fb = flatten(a), flatten(b)
    if fa.get("template.sha256") and fb.get("template.sha256"):
        keys = tuple(k for k in keys if k != "template.name")  # equal templates under two names are equal
    return [
        f"{key}: {fa[key]!r} (A) vs {fb[key]!r} (B)"
        for key in keys
        if fa.get(key) is not None and fb.get(key) is not None and fa[key] != fb[key]
    ]


def mixed_settings(settings: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Settings that differ between the benchmarks of one run directory (``key: value (benchmark), ...``),
    given each benchmark's manifest."""
    keys = [k for k in COMPARABLE if not k.startswith("benchmark.")] + ["model.path", "backend.name"]
    flat = {name: flatten(manifest) for name, manifest in settings.items()}
    lines = []
    for key in keys:
        values = {name: f.get(key) for name, f in flat.items()}
        if len({repr(v) for v in values.values()}) > 1:
            lines.append(f"{key}: " + ", ".join(f"{v!r} ({name})" for name, v in values.items()))
    return lines
