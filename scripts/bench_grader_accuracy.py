#!/usr/bin/env python
r"""Grader accuracy on real model responses: evalkit versus Math-Verify and AReaL's grader.

Sets (each printed as its own table):

- ``gsm8k_openai``: OpenAI's GPT-3 GSM8K solutions (``../shared/dev``), labelled by OpenAI's ``is_correct``.
- ``gsm8k_tora``: ToRA-70B / ToRA-Code-34B GSM8K outputs (``../shared/dev``). ToRA publishes no per-item
  label, so the label is whether ToRA's own extracted answer (``author_pred``) equals the gold as a number;
  the script also prints each grader's credited rate beside ToRA's published aggregate accuracy.
- ``corpus``: the committed corpus of real MATH/AIME/AMC responses (``tests/graders/corpus``), labels by
  agreement of three graders or by reading (field ``label_by``).
- ``read``: the committed corpus labelled by reading only (``tests/graders/corpus/read_responses.jsonl.gz``,
  rules in that folder's README): R1-style traces, truncated responses, loops, steered models, JSON
  answer fields, university-level answers. Its rows record ``truncated`` and ``prompt_opens_think``.
- ``read_confidence``: real responses that state a confidence level after the answer, labelled by reading
  (``tests/graders/corpus/read_confidence.jsonl.gz``): MMLU mathematics questions answered by nine models
  with ``Answer and Confidence (0-100): D, 80%`` lines, R1-style traces, loops and cut-off responses.
- ``read_confidence_box``: responses that box a confidence level after the answer (``Final answer: \boxed{12}``
  ``Confidence: \boxed{80\%}``), generated here by SmolLM2-135M-Instruct on easy GSM8K and MATH-500 problems
  and labelled by reading (``tests/graders/corpus/read_confidence_box.jsonl.gz``).

Graders: evalkit's ``grade_many`` (default policy, ``(response, gold)`` only), ``evalkit_ctx`` (the same, also
given each row's :class:`~evalkit.graders.ResponseContext` where the set records how the response was made:
``truncated``, ``prompt_opens_think``), Math-Verify's ``parse``/``verify`` when installed, and
AReaL's ``extract_answer`` + ``strip_string`` + ``math_equal`` (as AReaL's ``evaluation/`` runs them) when
``--areal_dir`` points at a copy of AReaL's ``evaluation`` folder (its ``latex2sympy`` sub-folder is put on the
path as its README's ``pip install -e`` would; AReaL's ``word2number`` dependency must be importable).

    python scripts/bench_grader_accuracy.py [--dev DIR] [--corpus FILE] [--read FILE] [--areal_dir DIR]
        [--read_confidence FILE] [--read_confidence_box FILE]
        [--sets corpus,read,read_confidence,read_confidence_box,gsm8k_openai]
        [--by model|benchmark|source|tag] [--disagreements FILE]
"""

import argparse
import contextlib
import gzip
import importlib
import io
import json
import logging
import multiprocessing
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.graders import grade_many

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEV = REPO.parent / "shared" / "dev"
DEFAULT_CORPUS = REPO / "tests" / "graders" / "corpus" / "real_responses.jsonl.gz"
DEFAULT_READ = REPO / "tests" / "graders" / "corpus" / "read_responses.jsonl.gz"
DEFAULT_READ_CONFIDENCE = REPO / "tests" / "graders" / "corpus" / "read_confidence.jsonl.gz"
DEFAULT_READ_CONFIDENCE_BOX = REPO / "tests" / "graders" / "corpus" / "read_confidence_box.jsonl.gz"
DEV_FILES = {"gsm8k_openai": "gsm8k_openai_example_solutions.jsonl", "gsm8k_tora": "gsm8k_tora.jsonl"}


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled response."""

    set: str
    benchmark: str
    model: str
    source: str
    response: str
    gold: str
    label: bool
    label_by: str
    author_pred: str | None = None
    published_accuracy: float | None = None  # the authors' committed aggregate accuracy, in percent
    id: str = ""
    truncated: bool | None = None  # None: the set does not say
    prompt_opens_think: bool = False
    tags: tuple[str, ...] = ()
    note: str = ""
    answer_type: str | None = None  # the gold's declared type, where the benchmark declares one


@dataclass(frozen=True, slots=True)
class Judged:
    """One grader's verdict on one row."""

    correct: bool
    pred: str | None


Grader = Callable[[list[Row]], list[Judged]]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Objects of a JSONL file, gzip-compressed when the name ends in ``.gz``."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: {e}") from None


def _as_number(text: Any) -> float | None:
    try:
        return float(str(text).replace(",", "").strip())
    except ValueError:
        return None


def _numbers_equal(a: Any, b: Any) -> bool:
    x, y = _as_number(a), _as_number(b)
    return x is not None and y is not None and abs(x - y) <= 1e-6 * max(1.0, abs(y))


def load_dev(dev_dir: Path, name: str) -> list[Row]:
    """A shared/dev file as rows; ToRA's rows are labelled by ToRA's extracted answer (see module doc)."""
    rows = []
    for obj in read_jsonl(dev_dir / DEV_FILES[name]):
        if name == "gsm8k_tora":
            label, label_by = _numbers_equal(obj["author_pred"], obj["gold"]), "author_pred"
        else:
            label, label_by = bool(obj["author_label"]), "author_label"
        rows.append(
            Row(
                name,
                obj["benchmark"],
                obj["model"],
                obj["source"],
                obj["response"] or "",
                str(obj["gold"]),
                label,
                label_by,
                obj.get("author_pred"),
                (obj.get("meta") or {}).get("author_aggregate_accuracy_pct"),
            )
        )
    return rows


def load_corpus(path: Path, name: str = "corpus") -> list[Row]:
    """A labelled corpus; every row needs source, model, benchmark, gold, response, label and label_by
    (``id``, ``truncated``, ``prompt_opens_think``, ``tags``, ``note`` and ``answer_type`` are kept when
    present)."""
    rows = []
    for n, obj in enumerate(read_jsonl(path), 1):
        missing = {"source", "model", "benchmark", "gold", "response", "label", "label_by"} - set(obj)
        if missing or not isinstance(obj["label"], bool):
            raise ValueError(f"{path}: row {n}: missing {sorted(missing)} or non-boolean label")
        rows.append(
            Row(
                name,
                obj["benchmark"],
                obj["model"],
                obj["source"],
                obj["response"],
                str(obj["gold"]),
                obj["label"],
                obj["label_by"],
                id=obj.get("id", ""),
                truncated=obj.get("truncated"),
                prompt_opens_think=bool(obj.get("prompt_opens_think", False)),
                tags=tuple(obj.get("tags", ())),
                note=obj.get("note", ""),
                answer_type=obj.get("answer_type"),
            )
        )
    return rows


def evalkit_grader(workers: int | None) -> Grader:
    def run(rows: list[Row]) -> list[Judged]:
        verdicts = grade_many([(r.response, r.gold) for r in rows], workers=workers)
        return [Judged(v.correct, v.pred) for v in verdicts]

    return run


def row_context(row: Row) -> Any:
    """What the set records about how the response was made and the gold's declared type (as a benchmark
    spec declares it in evaluation), as evalkit's ``ResponseContext`` (None when it records nothing)."""
    from evalkit.graders import ResponseContext

    if row.truncated is None and not row.prompt_opens_think and row.answer_type is None:
        return None
    return ResponseContext(
        truncated=bool(row.truncated), prompt_opens_think=row.prompt_opens_think, answer_type=row.answer_type
    )


def evalkit_context_grader(workers: int | None) -> Grader | None:
    """evalkit given each row's context (truncated, reasoning opened by the prompt, the gold's declared
    type); None when this evalkit has no ``ResponseContext``."""
    try:
        from evalkit.graders import ResponseContext  # noqa: F401
    except ImportError:
        return None

    def run(rows: list[Row]) -> list[Judged]:
        items = [(r.response, r.gold) for r in rows]
        verdicts = grade_many(items, workers=workers, contexts=[row_context(r) for r in rows])
        return [Judged(v.correct, v.pred) for v in verdicts]

    return run


def math_verify_grader() -> Grader | None:
    """Math-Verify's documented use: ``verify(parse("$gold$"), parse(response))``; None if not installed."""
    try:
        from math_verify import parse, verify
    except ImportError:
        return None
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)  # it logs every parse timeout, with the input

    def one(row: Row) -> Judged:
        try:
            pred = parse(row.response)
            return Judged(bool(verify(parse(f"${row.gold}$"), pred)), str(pred[1]) if len(pred) > 1 else None)
        except Exception:  # Math-Verify raises on some inputs; that counts as not credited
            return Judged(False, None)

    return lambda rows: [one(r) for r in rows]


AREAL_TIMEOUT = 3.0  # seconds per verdict, as AReaL's evaluate.py gives its process pool


def _areal_verdict(data_name: str, response: str, gold: str) -> tuple[bool, str]:
    """AReaL's own pipeline for one response: extract, strip, ``math_equal`` (run in a worker process)."""
    parser, grader = sys.modules["parser"], sys.modules["grader"]
    with contextlib.redirect_stdout(io.StringIO()):  # its latex2sympy prints an ANTLR warning per parse
        pred = parser.strip_string(parser.extract_answer(response, data_name))
        return bool(grader.math_equal(pred, parser.strip_string(gold))), pred


def areal_grader(areal_dir: Path) -> Grader:
    """AReaL's ``evaluation/`` grader, imported from ``areal_dir`` (AReaL's code is never vendored here).

    Like AReaL's evaluate.py, each verdict runs in a worker process with a time limit; a verdict past
    the limit counts as not credited and the worker is replaced."""
    for path in (areal_dir / "latex2sympy", areal_dir):
        sys.path.insert(0, str(path))
    with contextlib.redirect_stdout(io.StringIO()):
        importlib.import_module("parser")
        importlib.import_module("grader")
    _areal_verdict("math", "\\boxed{\\frac{1}{2}}", "0.5")  # load its parsers once, before the workers fork
    context = multiprocessing.get_context("fork")  # the workers inherit the loaded modules

    def run(rows: list[Row]) -> list[Judged]:
        out = []
        pool = context.Pool(1)
        try:
            for row in rows:
                data_name = "gsm8k" if row.benchmark == "gsm8k" else "math"
                pending = pool.apply_async(_areal_verdict, (data_name, row.response, row.gold))
                try:
                    out.append(Judged(*pending.get(timeout=AREAL_TIMEOUT)))
                except multiprocessing.TimeoutError:
                    pool.terminate()
                    pool = context.Pool(1)
                    out.append(Judged(False, None))
                except Exception:  # AReaL's code raised: not credited
                    out.append(Judged(False, None))
        finally:
            pool.terminate()
        return out

    return run


@dataclass
class Score:
    n: int = 0
    right: int = 0
    fp: int = 0
    fn: int = 0
    credited: int = 0

    def add(self, label: bool, verdict: bool) -> None:
        self.n += 1
        self.right += label == verdict
        self.fp += verdict and not label
        self.fn += label and not verdict
        self.credited += verdict


def table(title: str, rows: list[Row], results: dict[str, list[Judged]], by: str | None) -> str:
    """Accuracy, false positives and false negatives per grader (and per ``by`` group)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups["all"].append(i)
        if by == "tag":  # a row counts in each of its tags
            for tag in r.tags or ("(none)",):
                groups[f"tag:{tag}"].append(i)
        elif by:
            groups[getattr(r, by)].append(i)
    names = list(results)
    head = f"{'':<44} {'n':>5} {'label+':>6}" + "".join(
        f" | {n + ' acc':>16} {'fp':>4} {'fn':>4}" for n in names
    )
    out = [f"== {title}", head, "-" * len(head)]
    for group in sorted(groups, key=lambda g: (g != "all", g)):
        idx = groups[group]
        line = f"{group[:44]:<44} {len(idx):>5} {sum(rows[i].label for i in idx):>6}"
        for name in names:
            s = Score()
            for i in idx:
                s.add(rows[i].label, results[name][i].correct)
            line += f" | {s.right / s.n:>16.4f} {s.fp:>4} {s.fn:>4}"
        out.append(line)
    credited = "  ".join(f"{name}: {sum(j.correct for j in results[name]) / len(rows):.3f}" for name in names)
    out.append(f"credited rate  {credited}  (label: {sum(r.label for r in rows) / len(rows):.3f})")
    return "\n".join(out)


def disagreements(rows: list[Row], results: dict[str, list[Judged]]) -> Iterable[dict[str, Any]]:
    """Rows on which some grader's verdict differs from the label."""
    for i, r in enumerate(rows):
        verdicts = {name: results[name][i] for name in results}
        if any(j.correct != r.label for j in verdicts.values()):
            yield {
                "set": r.set,
                "id": r.id,
                "model": r.model,
                "source": r.source,
                "gold": r.gold,
                "label": r.label,
                "label_by": r.label_by,
                "author_pred": r.author_pred,
                **{f"{name}_pred": j.pred for name, j in verdicts.items()},
                **{f"{name}_correct": j.correct for name, j in verdicts.items()},
                "truncated": r.truncated,
                "note": r.note,
                "response_tail": r.response[-1500:],
            }


def load_set(
    name: str,
    dev_dir: Path,
    corpus: Path,
    read: Path = DEFAULT_READ,
    read_confidence: Path = DEFAULT_READ_CONFIDENCE,
    read_confidence_box: Path = DEFAULT_READ_CONFIDENCE_BOX,
) -> list[Row] | None:
    """The rows of one set, or None when its file is not there."""
    corpora = {
        "corpus": corpus,
        "read": read,
        "read_confidence": read_confidence,
        "read_confidence_box": read_confidence_box,
    }
    path = corpora.get(name) or dev_dir / DEV_FILES[name]
    if not path.exists():
        print(f"[{name}] skipped: {path} not found", file=sys.stderr)
        return None
    return load_corpus(path, name) if name in corpora else load_dev(dev_dir, name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="folder with the shared/dev GSM8K files")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--read", type=Path, default=DEFAULT_READ, help="the corpus labelled by reading")
    ap.add_argument(
        "--read_confidence",
        type=Path,
        default=DEFAULT_READ_CONFIDENCE,
        help="the responses with a confidence level, labelled by reading",
    )
    ap.add_argument("--areal_dir", type=Path, help="a copy of AReaL's evaluation/ folder")
    ap.add_argument(
        "--read_confidence_box",
        type=Path,
        default=DEFAULT_READ_CONFIDENCE_BOX,
        help="the responses that box a confidence level, labelled by reading",
    )
    ap.add_argument(
        "--sets", default="corpus,read,read_confidence,read_confidence_box,gsm8k_openai,gsm8k_tora"
    )
    ap.add_argument("--graders", default="evalkit,evalkit_ctx,math_verify,areal")
    ap.add_argument(
        "--by", choices=["model", "benchmark", "source", "tag"], help="also break each table down"
    )
    ap.add_argument("--workers", type=int, help="evalkit worker processes (default: usable CPUs)")
    ap.add_argument(
        "--disagreements", type=Path, help="write rows where a grader and the label differ (JSONL)"
    )
    args = ap.parse_args(argv)

    wanted = args.graders.split(",")
    graders: dict[str, Grader] = {}
    if "evalkit" in wanted:
        graders["evalkit"] = evalkit_grader(args.workers)
    if "evalkit_ctx" in wanted and (ctx := evalkit_context_grader(args.workers)):
        graders["evalkit_ctx"] = ctx
    if "math_verify" in wanted and (mv := math_verify_grader()):
        graders["math_verify"] = mv
    if "areal" in wanted and args.areal_dir:
        graders["areal"] = areal_grader(args.areal_dir)

    dumped: list[dict[str, Any]] = []
    for name in args.sets.split(","):
        rows = load_set(
            name, args.dev, args.corpus, args.read, args.read_confidence, args.read_confidence_box
        )
        if not rows:
            continue
        results = {}
        for gname, grade in graders.items():
            start = time.perf_counter()
            results[gname] = grade(rows)
            print(f"[{name}] {gname}: {time.perf_counter() - start:.1f}s", file=sys.stderr)
        print(table(name, rows, results, args.by))
        published = {r.model: r.published_accuracy for r in rows if r.published_accuracy is not None}
        if published:
            print(f"authors' published accuracy (%): {published}")
        print()
        dumped += disagreements(rows, results)
    if args.disagreements:
        with open(args.disagreements, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in dumped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
