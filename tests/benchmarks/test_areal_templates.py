"""Every prompt template of AReaL's evaluation/utils.py, rendered character for character as AReaL does.

The fixture holds AReaL's strings with their source commit (scripts/areal_templates_fixture.py copies them).
"""

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.benchmarks.templates import load_template

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "areal_prompt_templates.json").read_text("utf-8"))
QUESTIONS = ["What is $1+1$?", "  Let $f(x)=\\frac{1}{x}$; find $f(\\{2\\})$.\n", "x\n\ny {input} }{"]
# Templates AReaL v0.2.0 had that differ from v0.5.3's, shipped under another name.
V020_NAMES = {"r1-distilled-qwen": "r1-distilled-qwen-v0.2.0", "r1-zero-box": "r1-zero-box-v0.2.0"}


def areal_prompt(strings: dict[str, Any], name: str, question: str) -> str:
    """AReaL's construct_prompt with zero shots, restated: the template, the platypus_fs wrapper and the
    tora instruction, then ``strip(" ")``; ``question`` is stripped as AReaL's parse_question does."""
    full = strings["PROMPT_TEMPLATES"][name][0].format(input=question.strip())
    if name == "platypus_fs":
        full = strings["construct_prompt"]["platypus_fs_wrapper"].format(instruction=full)
    if name in ("tora", "tool-integrated"):
        full = strings["construct_prompt"]["tora_prefix"] + full
    return full.strip(" ")


def cases(tag: str, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    templates = FIXTURE[tag]["PROMPT_TEMPLATES"]
    current = FIXTURE["v0.5.3"]["PROMPT_TEMPLATES"]
    if names is None:
        return [(name, name) for name in templates]
    return [
        (name, names.get(name, name))
        for name in templates
        if name not in current or current[name] != templates[name]
    ]


def test_the_fixture_names_its_source() -> None:
    assert FIXTURE["v0.5.3"]["commit"] == "7cdef3c1345ec9f66f89617fd806174f8ca3ad6d"
    assert FIXTURE["v0.2.0"]["commit"] == "de3f66a90c374560f72bdc1e8200a55de8b26015"
    assert len(FIXTURE["v0.5.3"]["PROMPT_TEMPLATES"]) == 36


@pytest.mark.parametrize(("tag", "areal_name", "name"), [
    *(("v0.5.3", a, n) for a, n in cases("v0.5.3") if a != "nvidia-opencode"),
    *(("v0.2.0", a, n) for a, n in cases("v0.2.0", V020_NAMES)),
])  # fmt: skip
def test_template_renders_as_areal(tag: str, areal_name: str, name: str) -> None:
    template = load_template(name)
    assert template.areal_prompt_type == areal_name and not template.chat
    for question in QUESTIONS:
        assert template.render(question) == areal_prompt(FIXTURE[tag], areal_name, question)


def test_v020_r1_distilled_qwen_keeps_the_literal_bos_text() -> None:
    assert (
        load_template("r1-distilled-qwen-v0.2.0").render("q").startswith("<｜begin▁of▁sentence｜><｜User｜>q")
    )
    assert not load_template("r1-distilled-qwen").render("q").startswith("<｜begin")


def test_nvidia_opencode_joins_the_parts_areal_drops() -> None:
    """AReaL renders only the first of its five parts, which lacks {input}: the problem never reaches the model."""
    parts = FIXTURE["v0.5.3"]["PROMPT_TEMPLATES"]["nvidia-opencode"]
    assert "{input}" not in parts[0]
    assert load_template("nvidia-opencode").input_template == "".join(parts[:3])


@pytest.mark.parametrize(("name", "extra"), [
    ("cot", ["\n\nQuestion:"]), ("pal", ["\n\n---", "```output"]), ("wizard_zs", ["Instruction", "Response"]),
    ("jiuzhang_nl", ["\n\n## Question"]), ("numina", ["\n### Problem"]), ("r1-distilled-pure", ["\n\n\n"]),
    ("qwen3", []),
])  # fmt: skip
def test_stop_strings_are_math_evals(name: str, extra: list[str]) -> None:
    assert load_template(name).stop == ("</s>", "<|im_end|>", "<|endoftext|>", *extra)
