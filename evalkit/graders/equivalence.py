"""Equivalence of two normalised answers, the entry point: ``decide`` settles multiple choice and yes
or no (``kinds``), then parses both answers (``parse``) and matches their structures (``structures``)
over a leaf check: the cheap ``leaves.fast_leaf`` in the calling process (``judge_fast``), sympy in a
worker (``symbolic``). ``judge_long`` compares answers too long to normalise.

A multiple-choice gold (``(B)``) is decided by letter; a gold giving the option's value too (``(B)
12``) also accepts the value.
"""

from evalkit.graders.arithmetic import integer_value
from evalkit.graders.kinds import (
    based_number,
    choice_letter,
    gold_choice,
    is_text,
    stated_option,
    yes_no_match,
)
from evalkit.graders.leaves import Leaves, fast_leaf, plain_number
from evalkit.graders.nodes import Expr, Node
from evalkit.graders.normalize import MAX_ANSWER_CHARS
from evalkit.graders.parse import parse_answer
from evalkit.graders.structures import match

MAX_INTEGER_CHARS = 25_000  # a longer answer is never read as an integer
Outcome = tuple[bool, str, str]  # correct, method, reason


def describe(correct: bool, method: str) -> str:
    """A short reason for a decided comparison."""
    return f"{'equivalent' if correct else 'not equivalent'} ({method} check)"


def method_for(pred: Node, gold: Node) -> str:
    """Which kind of check decides two parsed answers."""
    if isinstance(pred, Expr) and isinstance(gold, Expr):
        if all(plain_number(n.latex) or based_number(n.latex) for n in (pred, gold)):
            return "numeric"
        if is_text(gold.latex) or is_text(pred.latex):
            return "text"
        return "symbolic"
    return "structural"


def _resolve_choice(pred: str, gold: str) -> tuple[Outcome | None, str, str]:
    """(verdict, pred, gold) after multiple-choice handling. A multiple-choice gold decides by letter,
    unless it also gives the option's value and the prediction names no letter: then the value is the
    gold. A prediction that names a letter and its option's value (``(C) 17``) against a gold that is
    not a choice states that value."""
    choice = gold_choice(gold)
    if choice is None:
        stated = stated_option(pred) if choice_letter(pred) else None
        return None, stated or pred, gold
    letter, option = choice
    chosen = choice_letter(pred)
    if chosen is None and option:
        return None, pred, option
    return (chosen == letter, "choice", f"chose {chosen or 'no letter'}, answer is {letter}"), pred, gold


def decide(pred: str, gold: str, leaves: Leaves) -> Outcome | None:
    """Decide a pair of normalised answers with ``leaves``, or None when they leave it open."""
    if pred == gold:
        return True, "exact", "identical after normalisation"
    decided, pred, gold = _resolve_choice(pred, gold)
    if decided is not None:
        return decided
    if (said := yes_no_match(pred, gold)) is not None:  # "Yes, u is a constant." answers yes
        correct = said
        return correct, "text", describe(correct, "text")
    pred_node, gold_node = parse_answer(pred), parse_answer(gold)
    result = match(pred_node, gold_node, leaves)
    if result is None:
        return None
    method = method_for(pred_node, gold_node)
    return result, method, describe(result, method)


def _unsure(pred: Expr, gold: Expr) -> None:
    return None


FAST = Leaves(fast_leaf, _unsure)


def judge_long(pred: str, gold: str) -> Outcome:
    """Answers over ``MAX_ANSWER_CHARS`` characters (not normalised): integers written out or as
    arithmetic (a 5,000-digit gold, ``10^{5000}+7``) by exact value, anything else as a string."""
    if pred != gold and max(len(pred), len(gold)) <= MAX_INTEGER_CHARS:
        values = integer_value(pred), integer_value(gold)
        if None not in values:
            correct = values[0] == values[1]
            return correct, "numeric", describe(correct, "numeric")
    return pred == gold, "exact", f"answer over {MAX_ANSWER_CHARS} characters: compared as a string"


def judge_fast(pred: str, gold: str) -> Outcome | None:
    """Decide a pair of normalised answers without sympy, or None when sympy is needed."""
    return decide(pred, gold, FAST)
