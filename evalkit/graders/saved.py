"""Saved generations read back for re-grading (``evalkit grade FILE``): flat ``{"response", "gold"}`` lines,
evalkit's run store lines, or AReaL per-sample lines (one item per response in ``code``); and the verdict
lines written for them. A line that says its response was cut off at the token limit (``"finish_reason":
"length"``, as evalkit's records and vLLM outputs do, or ``"truncated": true``; a list of either for a list
of responses) is graded as such (:class:`~evalkit.graders.context.ResponseContext`)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from evalkit.graders.verdict import Verdict

GOLD_FIELDS = ("gold", "answer", "gt")
ID_FIELDS = ("problem_id", "idx", "id", "unique_id")
AREAL_RESPONSES = "code"


@dataclass(frozen=True, slots=True)
class Item:
    """One response to grade, with where it came from."""

    line: int
    index: int
    id: Any
    response: str
    gold: str | int | float
    stored: bool | None
    truncated: bool = False  # the line says the response stopped at the token limit


class BadLine(ValueError):
    """A line that cannot be graded; the message says why."""


def _stored_verdicts(record: dict[str, Any], count: int) -> list[bool | None]:
    """The verdicts saved with the line (AReaL ``score`` list or a record's ``correct``), if any."""
    score = record.get("score")
    if isinstance(score, list) and len(score) == count:
        return [bool(s) for s in score]
    correct = record.get("correct")
    if count == 1 and isinstance(correct, bool):
        return [correct]
    return [None] * count


def _truncated(record: dict[str, Any], count: int) -> list[bool]:
    """Per response, whether the line says it was cut off at the token limit."""
    for name, cut in (("finish_reason", lambda v: v == "length"), ("truncated", lambda v: v is True)):
        value = record.get(name)
        values = value if isinstance(value, list) and len(value) == count else [value] * count
        if any(v is not None for v in values):
            return [cut(v) for v in values]
    return [False] * count


def parse_line(record: Any, line: int, response_field: str | None, gold_field: str | None) -> list[Item]:
    """The responses of one decoded JSONL line; raises :class:`BadLine` when it cannot be graded."""
    if not isinstance(record, dict):
        raise BadLine(f"expected a JSON object, got {type(record).__name__}")
    field = response_field or (
        "response" if "response" in record or AREAL_RESPONSES not in record else AREAL_RESPONSES
    )
    if field not in record:
        raise BadLine(f"missing field {field!r}")
    gold_names = (gold_field,) if gold_field else GOLD_FIELDS
    gold_name = next((name for name in gold_names if name in record), None)
    if gold_name is None:
        raise BadLine(f"missing gold field ({' or '.join(repr(n) for n in gold_names)})")
    gold = record[gold_name]
    if isinstance(gold, bool) or not isinstance(gold, str | int | float):
        raise BadLine(f"gold field {gold_name!r} must be a string or a number, got {type(gold).__name__}")
    responses = record[field] if isinstance(record[field], list) else [record[field]]
    if not all(isinstance(r, str) for r in responses):
        raise BadLine(f"field {field!r} must hold a string or a list of strings")
    ident = next((record[name] for name in ID_FIELDS if name in record), None)
    stored = _stored_verdicts(record, len(responses))
    cut = _truncated(record, len(responses))
    return [
        Item(line, i, ident, r, gold, s, t)
        for i, (r, s, t) in enumerate(zip(responses, stored, cut, strict=True))
    ]


def read_items(
    path: Path, response_field: str | None, gold_field: str | None, errors: TextIO
) -> tuple[list[Item], int]:
    """All gradable responses of ``path`` and the number of bad lines (each reported on ``errors``)."""
    items: list[Item] = []
    bad = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                items.extend(parse_line(json.loads(text), number, response_field, gold_field))
            except json.JSONDecodeError as err:
                bad += 1
                print(f"{path}:{number}: invalid JSON: {err.msg} (column {err.colno})", file=errors)
            except BadLine as err:
                bad += 1
                print(f"{path}:{number}: {err}", file=errors)
    return items, bad


def verdict_lines(items: list[Item], verdicts: list[Verdict]) -> Iterator[str]:
    """One JSON line per verdict, with the input line and index of the response it judges."""
    for item, v in zip(items, verdicts, strict=True):
        row = {
            "line": item.line,
            "index": item.index,
            "id": item.id,
            "gold": v.gold,
            "pred": v.pred,
            "correct": v.correct,
            "method": v.method,
            "reason": v.reason,
            "rule": v.rule,
        }
        yield json.dumps(row, ensure_ascii=False) + "\n"
