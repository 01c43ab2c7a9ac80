"""Run eval_and_aggregate with every request the vLLM engine receives logged: ``count_requests.py LOG ARGS...``.

Each call of ``add_request`` on vLLM's engine (``LLMEngine`` under ``vllm.LLM``, or ``AsyncLLM``) appends
one JSON line ``{"seed": ..., "max_tokens": ..., "stop": [...]}`` to LOG before the request is added.
"""

import functools
import inspect
import json
import sys
from typing import Any


def _log_requests(cls: type, log: str) -> None:
    original = cls.add_request  # type: ignore[attr-defined]

    def write(params: Any) -> None:
        line = {"seed": params.seed, "max_tokens": params.max_tokens, "stop": list(params.stop or [])}
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def add_async(self: Any, request_id: Any, prompt: Any, params: Any, *a: Any, **k: Any) -> Any:
            write(params)
            return await original(self, request_id, prompt, params, *a, **k)

        cls.add_request = add_async  # type: ignore[attr-defined]
    else:

        @functools.wraps(original)
        def add(self: Any, request_id: Any, prompt: Any, params: Any, *a: Any, **k: Any) -> Any:
            write(params)
            return original(self, request_id, prompt, params, *a, **k)

        cls.add_request = add  # type: ignore[attr-defined]


if __name__ == "__main__":
    from vllm.v1.engine.async_llm import AsyncLLM
    from vllm.v1.engine.llm_engine import LLMEngine

    from evalkit.cli.eval_and_aggregate import main

    for engine in (LLMEngine, AsyncLLM):
        _log_requests(engine, sys.argv[1])
    sys.exit(main(sys.argv[2:]))
