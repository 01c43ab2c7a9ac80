"""Grading: extract, normalise, decide cheaply in this process, send the rest to worker processes.

Each distinct (normalised prediction, normalised gold) pair is judged once: an LRU cache in this
process remembers decided pairs across calls (time-outs are not remembered).
"""

import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, TimeoutError
from typing import cast

from evalkit.graders.compare import Outcome, judge_fast, judge_long
from evalkit.graders.extract import BOX_COMMANDS, ExtractionPolicy, Rule, extract_answer, find_answer
from evalkit.graders.normalize import MAX_ANSWER_CHARS, evaluation_hazard, gold_text, normalize_answer
from evalkit.graders.pool import POOL, WorkerDied
from evalkit.graders.verdict import Method, Verdict

CACHE_SIZE = 200_000
GOLD_POLICY = ExtractionPolicy.strict()  # a gold's box, when it holds one, is what it states

Key = tuple[str, str]


class _OutcomeCache:
    """A thread-safe LRU map from normalised pairs to outcomes."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Key, Outcome] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> Outcome | None:
        with self._lock:
            outcome = self._items.get(key)
            if outcome is not None:
                self._items.move_to_end(key)
            return outcome

    def put(self, key: Key, outcome: Outcome) -> None:
        with self._lock:
            self._items[key] = outcome
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_CACHE = _OutcomeCache(CACHE_SIZE)


def grade(
    response: str | None,
    gold: str | int | float | None,
    *,
    extract: bool = True,
    timeout: float = 5.0,
    policy: ExtractionPolicy | None = None,
) -> Verdict:
    """Grade one response (or, with ``extract=False``, one answer) against a gold answer.

    A missing response (None) has no answer; a missing gold (None, NaN, blank) credits nothing."""
    return grade_many([(response, gold)], extract=extract, timeout=timeout, policy=policy, workers=None)[0]


def equivalent(pred: str, gold: str | int | float, timeout: float = 5.0) -> Verdict:
    """Whether an answer (already extracted) equals the gold answer."""
    return grade(pred, gold, extract=False, timeout=timeout)


def grade_many(
    items: Iterable[tuple[str | None, str | int | float | None]],
    *,
    extract: bool = True,
    workers: int | None = None,
    timeout: float = 5.0,
    progress: bool = False,
    policy: ExtractionPolicy | None = None,
) -> list[Verdict]:
    """Grade (response, gold) pairs, in order; distinct pairs are judged once, in parallel.

    ``workers`` sizes the shared worker pool when it first starts (default: the usable CPUs).
    """
    rows: list[tuple[str | None, str, Key | str, Rule | None]] = []  # a reason for a key: nothing to compare
    for response, gold in items:
        text = "" if response is None else str(response)
        found = find_answer(text, policy) if extract else None
        pred, rule = (found.answer, found.rule) if found else (None if extract else text.strip(), None)
        gold_str = gold_text(gold)
        pred_key = normalize_answer(pred) if pred else ""
        gold_key = normalize_answer(_gold_answer(gold_str)) if pred_key else ""
        if not pred_key:
            rows.append((pred or None, gold_str, "no final answer found", rule))
        else:
            rows.append(
                (pred, gold_str, (pred_key, gold_key) if gold_key else "no gold answer to compare with", rule)
            )

    outcomes: dict[Key, Outcome] = {}
    futures: dict[Key, Future[Outcome]] = {}
    for _, _, key, _ in rows:
        if isinstance(key, str) or key in outcomes or key in futures:
            continue
        decided = _CACHE.get(key) or _decide_here(*key)
        if decided is not None:
            outcomes[key] = decided
            _CACHE.put(key, decided)
        else:
            futures[key] = POOL.submit(*key, timeout=timeout, workers=workers)
    for key, future in _progress(futures, progress):
        outcome = _outcome_of(future, timeout)
        outcomes[key] = outcome
        if outcome[1] != "timeout":
            _CACHE.put(key, outcome)
    return [_verdict(pred, gold_str, key, rule, outcomes) for pred, gold_str, key, rule in rows]


def _gold_answer(gold: str) -> str:
    """What a gold states: its box when it holds one (``$\\boxed{7}$``, a worked solution), else itself."""
    if not any(command in gold for command in BOX_COMMANDS):
        return gold
    return extract_answer(gold, GOLD_POLICY) or gold


def _decide_here(pred: str, gold: str) -> Outcome | None:
    """The cheap checks, in this process; None when the pair needs sympy."""
    if max(len(pred), len(gold)) > MAX_ANSWER_CHARS:
        return judge_long(pred, gold)
    try:
        decided = judge_fast(pred, gold)
    except RecursionError:
        return None
    hazard = evaluation_hazard(pred) or evaluation_hazard(gold)
    if decided is None and hazard:
        return pred == gold, "exact", f"answer holds {hazard}: compared as written, not evaluated"
    return decided


def _progress(futures: dict[Key, Future[Outcome]], show: bool) -> Iterable[tuple[Key, Future[Outcome]]]:
    if not show:
        return futures.items()
    from tqdm import tqdm

    return tqdm(futures.items(), total=len(futures), desc="grading", unit="pair")


def _outcome_of(future: Future[Outcome], timeout: float) -> Outcome:
    try:
        return future.result()
    except TimeoutError:
        return False, "timeout", f"no verdict within {timeout:g} s"
    except WorkerDied as error:
        return False, "error", f"checker process died ({error})"
    except Exception as error:  # a cancelled or broken pool must not lose the other verdicts
        return False, "error", f"checker unavailable: {type(error).__name__}"


def _verdict(
    pred: str | None, gold: str, key: Key | str, rule: Rule | None, outcomes: dict[Key, Outcome]
) -> Verdict:
    if isinstance(key, str):
        return Verdict(False, pred, gold, "none", key, rule if pred else None)
    correct, method, reason = outcomes[key]
    return Verdict(correct, pred, gold, cast(Method, method), reason, rule)
