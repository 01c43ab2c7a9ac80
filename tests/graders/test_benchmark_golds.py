r"""Every real gold equals itself and differs from every other problem's gold, bar real duplicates.

Problems whose gold text is identical share the answer without being listed. ``DUPLICATES`` lists,
with one problem id per distinct text, the golds that are written differently but are the same answer
(found by grading all pairs; checked by hand).
"""

import json
import re
from itertools import permutations
from pathlib import Path

import pytest

from evalkit.graders import grade_many

BENCHMARKS = ("math_500", "aime24", "amc23", "aime25")

DUPLICATES: dict[str, list[tuple[str, ...]]] = {
    "math_500": [
        ("test/intermediate_algebra/1388.json", "test/intermediate_algebra/1102.json"),  # 1,-2 | -2,1
        (
            "test/counting_and_probability/508.json",
            "test/counting_and_probability/238.json",
        ),  # 10,\!080 | 10080
        ("test/prealgebra/1807.json", "test/precalculus/44.json"),  # 120 | 120^\circ
        ("test/geometry/483.json", "test/prealgebra/1114.json"),  # 15 | 15\mbox{ cm}^2
        ("test/intermediate_algebra/1797.json", "test/algebra/1796.json"),  # 2 \sqrt{5} | 2\sqrt{5}
        ("test/geometry/221.json", "test/precalculus/117.json"),  # 30 | 30^\circ
        (
            "test/algebra/661.json",
            "test/prealgebra/260.json",
            "test/prealgebra/1203.json",
        ),  # 36 | 36^\circ | \$36
        ("test/prealgebra/2057.json", "test/precalculus/927.json"),  # 90 | 90^\circ
        (
            "test/counting_and_probability/14.json",
            "test/counting_and_probability/803.json",
        ),  # \frac14 | \frac{1}{4}
        ("test/geometry/248.json", "test/algebra/2193.json"),  # 5 | x=5
    ],
}

# (response id, gold id) equal one way only: "40" answers "40_9" (the base may be left off), while the
# numeral 40_9 (= 36) does not answer a decimal 40.
ONE_WAY: dict[str, list[tuple[str, str]]] = {
    "math_500": [("test/intermediate_algebra/362.json", "test/number_theory/46.json")],  # 40 -> 40_9
}

# A base-n numeral graded against a decimal gold (40_9 vs 36, 52_8 vs 42) is right or wrong depending on
# the question's wording, which the grader does not see: such ordered pairs are not asserted.
BASE_NUMERAL = re.compile(r"_\{?\d+\}?\s*$")


def _golds(data_dir: Path, name: str) -> dict[str, str | int | float]:
    """Problem id -> gold as stored in the file (str, int or float)."""
    golds = {}
    with open(data_dir / f"{name}.jsonl", encoding="utf-8") as f:
        for index, line in enumerate(f):
            row = json.loads(line)
            golds[str(row.get("id", row.get("unique_id", index)))] = row["answer"]
    return golds


def _by_text(golds: dict[str, str | int | float]) -> dict[str, str | int | float]:
    """One representative gold per distinct text, keyed by its first problem id."""
    first: dict[str, str] = {}
    for pid, gold in golds.items():
        first.setdefault(str(gold), pid)
    return {pid: golds[pid] for pid in first.values()}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_gold_equals_itself(data_dir: Path, name: str) -> None:
    golds = _golds(data_dir, name)
    items = [(str(g), g) for g in golds.values()]
    verdicts = grade_many(items, extract=False)
    wrong = [(pid, v) for pid, v in zip(golds, verdicts, strict=True) if not v.correct]
    assert not wrong, wrong


def _ordered_pairs(ids: list[str], text: dict[str, str], same: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """(response id, gold id) pairs: both orders for listed duplicates, otherwise one order per pair,
    alternating so that every gold is graded both as a response and as a gold; minus the unasserted
    base-numeral-against-decimal pairs."""
    pairs = []
    for i, a in enumerate(ids):
        for j in range(i + 1, len(ids)):
            b = ids[j]
            if (text[a], text[b]) in same or (text[b], text[a]) in same:
                pairs += [(a, b), (b, a)]
            else:
                pairs.append((a, b) if (i + j) % 2 else (b, a))
    return [
        (a, b) for a, b in pairs if not (BASE_NUMERAL.search(text[a]) and not BASE_NUMERAL.search(text[b]))
    ]


@pytest.mark.slow  # math_500: about 45,000 pairs
@pytest.mark.parametrize("name", BENCHMARKS)
def test_gold_differs_from_other_golds(data_dir: Path, name: str) -> None:
    golds = _golds(data_dir, name)
    text = {pid: str(g) for pid, g in golds.items()}
    same: set[tuple[str, str]] = {
        (text[a], text[b]) for group in DUPLICATES.get(name, []) for a, b in permutations(group, 2)
    }
    same |= {(text[a], text[b]) for a, b in ONE_WAY.get(name, [])}
    reps = _by_text(golds)
    pairs = _ordered_pairs(list(reps), text, same)
    verdicts = grade_many([(text[a], reps[b]) for a, b in pairs], extract=False)
    unexpected = [
        (a, text[a], b, text[b], v.method)
        for (a, b), v in zip(pairs, verdicts, strict=True)
        if v.correct != ((text[a], text[b]) in same)
    ]
    assert not unexpected, unexpected


def test_listed_duplicates_exist(data_dir: Path) -> None:
    golds = _golds(data_dir, "math_500")
    listed = [pid for group in DUPLICATES["math_500"] for pid in group] + [
        p for pair in ONE_WAY["math_500"] for p in pair
    ]
    assert all(pid in golds for pid in listed)
    assert all(len({str(golds[pid]) for pid in group}) == len(group) for group in DUPLICATES["math_500"])
