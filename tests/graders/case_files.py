"""Grader cases as data: one JSON object a line in ``tests/graders/cases/*.jsonl``.

Row fields: ``response`` (a whole response, graded with extraction) or ``pred`` (a bare answer, compared
as it is), ``gold`` (string, int or float), ``expected`` (the careful human grader's verdict), ``note``,
optional ``group`` (the behaviour the row belongs to) and ``policy`` (``ExtractionPolicy`` keyword
arguments). A case's id is ``file:line``.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "cases"
_FIELDS = {"response", "pred", "gold", "expected", "note", "group", "policy"}


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    text: str
    gold: Any
    extract: bool
    expected: bool
    note: str
    group: str = ""
    policy: dict[str, Any] = field(default_factory=dict)


def _case(row: Any, where: str) -> Case:
    if not isinstance(row, dict):
        raise ValueError(f"{where}: a case is a JSON object, got {type(row).__name__}")
    unknown = set(row) - _FIELDS
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_FIELDS)}")
    if ("response" in row) == ("pred" in row):
        raise ValueError(f"{where}: give exactly one of 'response' and 'pred'")
    if not isinstance(row.get("expected"), bool) or "gold" not in row:
        raise ValueError(f"{where}: 'gold' and a boolean 'expected' are required")
    return Case(
        id=where,
        text=row["response"] if "response" in row else row["pred"],
        gold=row["gold"],
        extract="response" in row,
        expected=row["expected"],
        note=row.get("note", ""),
        group=row.get("group", ""),
        policy=row.get("policy") or {},
    )


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of every ``*.jsonl`` file in ``directory``, in file and line order."""
    cases = []
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                where = f"{path.name}:{number}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{where}: not JSON ({error})") from None
                cases.append(_case(row, where))
    return cases
