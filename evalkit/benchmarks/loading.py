"""Benchmarks as data: declarative specs (``benchmarks/specs/*.toml``) and AReaL-format JSONL problem files.

This module is at the top of the data flow: it imports nothing else from evalkit.
"""

import hashlib
import json
import os
import re
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from evalkit.errors import UsageError

ENV_DATA_DIR = "EVALKIT_DATA_DIR"
_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
DEFAULT_DATA_DIR = Path("~/.cache/evalkit/benchmarks")
_SPEC_SUFFIX = ".toml"
_HINTS = {g: " (True or False)" for g in ("true", "false")} | {g: " (Yes or No)" for g in ("yes", "no")}


class BenchmarkError(Exception):
    """A problem with benchmark data or specs that the user can fix; the message says how."""


class BenchmarkWarning(UserWarning):
    """The data loaded, but differs from its spec (problem count or hash)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One benchmark problem. ``gold`` is the file's answer as a faithful string (``27.0`` stays ``"27.0"``)."""

    id: str
    problem: str
    gold: str
    answer_type: str | None = None  # the gold's type, where the spec or the data declares it


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which JSONL fields hold the id, the problem and the answer; the first field present wins.

    The problem order follows AReaL's ``parse_question`` (``question`` before ``problem``).
    """

    problem: tuple[str, ...] = ("question", "problem")
    answer: str = "answer"
    id: tuple[str, ...] = ("id", "unique_id", "idx")


GOLD_READS = ("field", "box", "after", "list", "letter")


@dataclass(frozen=True, slots=True)
class GoldRule:
    """How the gold is read from the answer field (``[gold]`` in a spec); the default takes it as is.

    ``read``: ``field`` (the value, a faithful string), ``box`` (the last ``\\boxed{}`` inside it: a worked
    solution), ``after`` (the text after the last ``marker``: GSM8K's ``#### 18``), ``list`` (a JSON list,
    its items joined by ``", "``: an order-free multi-answer gold), ``letter`` (a multiple-choice letter;
    with ``option`` naming the field that holds the correct option's text, the gold is ``(D) text``).
    ``remove``: characters deleted from the gold (``"$"``: LaTeX delimiters). ``answer_type``: the type of
    every gold (``choice``, ``number``...); ``type_field`` names a field holding each problem's own type,
    mapped through ``types`` (``Numerical = "number"``). ``hints``: a question whose gold is true/false or
    yes/no ends with `` (True or False)`` / `` (Yes or No)``, as AReaL's and Qwen2.5-Math's ``parse_question``.
    """

    read: str = "field"
    marker: str = ""
    remove: str = ""
    option: str | None = None
    answer_type: str | None = None
    type_field: str | None = None
    types: Mapping[str, str] = field(default_factory=dict, hash=False)
    hints: bool = False


@dataclass(frozen=True, slots=True)
class BenchmarkSpec:
    """A benchmark declared as data. ``count``/``sha256`` are ``None`` for an ad-hoc JSONL file.

    ``sha256`` is the hash of the canonical file's bytes; ``content_sha256`` hashes the parsed
    (id, problem, gold) triples (see :func:`content_sha256`), so a re-downloaded file that only differs
    in JSON formatting or extra columns still verifies. ``hf_columns`` maps each written JSONL field to
    the Hugging Face column it is copied from; ``hf_filter`` keeps rows whose column contains a substring.
    """

    name: str
    file: str
    count: int | None = None
    sha256: str | None = None
    content_sha256: str | None = None
    fields: FieldMap = FieldMap()
    answer_kind: str = "unknown"
    last_number_fallback: bool = False
    description: str = ""
    hf_dataset: str | None = None
    hf_config: str | None = None
    hf_split: str | None = None
    hf_revision: str | None = None
    hf_columns: Mapping[str, str] = field(default_factory=dict, hash=False)
    hf_filter: tuple[str, str] | None = None
    source_note: str = ""
    gold: GoldRule = GoldRule()
    suites: tuple[str, ...] = ()
    license: str = ""
    areal_fields: tuple[str, ...] = ()  # the file's fields AReaL's math_eval.py copies into its sample lines


@dataclass(frozen=True, slots=True)
class Benchmark:
    """Problems loaded from ``path``; ``sha256`` is the hash of that file's bytes."""

    spec: BenchmarkSpec
    problems: tuple[Problem, ...]
    path: Path
    sha256: str

    @property
    def name(self) -> str:
        return self.spec.name

    def __len__(self) -> int:
        return len(self.problems)

    def mismatches(self) -> list[str]:
        """How the data differs from its spec (empty when it matches or the spec states nothing)."""
        spec, found = self.spec, []
        if spec.count is not None and len(self.problems) != spec.count:
            found.append(f"{self.path}: expected {spec.count} problems, found {len(self.problems)}")
        if spec.sha256 is not None and self.sha256 != spec.sha256:
            content = content_sha256(self.problems)
            if spec.content_sha256 is None or content != spec.content_sha256:
                found.append(
                    f"{self.path}: sha256 {self.sha256} differs from the spec's {spec.sha256} "
                    f"(content sha256 {content}, spec {spec.content_sha256})"
                )
        return found


def content_sha256(problems: Iterable[Problem]) -> str:
    """Hash of the (id, problem, gold) triples, independent of JSON formatting and extra fields."""
    digest = hashlib.sha256()
    for p in problems:
        digest.update(json.dumps([p.id, p.problem, p.gold], ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------- specs


def _spec_dir() -> Any:
    return resources.files("evalkit.benchmarks.catalog") / "specs"


def list_benchmarks() -> list[str]:
    """Names of the benchmarks that ship a spec, sorted."""
    return sorted(
        e.name.removesuffix(_SPEC_SUFFIX) for e in _spec_dir().iterdir() if e.name.endswith(_SPEC_SUFFIX)
    )


def list_suites() -> dict[str, list[str]]:
    """Named suites (``rl_math``) and their benchmarks, in name order: each spec's ``suites`` says which
    suites the benchmark belongs to."""
    suites: dict[str, list[str]] = {}
    for name in list_benchmarks():
        for suite in load_spec(name).suites:
            suites.setdefault(suite, []).append(name)
    return dict(sorted(suites.items()))


def expand_names(names: Iterable[str]) -> list[str]:
    """Benchmark names with each suite name replaced by its benchmarks, in order, without repeats."""
    suites = list_suites()
    expanded: list[str] = []
    for name in names:
        for one in suites.get(name, [name]):
            if one not in expanded:
                expanded.append(one)
    return expanded


def load_spec(name: str) -> BenchmarkSpec:
    """The spec ``benchmarks/specs/<name>.toml``; an unknown name lists the known ones."""
    entry = _spec_dir() / f"{name}{_SPEC_SUFFIX}"
    if not entry.is_file():
        suites = ", ".join(f"{s} ({','.join(names)})" for s, names in list_suites().items())
        raise BenchmarkError(
            f"unknown benchmark {name!r}; known benchmarks: {', '.join(list_benchmarks())}"
            + (f"; suites: {suites}" if suites else "")
        )
    return parse_spec(tomllib.loads(entry.read_text(encoding="utf-8")), source=f"specs/{name}{_SPEC_SUFFIX}")


def parse_spec(data: Mapping[str, Any], *, source: str) -> BenchmarkSpec:
    """Build a spec from its TOML table; a missing or mistyped key names ``source`` and the key."""
    try:
        fields, default = data.get("fields", {}), FieldMap()
        download = data.get("download", {})
        flt = download.get("filter")
        return BenchmarkSpec(
            name=str(data["name"]),
            file=str(data["file"]),
            count=int(data["count"]),
            sha256=str(data["sha256"]),
            content_sha256=str(data["content_sha256"]),
            fields=FieldMap(
                problem=tuple(fields.get("problem", default.problem)),
                answer=str(fields.get("answer", default.answer)),
                id=tuple(fields.get("id", default.id)),
            ),
            answer_kind=str(data["answer_kind"]),
            last_number_fallback=bool(data["last_number_fallback"]),
            description=str(data.get("description", "")),
            hf_dataset=download.get("hf_dataset"),
            hf_config=download.get("hf_config"),
            hf_split=download.get("hf_split"),
            hf_revision=download.get("hf_revision"),
            hf_columns=dict(download.get("columns", {})),
            hf_filter=(str(flt["column"]), str(flt["contains"])) if flt else None,
            source_note=str(download.get("source_note", "")),
            gold=_gold_rule(data.get("gold", {})),
            suites=tuple(str(x) for x in data.get("suites", ())),
            license=str(data.get("license", "")),
            areal_fields=tuple(str(x) for x in data.get("areal_fields", ())),
        )
    except KeyError as err:
        raise BenchmarkError(f"{source}: missing key {err.args[0]!r}") from None
    except (TypeError, ValueError) as err:
        raise BenchmarkError(f"{source}: invalid value: {err}") from None


def _gold_rule(table: Mapping[str, Any]) -> GoldRule:
    rule = GoldRule(
        read=str(table.get("read", "field")),
        marker=str(table.get("marker", "")),
        remove=str(table.get("remove", "")),
        option=table.get("option"),
        answer_type=table.get("answer_type"),
        type_field=table.get("type_field"),
        types={str(k): str(v) for k, v in table.get("types", {}).items()},
        hints=bool(table.get("hints", False)),
    )
    if rule.read not in GOLD_READS:
        raise ValueError(f"[gold] read = {rule.read!r}: choose one of {', '.join(GOLD_READS)}")
    if rule.read == "after" and not rule.marker:
        raise ValueError('[gold] read = "after" needs a marker (e.g. "####")')
    return rule


# ---------------------------------------------------------------------------------------------- data dirs


def candidate_data_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where benchmark files are looked for, in order: ``data_dir``, ``$EVALKIT_DATA_DIR``, the cache, and
    ``./data`` (where AReaL's and Qwen2.5-Math's evaluation scripts keep theirs)."""
    dirs = [data_dir, os.environ.get(ENV_DATA_DIR) or None, DEFAULT_DATA_DIR, Path.cwd() / "data"]
    unique: list[Path] = []
    for d in dirs:
        if d is not None and (path := Path(d).expanduser()) not in unique:
            unique.append(path)
    return unique


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory that downloads and imports write to: the first candidate."""
    return candidate_data_dirs(data_dir)[0]


def file_in(directory: Path, spec: BenchmarkSpec) -> Path | None:
    """``directory/<file>``, or AReaL's and Qwen2.5-Math's layout ``directory/<name>/test.jsonl``
    (``directory`` being their ``evaluation/data`` folder, or ``evaluation`` itself:
    ``directory/data/<name>/test.jsonl``); None if it holds neither."""
    candidates = (
        directory / spec.file,
        directory / spec.name / "test.jsonl",
        directory / "data" / spec.name / "test.jsonl",
    )
    return next((p for p in candidates if p.is_file()), None)


def find_benchmark_file(spec: BenchmarkSpec, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The first candidate directory's copy of the benchmark (in evalkit's layout or AReaL's, see
    :func:`file_in`); if none has it, say where we looked."""
    dirs = candidate_data_dirs(data_dir)
    for d in dirs:
        if (path := file_in(d, spec)) is not None:
            return path
    looked = "\n".join(f"  {d / spec.file} (or {d / spec.name / 'test.jsonl'})" for d in dirs)
    raise BenchmarkError(
        f"benchmark {spec.name!r}: data file {spec.file} not found. Looked in:\n{looked}\n"
        f"Get it with 'evalkit benchmarks download {spec.name}' (needs internet) or "
        f"'evalkit benchmarks import DIR', or point --data_dir / {ENV_DATA_DIR} at a directory that has it."
    )


# ---------------------------------------------------------------------------------------------- loading


def _first(row: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((row[k] for k in keys if row.get(k) is not None), None)


def _not_utf8(path: Path) -> BenchmarkError:
    """Where ``path`` first stops being UTF-8: ``path:line: ...`` with the byte and its offset in the file."""
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        offset = err.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - data.rfind(b"\n", 0, offset)  # 1-based, in bytes
        return BenchmarkError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[offset]:02x} at byte offset {offset}, column {column}); "
            "save the file as UTF-8"
        )
    return BenchmarkError(f"{path}: not UTF-8; save the file as UTF-8")  # changed while being read


def read_problems(path: Path, fields: FieldMap = FieldMap(), gold: GoldRule = GoldRule()) -> list[Problem]:
    """Parse an AReaL-format JSONL file. Errors name ``path:line``; ids fall back to the record index; the
    gold is read by ``gold``. A file that is not UTF-8, or holds no problem, is an error."""
    try:
        problems = _read_problems(path, fields, gold)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    if not problems:
        raise BenchmarkError(f"{path}: the file holds no problems")
    return problems


def _last_box(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox``) in ``text`` whose braces close, else None."""
    for start in sorted((m.end() for m in _BOX.finditer(text)), reverse=True):
        depth = 1
        for i in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                return text[start:i].strip()
    return None


def _read_gold(value: Any, row: Mapping[str, Any], rule: GoldRule, where: str, name: str) -> str:
    """The gold as a string, read from the answer field's ``value`` by ``rule``."""
    if rule.read == "list":
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str | int | float) for v in value)
        ):
            raise BenchmarkError(f"{where}: answer field {name!r} must be a non-empty list")
        gold = ", ".join(str(v).strip() for v in value)
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BenchmarkError(f"{where}: answer field {name!r} must be a string or a number")
    elif rule.read == "box":
        box = _last_box(str(value))
        if box is None:
            raise BenchmarkError(f"{where}: answer field {name!r} holds no \\boxed{{}} answer")
        gold = box
    elif rule.read == "after":
        text = str(value)
        if rule.marker not in text:
            raise BenchmarkError(f"{where}: answer field {name!r} has no {rule.marker!r} before its answer")
        gold = text.rsplit(rule.marker, 1)[1].strip()
    elif rule.read == "letter":
        letter = str(value).strip().strip("()").strip()
        if len(letter) != 1 or not letter.isupper():
            raise BenchmarkError(f"{where}: answer field {name!r} must be an option letter, got {value!r}")
        option = row.get(rule.option) if rule.option else None
        gold = f"({letter}) {str(option).strip()}" if isinstance(option, str) and option.strip() else letter
    else:
        gold = str(value)
    for char in rule.remove:
        gold = gold.replace(char, "")
    return gold.strip() if rule.remove or rule.read != "field" else gold  # may be empty: credits nothing


def _answer_type(row: Mapping[str, Any], rule: GoldRule) -> str | None:
    """The problem's declared answer type: its own field's value (mapped), else the spec's constant."""
    if rule.type_field:
        value = row.get(rule.type_field)
        if isinstance(value, str) and value:
            return rule.types.get(value, value.lower())
    return rule.answer_type


def _read_problems(path: Path, fields: FieldMap, rule: GoldRule) -> list[Problem]:
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise BenchmarkError(f"{where}: invalid JSON ({err.msg} at column {err.colno})") from None
            if not isinstance(row, dict):
                raise BenchmarkError(f"{where}: expected a JSON object, got {type(row).__name__}")
            text = _first(row, fields.problem)
            if not isinstance(text, str) or not text.strip():
                raise BenchmarkError(f"{where}: missing problem field (one of {', '.join(fields.problem)})")
            value = row.get(fields.answer)
            if value is None:
                raise BenchmarkError(f"{where}: missing answer field {fields.answer!r}")
            gold = _read_gold(value, row, rule, where, fields.answer)
            if rule.hints:
                text += _HINTS.get(gold.strip().lower(), "")
            raw_id = _first(row, fields.id)
            pid = str(len(problems) if raw_id is None else raw_id)
            if pid in first_line:
                raise BenchmarkError(
                    f"{path}: duplicate problem id {pid!r} on lines {first_line[pid]} and {lineno}"
                )
            first_line[pid] = lineno
            problems.append(Problem(id=pid, problem=text, gold=gold, answer_type=_answer_type(row, rule)))
    return problems


def read_benchmark(spec: BenchmarkSpec, path: Path) -> Benchmark:
    """Load ``path`` under ``spec`` without checking it against the spec (see :meth:`Benchmark.mismatches`)."""
    return Benchmark(
        spec=spec,
        problems=tuple(read_problems(path, spec.fields, spec.gold)),
        path=path,
        sha256=file_sha256(path),
    )


def _spec_for_path(path: Path) -> BenchmarkSpec:
    """The shipped spec whose file name matches ``path``, else an ad-hoc spec named after the file."""
    for name in list_benchmarks():
        spec = load_spec(name)
        if spec.file == path.name:
            return spec
    return BenchmarkSpec(name=path.stem, file=path.name)


def load_benchmark(name: str, data_dir: str | os.PathLike[str] | None = None) -> Benchmark:
    """Load a benchmark by name (or from a ``.jsonl`` path); a count/hash mismatch is a ``BenchmarkWarning``."""
    path = Path(name).expanduser()
    if path.suffix == ".jsonl":
        if not path.is_file():
            raise BenchmarkError(f"benchmark file {path} not found")
        spec = _spec_for_path(path)
    else:
        spec = load_spec(name)
        path = find_benchmark_file(spec, data_dir)
    benchmark = read_benchmark(spec, path)
    for message in benchmark.mismatches():
        warnings.warn(f"benchmark {spec.name!r}: {message}", BenchmarkWarning, stacklevel=2)
    return benchmark


LIMIT_MARK = "@first"
_LIMITED = re.compile(r"^(?P<base>.+)@first(?P<n>[1-9][0-9]*)$")


def limited_name(name: str, limit: int) -> str:
    """The name of the first ``limit`` problems of benchmark ``name`` (``aime24@first10``): the run directory,
    the fingerprint's ``benchmark.name``, the aggregate JSON's key and AReaL's dataset folder."""
    return f"{name}{LIMIT_MARK}{limit}"


def split_limit(name: str) -> tuple[str, int | None]:
    """``aime24@first10`` -> ``("aime24", 10)``; a name without a limit -> ``(name, None)``."""
    match = _LIMITED.match(name)
    return (match["base"], int(match["n"])) if match else (name, None)


def limit_benchmark(benchmark: Benchmark, limit: int | None) -> Benchmark:
    """The first ``limit`` problems of ``benchmark`` (``--limit``), named :func:`limited_name`, so that a
    limited run is never stored, aggregated or compared as the full benchmark. Its ``sha256`` stays the
    file's (the spec was checked on the whole file). ``None``, or a limit at or above the benchmark's size,
    keeps the whole benchmark: that is a full run."""
    if limit is None or limit >= len(benchmark):
        return benchmark
    if limit < 1:
        raise UsageError(f"--limit {limit}: must be at least 1")
    spec = replace(benchmark.spec, name=limited_name(benchmark.name, limit))
    return replace(benchmark, spec=spec, problems=benchmark.problems[:limit])


def load_benchmarks(
    names: Iterable[str], data_dir: str | None, *, allow_changed: bool, out: TextIO
) -> tuple[list[Benchmark], dict[str, str]]:
    """The benchmarks and, by name, how each changed one differs. A file that differs from its spec
    (count or hash) is an error unless ``allow_changed`` (``--allow_changed_benchmark``); then it is
    noted on ``out``."""
    changed_benchmarks = {}
    benchmarks = []
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BenchmarkWarning)  # reported below, as an error or a note
            benchmark = load_benchmark(name, data_dir)
        changed = "; ".join(benchmark.mismatches())
        if changed and not allow_changed:
            raise UsageError(
                f"benchmark {name!r} differs from its spec: {changed} "
                "(evalkit benchmarks verify; --allow_changed_benchmark runs it anyway, marked * in the table)"
            )
        if changed:
            print(f"note: benchmark {name!r} differs from its spec: {changed}", file=out)
            changed_benchmarks[name] = changed
        benchmarks.append(benchmark)
    return benchmarks, changed_benchmarks
