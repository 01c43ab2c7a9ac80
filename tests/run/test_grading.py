"""RunGrading: the typed grading a run carries from the runner to its manifest and back."""

import dataclasses

import pytest

from evalkit.graders import GRADER_VERSION, ExtractionPolicy
from evalkit.run.grading import RunGrading
from evalkit.run.regrade import grader_section, is_current, stored_grading


def test_a_section_written_before_every_field_was_recorded_reads_as_the_same_grading() -> None:
    old = {"last_number_fallback": False, "require_think_end": True, "version": GRADER_VERSION}
    grading = RunGrading(ExtractionPolicy(last_number_fallback=False, require_think_end=True))
    assert stored_grading({"grader": old}) == grading
    assert is_current({"grader": old}, grading)  # no re-grade for a section of fewer fields
    assert not is_current({"grader": old}, RunGrading())  # another policy is another grading
    assert not is_current({"grader": {**old, "version": GRADER_VERSION - 1}}, grading)


def test_the_section_round_trips_and_ignores_what_a_newer_evalkit_adds() -> None:
    grading = RunGrading(ExtractionPolicy(phrases=False), {"p1": "choice", "p2": "number"})
    section = grader_section(grading)
    assert section["phrases"] is False and section["answer_type"] == {"p1": "choice", "p2": "number"}
    assert RunGrading.from_section({**section, "a_future_field": 1}) == grading
    section["answer_type"]["p1"] = "text"  # the manifest's dict is a copy: the grading stays as it was
    assert grading.answer_type_of("p1") == "choice"
    with pytest.raises(TypeError):
        grading.answer_type["p1"] = "text"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        grading.policy = ExtractionPolicy()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("declared", "problem", "expected"),
    [
        ("choice", "any", "choice"),
        ({"a": "tuple"}, "a", "tuple"),
        ({"a": "tuple"}, "b", None),
        ("colour", "a", None),
    ],
)
def test_answer_type_of_a_problem(declared: object, problem: str, expected: str | None) -> None:
    grading = RunGrading.from_section({"answer_type": declared})
    assert grading.answer_type_of(problem) == expected
    context = grading.context(problem, truncated=True)
    assert context.truncated and context.answer_type == expected
