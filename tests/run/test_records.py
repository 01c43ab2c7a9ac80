"""The per-sample record format: the extraction rule travels with the verdict; older records still load."""

import pytest

from evalkit.graders import grade
from evalkit.run.records import SampleRecord

STORED = {
    "problem_id": "7",
    "kind": "sample",
    "sample_index": 3,
    "seed": 11,
    "prompt_hash": "ab",
    "response": "So the answer is 12.",
    "completion_tokens": 6,
    "finish_reason": "stop",
    "gold": "12",
    "pred": "12",
    "correct": True,
    "method": "exact",
    "reason": "equal",
}


def test_a_record_without_a_rule_loads_as_unknown_rule() -> None:
    assert SampleRecord.from_dict(STORED).rule is None


def test_the_rule_round_trips() -> None:
    verdict = grade(STORED["response"], STORED["gold"])
    record = SampleRecord.from_dict({**STORED, "rule": verdict.rule})
    assert record.rule == verdict.rule == "phrase"
    assert SampleRecord.from_dict(record.to_dict()) == record


def test_a_missing_required_field_is_named() -> None:
    with pytest.raises(KeyError, match="correct"):
        SampleRecord.from_dict({k: v for k, v in STORED.items() if k != "correct"})
