"""Sampler for OpenAI-compatible servers (``vllm serve``, SGLang): POST /v1/completions, one request per seed.

The prompt is already rendered text, so the legacy completions endpoint is used (no chat template is
applied by the server). Transient failures (connection errors, timeouts, 429, 5xx, aborted generations)
are retried with exponential backoff; anything else fails at once with the server's message.
"""

import itertools
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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


class OpenAISampler(BatchCall):
    """Completions client with bounded concurrency and retries. ``base_url`` may end in ``/v1`` or not."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        max_concurrency: int = 64,
        max_retries: int = 5,
        timeout: float = 3600.0,
        backoff: float = 1.0,
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
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._local = threading.local()

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
        each completion is yielded as its response arrives."""
        limit = min(self.max_concurrency, max_in_flight or self.max_concurrency)
        pending = iter(jobs)
        pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="evalkit-openai")
        in_flight: dict[Future[Completion], int] = {}
        try:
            while True:
                for job in itertools.islice(pending, limit - len(in_flight)):
                    in_flight[pool.submit(self._complete, job.prompt, job.seed, job.params)] = job.id
                if not in_flight:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    yield in_flight.pop(future), future.result()
        finally:
            # On failure (or Ctrl-C) drop the queued requests and do not wait for those in flight.
            pool.shutdown(wait=False, cancel_futures=True)

    def _session(self) -> Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = Session()
        return session

    def _complete(self, prompt: str, seed: int | None, params: SamplingParams) -> Completion:
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
        for attempt in range(self.max_retries + 1):
            try:
                return self._post(body, seed=None if params.greedy else seed)
            except _Transient as exc:
                if attempt == self.max_retries:
                    raise OpenAIServerError(
                        f"{self.url}: giving up after {self.max_retries + 1} attempts: {exc}"
                    ) from exc
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _post(self, body: dict[str, Any], seed: int | None) -> Completion:
        try:
            response = self._session().post(self.url, json=body, headers=self._headers, timeout=self.timeout)
        except (RequestsConnectionError, Timeout) as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in _RETRY_STATUS or response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code != 200:
            raise OpenAIServerError(f"{self.url}: HTTP {response.status_code}: {response.text[:500]}")
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


def _finish_reason(reason: str | None, num_tokens: int, max_tokens: int) -> FinishReason:
    """Known reasons map by name; a missing or unknown one is 'length' exactly when the budget was used up."""
    if reason in _FINISH_REASONS:
        return _FINISH_REASONS[reason]
    return "length" if num_tokens >= max_tokens else "stop"
