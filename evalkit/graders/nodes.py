"""The structure tree of a parsed answer: expressions, bracketed tuples and intervals, ratios, sets and
lists, unions, matrices and relations.

Leaves (``Expr``) stay LaTeX until ``symbolic`` turns them into sympy inside a worker process.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Expr:
    """One mathematical expression (LaTeX); ``percent`` when it was written with a % sign."""

    latex: str
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Bracketed:
    """Ordered items in brackets: tuples, points, intervals. Bracket kinds are part of the value.
    ``names`` are the unknowns of a tuple written as assignments (``a=1, b=3``), else empty."""

    open: str
    close: str
    items: tuple["Node", ...]
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio ``3:5`` (also a time ``3:30``): its parts in order."""

    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Collection:
    """A set or list of answers: order-free, compared element for element (no partial credit)."""

    items: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Union:
    """A union of sets (intervals), order-free."""

    parts: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    """A matrix or vector (rows of cells)."""

    rows: tuple[tuple["Node", ...], ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """An equation or (chained) inequality: ``terms[0] ops[0] terms[1] ...``."""

    terms: tuple["Node", ...]
    ops: tuple[str, ...]


Node = Expr | Bracketed | Collection | Union | Matrix | Relation | Ratio
