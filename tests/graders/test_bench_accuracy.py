"""scripts/bench_grader_accuracy.py: the loaders, the score table, and the committed real-response corpus."""

import gzip
import importlib.util
import json
import sys
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
