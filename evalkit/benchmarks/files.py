"""Benchmark data files fetched and checked: download from the Hugging Face Hub, import from a folder, verify
against the specs (each prints what it did and returns an exit code)."""

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evalkit.benchmarks.loading import (
    BenchmarkError,
    BenchmarkSpec,
    file_in,
    find_benchmark_file,
    list_benchmarks,
    load_spec,
    read_benchmark,
    read_problems,
    resolve_data_dir,
)

Loader = Callable[..., Any]


def _check(spec: BenchmarkSpec, path: Path) -> bool:
    """Print the verification result of ``path`` against ``spec``; True when it matches. A file that does
    not load (not UTF-8, invalid JSON, no problems) is one line naming the file and line."""
    try:
        problems = read_benchmark(spec, path).mismatches()
    except BenchmarkError as err:
        print(f"{spec.name}: INVALID {err}")
        return False
    print(f"{spec.name}: {'OK' if not problems else 'MISMATCH'} ({path})")
    for message in problems:
        print(f"  {message}")
    return not problems


def verify(specs: Sequence[BenchmarkSpec], data_dir: Path | None = None, *, require_all: bool = True) -> int:
    """0 when every found file matches its spec and at least one was found; missing files fail when
    ``require_all``."""
    ok, found = True, 0
    for spec in specs:
        try:
            path = find_benchmark_file(spec, data_dir)
        except BenchmarkError as err:
            print(f"{spec.name}: missing" + (f"\n{err}" if require_all else " (skipped)"))
            ok = ok and not require_all
            continue
        found += 1
        ok = _check(spec, path) and ok
    if not found:
        print("no benchmark data found; see 'evalkit benchmarks download --help'")
    return 0 if ok and found else 1


@contextmanager
def _atomic_target(dest: Path) -> Iterator[Path]:
    """A temporary path next to ``dest`` that replaces ``dest`` only if the block succeeds."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _hf_rows(spec: BenchmarkSpec, loader: Loader) -> list[dict[str, Any]]:
    """Rows of the spec's Hugging Face split, filtered and mapped to AReaL's JSONL fields."""
    if not spec.hf_dataset:
        note = f" ({spec.source_note})" if spec.source_note else ""
        raise BenchmarkError(
            f"benchmark {spec.name!r} has no Hugging Face source in its spec{note}; "
            "copy its file to a directory and run 'evalkit benchmarks import DIR'"
        )
    config = (spec.hf_config,) if spec.hf_config else ()
    dataset = loader(spec.hf_dataset, *config, split=spec.hf_split, revision=spec.hf_revision)
    missing = sorted(set(spec.hf_columns.values()) - set(dataset.column_names))
    if spec.hf_filter and spec.hf_filter[0] not in dataset.column_names:
        missing.append(spec.hf_filter[0])
    if missing:
        raise BenchmarkError(
            f"{spec.hf_dataset} ({spec.hf_split}) lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(dataset.column_names)}. Update the spec's [download] section."
        )
    rows = list(dataset)
    if spec.hf_filter:
        column, needle = spec.hf_filter
        rows = [r for r in rows if needle in str(r[column])]
    return [{out: row[col] for out, col in spec.hf_columns.items()} for row in rows]


def download(spec: BenchmarkSpec, data_dir: Path | None = None, loader: Loader | None = None) -> int:
    """Write ``spec.file`` from the Hugging Face Hub into the data directory atomically, then verify it."""
    offline = "without network, copy the files to a directory and run 'evalkit benchmarks import DIR'"
    try:
        if loader is None:
            from datasets import load_dataset as loader
        rows = _hf_rows(spec, loader)
    except ImportError:
        print(
            f"evalkit benchmarks download: needs 'datasets' (pip install datasets); {offline}",
            file=sys.stderr,
        )
        return 2
    except OSError as err:  # ConnectionError, timeouts, HTTP errors of the Hub
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"evalkit benchmarks download: {spec.name}: {reason}; {offline}", file=sys.stderr)
        return 2
    dest = resolve_data_dir(data_dir) / spec.file
    with _atomic_target(dest) as tmp:
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        read_problems(tmp, spec.fields, spec.gold)  # a malformed download never replaces a good file
    print(f"{spec.name}: wrote {len(rows)} problems from {spec.hf_dataset} ({spec.hf_split}) to {dest}")
    return 0 if _check(spec, dest) else 1


def _matches(spec: BenchmarkSpec, path: Path) -> bool:
    try:
        return not read_benchmark(spec, path).mismatches()
    except BenchmarkError:
        return False


def import_dir(source: Path, data_dir: Path | None = None) -> int:
    """Copy every known benchmark file found in ``source`` into the data directory and verify the copies."""
    if not source.is_dir():
        raise BenchmarkError(f"{source} is not a directory")
    target_dir = resolve_data_dir(data_dir)
    ok, found = True, 0
    for name in list_benchmarks():
        spec = load_spec(name)
        if (src := file_in(source, spec)) is None:
            continue
        found += 1
        dest = target_dir / spec.file
        if dest.exists() and not dest.samefile(src) and _matches(spec, dest) and not _matches(spec, src):
            print(f"{name}: kept {dest} (it matches the spec; {src} does not)")  # another copy of the data
        elif not dest.exists() or not dest.samefile(src):
            read_problems(
                src, spec.fields, spec.gold
            )  # an error names the user's file, not the temporary copy
            with _atomic_target(dest) as tmp:
                shutil.copyfile(src, tmp)
                read_problems(tmp, spec.fields, spec.gold)
            print(f"{name}: copied {src} -> {dest}")
        ok = _check(spec, dest) and ok
    if not found:
        expected = ", ".join(load_spec(n).file for n in list_benchmarks())
        raise BenchmarkError(
            f"no benchmark files in {source} (expected any of {expected}, or <name>/test.jsonl, "
            "or data/<name>/test.jsonl)"
        )
    return 0 if ok else 1
