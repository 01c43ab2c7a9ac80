"""Prompt templates as data (``benchmarks/templates/<name>.toml``), rendered exactly as AReaL's evaluation does.

AReaL builds a prompt as ``input_template.format(input=question).strip(" ")`` where ``question`` is the
problem stripped of surrounding whitespace (``evaluation/utils.py: construct_prompt``, ``parser.py:
parse_question``). Chat templates then go through ``tokenizer.apply_chat_template`` as in its
``math_eval.py --apply_chat_template``.
"""

import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

_SUFFIX = ".toml"
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"


class PromptError(ValueError):
    """A template cannot be loaded or rendered; the message says why and what to do."""


def prompt_opens_think(prompt: str) -> bool:
    """Whether ``prompt`` ends inside a ``<think>`` block that the model must close."""
    return prompt.rfind(_THINK_OPEN) > prompt.rfind(_THINK_CLOSE)


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A prompt template. ``input_template`` is a ``str.format`` string with one ``{input}`` field.

    With ``chat`` the rendered text becomes the user message of the tokenizer's chat template.
    ``stop`` strings end a completion; ``stop_tokens`` name special tokens whose ids (in the model's
    vocabulary, where it has them) end it too: see :func:`stop_token_ids`.
    """

    name: str
    input_template: str
    chat: bool = False
    description: str = ""
    areal_prompt_type: str | None = None
    stop: tuple[str, ...] = ()
    stop_tokens: tuple[str, ...] = ()

    def stop_token_ids(self, tokenizer: Any) -> tuple[int, ...]:
        """Ids of ``stop_tokens`` that are single tokens of ``tokenizer``'s vocabulary (others are skipped)."""
        vocab = tokenizer.get_vocab()
        return tuple(vocab[t] for t in self.stop_tokens if t in vocab)

    def render(self, problem: str, tokenizer: Any = None) -> str:
        """The prompt for ``problem``; chat templates need the model's ``tokenizer``."""
        text = self.input_template.format(input=problem.strip()).strip(" ")
        if not self.chat:
            return text
        if tokenizer is None:
            raise PromptError(
                f"template {self.name!r} uses the model's own chat template: pass tokenizer= "
                "(e.g. transformers.AutoTokenizer.from_pretrained(model_path))"
            )
        if not getattr(tokenizer, "chat_template", None):
            raise PromptError(
                f"template {self.name!r}: the tokenizer has no chat template; "
                f"choose another template ({', '.join(t for t in list_templates() if t != self.name)})"
            )
        messages = [{"role": "user", "content": text.strip()}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    @property
    def sha256(self) -> str:
        """Hash of the definition (template string and chat flag), not of the name: equal prompts, equal hash."""
        definition = json.dumps({"chat": self.chat, "input_template": self.input_template}, sort_keys=True)
        return hashlib.sha256(definition.encode()).hexdigest()

    @property
    def opens_think(self) -> bool:
        """Whether rendered prompts open a ``<think>`` block. False for chat templates, which depend on the
        tokenizer: check a rendered chat prompt with :func:`prompt_opens_think`."""
        return not self.chat and prompt_opens_think(self.render("x"))


def _template_dir() -> Any:
    return resources.files("evalkit.benchmarks.catalog") / "templates"


def list_templates() -> list[str]:
    """Names of the shipped templates, sorted."""
    return sorted(e.name.removesuffix(_SUFFIX) for e in _template_dir().iterdir() if e.name.endswith(_SUFFIX))


def load_template(name: str) -> PromptTemplate:
    """A shipped template by name, or a template file given by its ``.toml`` path."""
    path = Path(name).expanduser()
    if path.suffix == _SUFFIX and path.is_file():
        return parse_template(path.read_text(encoding="utf-8"), name=path.stem, source=str(path))
    entry = _template_dir() / f"{name}{_SUFFIX}"
    if not entry.is_file():
        raise PromptError(f"unknown prompt template {name!r}; known templates: {', '.join(list_templates())}")
    return parse_template(entry.read_text(encoding="utf-8"), name=name, source=f"templates/{name}{_SUFFIX}")


def parse_template(text: str, *, name: str, source: str) -> PromptTemplate:
    """Build a template from TOML text; errors name ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PromptError(f"{source}: invalid TOML: {err}") from None
    if "input_template" not in data:
        raise PromptError(f"{source}: missing key 'input_template'")
    template = PromptTemplate(
        name=name,
        input_template=str(data["input_template"]),
        chat=bool(data.get("chat", False)),
        description=str(data.get("description", "")),
        areal_prompt_type=data.get("areal_prompt_type"),
        stop=tuple(str(t) for t in data.get("stop", ())),
        stop_tokens=tuple(str(t) for t in data.get("stop_tokens", ())),
    )
    try:
        rendered = template.input_template.format(input="\0")
    except (KeyError, IndexError, ValueError) as err:
        raise PromptError(
            f"{source}: input_template is not a format string whose only field is {{input}} ({err!r}); "
            'write a literal brace doubled ("{{" for "{")'
        ) from None
    if rendered.count("\0") != 1:
        raise PromptError(f"{source}: input_template must contain {{input}} exactly once")
    return template
