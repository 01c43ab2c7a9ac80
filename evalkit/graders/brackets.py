"""Bracket-aware scanning of answer strings: splitting at separators outside brackets, and how deep
brackets nest.

Pure string work in linear time, shared by ``parse`` (structures) and ``arithmetic`` (expressions).
"""

import re

MAX_DEPTH = 40  # answers nested deeper than this are one expression (no recursion on them)
_OPENERS = "([{"
_CLOSERS = ")]}"


def split_top(text: str, separators: re.Pattern[str] | str) -> list[str]:
    """Split ``text`` at separators outside any brackets (``,`` in ``(1,2)`` is not split)."""
    pattern = re.compile(re.escape(separators)) if isinstance(separators, str) else separators
    parts: list[str] = []
    depth = 0
    start = 0
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
        elif depth == 0 and (match := pattern.match(text, pos)) is not None and match.end() > pos:
            parts.append(text[start:pos])
            start = pos = match.end()
            continue
        pos += 1
    parts.append(text[start:])
    return parts


def nesting_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSERS:
            depth -= 1
    return deepest


def closing_index(text: str) -> int:
    """Index of the bracket closing the one that opens ``text`` (-1 if unbalanced)."""
    depth = 0
    for i, char in enumerate(text):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
            if depth == 0:
                return i
    return -1
