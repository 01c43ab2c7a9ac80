"""OpenAISampler against a scripted completions server on 127.0.0.1: retries, timeouts, errors, concurrency."""

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from evalkit.sampling.base import Job, SampleRequest, SamplingParams
from evalkit.sampling.errors import OpenAIServerError
from evalkit.sampling.openai_backend import OpenAISampler

PARAMS = SamplingParams(temperature=0.6, top_p=0.95, top_k=20, max_new_tokens=4)


class Server(ThreadingHTTPServer):
    """Replays completions; the prompt scripts the rest: 'fail-once', 'slow-once', 'bad', 'always-503',
    'odd-reasons', 'together', 'slow', 'brief'."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.bodies: list[dict[str, Any]] = []
        self.attempts: Counter[str] = Counter()
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        self.together = threading.Barrier(3)  # 'together' requests wait until three are in flight

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out closed its socket: expected here, not worth a traceback."""


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        with server.lock:
            server.bodies.append(body)
            key = f"{body['prompt']}|{body.get('seed')}"
            server.attempts[key] += 1
            attempt = server.attempts[key]
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            if body["prompt"] == "together":
                server.together.wait(timeout=10)
            self.respond(body, attempt)
        finally:
            with server.lock:
                server.in_flight -= 1

    def respond(self, body: dict[str, Any], attempt: int) -> None:
        prompt = body["prompt"]
        if self.path != "/v1/completions" or prompt == "bad":
            return self.send(400, {"error": {"message": f"bad request to {self.path}"}})
        if prompt == "always-503" or (prompt == "fail-once" and attempt == 1):
            return self.send(503 if prompt == "always-503" else 500, {"error": {"message": "overloaded"}})
        if prompt == "slow-once" and attempt == 1:
            time.sleep(1.0)  # past the client's timeout
        if prompt == "slow":
            time.sleep(1.5)  # within a 5 s timeout
        if prompt == "brief":
            time.sleep(0.2)  # long enough for the client's other requests to arrive meanwhile
        tokens = 4 if body.get("seed", 0) % 2 else 2
        reason = (
            {4: "max_len_reached", 2: None}[tokens]
            if prompt == "odd-reasons"
            else ("length" if tokens == 4 else "stop")
        )
        text = f"{prompt}|seed={body.get('seed')}|t={body['temperature']}"
        self.send(
            200,
            {"choices": [{"text": text, "finish_reason": reason}], "usage": {"completion_tokens": tokens}},
        )

    def send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def client(server: Server, **kwargs: Any) -> OpenAISampler:
    host, port = server.server_address[:2]
    options = {
        "max_concurrency": 3,
        "max_retries": 2,
        "timeout": 0.5,
        "backoff": 0.01,
        "notify": print,
        **kwargs,
    }
    return OpenAISampler(f"http://{host}:{port}", "tiny", **options)


def test_one_request_per_seed_in_order(server: Server) -> None:
    requests = [SampleRequest("a", (1, 2, 3)), SampleRequest("b", (4,)), SampleRequest("c", (5, 6, 7, 8))]
    out = client(server)(requests, PARAMS)
    assert [[c.text for c in per] for per in out] == [
        [f"{r.prompt}|seed={s}|t=0.6" for s in r.seeds] for r in requests
    ]
    assert [c.num_tokens for c in out[0]] == [4, 2, 4]
    assert [c.finish_reason for c in out[0]] == ["length", "stop", "length"]
    assert [c.seed for c in out[2]] == [5, 6, 7, 8]
    assert all(
        b["n"] == 1 and b["top_k"] == 20 and b["max_tokens"] == 4 and b["model"] == "tiny"
        for b in server.bodies
    )


def test_requests_run_concurrently_up_to_the_bound(server: Server) -> None:
    (out,) = client(server)([SampleRequest("together", tuple(range(6)))], PARAMS)
    assert [c.seed for c in out] == list(range(6))
    assert server.max_in_flight == 3


def test_greedy_sends_no_seed(server: Server) -> None:
    (out,) = client(server)([SampleRequest("g", (9,))], SamplingParams(temperature=0.0, max_new_tokens=4))
    (body,) = server.bodies
    assert "seed" not in body and "top_k" not in body and body["temperature"] == 0.0
    assert out[0].seed is None


def test_server_error_and_timeout_are_retried(server: Server) -> None:
    out = client(server)([SampleRequest("fail-once", (1,)), SampleRequest("slow-once", (2,))], PARAMS)
    assert [per[0].text for per in out] == ["fail-once|seed=1|t=0.6", "slow-once|seed=2|t=0.6"]
    assert server.attempts == {"fail-once|1": 2, "slow-once|2": 2}


def test_retries_are_bounded_and_client_errors_are_not_retried(server: Server) -> None:
    with pytest.raises(OpenAIServerError, match=r"giving up after 3 attempts over \d+ s: HTTP 503"):
        client(server)([SampleRequest("always-503", (1,))], PARAMS)
    assert server.attempts["always-503|1"] == 3
    with pytest.raises(
        OpenAIServerError, match=r"refused the request \(HTTP 400: .*bad request.*--max_gen_tokens"
    ) as info:
        client(server)([SampleRequest("bad", (1,))], PARAMS)
    assert info.value.refused
    assert server.attempts["bad|1"] == 1


def test_missing_or_unknown_finish_reason_is_decided_by_the_token_budget(server: Server) -> None:
    (out,) = client(server)([SampleRequest("odd-reasons", (1, 2))], PARAMS)
    assert [c.finish_reason for c in out] == ["length", "stop"]


def test_connection_refused_is_retried_then_reported() -> None:
    sampler = OpenAISampler("http://127.0.0.1:9/v1/", "tiny", max_retries=1, backoff=0.01, timeout=1.0)
    assert sampler.url == "http://127.0.0.1:9/v1/completions"
    with pytest.raises(OpenAIServerError, match=r"giving up after 2 attempts over \d+ s: ConnectionError"):
        sampler([SampleRequest("x", (1,))], PARAMS)
    info = sampler.describe()
    assert info["backend"] == "openai" and info["model"] == "tiny" and "timeout" not in info


def test_stream_yields_as_responses_arrive_and_keeps_the_server_full(server: Server) -> None:
    params = SamplingParams(temperature=0.6, max_new_tokens=4, stop=("</s>",), stop_token_ids=(7,))
    jobs = [Job(0, "slow", 1, params)] + [Job(i, "brief", i, params) for i in range(1, 9)]
    order = [job_id for job_id, _ in client(server, timeout=5.0).stream(jobs)]
    assert sorted(order) == list(range(9)) and order[-1] == 0  # the slow one did not hold the others back
    assert server.max_in_flight == 3  # max_concurrency kept busy
    assert all(b["stop"] == ["</s>"] and b["stop_token_ids"] == [7] for b in server.bodies)


def test_a_restart_is_ridden_out_with_one_line_per_wait() -> None:
    """Defaults outlast a restart: connection refused for a while, then a server on that port."""
    probe = Server()
    host, port = probe.server_address[:2]
    probe.server_close()  # the port is free: requests are refused until the server comes back
    lines: list[str] = []
    sampler = OpenAISampler(
        f"http://{host}:{port}", "tiny", backoff=0.05, max_backoff=0.2, notify=lines.append
    )
    defaults = OpenAISampler("http://x", "m")
    assert defaults.max_retries * defaults.max_backoff >= 600 <= defaults.retry_deadline  # minutes, not 31 s
    restarted: list[Server] = []

    def restart() -> None:
        while len(lines) < 3:  # three waits logged: the server was down for several backoffs
            time.sleep(0.01)
        server = Server.__new__(Server)
        ThreadingHTTPServer.__init__(server, (host, port), Handler)
        server.bodies, server.attempts, server.lock = [], Counter(), threading.Lock()
        server.in_flight = server.max_in_flight = 0
        restarted.append(server)
        server.serve_forever(poll_interval=0.05)

    threading.Thread(target=restart, daemon=True).start()
    try:
        (out,) = sampler([SampleRequest("back", (1, 2, 3))], PARAMS)
    finally:
        for server in restarted:
            server.shutdown()
            server.server_close()
    assert [c.text for c in out] == [f"back|seed={s}|t=0.6" for s in (1, 2, 3)]
    assert all(line.startswith(f"openai: {sampler.url}: ConnectionError") for line in lines)
    assert len(lines) < 3 * 10  # one line per wait, not one per waiting request and attempt


def test_a_failure_yields_what_arrived_and_does_not_wait_for_requests_in_flight(server: Server) -> None:
    jobs = [Job(0, "bad", 1, PARAMS), Job(1, "brief", 2, PARAMS), Job(2, "brief", 3, PARAMS)]
    jobs += [Job(3, "slow", 4, PARAMS)]  # 1.5 s at the server
    got = []
    start = time.monotonic()
    with pytest.raises(OpenAIServerError, match="refused"):
        for job_id, _ in client(server, max_concurrency=4, timeout=5.0).stream(jobs):
            got.append(job_id)
    assert time.monotonic() - start < 1.5  # the slow request in flight is abandoned, not awaited
    assert 3 not in got
