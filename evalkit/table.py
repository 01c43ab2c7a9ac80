"""AReaL's results table: one row per benchmark, values rounded to one decimal, accuracies in percent."""

from collections.abc import Mapping, Sequence
from typing import Any

from prettytable import PrettyTable

from evalkit.metrics import DEFAULT_KS

BASE_FIELDS: tuple[str, ...] = (
    "num_questions",
    "greedy_length",
    "sample_length",
    "greedy_acc",
    "sample_pass@1",
)


def table_fields(ks: Sequence[int] = DEFAULT_KS) -> list[str]:
    """Columns after ``dataset``: AReaL's fields, with one ``pass@k`` column per ``k``."""
    return [*BASE_FIELDS, *(f"pass@{k}" for k in ks)]


def _cell(value: Any) -> Any:
    return round(value, 1) if isinstance(value, int | float) else "-"


def render_table(results: Mapping[str, Mapping[str, Any]], ks: Sequence[int] = DEFAULT_KS) -> str:
    """The table as AReaL printed it; a missing or ``None`` value shows as ``-``."""
    fields = table_fields(ks)
    table = PrettyTable()
    table.field_names = ["dataset", *fields]
    for name, metrics in results.items():
        table.add_row([name, *(_cell(metrics.get(f)) for f in fields)])
    return table.get_string()
