"""Symbolic grading of math answers: extraction kept apart from equivalence checking."""

from evalkit.graders.verdict import Verdict

__all__ = ["Verdict"]
