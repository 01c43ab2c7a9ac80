"""AReaL's results table: one row per benchmark, values rounded to one decimal, accuracies in percent."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from prettytable import PrettyTable

from evalkit.benchmarks.loading import split_limit
from evalkit.reporting.metrics import DEFAULT_KS

BASE_FIELDS: tuple[str, ...] = (
    "num_questions",
    "greedy_length",
    "sample_length",
    "greedy_acc",
    "sample_pass@1",
)


# AReaL v0.5.3's columns after the base fields (its eval_and_aggregate.py), shown with ``--table areal-v0.5.3``.
AREAL_V053_COLUMNS: tuple[str, ...] = ("pass@8", "pass@16", "maj@32", "pass@32")

Column = int | str


def table_fields(ks: Sequence[Column] = DEFAULT_KS) -> list[str]:
    """Columns after ``dataset``: AReaL's fields, then one ``pass@k`` column per int ``k`` and each
    named field as it is."""
    return [*BASE_FIELDS, *(f"pass@{k}" if isinstance(k, int) else k for k in ks)]


def table_view(
    table: str,
    results: Mapping[str, Mapping[str, Any]],
    columns: Sequence[Column],
    areal: Mapping[str, Mapping[str, Any]],
    *,
    marked: Collection[str] = (),
) -> tuple[Mapping[str, Mapping[str, Any]], list[Column]]:
    """What to print: evalkit's results and pass@k columns, or (``table == "areal-v0.5.3"``) AReaL's
    aggregate with AReaL v0.5.3's columns (``-`` where the run has fewer samples than k). Benchmarks in
    ``marked`` (run from a file that differs from its spec) are shown as ``name *``; a limited run
    (``aime24@first10``, ``--limit``) as ``aime24 (first 10)``."""
    rows, shown = (areal, list(AREAL_V053_COLUMNS)) if table == "areal-v0.5.3" else (results, list(columns))
    return {display_name(name) + (" *" if name in marked else ""): row for name, row in rows.items()}, shown


def display_name(name: str) -> str:
    """A benchmark's name as tables and reports show it: a limited run ``aime24@first10`` reads
    ``aime24 (first 10)``; any other name as it is."""
    base, limit = split_limit(name)
    return name if limit is None else f"{base} (first {limit})"


def _cell(value: Any) -> Any:
    return round(value, 1) if isinstance(value, int | float) else "-"


def render_table(results: Mapping[str, Mapping[str, Any]], ks: Sequence[Column] = DEFAULT_KS) -> str:
    """The table as AReaL printed it; a missing or ``None`` value shows as ``-``."""
    fields = table_fields(ks)
    table = PrettyTable()
    table.field_names = ["dataset", *fields]
    for name, metrics in results.items():
        table.add_row([name, *(_cell(metrics.get(f)) for f in fields)])
    return table.get_string()
