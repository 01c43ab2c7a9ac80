"""A prompt that leaves no room for a response in the model's context is refused up front, per problem,
naming the benchmark and the problem; a huge one is measured in characters, never tokenised."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import evalkit.sampling.factory as factory
from evalkit.benchmarks.loading import Benchmark, BenchmarkSpec, Problem
from evalkit.benchmarks.templates import PromptTemplate
from evalkit.errors import UsageError
from evalkit.run.prompt_limits import (
    MAX_CHARS_PER_TOKEN,
    check_benchmark_prompts,
    check_prompt_lengths,
    model_context_length,
    too_long,
)

TEMPLATE = PromptTemplate(name="qa", input_template="Question: {input}\nAnswer:")


class WordTokenizer:
    """One token per whitespace-separated word; remembers the longest text it was given."""

    def __init__(self) -> None:
        self.longest = 0

    def __call__(self, texts: list[str], verbose: bool = True) -> dict[str, list[list[int]]]:
        self.longest = max([self.longest, *map(len, texts)])
        return {"input_ids": [[0] * len(t.split()) for t in texts]}


def words(n: int) -> str:
    return " ".join(["x"] * n)


def benchmark(name: str, problems: list[str]) -> Benchmark:
    return Benchmark(
        spec=BenchmarkSpec(name=name, file=f"{name}.jsonl"),
        problems=tuple(Problem(id=f"p{i}", problem=text, gold="1") for i, text in enumerate(problems)),
        path=Path(f"{name}.jsonl"),
        sha256="0" * 64,
    )


def model_dir(tmp_path: Path, config: Any) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return str(tmp_path)


# ------------------------------------------------------------------------------------- the context length


def test_max_model_len_wins_over_the_config(tmp_path: Path) -> None:
    assert model_context_length(model_dir(tmp_path, {"max_position_embeddings": 4096}), 1024) == 1024
    assert model_context_length(model_dir(tmp_path, {"max_position_embeddings": 4096})) == 4096


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"max_position_embeddings": 4096, "seq_length": 2048}, 2048),  # the smallest key, as vLLM
        ({"n_positions": 1024}, 1024),  # GPT-2
        ({"text_config": {"max_position_embeddings": 8192}, "max_position_embeddings": 512}, 8192),
        (
            {
                "max_position_embeddings": 40960,
                "rope_scaling": {
                    "rope_type": "yarn",
                    "factor": 4.0,
                    "original_max_position_embeddings": 32768,
                },
            },
            131072,
        ),  # Qwen3 with YaRN
        ({"max_position_embeddings": 4096, "rope_scaling": {"type": "linear", "factor": 2.0}}, 8192),
        ({"max_position_embeddings": 131072, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}}, 131072),
        (
            {
                "max_position_embeddings": 4096,
                "rope_parameters": {"full_attention": {"rope_type": "default"}},
            },
            4096,
        ),  # transformers 5: one section per attention type
        ({"model_type": "qwen2"}, None),
    ],
)
def test_context_from_config_json(tmp_path: Path, config: dict[str, Any], expected: int | None) -> None:
    assert model_context_length(model_dir(tmp_path, config)) == expected


def test_no_local_config_means_no_known_context(tmp_path: Path) -> None:
    assert model_context_length("Qwen/Qwen2.5-Math-1.5B") is None  # a hub id or a served model's name
    assert model_context_length(str(tmp_path)) is None


def test_a_corrupt_config_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"max_position_embeddings": ', encoding="utf-8")
    with pytest.raises(UsageError, match=rf"^{tmp_path / 'config.json'}: not a Hugging Face model config"):
        model_context_length(str(tmp_path))


# ------------------------------------------------------------------------------------- the check


def test_a_prompt_must_leave_room_for_one_token() -> None:
    tok = WordTokenizer()
    prompts = [words(9), words(10), words(3)]
    assert too_long(["a", "b", "c"], prompts, tok, 10) == [("b", "10 tokens")]  # 10 + 1 > 10
    check_prompt_lengths("toy", ["a", "c"], [prompts[0], prompts[2]], tok, 10)  # 9 + 1 fits
    with pytest.raises(UsageError) as err:
        check_prompt_lengths("toy", ["a", "b", "c"], prompts, tok, 10)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("1 prompt leaves no room for a response in the model's context of 10 tokens: ")
    assert "toy problem b (10 tokens)" in message


def test_an_unknown_context_checks_nothing() -> None:
    check_prompt_lengths("toy", ["a"], [words(10**5)], WordTokenizer(), None)


def test_the_message_names_the_first_few_and_counts_the_rest() -> None:
    ids = [f"q{i}" for i in range(8)]
    with pytest.raises(UsageError) as err:
        check_prompt_lengths("aime24", ids, [words(20)] * 8, WordTokenizer(), 10)
    message = str(err.value)
    assert message.startswith("8 prompts leave no room")
    assert (
        "aime24 problems q0 (20 tokens), q1 (20 tokens), q2 (20 tokens), q3 (20 tokens), q4 (20 tokens) "
        in message
    )
    assert "and 3 more" in message and "q5" not in message


def test_many_prompts_are_counted_in_batches_and_kept_in_order() -> None:
    prompts = [words(20 if i % 40 == 7 else 3) for i in range(150)]
    ids = [str(i) for i in range(150)]
    assert too_long(ids, prompts, WordTokenizer(), 10) == [(str(i), "20 tokens") for i in (7, 47, 87, 127)]


def test_a_huge_prompt_is_refused_without_being_tokenised() -> None:
    """A 50 MB problem: measured by its length, never handed to the tokenizer."""
    tok = WordTokenizer()
    huge = "y" * 50_000_000
    with pytest.raises(UsageError, match=r"toy problem big \(50,000,000 characters\)"):
        check_prompt_lengths("toy", ["small", "big"], [words(5), huge], tok, 4096)
    assert tok.longest < 100


def test_without_a_tokenizer_only_the_character_bound_is_checked() -> None:
    context = 100
    fits_in_characters = "z" * (MAX_CHARS_PER_TOKEN * context)
    assert too_long(["a"], [fits_in_characters], None, context) == []
    assert too_long(["a"], [fits_in_characters + "z"], None, context) == [("a", "1,601 characters")]


def test_every_benchmark_is_checked_and_named_in_one_error(tmp_path: Path) -> None:
    model = model_dir(tmp_path, {"max_position_embeddings": 50})
    benchmarks = [
        benchmark("aime24", [words(5), words(60)]),
        benchmark("amc23", [words(5)]),
        benchmark("math_500", ["y" * 10**6, words(2), words(49)]),
    ]
    tok = WordTokenizer()
    with pytest.raises(UsageError) as err:
        check_benchmark_prompts(benchmarks, TEMPLATE, tok, model)
    message = str(err.value)
    assert message.startswith("3 prompts leave no room for a response in the model's context of 50 tokens: ")
    assert (
        "aime24 problem p1 (62 tokens); math_500 problems p0 (1,000,000 characters), p2 (51 tokens)"
        in message
    )
    assert "amc23" not in message and tok.longest < 1000  # "Question:" and "Answer:" are two more words
    check_benchmark_prompts(
        benchmarks, TEMPLATE, tok, model, max_model_len=10**5
    )  # a longer context: all fit
    check_benchmark_prompts(benchmarks, TEMPLATE, tok, "served-model-name")  # context unknown: nothing


def test_the_model_tokenizer_counts_when_none_is_given(tiny_model_dir: Path) -> None:
    """Without a tokenizer, a local model directory's own is loaded to count tokens."""
    from transformers import AutoTokenizer

    tokens = len(AutoTokenizer.from_pretrained(tiny_model_dir)(TEMPLATE.render(words(100)))["input_ids"])
    bench = benchmark("toy", [words(100)])
    check_benchmark_prompts([bench], TEMPLATE, None, str(tiny_model_dir), max_model_len=tokens + 1)
    with pytest.raises(UsageError, match=rf"toy problem p0 \({tokens} tokens\)"):
        check_benchmark_prompts([bench], TEMPLATE, None, str(tiny_model_dir), max_model_len=tokens)


# ------------------------------------------------------------------------------------- end to end


def test_eval_and_aggregate_refuses_a_long_problem_before_the_engine(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tiny model's context is 2048 tokens: a 40,000-character problem is refused by its length, a
    3,000-word one by its tokens, the others would run; none starts an engine."""
    from evalkit.cli.eval_and_aggregate import main

    def make_sampler(*args: object, **kwargs: object) -> None:
        raise AssertionError("an engine was started for prompts that cannot fit")

    monkeypatch.setattr(factory, "make_sampler", make_sampler)
    model = shutil.copytree(tiny_model_dir, tmp_path / "model")
    rows = [
        {"id": "short", "problem": "What is 1+1?", "answer": "2"},
        {"id": "long", "problem": " ".join(f"w{i}" for i in range(3000)), "answer": "1"},
        {"id": "huge", "problem": "7" * 40_000, "answer": "7"},
    ]
    data = tmp_path / "mine.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    argv = ["--backend", "transformers", "--model_path", str(model), "--output_path", str(tmp_path / "out"),
            "--data_names", str(data), "--n_sampling", "1", "--max_gen_tokens", "4"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(
        "eval_and_aggregate: 2 prompts leave no room for a response in the model's context of "
    )
    assert "mine problems long (" in err and "huge (40,0" in err and "short" not in err
