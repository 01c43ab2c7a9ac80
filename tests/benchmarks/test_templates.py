"""Prompt templates: AReaL's strings character for character, hashes, <think> detection, chat templates.

The expected prompts are written out from inclusionAI/AReaL evaluation/utils.py (PROMPT_TEMPLATES and
construct_prompt, commit 183123f346c11efbe100b8d8fe2133fceb8a54c2): the problem is stripped, then formatted in.
"""

import json
from pathlib import Path

import pytest

from evalkit.benchmarks.loading import load_benchmark
from evalkit.benchmarks.templates import (
    PromptError,
    list_templates,
    load_template,
    parse_template,
    prompt_opens_think,
)

# Surrounding whitespace (stripped, as AReaL's parse_question does) and braces (kept as is).
PROBLEM = "  Find $x$ if $\\{x\\} = 2$.\n"

EXPECTED = {
    "r1-distilled-qwen": (
        "<｜User｜>Find $x$ if $\\{x\\} = 2$.\n"
        "Please reason step by step, and put your final answer within \\boxed{}.<｜Assistant｜><think>\n"
    ),
    "deepscaler": (
        "<｜User｜>Find $x$ if $\\{x\\} = 2$.\n"
        "Please reason step by step, and put your final answer within \\boxed{}.<｜Assistant｜><think>\n"
    ),
    "qwen-boxed": (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nFind $x$ if $\\{x\\} = 2$.\n"
        "Please reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n"
        "<|im_start|>assistant\n"
    ),
    "raw": "Find $x$ if $\\{x\\} = 2$.",
}


ORIGINAL = ("chat", "deepscaler", "qwen-boxed", "r1-distilled-qwen", "raw")
# AReaL v0.2.0's templates absent from v0.5.3 keep their names; those v0.5.3 changed get a -v0.2.0 suffix.
V020 = {"AReaL-boba": "AReaL-boba", "AReaL-boba-SFT": "AReaL-boba-SFT"}
V020 |= {"r1-distilled-qwen-v0.2.0": "r1-distilled-qwen", "r1-zero-box-v0.2.0": "r1-zero-box"}


def test_shipped_templates() -> None:
    """evalkit's own, every template of AReaL v0.5.3 under its AReaL name (tests/test_areal_templates.py), v0.2.0's."""
    areal = json.loads(
        (Path(__file__).parent / "fixtures" / "areal_prompt_templates.json").read_text("utf-8")
    )
    expected = {*ORIGINAL, *areal["v0.5.3"]["PROMPT_TEMPLATES"], *V020}
    assert set(list_templates()) == expected and len(list_templates()) == 43


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_render_matches_areal_character_for_character(name: str) -> None:
    assert load_template(name).render(PROBLEM) == EXPECTED[name]


def test_render_a_real_problem_with_trailing_space(data_dir: Path) -> None:
    carlos = next(p for p in load_benchmark("amc23", data_dir).problems if p.id == "36")
    prompt = load_template("r1-distilled-qwen").render(carlos.problem)
    assert prompt.startswith("<｜User｜>Carlos went to a sports store to buy running shoes.")
    assert prompt.endswith(
        "could afford to buy?\n"
        "Please reason step by step, and put your final answer within \\boxed{}.<｜Assistant｜><think>\n"
    )


def test_chat_uses_the_tokenizers_own_template(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    prompt = load_template("chat").render(PROBLEM, tokenizer=tokenizer)
    assert prompt == (
        "<|user|>Find $x$ if $\\{x\\} = 2$.\n"
        "Please reason step by step, and put your final answer within \\boxed{}.<|end|><|assistant|>"
    )
    assert not prompt_opens_think(prompt)


def test_chat_without_a_tokenizer_is_a_clear_error() -> None:
    with pytest.raises(
        PromptError, match=r"template 'chat' uses the model's own chat template: pass tokenizer="
    ):
        load_template("chat").render(PROBLEM)


def test_chat_with_a_tokenizer_lacking_a_chat_template_is_a_clear_error() -> None:
    class NoTemplate:
        chat_template = None

    with pytest.raises(PromptError, match=r"the tokenizer has no chat template; choose another template"):
        load_template("chat").render(PROBLEM, tokenizer=NoTemplate())


def test_opens_think() -> None:
    opens = {name: load_template(name).opens_think for name in ORIGINAL}
    assert opens == {
        "chat": False,
        "deepscaler": True,
        "qwen-boxed": False,
        "r1-distilled-qwen": True,
        "raw": False,
    }
    assert prompt_opens_think("<|im_start|>assistant\n<think>\n")
    assert not prompt_opens_think("<|im_start|>assistant\n<think></think>")


def test_hash_identifies_the_definition_not_the_name() -> None:
    hashes = {name: load_template(name).sha256 for name in list_templates()}
    assert all(len(h) == 64 for h in hashes.values())
    same = [{"deepscaler", "deepscaler-fix", "r1-distilled-qwen", "AReaL-boba"}]
    same.append({"r1-distilled-qwen-v0.2.0", "AReaL-boba-SFT"})
    same.append({"cot", "direct"})  # AReaL's differ in few-shot demos only (and cot's stop string)
    for group in same:
        assert len({hashes[name] for name in group}) == 1
    assert len(set(hashes.values())) == len(hashes) - sum(len(g) - 1 for g in same)
    edited = parse_template('input_template = "{input}\\n"', name="raw", source="raw.toml")
    assert edited.sha256 != hashes["raw"]


def test_templates_record_their_areal_name() -> None:
    names = {name: load_template(name).areal_prompt_type for name in list_templates()}
    assert {n: names.pop(n) for n in V020} == V020
    assert all(names.pop(n) == n for n in list(names) if n not in ORIGINAL)
    assert names == {
        "chat": "mathstral",
        "deepscaler": "deepscaler-fix",
        "qwen-boxed": "qwen-boxed",
        "r1-distilled-qwen": "r1-distilled-qwen",
        "raw": None,
    }


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(
        PromptError,
        match=r"unknown prompt template 'r1'; known templates: AReaL-boba, AReaL-boba-SFT, abel, chat, cot",
    ):
        load_template("r1")


def test_a_template_file_path_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('input_template = "Q: {input}\\nA: \\\\boxed{{}}"\n', encoding="utf-8")
    template = load_template(str(path))
    assert template.name == "mine"
    assert template.render(" 1+1 ") == "Q: 1+1\nA: \\boxed{}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('description = "x"', "missing key 'input_template'"),
        ('input_template = "no field"', "must contain {input} exactly once"),
        ('input_template = "\\\\boxed{} {input}"', "is not a format string whose only field is {input}"),
        ('input_template = "{input"', "is not a format string whose only field is {input}"),
        ("input_template = ", "invalid TOML"),
    ],
)
def test_invalid_template_files_name_the_file(text: str, expected: str) -> None:
    with pytest.raises(PromptError) as err:
        parse_template(text, name="bad", source="bad.toml")
    assert str(err.value).startswith("bad.toml: ") and expected in str(err.value)
