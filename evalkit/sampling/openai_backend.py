"""Sampler for OpenAI-compatible servers (``vllm serve``, SGLang): POST /v1/completions, one request per seed.

The prompt is already rendered text, so the legacy completions endpoint is used (no chat template is
applied by the server). Transient failures (connection errors, timeouts, 429, 5xx, aborted generations)
are retried with exponential backoff capped at ``max_backoff``, until ``retry_deadline`` seconds of failing
(default: 15 minutes, longer than a server restart), with one line on stderr per wait; a request the server
refuses (HTTP 400: ``max_tokens`` above its ``max_model_len``, an unknown model) fails at once, saying what
to change. When a request fails for good, the completions that already arrived are still yielded (and so
stored), the rest are abandoned, and the stream ends at once: its threads are daemons that nothing waits for.
"""

import itertools
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from requests import Session
from requests import __version__ as requests_version
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import Timeout

from evalkit.sampling.base import BatchCall, Completion, FinishReason, Job, SamplingParams
from evalkit.sampling.errors import OpenAIServerError

# Server finish reasons -> ours. None or an unknown value is decided by the token count (see _finish_reason).
_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "eos_token": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "max_tokens": "length",
}
_RETRY_STATUS = frozenset({408, 409, 425, 429})


class _Transient(Exception):
    """A failure worth retrying."""


Result = tuple[int, Completion | None, BaseException | None]


class OpenAISampler(BatchCall):
    """Completions client with bounded concurrency and retries. ``base_url`` may end in ``/v1`` or not.

    ``api_key`` defaults to ``$OPENAI_API_KEY``; ``timeout`` is one request's limit in seconds; a failing
    request is retried after ``backoff`` s, doubling up to ``max_backoff`` s, at most ``max_retries`` times
    and for at most ``retry_deadline`` s; ``notify`` receives the one-line wait messages (default: stderr).
    These defaults are the CLI's (``--max_concurrency`` and the rest show them in ``--help``)."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        max_concurrency: int = 64,
        max_retries: int = 100,
        timeout: float = 3600.0,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        retry_deadline: float = 900.0,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        base = base_url.rstrip("/")
        self.url = f"{base if base.endswith('/v1') else base + '/v1'}/completions"
        self.model = model
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retry_deadline = retry_deadline
        self._notify = notify or _to_stderr
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._notice_lock = threading.Lock()
        self._last_notice = float("-inf")

    def describe(self) -> dict[str, Any]:
        """Client settings (concurrency, retries, timeout) do not change outputs and are left out."""
        return {
            "backend": self.name,
            "model": self.model,
            "endpoint": "v1/completions",
            "requests": requests_version,
        }

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        """Keeps ``max_concurrency`` requests (or ``max_in_flight``, if lower) at the server at all times;
        each completion is yielded as its response arrives. On a failure, the completions that arrived are
        yielded first, then the error is raised without waiting for the requests still in flight."""
        limit = min(self.max_concurrency, max_in_flight or self.max_concurrency)
        pending = iter(jobs)
        todo: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        results: queue.SimpleQueue[Result] = queue.SimpleQueue()
        stop = threading.Event()
        workers = in_flight = 0
        try:
            while True:
                for job in itertools.islice(pending, limit - in_flight):
                    todo.put(job)
                    in_flight += 1
                    if workers < in_flight:
                        threading.Thread(
                            target=self._work, args=(todo, results, stop), name="evalkit-openai", daemon=True
                        ).start()
                        workers += 1
                if not in_flight:
                    return
                job_id, completion, error = results.get()
                in_flight -= 1
                if error is not None:
                    stop.set()
                    yield from _arrived(results)  # stored before the failure is raised
                    raise error
                assert completion is not None
                yield job_id, completion
        finally:
            stop.set()  # abandoned requests stop retrying; idle workers end
            for _ in range(workers):
                todo.put(None)

    def _work(
        self,
        todo: "queue.SimpleQueue[Job | None]",
        results: "queue.SimpleQueue[Result]",
        stop: threading.Event,
    ) -> None:
        session = Session()
        try:
            while (job := todo.get()) is not None and not stop.is_set():
                try:
                    results.put(
                        (job.id, self._complete(session, job.prompt, job.seed, job.params, stop), None)
                    )
                except BaseException as exc:
                    results.put((job.id, None, exc))
        finally:
            session.close()

    def _complete(
        self, session: Session, prompt: str, seed: int | None, params: SamplingParams, stop: threading.Event
    ) -> Completion:
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "n": 1,
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": 1.0 if params.greedy else params.top_p,
        }
        if not params.greedy:
            body["seed"] = seed
            if params.top_k > 0:
                body["top_k"] = params.top_k
        if params.stop:
            body["stop"] = list(params.stop)
        if params.stop_token_ids:
            body["stop_token_ids"] = list(params.stop_token_ids)  # a vLLM server extension
        first_failure: float | None = None
        for attempt in itertools.count():
            try:
                return self._post(session, body, seed=None if params.greedy else seed)
            except _Transient as exc:
                now = time.monotonic()
                first_failure = now if first_failure is None else first_failure
                failing = now - first_failure
                wait = min(self.backoff * 2**attempt, self.max_backoff, max(self.retry_deadline - failing, 0))
                if attempt >= self.max_retries or failing >= self.retry_deadline or stop.is_set():
                    raise OpenAIServerError(
                        f"{self.url}: giving up after {attempt + 1} attempts over {failing:.0f} s: {exc}"
                    ) from exc
                self._notice(f"{exc}; retrying in {wait:.0f} s (failing for {failing:.0f} s of at most "
                             f"{self.retry_deadline:.0f} s)")  # fmt: skip
                if stop.wait(wait):
                    raise OpenAIServerError(f"{self.url}: abandoned after an earlier failure: {exc}") from exc
        raise AssertionError("unreachable")

    def _notice(self, message: str) -> None:
        """One line per wait, not one per request waiting."""
        with self._notice_lock:
            now = time.monotonic()
            if now - self._last_notice < min(self.backoff, 1.0):
                return
            self._last_notice = now
        self._notify(f"openai: {self.url}: {message}")

    def _post(self, session: Session, body: dict[str, Any], seed: int | None) -> Completion:
        try:
            response = session.post(self.url, json=body, headers=self._headers, timeout=self.timeout)
        except (RequestsConnectionError, Timeout) as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in _RETRY_STATUS or response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code != 200:
            raise OpenAIServerError(
                f"{self.url} refused the request (HTTP {response.status_code}: {response.text[:500]}); this is not "
                "transient: check --max_gen_tokens against the server's --max-model-len, and the model name "
                f"({self.model!r}) against what the server serves",
                refused=True,
            )
        try:
            data = response.json()
            choice = data["choices"][0]
            text, reason = choice["text"], choice.get("finish_reason")
            num_tokens = int(data["usage"]["completion_tokens"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise OpenAIServerError(
                f"{self.url}: unexpected response ({exc!r}): {response.text[:500]}"
            ) from exc
        if reason == "abort":
            raise _Transient("the server aborted the generation")
        return Completion(
            text=text,
            num_tokens=num_tokens,
            finish_reason=_finish_reason(reason, num_tokens, body["max_tokens"]),
            seed=seed,
        )


def _arrived(results: "queue.SimpleQueue[Result]") -> Iterator[tuple[int, Completion]]:
    """The completions already in ``results`` (failures among them are dropped: one is being raised)."""
    while True:
        try:
            job_id, completion, _ = results.get_nowait()
        except queue.Empty:
            return
        if completion is not None:
            yield job_id, completion


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _finish_reason(reason: str | None, num_tokens: int, max_tokens: int) -> FinishReason:
    """Known reasons map by name; a missing or unknown one is 'length' exactly when the budget was used up."""
    if reason in _FINISH_REASONS:
        return _FINISH_REASONS[reason]
    return "length" if num_tokens >= max_tokens else "stop"
