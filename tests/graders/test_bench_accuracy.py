"""scripts/bench_grader_accuracy.py: the loaders, the score table, and the committed real-response corpus."""

import gzip
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_grader_accuracy.py"
SEALED = {
    "henro25/Qwen2.5-Math",
    "Dongximing/semantic",
    "WildEval/ZeroEval",
    "QwenLM/Qwen2.5-Math",
    "bkubwimana/tegra_monitor",
    "YuFish131416/CS6493-NLP-Group-Project--Mathematical-Reasoning-in-LLMs",
}


READ_TAGS = {
    "r1_think",
    "truncated",
    "loop",
    "confidence",
    "run_on",
    "hedge",
    "base_model",
    "steered",
    "json_answer",
    "choice",
}


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_grader_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _dev_row(**kw) -> dict:
    return {"benchmark": "gsm8k", "model": "m", "source": "o/r:p@c", "response": "A: 3", "gold": "3", **kw}


def test_dev_labels_come_from_the_authors(bench, tmp_path: Path) -> None:
    _write_jsonl(
        tmp_path / bench.DEV_FILES["gsm8k_openai"],
        [_dev_row(author_label=True), _dev_row(author_label=False)],
    )
    tora = [
        _dev_row(author_pred="3.0", meta={"author_aggregate_accuracy_pct": 84.3}),
        _dev_row(author_pred="1,200", gold="1200"),
        _dev_row(author_pred="0.03"),
        _dev_row(author_pred="\\frac{1}{2}"),
        _dev_row(author_pred=None, response=None),
    ]
    _write_jsonl(tmp_path / bench.DEV_FILES["gsm8k_tora"], tora)
    assert [r.label for r in bench.load_dev(tmp_path, "gsm8k_openai")] == [True, False]
    rows = bench.load_dev(tmp_path, "gsm8k_tora")
    assert [r.label for r in rows] == [True, True, False, False, False]
    assert rows[0].published_accuracy == 84.3 and rows[-1].response == ""


def test_corpus_rows_are_validated(bench, tmp_path: Path) -> None:
    row = {"source": "o/r:p@c", "model": "m", "benchmark": "b", "gold": "1", "response": "1", "label": True}
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({**row, "label_by": "read"}) + "\n" + json.dumps({**row, "label": "yes"}) + "\n")
    with pytest.raises(ValueError, match="row 2"):
        bench.load_corpus(path)


def test_table_counts_false_positives_and_negatives(bench) -> None:
    rows = [bench.Row("s", "b", "m", "src", "r", "g", label, "read") for label in (True, True, False, False)]
    verdicts = [bench.Judged(v, None) for v in (True, False, True, False)]
    line = bench.table("s", rows, {"g": verdicts}, None).splitlines()[3]
    assert line.split()[1:] == ["4", "2", "|", "0.5000", "1", "1"]


def test_committed_corpus(bench) -> None:
    path = bench.DEFAULT_CORPUS
    assert path.stat().st_size < 2 * 1024 * 1024
    rows = bench.load_corpus(path)
    raw = list(bench.read_jsonl(path))
    assert len(rows) >= 1500
    assert {r.label_by for r in rows} <= {"agreement", "read"}
    assert all(o["note"] for o in raw if o["label_by"] == "read")
    assert not {r.source.split(":")[0] for r in rows} & SEALED
    assert len({r.model for r in rows}) >= 10
    assert all(len(o["response"]) <= 4000 for o in raw)
    assert all(o["trimmed_from_chars"] > 4000 for o in raw if "trimmed_from_chars" in o)


def test_read_corpus_rows_keep_context_and_tags(bench, tmp_path: Path) -> None:
    row = {"source": "o/r:p@c", "model": "m", "benchmark": "b", "gold": "1", "response": "1", "label": True}
    path = tmp_path / "read.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(
            json.dumps({**row, "label_by": "read", "id": "a", "truncated": True, "tags": ["loop"]}) + "\n"
        )
        f.write(json.dumps({**row, "label_by": "read", "id": "b", "prompt_opens_think": True}) + "\n")
        f.write(json.dumps({**row, "label_by": "read", "id": "c"}) + "\n")
    rows = bench.load_set("read", tmp_path, tmp_path / "absent.jsonl.gz", path)
    assert [r.set for r in rows] == ["read"] * 3 and [r.id for r in rows] == ["a", "b", "c"]
    assert rows[0].truncated is True and rows[0].tags == ("loop",) and rows[2].truncated is None
    table = bench.table("read", rows, {"g": [bench.Judged(True, None)] * 3}, "tag").splitlines()
    assert [line.split()[0] for line in table[3:-1]] == ["all", "tag:(none)", "tag:loop"]
    if bench.evalkit_context_grader(1) is None:
        pytest.skip("this evalkit has no ResponseContext")
    contexts = [bench.row_context(r) for r in rows]
    assert contexts[0].truncated and not contexts[0].prompt_opens_think
    assert contexts[1].prompt_opens_think and not contexts[1].truncated
    assert contexts[2] is None  # the set says nothing about how it was made


def test_committed_read_corpus(bench) -> None:
    """The corpus labelled by reading (rules in tests/graders/corpus/README.md)."""
    path = bench.DEFAULT_READ
    assert path.stat().st_size < 2 * 1024 * 1024
    rows = bench.load_corpus(path, "read")
    raw = list(bench.read_jsonl(path))
    assert 200 <= len(rows) <= 1000
    assert {r.label_by for r in rows} == {"read"}
    assert len({o["id"] for o in raw}) == len(raw)
    assert not {r.source.split(":")[0] for r in rows} & SEALED
    assert all(r.source.count("@") == 1 and len(r.source.rsplit("@", 1)[1]) == 40 for r in rows)
    assert len({r.model for r in rows}) >= 8
    assert all(isinstance(o["truncated"], bool) and isinstance(o["trimmed"], bool) for o in raw)
    assert all(o["license"] for o in raw)
    assert all("characters trimmed ...]" in o["response"] for o in raw if o["trimmed"])
    tags = Counter(t for o in raw for t in o["tags"])
    assert set(tags) <= READ_TAGS
    assert all(o["truncated"] == ("truncated" in o["tags"]) for o in raw)
    assert all("r1_think" in o["tags"] for o in raw if o["prompt_opens_think"])
    # the shapes issue 20 asks for, each more than a handful of times
    assert tags["r1_think"] >= 50 and tags["truncated"] >= 50 and tags["loop"] >= 20
    # every label that is not obvious from the response's last lines says why
    hard = {"truncated", "loop", "run_on", "confidence", "hedge"}
    assert all(o["note"] for o in raw if hard & set(o["tags"]))
    assert 0.2 < sum(r.label for r in rows) / len(rows) < 0.8


def _read_corpus(
    bench, name: str, path: Path, least: int, tags: set[str]
) -> tuple[list, list[dict], Counter]:
    """A committed corpus labelled by reading: its rows, raw objects and tag counts, after the checks every
    such corpus passes (size, one id per row, read labels, truncation agreeing with its tag, known tags)."""
    assert path.stat().st_size < 1024 * 1024
    rows = bench.load_set(name, path.parent, path.parent / "absent.jsonl.gz")
    raw = list(bench.read_jsonl(path))
    assert least <= len(rows) <= 1000 and {r.set for r in rows} == {name}
    assert {r.label_by for r in rows} == {"read"}
    assert len({o["id"] for o in raw}) == len(raw)
    counts = Counter(t for o in raw for t in o["tags"])
    assert set(counts) <= tags
    assert all(o["truncated"] == ("truncated" in o["tags"]) for o in raw)
    return rows, raw, counts


def test_committed_read_confidence_corpus(bench) -> None:
    """Responses that state a confidence level after the answer, labelled by reading (corpus README)."""
    rows, raw, tags = _read_corpus(bench, "read_confidence", bench.DEFAULT_READ_CONFIDENCE, 150, READ_TAGS)
    assert not {r.source.split(":")[0] for r in rows} & SEALED
    assert all(r.source.count("@") == 1 and len(r.source.rsplit("@", 1)[1]) == 40 for r in rows)
    assert len({r.model for r in rows}) >= 5
    assert all(isinstance(o["truncated"], bool) and isinstance(o["trimmed"], bool) for o in raw)
    assert all(o["license"] and o["note"] for o in raw)
    assert tags["confidence"] >= len(raw) // 2
    assert 0.2 < sum(r.label for r in rows) / len(rows) < 0.9


def test_committed_read_confidence_box_corpus(bench) -> None:
    """Responses generated here that box a confidence level after the answer, labelled by reading (corpus
    README): one small model, so the checks are on how each row was made rather than on many models."""
    shapes = READ_TAGS | {"confidence_box", "confidence_echo"}
    rows, raw, tags = _read_corpus(
        bench, "read_confidence_box", bench.DEFAULT_READ_CONFIDENCE_BOX, 200, shapes
    )
    assert all(r.source.startswith("generated here: SmolLM2-135M-Instruct") for r in rows)
    assert {r.benchmark for r in rows} == {"gsm8k", "math_500"}
    assert all((o.get("answer_type") == "number") == (o["benchmark"] == "gsm8k") for o in raw)
    assert all(o["finish"] in ("stop", "length") and o["truncated"] == (o["finish"] == "length") for o in raw)
    assert all(o["license"] and o["note"] and o["selection"] for o in raw)
    assert len({o["prompt"] for o in raw}) >= 5
    assert all(
        "confidence" in o["tags"] for o in raw if {"confidence_box", "confidence_echo"} & set(o["tags"])
    )
    assert tags["confidence_box"] >= len(raw) // 2
    # a 135M model is seldom right; the set still holds right answers followed by a boxed confidence
    assert sum(r.label for r in rows) >= 20
    assert sum(o["label"] for o in raw if "confidence_box" in o["tags"]) >= 8
