"""AReaL's gpqa_diamond and the Qwen2.5-Math suite declared as data (gold rules, answer types,
suites), multiple-choice reading, and the runner, re-grading and AReaL's files carrying the answer type."""

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.benchmarks.loading import (
    BenchmarkError,
    list_benchmarks,
    list_suites,
    load_benchmark,
    load_spec,
    parse_spec,
    read_problems,
)
from evalkit.graders import grade, grade_many
from evalkit.graders.choice import read_choice, strip_options
from evalkit.graders.context import ResponseContext

CHOICE = ResponseContext(answer_type="choice")
RL_MATH = ["aime24", "aime25", "amc23", "math_500", "minerva_math", "olympiadbench"]
# the reference solution each benchmark's rows hold, graded as a response against its gold
SOLUTIONS = {"math_500": "solution", "gsm8k": "answer", "minerva_math": "solution"}


def loaded(name: str, data_dir: Path) -> Any:
    if not (data_dir / load_spec(name).file).is_file():
        pytest.skip(f"{name}'s file is not in {data_dir}")
    return load_benchmark(name, data_dir)


def split_top(text: str, sep: str) -> list[str]:
    """``text`` split at the ``sep`` characters outside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


# --- specs and golds ----------------------------------------------------------------------------------


def test_rl_math_is_a_suite_of_six() -> None:
    assert list_suites() == {"rl_math": RL_MATH}
    assert len(list_benchmarks()) == 10


@pytest.mark.parametrize(
    ("name", "pid", "gold", "answer_type"),
    [
        ("gpqa_diamond", "0", "(D) 10^-4 ev", "choice"),  # the letter with the correct option's text
        ("minerva_math", "0", "1.6", None),  # the box inside the solution, its unit left outside
        ("olympiadbench", "1606", "2", "number"),
        ("olympiadbench", "1664", "69,84", "number"),  # a multi-answer item, "$" removed
        ("olympiadbench", "1737", "(6,3),(9,3),(9,5),(54,5)", "tuple"),
        ("gsm8k", "0", "18", "number"),  # after "####"
        ("gaokao2023en", "0", "\\{x|-2\\leq x < 1\\}", None),  # "$" removed, as Qwen2.5-Math reads it
        ("college_math", "0", "10-4 n", None),
    ],
)
def test_golds_are_read_as_declared(
    name: str, pid: str, gold: str, answer_type: str | None, data_dir: Path
) -> None:
    problem = next(p for p in loaded(name, data_dir).problems if p.id == pid)
    assert (problem.gold, problem.answer_type) == (gold, answer_type)


def test_olympiadbench_types_come_from_each_row(data_dir: Path) -> None:
    types = {p.answer_type for p in loaded("olympiadbench", data_dir).problems}
    assert types == {"number", "expression", "tuple", "interval"}


def test_college_math_yes_no_questions_carry_areals_hint(data_dir: Path) -> None:
    problems = loaded("college_math", data_dir).problems
    hinted = [p for p in problems if p.problem.endswith(" (Yes or No)")]
    assert len(hinted) == 16 and all(p.gold.lower() in ("yes", "no") for p in hinted)


def test_gsm8k_keeps_thousands_separators(data_dir: Path) -> None:
    golds = [p.gold for p in loaded("gsm8k", data_dir).problems]
    assert "2,125" in golds and all("####" not in g for g in golds)


def spec_of(gold: dict[str, Any], answer: str = "answer") -> Any:
    return parse_spec(
        {"name": "x", "file": "x.jsonl", "count": 1, "sha256": "0", "content_sha256": "0", "answer_kind": "latex",
         "last_number_fallback": False, "fields": {"answer": answer}, "gold": gold},
        source="x.toml",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("gold", "answer", "row", "expected"),
    [
        (
            {"read": "box"},
            "solution",
            {"solution": "So $x=\\boxed{\\frac{1}{2}}$ cm, not \\boxed{3"},
            "\\frac{1}{2}",
        ),
        ({"read": "after", "marker": "####"}, "answer", {"answer": "3 + 4 = 7\n#### 7 "}, "7"),
        ({"read": "list", "remove": "$"}, "final_answer", {"final_answer": ["$1$", "$(2,3)$"]}, "1, (2,3)"),
        ({"read": "letter", "option": "text"}, "answer", {"answer": "(B)", "text": "12 cm"}, "(B) 12 cm"),
        ({"read": "letter"}, "answer", {"answer": "C"}, "C"),
        ({"remove": "$"}, "answer", {"answer": "$-\\sqrt{3}$"}, "-\\sqrt{3}"),
    ],
)
def test_gold_rules(
    tmp_path: Path, gold: dict[str, Any], answer: str, row: dict[str, Any], expected: str
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"problem": "p", **row}) + "\n", encoding="utf-8")
    spec = spec_of(gold, answer)
    assert read_problems(path, spec.fields, spec.gold)[0].gold == expected


@pytest.mark.parametrize(
    ("gold", "row", "message"),
    [
        ({"read": "box"}, {"answer": "no box"}, "holds no \\boxed{} answer"),
        ({"read": "after", "marker": "####"}, {"answer": "7"}, "has no '####' before its answer"),
        ({"read": "letter"}, {"answer": "CD"}, "must be an option letter"),
        ({"read": "list"}, {"answer": "1"}, "must be a non-empty list"),
    ],
)
def test_gold_rule_errors_name_file_and_line(
    tmp_path: Path, gold: dict[str, Any], row: dict[str, Any], message: str
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"problem": "p", **row}) + "\n", encoding="utf-8")
    spec = spec_of(gold)
    with pytest.raises(BenchmarkError, match=rf"^{path}:1: answer field 'answer' "):
        read_problems(path, spec.fields, spec.gold)
    with pytest.raises(BenchmarkError) as err:
        read_problems(path, spec.fields, spec.gold)
    assert message in str(err.value)


def test_an_unknown_gold_rule_names_the_spec() -> None:
    with pytest.raises(BenchmarkError, match=r"^x.toml: invalid value: \[gold\] read = 'boxed'"):
        spec_of({"read": "boxed"})


# --- every gold is itself; reference solutions are credited --------------------------------------------


@pytest.mark.parametrize("name", sorted(list_benchmarks()))
def test_every_gold_equals_itself(name: str, data_dir: Path) -> None:
    problems = loaded(name, data_dir).problems
    contexts = [ResponseContext(answer_type=p.answer_type) for p in problems]
    verdicts = grade_many([(p.gold, p.gold) for p in problems], extract=False, contexts=contexts)
    failed = [(p.id, p.gold) for p, v in zip(problems, verdicts, strict=True) if not v.correct and p.gold]
    assert failed == []
    # the only golds that credit nothing are the two empty answers of gaokao2023en's file
    empty = [p.id for p in problems if not p.gold]
    assert empty == (["167", "192"] if name == "gaokao2023en" else [])


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_reference_solutions_are_credited(name: str, data_dir: Path) -> None:
    benchmark = loaded(name, data_dir)
    solutions = [row[SOLUTIONS[name]] for row in rows(benchmark.path)]
    contexts = [ResponseContext(answer_type=p.answer_type) for p in benchmark.problems]
    verdicts = grade_many(
        [(s, p.gold) for s, p in zip(solutions, benchmark.problems, strict=True)], contexts=contexts
    )
    assert [p.id for p, v in zip(benchmark.problems, verdicts, strict=True) if not v.correct] == []


# OlympiadBench's multi-answer golds whose items the equivalence cannot tell apart (a repeated item, "-2,-2";
# two relations with the same value) or that are prose, not a list; every other one follows the rule.
OLYMPIAD_NOT_A_LIST = {"1760", "1965", "2532"}


def test_olympiadbench_multi_answers_in_any_order_none_missing_none_extra(data_dir: Path) -> None:
    benchmark = loaded("olympiadbench", data_dir)
    multi = {str(r["id"]) for r in rows(benchmark.path) if r["is_multiple_answer"]}
    items, expected = [], []
    for p in benchmark.problems:
        parts = [x.strip() for x in split_top(p.gold, ",")]
        if p.id not in multi or p.id in OLYMPIAD_NOT_A_LIST or len(parts) < 2:
            continue
        for response, credited in (
            (", ".join(reversed(parts)), True),  # any order
            (", ".join(parts[1:]), False),  # one missing
            (", ".join([*parts, "98765"]), False),  # one extra
        ):
            items.append((f"The answers are $\\boxed{{{response}}}$.", p.gold))
            expected.append((p.id, response, credited))
    verdicts = grade_many(items)
    assert len(items) >= 3 * 85
    assert [e for e, v in zip(expected, verdicts, strict=True) if v.correct != e[2]] == []


# --- multiple choice ----------------------------------------------------------------------------------

OPTIONS = "A. 10^-9 ev\nB. 10^-11 ev\nC. 10^-8 ev\nD. 10^-4 ev"
GOLD = "(D) 10^-4 ev"


@pytest.mark.parametrize(
    ("response", "credited"),
    [
        ("The answer is (D).", True),
        ("\\boxed{D}", True),
        ("Final answer: D", True),
        ("So the correct option is D.", True),
        ("Working...\nD.", True),  # a final letter line
        ("Working...\n**D**", True),
        ("Working...\nD. 10^-4 ev", True),  # the letter with its option's text as the closing line
        ("The answer is \\boxed{(D) 10^-4 ev}", True),
        ("The answer is 10^-4 ev.", True),  # the option's text, stated
        ("I choose D.", True),
        ("Option A is too small. B is also incorrect. C is not right either. Therefore, D.", True),
        ("The answer is not A. It is D.", True),
        ("D) is tempting but the answer is (B).", False),
        ("Between C and D, D fits best. The answer is C.", False),
        ("\\boxed{A}", False),
        ("The answer is not D.", False),
        ("A is wrong, B is wrong, C is wrong, D is wrong.", False),
        (f"Let me restate the options:\n{OPTIONS}", False),  # a letter only inside the options list
        (f"Which one?\n\n{OPTIONS}\n\nI am not sure.", False),
        (f"Options:\n{OPTIONS}\nI think the answer is A.", False),
        ("The answer is E = 10^-9 ev", False),  # a variable, not a letter
    ],
)
def test_the_committed_option_is_read(response: str, credited: bool) -> None:
    assert grade(response, GOLD, context=CHOICE).correct is credited


def test_a_truncated_response_is_read_only_for_what_it_committed_to() -> None:
    cut = ResponseContext(truncated=True, answer_type="choice")
    assert grade("So \\boxed{D} is it. Let me double-check the", GOLD, context=cut).correct
    assert not grade("Option D looks right. Checking: D.\nBut wait, maybe", GOLD, context=cut).correct


def test_reasoning_the_prompt_opened_counts_only_once_closed() -> None:
    opened = ResponseContext(prompt_opens_think=True, answer_type="choice")
    assert not grade("Maybe the answer is D. Hmm", GOLD, context=opened).correct
    assert grade("Maybe A.</think>The answer is D.", GOLD, context=opened).correct
    assert read_choice("The answer is D.", None, opened, gold=GOLD) is None


def test_options_lists_are_removed_even_when_an_option_runs_over_lines() -> None:
    text = "Compare:\nA. 1. Zn\n2. HCl\nB. 1. Cl2\n2. KOH\nC. x\nD. 1. NaNH2\n2. H2\n\nSo the answer is C."
    assert strip_options(text).split("\n") == ["Compare:", *[""] * 8, "So the answer is C."]
    assert strip_options("A. alone\nand text") == "A. alone\nand text"


def test_no_wrong_letter_is_credited_on_gpqa_diamond(data_dir: Path) -> None:
    benchmark = loaded("gpqa_diamond", data_dir)
    items, expected = [], []
    for p, row in zip(benchmark.problems, rows(benchmark.path), strict=True):
        options = "\n".join(row["labeled_options"])
        for letter in "ABCD":
            for response in (
                f"The answer is ({letter}).",
                f"\\boxed{{{letter}}}",
                f"Reasoning.\n{letter}.",
                f"{options}\n\nSo the correct option is {letter}.",
            ):
                items.append((response, p.gold))
                expected.append((p.id, response[-30:], letter == row["answer"]))
        for response in (row["question"], f"Restating:\n{options}", f"{row['question']}\nI am not sure."):
            items.append((response, p.gold))  # a letter only in the question or the options list
            expected.append((p.id, response[-30:], False))
    verdicts = grade_many(items, contexts=[CHOICE] * len(items))
    assert [e for e, v in zip(expected, verdicts, strict=True) if v.correct != e[2]] == []
