"""Run store: model tags, fingerprint checks, append-only records, torn and corrupt lines, overwrite."""

import json
from pathlib import Path

import pytest

from evalkit.run.records import SampleRecord
from evalkit.run.store import RunStore, StoreError, TornLineWarning, model_tag, read_records

FINGERPRINT = {
    "model": {"path": "/m"},
    "sampling": {"temperature": 0.6, "top_p": 0.95},
    "backend": {"flags": (1, 2)},
}


def record(i: int) -> SampleRecord:
    return SampleRecord(
        problem_id=str(i), kind="sample", sample_index=i, seed=i, prompt_hash="h", response=f"r{i}",
        completion_tokens=3, finish_reason="stop", gold="1", pred="1", correct=True, method="exact", reason="",
    )  # fmt: skip


def stored(tmp_path: Path, n: int) -> RunStore:
    store = RunStore(tmp_path / "run")
    assert store.open(FINGERPRINT) == []
    store.append([record(i) for i in range(n)])
    return store


def test_model_tag_keeps_areal_checkpoints_apart() -> None:
    root = "/storage/ray/experiments/checkpoints/root"
    a = model_tag(f"{root}/ppo-zero-distill-7B-n16/1024x16-n16/actor/epoch1epochstep20globalstep20/")
    b = model_tag(f"{root}/ppo-zero-distill-1.5B-n16/1024x16-n16/actor/epoch1epochstep20globalstep20")
    assert a == "ppo-zero-distill-7B-n16__1024x16-n16__actor__epoch1epochstep20globalstep20"
    assert a != b
    assert model_tag("/a/b/c/d/e", parts=2) == "d__e"


def test_model_tags_of_distinct_paths_are_distinct() -> None:
    assert model_tag("ckpt/步骤一") == "ckpt__步骤一"  # letters of any script are kept
    assert model_tag("ckpt/步骤一") != model_tag("ckpt/步骤二")
    replaced = {model_tag(p) for p in ("models/My Model:v2", "models/My_Model_v2", "models/My+Model+v2")}
    assert len(replaced) == 3  # a replaced character adds a hash of the path as written
    assert model_tag("models/My Model:v2").startswith("models__My_Model_v2-")


def test_resume_returns_stored_records_and_appends(tmp_path: Path) -> None:
    store = stored(tmp_path, 2)
    again = RunStore(tmp_path / "run")
    assert again.open(json.loads(json.dumps(FINGERPRINT))) == [record(0), record(1)]
    again.append([record(2)])
    assert again.records() == [record(0), record(1), record(2)]
    assert store.manifest() == json.loads(json.dumps(FINGERPRINT))


def test_mutable_fields_may_change_and_are_rewritten_others_still_refused(tmp_path: Path) -> None:
    stored(tmp_path, 2)
    grown = {**FINGERPRINT, "sampling": {"temperature": 0.6, "top_p": 0.95, "n": 8}}
    store = RunStore(tmp_path / "run")
    assert store.open(grown, mutable=("sampling.n",)) == [record(0), record(1)]
    assert store.manifest()["sampling"]["n"] == 8
    both = {**FINGERPRINT, "sampling": {"temperature": 0.7, "top_p": 0.95, "n": 4}}
    with pytest.raises(StoreError) as err:
        store.open(both, mutable=("sampling.n",))
    assert "sampling.temperature" in str(err.value) and "sampling.n" not in str(err.value)
    assert store.manifest()["sampling"]["n"] == 8  # a refused open changes nothing


def test_changed_fingerprint_is_refused_naming_the_fields(tmp_path: Path) -> None:
    stored(tmp_path, 1)
    changed = {**FINGERPRINT, "sampling": {"temperature": 0.7, "top_p": 0.95}, "grader": {"x": True}}
    with pytest.raises(StoreError) as err:
        RunStore(tmp_path / "run").open(changed)
    message = str(err.value)
    assert "sampling.temperature: 0.6 (stored) vs 0.7 (now)" in message
    assert 'grader.x: "<absent>" (stored) vs true (now)' in message
    assert "top_p" not in message and "--overwrite" in message


def test_overwrite_moves_old_files_aside(tmp_path: Path) -> None:
    stored(tmp_path, 2)
    changed = {**FINGERPRINT, "sampling": {"temperature": 0.7}}
    store = RunStore(tmp_path / "run")
    assert store.open(changed, overwrite=True) == []
    assert store.records() == [] and store.manifest() == json.loads(json.dumps(changed))
    (backup,) = (tmp_path / "run" / "overwritten").iterdir()
    assert len(read_records(backup / "samples.jsonl")) == 2
    assert json.loads((backup / "manifest.json").read_text())["sampling"]["temperature"] == 0.6


def test_samples_without_manifest_are_refused(tmp_path: Path) -> None:
    store = stored(tmp_path, 1)
    store.manifest_path.unlink()
    with pytest.raises(StoreError, match=r"without manifest\.json"):
        RunStore(tmp_path / "run").open(FINGERPRINT)


def test_torn_last_line_is_dropped_then_cut_off_before_appending(tmp_path: Path) -> None:
    store = stored(tmp_path, 2)
    with store.samples_path.open("a") as f:
        f.write(json.dumps(record(2).to_dict())[:25])  # a kill -9 in the middle of a write
    size = store.samples_path.stat().st_size
    with pytest.warns(TornLineWarning, match="torn last line"):
        assert store.records() == [record(0), record(1)]
    assert store.samples_path.stat().st_size == size  # reading alone leaves the file as it is
    with pytest.warns(TornLineWarning):
        assert store.open(FINGERPRINT) == [record(0), record(1)]
    store.append([record(2)])
    assert store.records() == [record(0), record(1), record(2)]


def test_corrupt_middle_line_names_file_and_line(tmp_path: Path) -> None:
    store = stored(tmp_path, 1)
    with store.samples_path.open("a") as f:
        f.write("{not json\n")
        f.write(json.dumps({"problem_id": "x"}) + "\n")
    store.append([record(1)])
    with pytest.raises(StoreError, match=r"samples\.jsonl:2: corrupt record"):
        store.records()
    lines = store.samples_path.read_text().splitlines()
    del lines[1]
    store.samples_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StoreError, match=r"samples\.jsonl:2: corrupt record .*lacks field"):
        store.open(FINGERPRINT)


def test_rewrite_replaces_all_records(tmp_path: Path) -> None:
    store = stored(tmp_path, 3)
    store.rewrite([record(5)])
    assert store.records() == [record(5)]
    assert not list(store.run_dir.glob("*.tmp"))
