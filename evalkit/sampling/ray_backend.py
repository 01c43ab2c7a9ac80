"""Data parallelism over Ray: one actor per rank, each holding one sampler built once and kept for every call.

``stream`` puts every job in one shared queue: a small asyncio actor pinned to the driver's node (the node
whose loss ends the run anyway). Each rank runs its engine loop and, at each engine step, trades with the
queue without waiting for it: the completions of the step go out in one call, and jobs come back in one call
for all the room freed (a rank holds ``in_flight_per_rank`` jobs at most, a little over what its engine
decodes at once). The driver takes up to ``fetch`` completions per call. No rank idles while jobs are left;
at the end each rank holds only the jobs it is decoding. Each sample has its own seed, so which rank draws
it does not change it.

Ranks are elastic. A rank that dies (its process, its node) gives its jobs in flight back to the queue and
the other ranks finish them; Ray restarts a rank up to ``max_restarts`` times, and a restarted rank builds
its engine again and rejoins the run. Each job is delivered once: what a dead rank sends later is dropped.
The run fails, in one line (``RanksLost``), only when no rank is left. A rank whose sampler raises (an engine
failure: the same error would meet every rank) fails the run at once with that error. The queue holds at most
``max_backlog`` completions that the driver has not taken: beyond that, ranks get no new jobs until it
catches up.

With ``ray_address`` the sampler joins a cluster started with ``ray start --head`` (``"auto"`` or
``"host:6379"``); without it, it joins the Ray instance already initialised in this process or starts a
local one. Ranks that need GPUs wait (saying so) up to ``wait_timeout`` seconds for the cluster to have
them free, then fail in one line.
"""

import asyncio
import contextlib
import itertools
import os
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

import ray
from ray.exceptions import ActorUnavailableError, RayActorError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from evalkit.sampling.base import BatchCall, Completion, Job, Sampler
from evalkit.sampling.errors import BackendUnavailable, RanksLost

_DEFAULT_IN_FLIGHT = 256  # for samplers that do not say how many sequences they decode at once
WAIT_ENV = "EVALKIT_RAY_WAIT"  # seconds to wait for free GPUs, or for a restarted rank when none is left
DEFAULT_WAIT_S = 600.0
_POLL_S = 0.5  # a waiting queue call (a rank asking for work, the driver for completions) returns after this
_CONTACT_S = 0.5  # a rank that is decoding hears from the queue at least this often (a closed run stops it)
_NOTE_S = 30.0  # how often a wait says that it is still waiting
_END_S = 10.0  # how long a closed stream waits for its ranks to abort what they hold
RESUME = "stored samples are kept, rerun to resume"


class _Closed(Exception):
    """The stream was closed, its queue is gone, or this rank was declared dead: drop what is in flight."""


class _Hub:
    """Ray actor body (asyncio): the queue of one stream.

    Jobs wait in ``pending``. A rank's ``trade`` moves its finished jobs from ``assigned[key]`` (``key``: one
    drain of one rank, so that a restarted rank never answers for its former self) to ``results``, which the
    driver's ``get`` empties, and moves new jobs from ``pending`` to ``assigned[key]``: none while
    ``max_backlog`` completions wait for the driver. ``requeue(key)`` (the rank died) puts its assigned jobs
    back at the front, and what that key sends later is dropped: each job is delivered once. ``trade`` also
    answers the state of the stream for the key: ``"open"``, ``"finished"`` (every completion arrived),
    ``"closed"`` (the driver gave up: abort) or ``"dead"`` (this key was given up: abort).
    """

    def __init__(self, jobs: list[Job], max_backlog: int) -> None:
        self.pending = deque(jobs)
        self.total = len(jobs)
        self.assigned: dict[str, dict[int, Job]] = {}
        self.dead: set[str] = set()
        self.results: list[tuple[int, Completion]] = []
        self.delivered = 0
        self.max_backlog = max_backlog
        self.state = "open"
        self.calls = {"trade": 0, "get": 0}  # round trips, for tests and the benchmark
        self._event: asyncio.Event | None = None

    def _changed(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._event is None:
            self._event = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)

    def _status(self, key: str) -> str:
        if key in self.dead:
            return "dead"
        if self.state == "open" and self.delivered + len(self.results) == self.total:
            return "finished"
        return self.state

    async def trade(
        self, key: str, items: list[tuple[int, Completion]], n: int, wait: float
    ) -> tuple[str, list[Job]]:
        """One round trip of a rank: its finished ``items`` in, up to ``n`` jobs out (waiting up to ``wait`` s
        for some), and the state of the stream for this key."""
        self.calls["trade"] += 1
        mine = None if key in self.dead else self.assigned.get(key)
        if mine is not None and items:
            for item in items:
                if mine.pop(item[0], None) is not None:
                    self.results.append(item)
            self._changed()
        deadline = time.monotonic() + wait
        while True:
            status = self._status(key)
            if status != "open" or n <= 0:
                return status, []
            if self.pending and len(self.results) < self.max_backlog:
                batch = [self.pending.popleft() for _ in range(min(n, len(self.pending)))]
                self.assigned.setdefault(key, {}).update((job.id, job) for job in batch)
                return status, batch
            left = deadline - time.monotonic()
            if left <= 0:
                return status, []
            await self._wait(left)

    async def get(self, n: int, wait: float) -> tuple[list[tuple[int, Completion]], int]:
        """Up to ``n`` completions (waiting up to ``wait`` s for one), and how many are left after them."""
        self.calls["get"] += 1
        deadline = time.monotonic() + wait
        while not self.results and self.state == "open" and (left := deadline - time.monotonic()) > 0:
            await self._wait(left)
        out = self.results[:n]
        del self.results[:n]
        self.delivered += len(out)
        if out:
            self._changed()  # room under max_backlog again
        return out, len(self.results)

    async def requeue(self, key: str) -> int:
        """Give up ``key`` (its rank died): its jobs go back to the front of the queue; return how many."""
        self.dead.add(key)
        jobs = list(self.assigned.pop(key, {}).values())
        self.pending.extendleft(reversed(jobs))
        self._changed()
        return len(jobs)

    async def close(self, state: str) -> None:
        self.state = state
        self.pending.clear()
        self._changed()

    async def node_id(self) -> str:
        return ray.get_runtime_context().get_node_id()

    async def stats(self) -> dict[str, Any]:
        return {
            "pending": len(self.pending),
            "assigned": {k: len(v) for k, v in self.assigned.items()},
            "results": len(self.results),
            "delivered": self.delivered,
            "calls": dict(self.calls),
        }


def _done(ref: Any) -> bool:
    return bool(ray.wait([ref], timeout=0)[0])


class _Feed:
    """A rank's side of the queue: the job iterator its sampler pulls from, and the outbox of its completions.

    ``next()`` never waits while the engine holds work. At most one round trip is under way: when it is
    back, the next one carries everything that finished since (one call for all) and asks for jobs for all
    the room freed. ``next()`` hands out a job it already has, or ends the iteration (the engine keeps
    decoding; samplers pull again at their next step, and ``drain`` starts a new stream where one ended)."""

    def __init__(self, hub: Any, key: str, in_flight: int) -> None:
        self.hub, self.key, self.in_flight = hub, key, in_flight
        self.min_take = max(1, in_flight // 16)  # a few freed slots wait for more: the engine has a queue
        self.local: deque[Job] = deque()
        self.outbox: list[tuple[int, Completion]] = []
        self.held = 0  # jobs this rank holds: in ``local`` or in the engine
        self.count = 0
        self.ref: Any = None  # the round trip under way
        self.contact = time.monotonic()
        self.finished = False

    def __iter__(self) -> "_Feed":
        return self

    def __next__(self) -> Job:
        if not self.local or (self.outbox and (self.ref is None or _done(self.ref))):
            self.exchange(block=False)
        if self.local:
            return self.local.popleft()
        raise StopIteration

    def done(self, item: tuple[int, Completion]) -> None:
        self.outbox.append(item)
        self.held -= 1
        self.count += 1

    def exchange(self, block: bool) -> None:
        try:
            self._exchange(block)
        except RayActorError as e:  # the queue is gone (the driver ended): abort
            raise _Closed(str(e)) from e

    def _exchange(self, block: bool) -> None:
        if self.ref is not None and (block or _done(self.ref)):
            status, jobs = ray.get(self.ref)
            self.ref = None
            self.local.extend(jobs)
            self.held += len(jobs)
            if status == "finished":
                self.finished = True
            elif status != "open":
                raise _Closed(status)
        if self.ref is not None:
            return
        room = 0 if self.finished else self.in_flight - self.held
        want = room if room >= (1 if self.held == 0 else self.min_take) else 0
        now = time.monotonic()
        if self.outbox or want or now - self.contact > _CONTACT_S:
            wait = _POLL_S if block and self.held == 0 and not self.outbox else 0.0
            self.ref = self.hub.trade.remote(self.key, self.outbox, want, wait)
            self.outbox, self.contact = [], now

    def wait_for_work(self) -> bool:
        """Between streams (the engine is empty): wait for jobs (True) or for the queue to have none left for
        this rank (False); every completion sent has arrived."""
        while not self.local:
            if self.finished and not self.outbox and self.ref is None:
                return False
            self.exchange(block=True)
        return True


class _Rank:
    """Ray actor body: builds the sampler once from the factory, on its first ``ready`` call (so that a
    build error reaches the driver as itself; a restarted rank builds it again)."""

    def __init__(self, factory: Callable[[], Sampler]) -> None:
        self.factory = factory
        self.sampler: Sampler | None = None

    def ready(self) -> dict[str, Any]:
        """Build the sampler if needed; where this rank runs, its engine's capacity and description."""
        if self.sampler is None:
            self.sampler = self.factory()
        return {
            "node_id": ray.get_runtime_context().get_node_id(),
            "pid": os.getpid(),
            "capacity": int(getattr(self.sampler, "capacity", None) or _DEFAULT_IN_FLIGHT),
            "describe": self.sampler.describe(),
        }

    def drain(self, hub: Any, key: str, in_flight: int) -> int:
        """Stream jobs from the queue into it until it has none left for this rank; return how many."""
        assert self.sampler is not None
        feed = _Feed(hub, key, in_flight)
        try:
            while feed.wait_for_work():
                stream = self.sampler.stream(feed, max_in_flight=in_flight)
                try:
                    for item in stream:
                        feed.done(item)
                finally:
                    close = getattr(stream, "close", None)
                    if close is not None:
                        close()  # closed early: the sampler aborts what is in flight
        except _Closed:
            pass
        return feed.count

    def describe(self) -> dict[str, Any]:
        assert self.sampler is not None
        return self.sampler.describe()


def _reason(err: BaseException) -> str:
    """Why a rank died, in one line, from Ray's multi-line error."""
    text = str(err)
    found = re.search(r"The actor is dead because (.+)", text, flags=re.S)
    if found:
        text = found.group(1)
    elif isinstance(err, ActorUnavailableError):
        detail = re.search(r"temporarily unavailable: (.+?)(?:\. The task may.*)?$", text, flags=re.S)
        text = detail.group(1) if detail else text
        if "restarted" in text:
            text = "it was lost (its process or its node), and Ray restarts it"
        else:
            text = f"unreachable ({text})"
    line = " ".join(text.split()).rstrip(".")
    return (line[:240] + "...") if len(line) > 240 else line or type(err).__name__


def _node_label(node_id: str) -> str:
    """A node as its address and the start of its id (several nodes may share an address)."""
    try:
        address = next(n["NodeManagerAddress"] for n in ray.nodes() if n["NodeID"] == node_id)
    except Exception:
        address = "?"
    return f"{address} ({node_id[:8]})"


class RaySampler(BatchCall):
    """Wrap a picklable sampler factory (e.g. ``functools.partial(VLLMSampler, path, config)``) in Ray ranks.

    ``max_restarts``: how often Ray restarts a rank that died (each restart loads the engine again);
    ``spread``: place ranks with Ray's SPREAD strategy (one per node where it can: CPU engines);
    ``wait_timeout``: seconds to wait for free GPUs, and for a restarted rank when none is alive (default
    ``$EVALKIT_RAY_WAIT`` or 600); ``max_backlog``: completions the queue holds for the driver before ranks
    get no new jobs; ``fetch``: completions the driver takes per call; ``actor_options``: more Ray actor
    options for the ranks; ``log``: where waits and lost or rejoining ranks are noted (default stderr).
    """

    name = "ray"

    def __init__(
        self,
        factory: Callable[[], Sampler],
        *,
        num_ranks: int,
        gpus_per_rank: float,
        ray_address: str | None = None,
        in_flight_per_rank: int | None = None,
        max_restarts: int = 2,
        spread: bool = False,
        wait_timeout: float | None = None,
        max_backlog: int = 8192,
        fetch: int = 2048,
        actor_options: dict[str, Any] | None = None,
        log: TextIO | None = None,
    ) -> None:
        if num_ranks < 1:
            raise ValueError(f"num_ranks must be >= 1, got {num_ranks}")
        if not ray.is_initialized():
            ray.init(address=ray_address)
        self.log = log
        self.wait_timeout = (
            float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_S)) if wait_timeout is None else wait_timeout
        )
        self.num_ranks = num_ranks
        self.gpus_per_rank = gpus_per_rank
        self.max_backlog, self.fetch = max_backlog, fetch
        self._wait_for_gpus(num_ranks * gpus_per_rank)
        options: dict[str, Any] = {"num_gpus": gpus_per_rank, "max_restarts": max_restarts}
        if spread:
            options["scheduling_strategy"] = "SPREAD"
        options.update(actor_options or {})
        actor = ray.remote(**options)(_Rank)
        self.ranks = [actor.remote(factory) for _ in range(num_ranks)]
        self.where: list[str] = ["?"] * num_ranks
        self.alive = [False] * num_ranks
        self._probes: dict[Any, int] = {}  # ready() calls to ranks that died and may come back
        self._keys = itertools.count()
        self._last_loss = ""
        self.last_calls: dict[str, int] = {}  # the last stream's round trips to its queue, by kind
        infos = self._start()
        self._describe: dict[str, Any] = infos[0]["describe"]
        if in_flight_per_rank is None:
            capacity = infos[0]["capacity"]
            in_flight_per_rank = capacity + max(8, capacity // 8)  # a little queued: refills at once
        self.in_flight_per_rank = in_flight_per_rank

    # -- start-up ---------------------------------------------------------------------------------------

    def _note(self, message: str) -> None:
        print(f"ray: {message}", file=self.log or sys.stderr, flush=True)

    def _wait_for_gpus(self, need: float) -> None:
        """Fail at once if the cluster has too few GPUs; wait (saying so) while other jobs hold them."""
        if not need:
            return
        total = ray.cluster_resources().get("GPU", 0)
        layout = f"{self.num_ranks} ranks x {self.gpus_per_rank:g} GPU(s) need {need:g} GPUs"
        if need > total:
            raise BackendUnavailable(
                f"{layout}, but the Ray cluster has {total:g}; lower data_parallel_size or add nodes"
            )
        start, noted = time.monotonic(), -_NOTE_S
        while (free := ray.available_resources().get("GPU", 0)) < need:
            now = time.monotonic()
            if now - start >= self.wait_timeout:
                raise BackendUnavailable(
                    f"{layout}, but only {free:g} of the Ray cluster's {total:g} were free during "
                    f"{self.wait_timeout:g} s (other jobs hold them); free them, lower data_parallel_size, "
                    f"or wait longer ({WAIT_ENV}=SECONDS)"
                )
            if now - noted >= _NOTE_S:
                self._note(
                    f"{layout}: {free:g} of the cluster's {total:g} are free (other jobs hold them); "
                    f"waiting up to {self.wait_timeout - (now - start):.0f} s more"
                )
                noted = now
            time.sleep(min(1.0, max(0.05, self.wait_timeout - (now - start))))

    def _start(self) -> list[dict[str, Any]]:
        """Wait for every rank's engine, so that a rank that cannot start fails here rather than mid-run."""
        refs = {rank.ready.remote(): i for i, rank in enumerate(self.ranks)}
        infos: dict[int, dict[str, Any]] = {}
        try:
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=_NOTE_S)
                for ref in ready:
                    i = refs.pop(ref)
                    infos[i] = self._get_ready(ref, i)
                    self.where[i], self.alive[i] = _node_label(infos[i]["node_id"]), True
                if refs:
                    free = ray.available_resources().get("GPU", 0)
                    self._note(
                        f"{len(infos)} of {self.num_ranks} ranks ready; the others are loading their engine "
                        f"or waiting to be placed ({free:g} GPUs free)"
                    )
        except BaseException:
            self.close()
            raise
        return [infos[i] for i in sorted(infos)]

    def _get_ready(self, ref: Any, i: int) -> dict[str, Any]:
        try:
            return ray.get(ref)
        except RayTaskError as err:  # the sampler could not be built: its own error (one line for known ones)
            raise (err.cause if isinstance(err.cause, Exception) else err) from None
        except RayActorError as err:
            raise RanksLost(f"rank {i} died while starting: {_reason(err)}; {RESUME}") from None

    # -- state ------------------------------------------------------------------------------------------

    @property
    def engines_alive(self) -> int:
        """Ranks whose engine is up now (shown by the progress bar through ``status``)."""
        return sum(self.alive)

    @property
    def status(self) -> dict[str, str]:
        """Fields for a progress bar: ``{"engines": "alive/total"}``."""
        return {"engines": f"{self.engines_alive}/{self.num_ranks}"}

    def describe(self) -> dict[str, Any]:
        """The rank sampler's description plus the data-parallel layout."""
        layout = {"ray": ray.__version__, "num_ranks": self.num_ranks, "gpus_per_rank": self.gpus_per_rank}
        return {**self._describe, "data_parallel": layout}

    # -- the stream -------------------------------------------------------------------------------------

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        """All jobs go to the shared queue; completions are yielded as any rank finishes them.

        ``max_in_flight`` is ignored: each rank keeps ``in_flight_per_rank``. Closing the stream early
        closes the queue, and the ranks abort their jobs in flight.
        """
        todo = list(jobs)
        if not todo:
            return
        driver_node = ray.get_runtime_context().get_node_id()
        hub = (
            ray.remote(num_cpus=0, max_restarts=0)(_Hub)
            .options(scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=driver_node, soft=False))
            .remote(todo, self.max_backlog)
        )
        self._hub = hub  # for tests and inspection
        tasks: dict[Any, tuple[int, str]] = {}
        remaining, total = len(todo), len(todo)
        try:
            for i in range(self.num_ranks):
                if self.alive[i]:
                    self._drain(i, hub, tasks)
            ended = 0  # drains that ended: a fetch sent after the last one sees everything they sent
            fetch, fetch_ended = hub.get.remote(self.fetch, _POLL_S), ended
            lonely_since: float | None = None  # since when no rank is alive while restarts are pending
            while remaining:
                waiting = [fetch, *tasks, *self._probes]
                if ray.wait(waiting, num_returns=1, timeout=_POLL_S)[0]:
                    ready = ray.wait(waiting, num_returns=len(waiting), timeout=0)[0]
                else:
                    ready = []
                for ref in ready:
                    if ref in tasks:
                        self._ended(ref, tasks, hub)
                        ended += 1
                    elif ref in self._probes and self._rejoined(ref, hub, tasks):
                        lonely_since = None
                if fetch in ready:
                    items, left = self._queue_call(fetch)
                    settled = fetch_ended == ended and not left  # nothing that ended ranks sent is still due
                    # the next batch comes while these are used
                    fetch, fetch_ended = hub.get.remote(self.fetch, _POLL_S), ended
                    remaining -= len(items)
                    yield from items
                    if remaining and not tasks and settled:
                        lonely_since = self._nobody_left(remaining, total, lonely_since)
        finally:
            self._end(hub, tasks, "closed" if remaining else "finished")

    def _drain(self, i: int, hub: Any, tasks: dict[Any, tuple[int, str]]) -> None:
        key = f"{i}.{next(self._keys)}"
        tasks[self.ranks[i].drain.remote(hub, key, self.in_flight_per_rank)] = (i, key)

    def _queue_call(self, ref: Any) -> Any:
        try:
            return ray.get(ref)
        except RayActorError as err:
            raise RanksLost(
                f"the run's job queue (on the driver's node) died: {_reason(err)}; {RESUME}"
            ) from None

    def _ended(self, ref: Any, tasks: dict[Any, tuple[int, str]], hub: Any) -> None:
        """A rank's drain ended: normally (nothing left for it), with its sampler's error, or with its death."""
        i, key = tasks.pop(ref)
        try:
            ray.get(ref)
        except RayTaskError as err:  # the sampler raised: the same would happen on every rank
            raise (err.cause if isinstance(err.cause, Exception) else err) from None
        except RayActorError as err:
            self.alive[i] = False
            requeued = self._queue_call(hub.requeue.remote(key))
            self._last_loss = f"rank {i} on node {self.where[i]} died: {_reason(err)}"
            self._probes[self.ranks[i].ready.remote()] = i  # answers if Ray restarts it
            self._note(
                f"{self._last_loss}; its {requeued} jobs in flight go back to the queue; "
                f"{self.engines_alive} of {self.num_ranks} engines alive"
            )

    def _rejoined(self, ref: Any, hub: Any, tasks: dict[Any, tuple[int, str]]) -> bool:
        """A dead rank's probe answered: it rejoins (True), or it is gone for good."""
        i = self._probes.pop(ref)
        try:
            info = ray.get(ref)
        except ActorUnavailableError:  # still restarting: ask again
            time.sleep(0.1)
            self._probes[self.ranks[i].ready.remote()] = i
            return False
        except RayActorError:
            return False  # no restart left: the loss was noted when it died
        except RayTaskError as err:
            self._note(f"rank {i} restarted but could not build its engine: {_reason(err.cause or err)}")
            return False
        self.where[i], self.alive[i] = _node_label(info["node_id"]), True
        self._drain(i, hub, tasks)
        self._note(
            f"rank {i} rejoined on node {self.where[i]}; {self.engines_alive} of {self.num_ranks} engines alive"
        )
        return True

    def _nobody_left(self, remaining: int, total: int, since: float | None) -> float:
        """No rank is alive: fail at once if none can come back, else after ``wait_timeout``."""
        missing = f"{remaining} of {total} completions not generated"
        if not self._probes:
            raise RanksLost(
                f"{self._last_loss or 'every rank is gone'}; no Ray rank is left ({missing}); {RESUME}"
            )
        now = time.monotonic()
        if since is None:
            self._note(f"no engine alive: waiting up to {self.wait_timeout:g} s for Ray to restart a rank")
            return now
        if now - since > self.wait_timeout:
            raise RanksLost(
                f"{self._last_loss}; no Ray rank came back within {self.wait_timeout:g} s ({missing}); {RESUME}"
            )
        return since

    def _end(self, hub: Any, tasks: dict[Any, tuple[int, str]], state: str) -> None:
        """Best effort: close the queue, let the ranks end (aborting what they hold), remove the queue."""
        try:
            hub.close.remote(state)
            self.last_calls = ray.get(hub.stats.remote(), timeout=_END_S)["calls"]
            if tasks:
                ended, _ = ray.wait(list(tasks), num_returns=len(tasks), timeout=_END_S)
                for ref in ended:
                    try:
                        ray.get(ref)
                    except RayActorError:  # a rank that died now: the next stream waits for its restart
                        i, _ = tasks[ref]
                        self.alive[i] = False
                        self._probes[self.ranks[i].ready.remote()] = i
                    except Exception:  # the error that ended the stream is already raised
                        pass
        except Exception:  # cleanup must not hide the error that ended the stream
            pass
        with contextlib.suppress(Exception):
            ray.kill(hub)

    def close(self) -> None:
        """Stop the rank actors (and free their GPUs); the Ray instance itself is left running."""
        for rank in self.ranks:
            with contextlib.suppress(Exception):  # already gone
                ray.kill(rank)
        self.ranks = []
        self.alive = []
        self._probes = {}
