"""The run store: ``<output_path>/<model_tag>/<benchmark>/`` holds ``manifest.json`` and ``samples.jsonl``.

``manifest.json`` is the run fingerprint (model, benchmark, template, sampling parameters, backend,
grader policy); ``samples.jsonl`` is append-only, one ``SampleRecord`` per line. A run resumes only
under the same fingerprint, checked (:meth:`RunStore.check`) before anything is written. A torn last
line (a write cut by a kill) is dropped with a warning and cut off the file before appending; any
other unreadable line, and a second record under one key that differs from the first, is an error
naming ``file:line``. Files are replaced only through a uniquely named, fsynced temporary file.
The guarantees, and who may write under which lock, are in docs/sampling.md ("The run store").
"""

import hashlib
import json
import os
import re
import tempfile
import warnings
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

from evalkit.errors import UsageError
from evalkit.run.records import SampleRecord

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"


class BenchmarkSection(TypedDict):
    name: str
    sha256: str
    problems: int


class TemplateSection(TypedDict):
    name: str
    sha256: str


class Manifest(TypedDict, total=False):
    """``manifest.json``: everything that decides a run's records (``evalkit.run.runner.run_fingerprint``).
    Sections an older evalkit did not write may be missing."""

    evalkit: str  # the version that wrote it
    model: dict[str, Any]  # the path and, for a local directory, the sha256 of its config files
    benchmark: BenchmarkSection
    template: TemplateSection
    sampling: dict[str, Any]  # RunConfig.sampling()
    backend: dict[str, Any]  # Sampler.describe()
    grader: dict[str, Any]  # the extraction policy's fields and the grader "version"


class StoreError(RuntimeError):
    """The run directory cannot be used as it is: corrupt records or a different run's fingerprint."""


class TornLineWarning(UserWarning):
    """The last line of ``samples.jsonl`` was cut mid-write and is dropped."""


class DuplicateRecordWarning(UserWarning):
    """``samples.jsonl`` holds the same record twice; the copy is ignored."""


_UNSAFE = re.compile(r"[^\w.-]+")  # \w is Unicode: 步骤一 stays as it is


def model_tag(model_path: str | os.PathLike[str], parts: int = 4) -> str:
    """Run directory name for a model: its last ``parts`` path components joined by ``__``.

    Four parts keep AReaL checkpoints apart (``<experiment>/<trial>/actor/<epoch..step..>``). Letters of
    any script are kept; where other characters had to be replaced (``a b`` and ``a+b`` would both read
    ``a_b``), a short hash of the components as written is appended, so distinct paths stay distinct.
    """
    names = [p for p in Path(os.path.normpath(model_path)).parts if p not in ("/", "\\", ".", "..")]
    kept = names[-parts:]
    tag = "__".join(_UNSAFE.sub("_", p) for p in kept).strip("._")
    if not tag:
        raise ValueError(
            f"cannot derive a run directory name from model path {str(model_path)!r}; pass a tag"
        )
    if tag != "__".join(kept):
        tag += "-" + hashlib.sha256("/".join(kept).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return tag


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level with dotted keys: ``{"a": {"b": 1}} -> {"a.b": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def fingerprint_diff(stored: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Lines ``field: stored (stored) vs now (now)`` for every field that differs (paths as text)."""
    old, new = flatten(stored), flatten(_jsonable(current))
    absent = "<absent>"

    def shown(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    return [
        f"{key}: {shown(old.get(key, absent))} (stored) vs {shown(new.get(key, absent))} (now)"
        for key in sorted(old.keys() | new.keys())
        if old.get(key, absent) != new.get(key, absent)
    ]


def refused_fields(diff: Iterable[str], mutable: Collection[str]) -> list[str]:
    """The lines of ``diff`` (from :func:`fingerprint_diff`) outside the ``mutable`` fields."""
    return [line for line in diff if not within(line.split(":", 1)[0], mutable)]


def _jsonable(data: Mapping[str, Any]) -> Any:
    """``data`` as it reads back from JSON (tuples become lists, paths strings): stored and current compare equal."""
    return json.loads(json.dumps(data, default=str))


def _jsonl(records: Iterable[SampleRecord]) -> str:
    return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a uniquely named temporary file beside it, fsynced, renamed over it,
    then the directory fsynced, so a crash leaves the old file or the new one, never a mix."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # a platform or file system that cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_records(path: str | os.PathLike[str], *, repair: bool = False) -> list[SampleRecord]:
    """Records of a ``samples.jsonl``; a torn last line is dropped with a warning (and cut off if ``repair``).

    A key stored twice with identical records is read once (with a warning); with different records it is
    a ``StoreError`` naming both lines: which one is right cannot be known."""
    path = Path(path)
    if not path.is_file():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        warnings.warn(
            f"{path}: dropping a torn last line ({len(data) - end} bytes, cut mid-write); it will be redone",
            TornLineWarning,
            stacklevel=2,
        )
        if repair:
            with path.open("r+b") as f:
                f.truncate(end)
    records: dict[tuple[str, str, int], tuple[int, SampleRecord]] = {}
    duplicates = []
    for number, line in enumerate(data[:end].splitlines(), start=1):
        try:
            record = SampleRecord.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{path}:{number}: corrupt record ({exc}); fix or delete that line") from exc
        first = records.setdefault(record.key, (number, record))
        if first[1] is record:
            continue
        if first[1] != record:
            raise StoreError(
                f"{path}:{number}: a second, different record for {_describe_key(record.key)} "
                f"(first on line {first[0]}); keep the right one and delete the other line"
            )
        duplicates.append(number)
    if duplicates:
        warnings.warn(
            f"{path}: {len(duplicates)} duplicate line(s) ignored (identical to an earlier record; "
            f"line {', '.join(map(str, duplicates[:5]))}{', ...' if len(duplicates) > 5 else ''})",
            DuplicateRecordWarning,
            stacklevel=2,
        )
    return [record for _, record in records.values()]


def _describe_key(key: tuple[str, str, int]) -> str:
    problem, kind, index = key
    return f"problem {problem}, {kind} {index}"


def within(key: str, sections: Collection[str]) -> bool:
    """Whether dotted ``key`` is one of ``sections`` or lies inside one."""
    return any(key == s or key.startswith(s + ".") for s in sections)


class RunStore:
    """One benchmark run of one model: its manifest and its append-only samples."""

    def __init__(self, run_dir: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.manifest_path = self.run_dir / MANIFEST
        self.samples_path = self.run_dir / SAMPLES
        self.fsync = fsync

    def manifest(self) -> Manifest | None:
        """The stored fingerprint, or ``None`` before the run started; an unreadable one is a ``StoreError``
        naming the file."""
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"{self.manifest_path}: cannot be read ({exc})") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StoreError(
                f"{self.manifest_path}: not valid JSON ({exc}); the samples beside it are intact: restore "
                "the manifest, or use --overwrite to start over (the old files are moved aside)"
            ) from exc
        if not isinstance(data, dict):
            raise StoreError(f"{self.manifest_path}: holds a JSON {type(data).__name__}, not an object")
        return data  # type: ignore[return-value]

    def records(self) -> list[SampleRecord]:
        """Stored records, read-only (a torn last line is dropped with a warning but left in the file)."""
        return read_records(self.samples_path)

    def check(self, fingerprint: Mapping[str, Any], *, mutable: Collection[str] = ()) -> list[str]:
        """Whether the run under ``fingerprint`` may start or resume here, writing nothing: the differences
        in ``mutable`` fields (empty for a new run); a ``StoreError`` naming the others, if any."""
        stored = self.manifest()
        if stored is None:
            if self.samples_path.exists():
                raise StoreError(
                    f"{self.samples_path} exists without {MANIFEST}, so its provenance is unknown; "
                    "restore the manifest, or use --overwrite to start over (the old file is moved aside)"
                )
            return []
        diff = fingerprint_diff(stored, fingerprint)
        refused = refused_fields(diff, mutable)
        if refused:
            raise StoreError(
                f"{self.run_dir} holds a run with a different fingerprint:\n  "
                + "\n  ".join(refused)
                + "\nnothing was changed; to keep both runs, pass --model_tag NAME or another --output_path; "
                "--overwrite starts over (the stored files are moved aside)"
            )
        return diff

    def open(
        self, fingerprint: Mapping[str, Any], *, overwrite: bool = False, mutable: Collection[str] = ()
    ) -> list[SampleRecord]:
        """Start or resume the run under ``fingerprint``; return the records already stored.

        A different stored fingerprint raises ``StoreError`` naming the differing fields (see :meth:`check`;
        nothing is written then), unless ``overwrite``, which moves the old files to ``overwritten/<time>/``
        and starts empty. Fields named in ``mutable`` (dotted, e.g. ``sampling.n_sampling``, or a section
        such as ``backend.data_parallel``) may differ: they change no stored record, and the manifest is
        rewritten with their new values.
        """
        if overwrite:
            self._move_aside()
        diff = self.check(fingerprint, mutable=mutable)
        if diff or self.manifest() is None:
            self.write_manifest(fingerprint)
        return read_records(self.samples_path, repair=True)

    def append(self, records: Iterable[SampleRecord]) -> None:
        """Append records as JSON lines, flushed (and fsynced) before returning."""
        with self.samples_path.open("a", encoding="utf-8") as f:
            f.write(_jsonl(records))
            f.flush()
            if self.fsync:
                os.fsync(f.fileno())

    def rewrite(self, records: Iterable[SampleRecord]) -> None:
        """Replace all records at once (atomic rename), e.g. after re-grading."""
        write_atomic(self.samples_path, _jsonl(records))

    def write_manifest(self, fingerprint: Mapping[str, Any]) -> None:
        """Write the fingerprint at once (atomic rename), e.g. a new grader version after re-grading."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.manifest_path, json.dumps(_jsonable(fingerprint), indent=2, sort_keys=True) + "\n")

    def _move_aside(self) -> None:
        old = [p for p in (self.manifest_path, self.samples_path) if p.exists()]
        if not old:
            return
        backup = self.run_dir / "overwritten" / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        backup.mkdir(parents=True, exist_ok=True)
        for p in old:
            p.rename(backup / p.name)


def find_runs(path: Path) -> dict[str, Path]:
    """Benchmark run directories (holding ``samples.jsonl``) by benchmark name.

    ``path`` is one benchmark run, a model-tag directory, or an output path with exactly one model tag.
    """
    if (path / SAMPLES).is_file():
        return {path.name: path}
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a directory")
    runs = {d.name: d for d in sorted(path.iterdir()) if (d / SAMPLES).is_file()}
    if runs:
        return runs
    tags = [d for d in sorted(path.iterdir()) if d.is_dir() and any(d.glob(f"*/{SAMPLES}"))]
    if len(tags) == 1:
        return find_runs(tags[0])
    if tags:
        raise ValueError(f"{path} holds several model tags ({', '.join(t.name for t in tags)}); name one")
    raise FileNotFoundError(f"no benchmark runs (*/{SAMPLES}) under {path}")


def run_root(model_path: str, output_path: str | None, tag: str | None) -> Path:
    """The run directory: ``<output_path>/<model_tag>``, the tag one path component."""
    tag = tag or model_tag(model_path)
    if tag in ("", ".", "..") or Path(tag).name != tag or "/" in tag or (os.altsep and os.altsep in tag):
        raise UsageError(f"--model_tag {tag!r}: must be one directory name (no '/', not '.' or '..')")
    return Path(output_path or model_path) / tag
