"""AReaL's evaluation files, written from evalkit's records and read back (re-graded) from AReaL's folders.

The layout is AReaL's (``evaluation/math_eval.py`` and ``eval_and_aggregate.py``, v0.5.3)::

    <output_path>/math_eval_<max_gen_tokens>/<dataset>/test_<prompt_type>_-1_seed<s>_t<T>_topp<p>_topk<k>_s0_e-1_n<m>.jsonl
    <output_path>/math_eval_<max_gen_tokens>/<dataset>/<same name without .jsonl>_<prompt_type>_metrics.json
    <output_path>/math_eval_<max_gen_tokens>/aggregate_parallel_<prompt_type>_<T>_<p>_<k>.json

The greedy file has seed 0, ``t0.0_topp1.00_topk-1`` and ``n1``; samples go to ``num_sample_nodes`` files
(seeds 1..N) of ``samples_per_node`` samples each: sample ``j`` of a problem is in seed file
``j // samples_per_node + 1``. Each line is one problem: ``idx`` (its position in the benchmark, as AReaL
numbers it), ``question``, ``gt_cot``, ``gt``, then ``code`` (responses), ``pred`` (extracted answers,
``""`` for none), ``report`` and ``score`` (verdicts), one entry per response. ``code`` is what AReaL's
``math_eval.py`` stores: the response stripped and cut at the run's stop strings.

The aggregate's ``greedy_length`` and ``sample_length`` are AReaL's: the mean over every ``code`` of those
files of its length re-tokenised with the model's tokenizer (``tokenizer(codes, return_length=True)``, as
``eval_and_aggregate.get_metrics`` does; a tokenizer that adds BOS counts it), so that AReaL's aggregator
run on these files prints these numbers exactly. evalkit's own aggregate keeps the generated-token count.
"""

import contextlib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.benchmarks.loading import Benchmark, BenchmarkSpec
from evalkit.graders.extract import ExtractionPolicy
from evalkit.reporting.metrics import Equivalent, aggregate, grader_equivalent, majority_correct, pass_at_k
from evalkit.run.grading import RunGrading
from evalkit.run.records import SampleRecord
from evalkit.run.regrade import regrade_records
from evalkit.run.store import write_atomic

# AReaL v0.5.3's aggregate keys, in its order; "-" where a value cannot be computed.
AGGREGATE_KEYS = (
    "num_questions",
    "greedy_length",
    "sample_length",
    "greedy_acc",
    "sample_pass@1",
    "pass@8",
    "pass@16",
    "maj@32",
    "pass@32",
)
MISSING = "-"
UNKNOWN_TOKENS = -1  # completion_tokens of a response read from AReaL's files (AReaL does not store lengths)
LENGTH_BATCH = 2000  # texts per tokenizer call, as AReaL's get_metrics
_WRITTEN = ".evalkit_files.json"  # names evalkit wrote in a dataset folder: only those are ever replaced
_FILE = re.compile(
    r"^test_(?P<prompt_type>.+)_-1_seed(?P<seed>\d+)_t(?P<t>-?\d+\.\d)_topp(?P<p>\d+\.\d\d)"
    r"_topk(?P<k>-?\d+)_s0_e-1_n(?P<n>\d+)\.jsonl$"
)


def eval_dir(output_path: str | Path, max_gen_tokens: int) -> Path:
    return Path(output_path) / f"math_eval_{max_gen_tokens}"


def file_name(prompt_type: str, seed: int, temperature: float, top_p: float, top_k: int, n: int) -> str:
    """AReaL's per-sample file name (``math_eval.py``: ``out_file``)."""
    return (
        f"test_{prompt_type}_-1_seed{seed}_t{temperature:.1f}_topp{top_p:.2f}_topk{top_k}_s0_e-1_n{n}.jsonl"
    )


def aggregate_name(prompt_type: str, temperature: float, top_p: float, top_k: int) -> str:
    return f"aggregate_parallel_{prompt_type}_{temperature:.1f}_{top_p:.2f}_{top_k}.json"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where and how one evaluation is laid out in AReaL's files."""

    output_path: Path
    max_gen_tokens: int
    prompt_type: str
    temperature: float
    top_p: float
    top_k: int
    num_sample_nodes: int
    samples_per_node: int
    stop: tuple[str, ...] = ()  # the run's stop strings: math_eval.py cuts its stored code at them

    @property
    def eval_dir(self) -> Path:
        return eval_dir(self.output_path, self.max_gen_tokens)

    @property
    def greedy_file(self) -> str:
        return file_name(self.prompt_type, 0, 0.0, 1.0, -1, 1)

    def sample_file(self, seed: int) -> str:
        return file_name(
            self.prompt_type, seed, self.temperature, self.top_p, self.top_k, self.samples_per_node
        )

    @property
    def aggregate_path(self) -> Path:
        return self.eval_dir / aggregate_name(self.prompt_type, self.temperature, self.top_p, self.top_k)


def _cell(value: Any) -> Any:
    return MISSING if value is None else value


def areal_aggregate(
    records: Sequence[SampleRecord],
    equivalent: Equivalent | None = None,
    lengths: tuple[float | None, float | None] | None = None,
) -> dict[str, Any]:
    """AReaL's aggregate keys of one benchmark, computed by evalkit's metrics (``"-"`` where n < k);
    ``equivalent`` groups maj@32's answers (default: the grader's). ``lengths``: AReaL's (greedy, sample)
    lengths (:func:`areal_lengths`); ``None``: unknown, ``"-"``."""
    n = min((c for c in _sample_counts(records).values()), default=0)
    ks = [k for k in (8, 16, 32) if k <= n]
    metrics = aggregate(records, ks=ks, maj_ks=(32,) if n >= 32 else (), equivalent=equivalent).to_dict()
    metrics["num_questions"] = sum(r.kind == "greedy" for r in records)  # AReaL counts greedy responses
    metrics["greedy_length"], metrics["sample_length"] = lengths or (None, None)
    return {key: _cell(metrics.get(key)) for key in AGGREGATE_KEYS}


def areal_pass_at_k(scores: Iterable[Sequence[bool]], k: int) -> float:
    """AReaL v0.5.3 ``eval_and_aggregate.pass_at_k``: per problem ``1 - prod(1 - k / (n-c+1 .. n))`` (1 where
    ``n - c < k``), their mean in problem order, times 100: evalkit's estimator, to the last bit AReaL's."""
    values = []
    for s in scores:
        n, c = len(s), sum(s)
        values.append(1.0 if n - c < k else 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))
    return float(np.mean(values) * 100)


def _areal_accuracies(files: "Files", greedy_file: str) -> dict[str, float]:
    """``greedy_acc``, ``sample_pass@1`` and ``pass@k`` (k <= the fewest samples of a problem) as AReaL's
    aggregator computes them from these files: scores per problem in seed-file order, problems in index order."""
    greedy = [[r.correct for r in chunk] for _, chunk in files[greedy_file][1]]
    scores: dict[int, list[bool]] = {}
    for name, (_, chunks) in files.items():
        if name != greedy_file:
            for index, chunk in chunks:
                scores.setdefault(index, []).extend(r.correct for r in chunk)
    out = {"greedy_acc": areal_pass_at_k(greedy, 1)} if greedy else {}
    if scores:
        n = min(map(len, scores.values()))
        out["sample_pass@1"] = areal_pass_at_k(scores.values(), 1)
        out |= {f"pass@{k}": areal_pass_at_k(scores.values(), k) for k in (8, 16, 32) if k <= n}
    return out


def areal_code(response: str, stop: Sequence[str] = ()) -> str:
    """The ``code`` AReaL's ``math_eval.py`` stores for a response: stripped, then cut at the first stop
    string it holds (each in turn) and stripped again."""
    code = response.strip()
    for word in stop:
        if word in code:
            code = code.split(word)[0].strip()
    return code


def token_lengths(tokenizer: Any, codes: Sequence[str]) -> list[int]:
    """Each text's length in ``tokenizer``'s tokens, as AReaL's ``get_metrics`` measures it:
    ``tokenizer(texts, return_length=True)["length"]`` (special tokens such as BOS included)."""
    lengths: list[int] = []
    for start in range(0, len(codes), LENGTH_BATCH):
        lengths.extend(tokenizer(list(codes[start : start + LENGTH_BATCH]), return_length=True)["length"])
    return [int(n) for n in lengths]


def areal_lengths(
    files: "Files",
    greedy_file: str,
    stop: Sequence[str],
    tokenizer: Any,
) -> tuple[float | None, float | None] | None:
    """AReaL's ``greedy_length`` and ``sample_length`` of one dataset's files: the mean re-tokenised length
    of every ``code`` in the greedy file, and in all seed files (``None`` without a tokenizer)."""
    if tokenizer is None:
        return None

    def mean(names: Iterable[str]) -> float | None:
        codes = [areal_code(r.response, stop) for f in names for _, chunk in files[f][1] for r in chunk]
        return float(np.mean(token_lengths(tokenizer, codes))) if codes else None

    return mean([greedy_file]), mean([f for f in files if f != greedy_file])


def _sample_counts(records: Iterable[SampleRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records:
        if r.kind == "sample":
            counts[r.problem_id] = counts.get(r.problem_id, 0) + 1
    return counts


def merge_json(path: Path, results: Mapping[str, Any]) -> None:
    """Write ``results`` (benchmark -> values) to ``path``, keeping the benchmarks already there that this
    call did not produce."""
    kept: dict[str, Any] = {}
    if path.is_file():
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            print(f"note: {path} was not valid JSON; rewritten", file=sys.stderr)
        kept = kept if isinstance(kept, dict) else {}
    merged = {**{k: v for k, v in kept.items() if k not in results}, **results}
    write_atomic(path, json.dumps(merged, indent=2, default=float) + "\n")


def _line(
    index: int,
    question: str,
    records: Sequence[SampleRecord],
    spec: BenchmarkSpec,
    row: Mapping[str, Any],
    stop: Sequence[str],
) -> dict[str, Any]:
    line = {
        "idx": index,
        "question": question,
        "gt_cot": "",
        "gt": areal_gt(spec, records[0].gold),
        "code": [areal_code(r.response, stop) for r in records],
        "pred": [r.pred or "" for r in records],
        "report": [None] * len(records),
        "score": [r.correct for r in records],
    }
    return line | {k: row[k] for k in spec.areal_fields if k in row}  # math_eval.py's extra keys


def areal_gt(spec: BenchmarkSpec, gold: str) -> str:
    """AReaL's ``gt`` for a gold: a multiple-choice gold is its letter (``(D) 10^-4 ev`` -> ``D``), as
    AReaL's ``parse_ground_truth`` reads gpqa_diamond's ``answer``; any other gold as evalkit reads it."""
    if spec.gold.read == "letter" and (match := re.match(r"\(?([A-Z])\)?(?:\s|$)", gold)):
        return match.group(1)
    return gold


def _rows(benchmark: Benchmark) -> list[Mapping[str, Any]]:
    """The benchmark file's row of each problem (by its id, read as the loader reads it), when its spec
    names fields AReaL copies into its lines; else empty rows."""
    if not benchmark.spec.areal_fields:
        return [{} for _ in benchmark.problems]
    text = benchmark.path.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.split("\n") if line.strip()]
    id_fields = benchmark.spec.fields.id
    by_id = {
        str(next((row[k] for k in id_fields if row.get(k) is not None), index)): row
        for index, row in enumerate(rows)
    }
    return [by_id.get(p.id, {}) for p in benchmark.problems]


def _file_metrics(chunks: Sequence[Sequence[SampleRecord]], n: int, equivalent: Equivalent) -> dict[str, Any]:
    """``math_eval.py``'s ``*_metrics.json`` of one file of ``n`` responses per problem (``maj@n`` is
    evalkit's, see docs/evaluation.md; what evalkit does not measure is ``"-"``)."""
    out: dict[str, Any] = {
        "num_samples": len(chunks),
        "num_scores": sum(map(len, chunks)),
        "timeout_samples": MISSING,
        "empty_samples": sum(c[-1].pred is None for c in chunks),
        "acc": round(100 * sum(c[0].correct for c in chunks) / len(chunks), 1),
    }
    if n > 1:

        def mean_pass(k: int) -> float:
            return 100 * sum(pass_at_k(len(c), sum(r.correct for r in c), k) for c in chunks) / len(chunks)

        out[f"maj@{n}"] = 100 * sum(majority_correct(c, equivalent) for c in chunks) / len(chunks)
        out[f"pass@{n}"] = mean_pass(n)
        out |= {f"pass@{k}": mean_pass(k) for k in (16, 8) if n > k}
        out["pass@1"] = out["acc"] = mean_pass(1)
    out["time_use_in_second"] = out["time_use_in_minite"] = MISSING
    return out


Files = dict[str, tuple[int, list[tuple[int, list[SampleRecord]]]]]


def _files(layout: Layout, benchmark: Benchmark, records: Sequence[SampleRecord]) -> Files:
    """Each AReaL file of one benchmark: its responses per line, and its lines (problem index, records):
    the greedy file, and the per-seed sample files (a problem only where its seed chunk is complete)."""
    greedy = {r.problem_id: r for r in records if r.kind == "greedy"}
    samples: dict[str, dict[int, SampleRecord]] = {}
    for r in records:
        if r.kind == "sample":
            samples.setdefault(r.problem_id, {})[r.sample_index] = r
    m = layout.samples_per_node
    files: Files = {layout.greedy_file: (1, [])}
    files |= {layout.sample_file(seed): (m, []) for seed in range(1, layout.num_sample_nodes + 1)}
    for index, problem in enumerate(benchmark.problems):
        if problem.id in greedy:
            files[layout.greedy_file][1].append((index, [greedy[problem.id]]))
        by_index = samples.get(problem.id, {})
        for seed in range(1, layout.num_sample_nodes + 1):
            chunk = [by_index[j] for j in range((seed - 1) * m, seed * m) if j in by_index]
            if len(chunk) == m:
                files[layout.sample_file(seed)][1].append((index, chunk))
    return files


def _write_dataset(layout: Layout, benchmark: Benchmark, files: Files, equivalent: Equivalent) -> list[str]:
    """The greedy file and the per-seed sample files of one benchmark; return the names written."""
    questions = [p.problem for p in benchmark.problems]
    rows = _rows(benchmark)
    folder = layout.eval_dir / benchmark.name
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (n, chunks) in files.items():
        if not chunks:
            continue
        lines = (
            _line(index, questions[index], chunk, benchmark.spec, rows[index], layout.stop)
            for index, chunk in chunks
        )
        (folder / name).write_text(
            "".join(json.dumps(li, ensure_ascii=False) + "\n" for li in lines), "utf-8"
        )
        metrics = folder / name.replace(".jsonl", f"_{layout.prompt_type}_metrics.json")
        per_file = _file_metrics([c for _, c in chunks], n, equivalent)
        metrics.write_text(json.dumps(per_file, indent=4) + "\n", encoding="utf-8")
        written += [name, metrics.name]
    return written


def _replace_written(folder: Path, written: list[str], tag: str) -> None:
    """Delete the files evalkit wrote here before and did not write now (a run's old split or sample
    count), never AReaL's own, then record what was written."""
    marker = folder / _WRITTEN
    before = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else {}
    if before.get("model_tag") not in (None, tag):
        print(
            f"note: {folder} held evalkit's files of {before['model_tag']!r}; replaced by {tag!r}",
            file=sys.stderr,
        )
    for name in set(before.get("files", [])) - set(written):
        (folder / name).unlink(missing_ok=True)
    marker.write_text(
        json.dumps({"model_tag": tag, "files": sorted(written)}, indent=2) + "\n", encoding="utf-8"
    )


def write_areal_files(
    layout: Layout,
    runs: Mapping[str, tuple[Benchmark, Sequence[SampleRecord]]],
    *,
    tag: str,
    write: bool = True,
    tokenizer: Any = None,
) -> dict[str, dict[str, Any]]:
    """Write AReaL's per-sample files of every run and merge their aggregate into AReaL's aggregate JSON
    (unless not ``write``); return that aggregate (benchmark -> AReaL's keys) for this call's runs. Its
    lengths are AReaL's, re-tokenised with ``tokenizer`` (the model's; ``None``: ``"-"``)."""
    results = {}
    equivalent = grader_equivalent()
    for name, (benchmark, records) in runs.items():
        files = _files(layout, benchmark, records)
        if write:
            written = _write_dataset(layout, benchmark, files, equivalent)
            _replace_written(layout.eval_dir / name, written, tag)
        lengths = areal_lengths(files, layout.greedy_file, layout.stop, tokenizer)
        results[name] = areal_aggregate(records, equivalent, lengths)
        # the same estimators, computed in AReaL's order from its files: its aggregator gets these bits
        exact = _areal_accuracies(files, layout.greedy_file)
        results[name] |= {k: v for k, v in exact.items() if results[name][k] != MISSING}
    if write:
        merge_json(layout.aggregate_path, results)
    return results


# --- reading AReaL's folders -------------------------------------------------------------------------


class AReaLFolderError(ValueError):
    """An AReaL output folder that cannot be read as one evaluation; the message says why."""


@dataclass(frozen=True, slots=True)
class AReaLRun:
    """One dataset of an AReaL folder: its records (responses as AReaL stored them, verdicts evalkit's),
    AReaL's own ``score`` per record, the question texts by problem id, and the run's settings."""

    records: list[SampleRecord]
    areal_scores: list[bool]
    texts: dict[str, str]
    settings: dict[str, Any]


def _dataset_files(folder: Path) -> dict[str, re.Match[str]]:
    return {p.name: m for p in sorted(folder.iterdir()) if p.is_file() and (m := _FILE.match(p.name))}


def _eval_dirs(path: Path) -> list[Path]:
    """The ``math_eval_*`` folders meant by ``path`` (itself, its parent's, or the ones inside it)."""
    if re.fullmatch(r"math_eval_\d+", path.name):
        return [path]
    if re.fullmatch(r"math_eval_\d+", path.parent.name) and _dataset_files(path):
        return [path.parent]
    return sorted(
        d for d in path.glob("math_eval_*") if d.is_dir() and re.fullmatch(r"math_eval_\d+", d.name)
    )


def is_areal_folder(path: Path) -> bool:
    """Whether ``path`` is (or holds, or is a dataset folder of) an AReaL ``math_eval_<N>`` folder, and holds
    no evalkit run store: an output path holding both is read through its store, evalkit's own records."""
    stores = ("samples.jsonl", "*/samples.jsonl", "*/*/samples.jsonl")  # a run, a model tag, an output path
    return path.is_dir() and not any(any(path.glob(p)) for p in stores) and bool(_eval_dirs(path))


def _configs(eval_root: Path, only: str | None) -> dict[str, dict[str, re.Match[str]]]:
    datasets = [d for d in sorted(eval_root.iterdir()) if d.is_dir() and (only is None or d.name == only)]
    return {d.name: files for d in datasets if (files := _dataset_files(d))}


def _sampling_key(m: re.Match[str]) -> tuple[str, str, str, str, str]:
    return (m["prompt_type"], m["t"], m["p"], m["k"], m["n"])


def _is_greedy(m: re.Match[str]) -> bool:
    return m["seed"] == "0" and m["t"] == "0.0" and m["n"] == "1"


def _read_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    # lines end at "\n" only: a question may hold U+2028, which str.splitlines() would split at
    for number, text in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            _ = line["idx"], line["gt"], line["code"]
        except (ValueError, KeyError, TypeError) as e:
            raise AReaLFolderError(f"{path}:{number}: not an AReaL sample line ({e})") from None
        lines.append(line)
    return lines


def _records(
    lines: Iterable[dict[str, Any]], kind: str, seed: int | None, start: dict[str, int]
) -> list[tuple[SampleRecord, bool]]:
    out = []
    for line in lines:
        pid = str(line["idx"])
        scores = line.get("score") or [False] * len(line["code"])
        for response, score in zip(line["code"], scores, strict=False):
            index = start.get(pid, 0)
            start[pid] = index + 1
            record = SampleRecord(
                problem_id=pid, kind=kind, sample_index=index if kind == "sample" else 0,  # type: ignore[arg-type]
                seed=seed, prompt_hash="", response=str(response), completion_tokens=UNKNOWN_TOKENS,
                finish_reason="unknown", gold=str(line["gt"]), pred=None, correct=False, method="none", reason="",
            )  # fmt: skip
            out.append((record, bool(score)))
    return out


def read_areal_folder(path: Path, *, timeout: float = 5.0, workers: int | None = None) -> dict[str, AReaLRun]:
    """Every dataset of one AReaL evaluation under ``path``, re-graded with evalkit's grader.

    A folder holding several evaluations (``math_eval_*`` folders, prompt types or sampling settings)
    raises :class:`AReaLFolderError` listing them.
    """
    roots = _eval_dirs(path)
    if len(roots) != 1:
        found = ", ".join(r.name for r in roots) or "none"
        raise AReaLFolderError(
            f"{path}: expected one AReaL math_eval_<max_gen_tokens> folder, found {found}; name one"
        )
    only = path.name if roots[0] == path.parent else None
    configs = _configs(roots[0], only)
    sampling = {_sampling_key(m) for files in configs.values() for m in files.values() if not _is_greedy(m)}
    if len(sampling) > 1:
        listed = "; ".join(f"prompt {c[0]} t{c[1]} topp{c[2]} topk{c[3]} n{c[4]}" for c in sorted(sampling))
        raise AReaLFolderError(
            f"{roots[0]} holds several sampled evaluations ({listed}); move the others aside"
        )
    key = next(iter(sampling), None)
    prompt_type = key[0] if key else None
    runs = {}
    for name, files in configs.items():
        pairs: list[tuple[SampleRecord, bool]] = []
        texts: dict[str, str] = {}
        counts: dict[str, int] = {}
        greedy = [f for f, m in files.items() if _is_greedy(m) and prompt_type in (None, m["prompt_type"])]
        seeds = sorted((int(m["seed"]), f) for f, m in files.items() if not _is_greedy(m))
        for fname in greedy[:1]:
            lines = _read_lines(roots[0] / name / fname)
            texts |= {str(li["idx"]): str(li.get("question", "")) for li in lines}
            pairs += _records(lines, "greedy", None, {})
        for seed, fname in seeds:
            lines = _read_lines(roots[0] / name / fname)
            texts |= {str(li["idx"]): str(li.get("question", "")) for li in lines}
            pairs += _records(lines, "sample", seed, counts)
        if not pairs:
            continue
        prompt = prompt_type or files[greedy[0]]["prompt_type"]
        records = _regrade([r for r, _ in pairs], name, prompt, timeout=timeout, workers=workers)
        runs[name] = AReaLRun(
            records, [s for _, s in pairs], texts, _settings(roots[0], name, prompt, key, counts)
        )
    if not runs:
        raise AReaLFolderError(f"{roots[0]}: no AReaL sample files (test_*_s0_e-1_n*.jsonl)")
    return runs


def _settings(
    root: Path, name: str, prompt: str, key: tuple[str, ...] | None, counts: Mapping[str, int]
) -> dict[str, Any]:
    """A manifest-like description of an AReaL run, from its file names (AReaL stores no model)."""
    sampling: dict[str, Any] = {"max_new_tokens": int(root.name.rsplit("_", 1)[1]), "greedy": True}
    if key:
        sampling |= {"temperature": float(key[1]), "top_p": float(key[2]), "top_k": int(key[3]),
                     "n_sampling": min(counts.values(), default=0)}  # fmt: skip
    return {
        "model": {"path": None},
        "benchmark": {"name": name, "sha256": None, "problems": None},
        "template": {"name": prompt, "sha256": None},
        "sampling": sampling,
        "backend": {"name": "AReaL files", "source": str(root / name)},
    }


def grading_for(name: str, prompt_type: str) -> RunGrading:
    """How evalkit's runner would grade benchmark ``name`` under template ``prompt_type`` (AReaL's files keep
    no prompt: whether it opened ``<think>`` comes from the shipped template)."""
    from evalkit.benchmarks.loading import BenchmarkError, load_spec, split_limit
    from evalkit.benchmarks.templates import PromptError, load_template

    changes: dict[str, bool] = {}
    answer_type = None
    with contextlib.suppress(BenchmarkError):
        spec = load_spec(split_limit(name)[0])  # a limited run's folder (aime24@first10): its benchmark's
        changes["last_number_fallback"] = spec.last_number_fallback
        if spec.gold.answer_type and not spec.gold.type_field:  # one type for every gold
            answer_type = spec.gold.answer_type
    with contextlib.suppress(PromptError):
        changes["require_think_end"] = load_template(prompt_type).opens_think
    return RunGrading(ExtractionPolicy(**changes), answer_type)


def _regrade(
    records: Sequence[SampleRecord], name: str, prompt_type: str, *, timeout: float, workers: int | None
) -> list[SampleRecord]:
    """Verdicts of evalkit's grader, under :func:`grading_for`."""
    return regrade_records(records, grading_for(name, prompt_type), timeout=timeout, workers=workers)


__all__ = [
    "AGGREGATE_KEYS",
    "AReaLFolderError",
    "AReaLRun",
    "Layout",
    "aggregate_name",
    "areal_aggregate",
    "areal_code",
    "areal_lengths",
    "areal_pass_at_k",
    "file_name",
    "grading_for",
    "is_areal_folder",
    "merge_json",
    "read_areal_folder",
    "token_lengths",
    "write_areal_files",
]
