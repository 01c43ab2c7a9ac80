"""Grading: extract, normalise, decide cheaply in this process, send the rest to worker processes.

A :class:`Grader` holds a policy, a time limit, a worker pool and an LRU cache of decided pairs:
each distinct (normalised prediction, normalised gold) pair is judged once across calls (only decided
outcomes are remembered: not a time-out, a dead worker or a pool that is shutting down). Each response
may come with a :class:`~evalkit.graders.context.ResponseContext` (truncated, reasoning opened by the
prompt, the gold's type): extraction follows :func:`~evalkit.graders.context.effective_policy`, and
the cache, keyed on what was extracted, is the same for every policy. :func:`grade` and
:func:`grade_many` use the default grader.
"""

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, TimeoutError
from typing import cast

from evalkit.graders.choice import read_choice  # answer_type "choice"
from evalkit.graders.context import ResponseContext, committed_answer
from evalkit.graders.equivalence import Outcome, judge_fast, judge_long
from evalkit.graders.extract import BOX_COMMANDS, ExtractionPolicy, Rule, extract_answer
from evalkit.graders.normalize import MAX_ANSWER_CHARS, evaluation_hazard, gold_text, normalize_answer
from evalkit.graders.pool import POOL, WorkerDied, WorkerPool
from evalkit.graders.verdict import Method, Verdict

CACHE_SIZE = 200_000
GOLD_POLICY = ExtractionPolicy.strict()  # a gold's box, when it holds one, is what it states

Key = tuple[str, str]
Contexts = Sequence[ResponseContext | None] | None
NO_ANSWER = "no final answer found"
CUT_OFF = "no final answer found before the token limit cut the response off"


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


class Grader:
    """A grader with its own extraction policy, time limit, worker pool and outcome cache.

    ``Grader(ExtractionPolicy.strict(), timeout=2.0, workers=4)`` for a reward function;
    :func:`grade` and :func:`grade_many` use :data:`DEFAULT_GRADER` (the shared pool). A grader that
    starts its own pool stops it on :meth:`close` (or ``with Grader() as g:``, or when collected).
    """

    def __init__(
        self,
        policy: ExtractionPolicy | None = None,
        *,
        timeout: float = 5.0,
        workers: int | None = None,
        pool: WorkerPool | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self.workers = workers
        self.pool = pool or WorkerPool()
        self.cache = _OutcomeCache(cache_size)
        self._stop = weakref.finalize(self, self.pool.shutdown) if pool is None else None

    def close(self) -> None:
        """Stop this grader's own worker processes (a shared pool is left running)."""
        if self._stop is not None:
            self._stop()

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def grade(
        self,
        response: str | None,
        gold: str | int | float | None,
        *,
        extract: bool = True,
        context: ResponseContext | None = None,
    ) -> Verdict:
        """Grade one response (or, with ``extract=False``, one answer) against a gold answer."""
        return self.grade_many([(response, gold)], extract=extract, contexts=[context])[0]

    def grade_many(
        self,
        items: Iterable[tuple[str | None, str | int | float | None]],
        *,
        extract: bool = True,
        progress: bool = False,
        policy: ExtractionPolicy | None = None,
        timeout: float | None = None,
        workers: int | None = None,
        contexts: Contexts = None,
        deadline: float | None = None,
    ) -> list[Verdict]:
        """Grade (response, gold) pairs, in order; distinct pairs are judged once, in parallel.

        ``policy``, ``timeout`` and ``workers`` override the grader's own for this call. ``contexts``
        (one per item, in the same order; None for an item or for all: nothing known) says how each
        response was made; its extraction follows ``effective_policy(policy, context)``. ``deadline``
        (seconds, None: none) bounds the whole call, the wait for a worker included: a pair undecided by
        then gets a ``timeout`` verdict (``timeout`` bounds each sympy check)."""
        start = time.monotonic()
        policy = policy or self.policy
        timeout = self.timeout if timeout is None else timeout
        workers = workers or self.workers
        items = list(items)
        if contexts is None:
            contexts = [None] * len(items)
        elif len(contexts) != len(items):
            raise ValueError(f"{len(contexts)} contexts for {len(items)} items: give one per item")
        rows = [
            _row(response, gold, extract, policy, context)
            for (response, gold), context in zip(items, contexts, strict=True)
        ]
        outcomes: dict[Key, Outcome] = {}
        futures: dict[Key, Future[Outcome]] = {}
        for _, _, key, _ in rows:
            if isinstance(key, str) or key in outcomes or key in futures:
                continue
            decided = self.cache.get(key) or _decide_here(*key)
            if decided is not None:
                outcomes[key] = decided
                self.cache.put(key, decided)
            else:
                futures[key] = self.pool.submit(*key, timeout=timeout, workers=workers)
        for key, future in _progress(futures, progress):
            left = None if deadline is None else max(0.0, deadline - (time.monotonic() - start))
            outcome, decided = _outcome_of(future, timeout, left, deadline)
            outcomes[key] = outcome
            if decided:
                self.cache.put(key, outcome)
        return [_verdict(pred, gold_str, key, rule, outcomes) for pred, gold_str, key, rule in rows]


DEFAULT_GRADER = Grader(pool=POOL)


def grade(
    response: str | None,
    gold: str | int | float | None,
    *,
    extract: bool = True,
    timeout: float = 5.0,
    policy: ExtractionPolicy | None = None,
    context: ResponseContext | None = None,
) -> Verdict:
    """Grade one response (or, with ``extract=False``, one answer) against a gold answer.

    A missing response (None) has no answer; a missing gold (None, NaN, blank) credits nothing.
    ``context`` says how the response was made (see :func:`grade_many`)."""
    return DEFAULT_GRADER.grade_many(
        [(response, gold)], extract=extract, timeout=timeout, policy=policy, contexts=[context]
    )[0]


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
    contexts: Contexts = None,
    deadline: float | None = None,
) -> list[Verdict]:
    """Grade (response, gold) pairs with :data:`DEFAULT_GRADER`, in order; distinct pairs are judged
    once, in parallel. ``workers`` sizes the shared worker pool when it first starts (default: the
    usable CPUs). ``contexts``: one :class:`ResponseContext` (or None) per item, in the same order:
    how each response was made, which decides the rules its answer may be found by
    (:func:`~evalkit.graders.context.effective_policy` of ``policy`` and the context). ``deadline``:
    seconds for the whole call (see :meth:`Grader.grade_many`)."""
    return DEFAULT_GRADER.grade_many(
        items,
        extract=extract,
        progress=progress,
        policy=policy,
        timeout=timeout,
        workers=workers,
        contexts=contexts,
        deadline=deadline,
    )


Row = tuple[str | None, str, Key | str, Rule | None]  # a reason instead of a key: nothing to compare


def _row(
    response: str | None,
    gold: str | int | float | None,
    extract: bool,
    policy: ExtractionPolicy | None,
    context: ResponseContext | None = None,
) -> Row:
    """(pred, gold as text, normalised pair or the reason there is none, extraction rule)."""
    text = "" if response is None else str(response)
    if extract and context is not None and context.answer_type == "choice":  # graders/choice.py
        found = read_choice(text, policy, context, gold=gold_text(gold))
    else:
        found = committed_answer(text, policy, context) if extract else None
    pred, rule = (found.answer, found.rule) if found else (None if extract else text.strip(), None)
    gold_str = gold_text(gold)
    pred_key = normalize_answer(pred) if pred else ""
    gold_key = normalize_answer(_gold_answer(gold_str)) if pred_key else ""
    if not pred_key:
        cut_off = extract and found is None and context is not None and context.truncated
        return pred or None, gold_str, CUT_OFF if cut_off else NO_ANSWER, rule
    return pred, gold_str, (pred_key, gold_key) if gold_key else "no gold answer to compare with", rule


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


def _outcome_of(
    future: Future[Outcome], timeout: float, left: float | None, deadline: float | None
) -> tuple[Outcome, bool]:
    """The pair's outcome within ``left`` seconds (None: however long the check's own ``timeout`` takes),
    and whether it was decided (a worker answered): only that is cached."""
    try:
        return future.result(timeout=left), True
    except TimeoutError:
        if not future.done():  # the call's deadline, not the check's own limit
            future.cancel()  # not started: never run (a started one finishes in the background)
            return (
                False,
                "timeout",
                f"no verdict within the call's {deadline:g} s (worker start-up included)",
            ), False
        return (False, "timeout", f"no verdict within {timeout:g} s"), False
    except WorkerDied as error:
        return (False, "error", f"checker process died ({error})"), False
    except Exception as error:  # a cancelled or broken pool must not lose the other verdicts
        return (False, "error", f"checker unavailable: {type(error).__name__}"), False


def _verdict(
    pred: str | None, gold: str, key: Key | str, rule: Rule | None, outcomes: dict[Key, Outcome]
) -> Verdict:
    if isinstance(key, str):
        return Verdict(False, pred, gold, "none", key, rule if pred else None)
    correct, method, reason = outcomes[key]
    return Verdict(correct, pred, gold, cast(Method, method), reason, rule)
