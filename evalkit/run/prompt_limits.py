"""Prompts that cannot fit the model's context are refused before any engine loads, naming each benchmark
and problem.

What the engines do with a prompt of P tokens, a context of C tokens and ``max_new_tokens`` N:

- P >= C: vLLM rejects the request ("The decoder prompt (length P) plus the number of requested output tokens
  (at least 1) is longer than the maximum model length of C"), and the transformers backend would run a
  model past the positions it was trained on. A 50 MB problem is tokenised and attended over whole, and grows
  memory by gigabytes. Such a prompt leaves no room for one token of response: it is refused here.
- P < C < P + N: offline vLLM does not refuse it: the response stops at the context (finish reason
  ``length``) and is stored as truncated, like one that reached N. With AReaL's default N = 32768 and a
  4096-token model (Qwen2.5-Math) that is every prompt, so it is not refused here. (An OpenAI-compatible
  server refuses P + N > C per request; there the context is not known here, and nothing is checked.)

The context is ``--max_model_len`` when set, else what vLLM derives from the model's ``config.json``
(:func:`model_context_length`). A prompt longer than ``MAX_CHARS_PER_TOKEN`` characters per token of context is
refused without being tokenised; without a tokenizer that bound is the only check.
"""

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from evalkit.benchmarks.loading import Benchmark
from evalkit.benchmarks.templates import PromptTemplate
from evalkit.errors import UsageError
from evalkit.run.model_dir import load_tokenizer, read_model_config

# No tokenizer averages more characters per token over a whole prompt: a longer prompt cannot fit.
MAX_CHARS_PER_TOKEN = 16
SHOWN = 5  # problems named in the message; the rest are counted
_BATCH = 64  # prompts tokenised at once
# config.json keys that bound the positions a model can attend to, as vLLM reads them (the smallest wins).
LENGTH_KEYS = (
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "model_max_length",
    "max_sequence_length",
    "max_seq_length",
    "seq_len",
)
_UNSCALED = ("su", "longrope", "llama3", "mrope", "default")  # rope types whose length is already the context


def model_context_length(model_path: str, max_model_len: int | None = None) -> int | None:
    """The context in tokens: ``max_model_len`` (``--max_model_len``) when set, else the one derived from
    a local model directory's ``config.json`` as vLLM does (the smallest length key, times a RoPE scaling
    factor); ``None`` when unknown (a served model's name, a hub id, a config without a length)."""
    if max_model_len:
        return max_model_len
    folder = Path(model_path).expanduser()
    if not (folder / "config.json").is_file():
        return None
    config = read_model_config(folder)
    text = config.get("text_config")
    for section in (text, config) if isinstance(text, dict) else (config,):
        if (length := _derived_length(section)) is not None:
            return length
    return None


def _derived_length(config: dict[str, Any]) -> int | None:
    lengths = [v for k in LENGTH_KEYS if _positive_int(v := config.get(k))]
    if not lengths:
        return None
    length = min(lengths)
    scaled = length
    for rope in _rope_sections(config.get("rope_scaling") or config.get("rope_parameters")):
        kind, factor = rope.get("rope_type") or rope.get("type"), rope.get("factor")
        if (
            kind in _UNSCALED
            or not isinstance(factor, int | float)
            or isinstance(factor, bool)
            or factor <= 1
        ):
            continue
        original = rope.get("original_max_position_embeddings")
        base = original if kind == "yarn" and _positive_int(original) else length
        scaled = max(scaled, int(base * factor))
    return max(length, scaled)  # an upper bound: never refuse what the engine would take


def _rope_sections(rope: Any) -> list[dict[str, Any]]:
    """RoPE settings: one dict, or (transformers 5) one per attention type."""
    if not isinstance(rope, dict):
        return []
    if any(k in rope for k in ("factor", "rope_type", "type")):
        return [rope]
    return [v for v in rope.values() if isinstance(v, dict)]


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def too_long(
    problem_ids: Sequence[str], prompts: Sequence[str], tokenizer: Any, context_len: int
) -> list[tuple[str, str]]:
    """``(problem id, its size)`` of each prompt that leaves no room for a response (prompt tokens + 1 >
    ``context_len``). A prompt over ``MAX_CHARS_PER_TOKEN`` characters per token of context is not
    tokenised; without a ``tokenizer`` only that bound is checked."""
    char_limit = MAX_CHARS_PER_TOKEN * context_len
    found: dict[int, str] = {}
    measured = []
    for i, prompt in enumerate(prompts):
        if len(prompt) > char_limit:
            found[i] = f"{len(prompt):,} characters"
        elif tokenizer is not None:
            measured.append(i)
    for i, tokens in zip(measured, _count_tokens(tokenizer, [prompts[i] for i in measured]), strict=True):
        if tokens + 1 > context_len:
            found[i] = f"{tokens:,} tokens"
    return [(problem_ids[i], found[i]) for i in sorted(found)]


def _count_tokens(tokenizer: Any, prompts: list[str]) -> list[int]:
    """Tokens per prompt as the engines encode a text prompt (with the tokenizer's special tokens)."""
    counts: list[int] = []
    for start in range(0, len(prompts), _BATCH):  # batches: fast tokenizers encode each in parallel
        batch = prompts[start : start + _BATCH]
        try:  # verbose=False: no "longer than the specified maximum sequence length" warning per prompt
            ids = tokenizer(batch, verbose=False)["input_ids"]
        except TypeError:  # a tokenizer that only encodes
            ids = [tokenizer.encode(p) for p in batch]
        counts += map(len, ids)
    return counts


def check_prompt_lengths(
    benchmark_name: str,
    problem_ids: Sequence[str],
    prompts: Sequence[str],
    tokenizer: Any,
    context_len: int | None,
) -> None:
    """Raise a one-line ``UsageError`` naming ``benchmark_name`` and the problems (the first few, then a
    count) whose prompt leaves no room for a response in ``context_len`` tokens; ``None``: nothing known,
    nothing checked."""
    if not context_len:
        return
    found = too_long(problem_ids, prompts, tokenizer, context_len)
    if found:
        raise UsageError(_message({benchmark_name: found}, context_len))


def check_benchmark_prompts(
    benchmarks: Iterable[Benchmark],
    template: PromptTemplate,
    tokenizer: Any,
    model_path: str,
    max_model_len: int | None = None,
) -> None:
    """Every prompt of ``benchmarks`` under ``template`` against the model's context
    (:func:`model_context_length`), in one ``UsageError`` naming every benchmark and problem that does not
    fit. ``tokenizer``: the model's (rendering chat templates and counting tokens); ``None`` loads a local
    model directory's, if it loads. An unknown context (a served model) checks nothing."""
    context_len = model_context_length(model_path, max_model_len)
    if not context_len:
        return
    if tokenizer is None and Path(model_path).expanduser().is_dir():
        try:
            tokenizer = load_tokenizer(model_path)
        except UsageError:  # the engine may still read it (e.g. Mistral's own format): count characters
            tokenizer = None
    char_limit = MAX_CHARS_PER_TOKEN * context_len
    found: dict[str, list[tuple[str, str]]] = {}
    for benchmark in benchmarks:
        ids, prompts, huge = [], [], []
        for p in benchmark.problems:
            if len(p.problem) > char_limit:  # the prompt holds the problem: not even rendered
                huge.append((p.id, f"{len(p.problem):,} characters"))
            else:
                ids.append(p.id)
                prompts.append(template.render(p.problem, tokenizer=tokenizer))
        order = {p.id: i for i, p in enumerate(benchmark.problems)}
        bad = sorted(huge + too_long(ids, prompts, tokenizer, context_len), key=lambda item: order[item[0]])
        if bad:
            found[benchmark.name] = bad
    if found:
        raise UsageError(_message(found, context_len))


def _message(found: dict[str, list[tuple[str, str]]], context_len: int) -> str:
    total = sum(map(len, found.values()))
    parts = []
    for name, items in found.items():
        shown = ", ".join(f"{pid} ({size})" for pid, size in items[:SHOWN])
        more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
        parts.append(f"{name} problem{'s' if len(items) > 1 else ''} {shown}{more}")
    return (
        f"{total} prompt{'s' if total > 1 else ''} leave{'' if total > 1 else 's'} no room for a response in "
        f"the model's context of {context_len:,} tokens: {'; '.join(parts)}. Shorten or remove "
        f"{'these problems' if total > 1 else 'this problem'} (--max_model_len sets a longer context only "
        "where the model supports one)"
    )
