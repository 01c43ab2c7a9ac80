"""``evalkit grade``: flat, AReaL and run-store inputs; bad lines reported and skipped."""

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.graders import GRADER_VERSION, ExtractionPolicy
from evalkit.run.records import SampleRecord


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_flat_lines_and_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(
        tmp_path / "gen.jsonl",
        [
            {"response": "So $\\boxed{\\frac12}$.", "gold": "0.5"},
            {"response": "\\boxed{7}", "answer": 8},
            "{not json",
            {"response": "\\boxed{3}"},
            {"response": "\\boxed{025}", "gt": "25"},
            "",
            ["a list"],
        ],
    )
    out = tmp_path / "verdicts.jsonl"
    assert main(["grade", str(src), "-o", str(out), "--workers", "1"]) == 1
    captured = capsys.readouterr()
    rows = _read(out)
    assert [(r["line"], r["correct"]) for r in rows] == [(1, True), (2, False), (5, True)]
    assert rows[0]["pred"] and rows[0]["method"] and rows[0]["reason"]
    assert "accuracy 66.67% (2/3)" in captured.out
    assert f"{src}:3: invalid JSON" in captured.err
    assert f"{src}:4: missing gold field" in captured.err
    assert f"{src}:7: expected a JSON object" in captured.err


def test_areal_per_sample_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(
        tmp_path / "test_qwen3-think_-1_seed1_t0.6_s0_e-1_n4.jsonl",
        [
            {
                "idx": 0,
                "question": "q",
                "gt_cot": "c",
                "gt": "\\frac{14}{3}",
                "code": ["</think> \\boxed{\\dfrac{14}{3}}", "\\boxed{4}", "no answer"],
                "pred": ["\\frac{14}{3}", "4", ""],
                "score": [True, False, True],
            },
            {"idx": 1, "gt": "(3,4]", "code": ["\\boxed{(3, 4]}"], "pred": ["(3,4]"], "score": [True]},
        ],
    )
    assert main(["grade", str(src), "--workers", "1"]) == 0
    rows = _read(src.with_suffix(".graded.jsonl"))
    assert [(r["line"], r["index"], r["id"], r["correct"]) for r in rows] == [
        (1, 0, 0, True),
        (1, 1, 0, False),
        (1, 2, 0, False),
        (2, 0, 1, True),
    ]
    out = capsys.readouterr().out
    assert "accuracy 50.00% (2/4)" in out
    assert "verdicts changed vs stored: 1/4" in out


def test_run_store_records_and_custom_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = SampleRecord(
        problem_id="aime24/60",
        kind="sample",
        sample_index=0,
        seed=1,
        prompt_hash="h",
        response="The answer is $\\boxed{204}$.",
        completion_tokens=9,
        finish_reason="stop",
        gold="204",
        pred=None,
        correct=False,
        method="none",
        reason="",
    )
    src = _write(tmp_path / "samples.jsonl", [record.to_dict(), {"text": "\\boxed{x=5}", "truth": "5"}])
    assert main(["grade", str(src), "-o", "-", "--workers", "1"]) == 1
    captured = capsys.readouterr()
    first = json.loads(captured.out.splitlines()[0])
    assert (first["id"], first["correct"]) == ("aime24/60", True)
    assert "verdicts changed vs stored: 1/1" in captured.err

    assert main(["grade", str(src), "-o", "-", "--response-field", "text", "--gold-field", "truth"]) == 1
    captured = capsys.readouterr()
    assert [json.loads(x)["line"] for x in captured.out.splitlines()] == [2]
    assert f"{src}:1: missing field 'text'" in captured.err


def test_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_subprocess(tmp_path: Path) -> None:
    src = _write(tmp_path / "gen.jsonl", [{"response": "\\boxed{6 - 5i}", "gold": "6-5i"}, "oops"])
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "evalkit", "grade", str(src), "-o", str(out), "--timeout", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "accuracy 100.00% (1/1)" in proc.stdout
    assert f"{src}:2: invalid JSON" in proc.stderr
    assert _read(out)[0]["correct"] is True


def test_run_directory_is_regraded_in_place_with_its_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.run.store import RunStore

    run_dir = tmp_path / "out" / "model" / "aime24"
    store = RunStore(run_dir)
    store.open({"grader": {"last_number_fallback": False, "require_think_end": True}})
    stale = dict(
        kind="sample", seed=1, prompt_hash="h", completion_tokens=5, finish_reason="stop", gold="42",
        pred="41", correct=False, method="numeric", reason="an older grader's verdict",
    )  # fmt: skip
    store.append(
        [
            SampleRecord(problem_id="1", sample_index=0, response="</think> so \\boxed{42}", **stale),
            SampleRecord(problem_id="1", sample_index=1, response="\\boxed{42} (never closed)", **stale),
        ]
    )
    assert main(["grade", str(tmp_path / "out")]) == 0
    assert "aime24: accuracy 0.00% -> 50.00% over 2 records (1 verdicts changed)" in capsys.readouterr().out
    first, second = RunStore(run_dir).records()
    assert (first.correct, first.pred, first.method) == (True, "42", "exact")
    assert (second.correct, second.pred) == (False, None)  # the run's require_think_end policy applies
    section = RunStore(run_dir).manifest()["grader"]  # the grader that gave these verdicts, every field
    assert section == {
        **asdict(ExtractionPolicy(last_number_fallback=False, require_think_end=True)),
        "version": GRADER_VERSION,
    }


AUDIT_LINES = [
    {"response": "So \\boxed{7}.", "gold": "7"},  # both credit it
    {"response": "It is \\boxed{the circle}.", "gold": "\\text{circle}"},  # evalkit alone
    {"response": "\\boxed{3R^2}", "gold": "3r^2"},  # Math-Verify alone (evalkit keeps the case of symbols)
]


def test_audit_lists_each_disagreement_with_both_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("math_verify")
    src = _write(tmp_path / "gen.jsonl", AUDIT_LINES)
    assert main(["grade", str(src), "--audit", "--timeout", "3"]) == 0
    out = capsys.readouterr().out
    audit_file = tmp_path / "gen.graded.audit.jsonl"
    assert (
        "audit: Math-Verify disagrees on 2 of 3 verdicts (evalkit alone credits 1, Math-Verify alone 1, "
        f"Math-Verify gave no verdict on 0); all in {audit_file}"
    ) in out
    assert f"{src}:3  gold 3r^2  |  evalkit 3R^2 (wrong)  |  Math-Verify 3R^2 (correct)" in out
    rows = _read(audit_file)
    assert [r["where"] for r in rows] == [f"{src}:2", f"{src}:3"]
    assert rows[0] | {"note": ""} == {
        "where": f"{src}:2", "gold": "\\text{circle}", "evalkit_pred": "the circle", "evalkit_correct": True,
        "math_verify_pred": "the circle", "math_verify_correct": False, "note": "",
    }  # fmt: skip


def test_audit_of_a_run_directory_writes_its_audit_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("math_verify")
    from evalkit.run.store import RunStore

    run_dir = tmp_path / "model" / "toy"
    RunStore(run_dir).open({"grader": {}})
    base = dict(kind="sample", seed=1, prompt_hash="h", completion_tokens=5, finish_reason="stop", pred=None,
                correct=False, method="none", reason="")  # fmt: skip
    RunStore(run_dir).append(
        [
            SampleRecord(
                problem_id=str(i), sample_index=0, response=line["response"], gold=line["gold"], **base
            )
            for i, line in enumerate(AUDIT_LINES)
        ]
    )
    assert main(["grade", str(tmp_path / "model"), "--audit"]) == 0
    assert "audit: Math-Verify disagrees on 2 of 3 verdicts" in capsys.readouterr().out
    assert [r["where"] for r in _read(run_dir / "audit.jsonl")] == ["1 sample 0", "2 sample 0"]


def test_a_hanging_math_verify_call_is_killed_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.graders import audit

    monkeypatch.setattr(audit, "WORKER", "tests.graders.hanging_mv_worker")
    monkeypatch.setattr(audit, "available", lambda: True)
    src = _write(tmp_path / "gen.jsonl", [{"response": "hang \\boxed{7}", "gold": "7"}, AUDIT_LINES[0]])
    assert main(["grade", str(src), "--audit", "--timeout", "1"]) == 0
    rows = _read(tmp_path / "gen.graded.audit.jsonl")
    assert len(rows) == 1 and rows[0]["where"] == f"{src}:1"
    assert rows[0]["math_verify_correct"] is None
    assert rows[0]["note"] == "Math-Verify gave no verdict within 5 s (worker killed)"


def test_audit_without_math_verify_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.graders import audit

    monkeypatch.setattr(audit, "available", lambda: False)
    src = _write(tmp_path / "gen.jsonl", AUDIT_LINES)
    assert main(["grade", str(src), "--audit"]) == 2
    assert capsys.readouterr().err.strip() == (
        "evalkit grade --audit: Math-Verify is not installed (pip install math-verify): no cross-check"
    )
    assert not (tmp_path / "gen.graded.jsonl").exists()


def test_a_line_that_says_its_response_was_cut_off_is_graded_so(tmp_path: Path) -> None:
    """The same fallback answer, finished or cut off at the token limit: only the finished one counts."""
    lines = [
        {"response": "So the total is 5.", "gold": "5", "finish_reason": "stop"},
        {"response": "So the total is 5.", "gold": "5", "finish_reason": "length"},
        {"response": "So the total is 5.", "gold": "5", "truncated": True},
        {"code": ["So the total is 5."] * 2, "gt": "5", "finish_reason": ["stop", "length"]},
    ]
    path = tmp_path / "gens.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["grade", str(path), "-o", str(tmp_path / "out.jsonl")]) == 0
    verdicts = [json.loads(line)["correct"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert verdicts == [True, False, False, True, False]
