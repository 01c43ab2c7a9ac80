"""AReaL 1.0 training script with evalkit's reward: ``python3 -m evalkit.training.areal.entry --config X.yaml``.

Run it in an AReaL 1.0 environment (``areal`` is imported only here, at run time). The dataset is a
JSONL file whose rows hold a prompt (``prompt``, ``problem`` or ``question``) and gold answers
(``answer``, ``solution``, ``solutions``, ...). Each prompt is sent as one user message, templated once by
the tokenizer's chat template: prompts that already carry DeepSeek's chat markers (the guide's boba_106k:
``<｜User｜>...<｜Assistant｜><think>``) lose them first, and a ``<think>`` among them turns on the template's
thinking, as AReaL's own ``boba_grpo.py`` does. Prompts over :data:`MAX_PROMPT_TOKENS` tokens are left out,
as there. Every gold is kept: the reward credits a match with any of them. The reward is an
:class:`~evalkit.training.rewards.AReaLReward` that knows the run's token limits and the tokenizer's end tokens
(:func:`reward_for`), so that a completion cut off at the limit is told from one that finished.
"""

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.graders.normalize import gold_text
from evalkit.training.rewards import AReaLReward, find_gold

REWARD_FN = "evalkit.training.rewards.areal_reward_fn"  # the same reward by name, knowing no limits
WORKFLOW = "areal.workflow.rlvr.RLVRWorkflow"
PROMPT_KEYS = ("prompt", "problem", "question")
CHAT_MARKERS = ("<｜User｜>", "<｜Assistant｜>")
THINK = "<think>"
MAX_PROMPT_TOKENS = 1024  # AReaL's boba_grpo.py filter


def golds(row: Mapping[str, Any]) -> list[str]:
    """Every gold answer of a row, as text (an empty list when none is set)."""
    gold = find_gold(row)
    if callable(getattr(gold, "tolist", None)):
        gold = gold.tolist()
    items = gold if isinstance(gold, list | tuple) else [gold]
    return [text for text in (gold_text(g) for g in items if g is not None) if text]


def to_rl_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset row as AReaL's ``RLVRWorkflow`` sends it on: ``messages`` (the prompt without DeepSeek's chat
    markers), ``thinking`` (the prompt opened ``<think>``), ``answer`` (the first gold) and ``solutions``
    (all of them)."""
    prompt = next((row[k] for k in PROMPT_KEYS if row.get(k)), None)
    if prompt is None:
        raise KeyError(f"no prompt column among {list(PROMPT_KEYS)} (columns: {sorted(row)})")
    text = str(prompt)
    thinking = THINK in text
    for marker in (*CHAT_MARKERS, THINK):
        text = text.replace(marker, "")
    answers = golds(row)
    return {
        "messages": [{"role": "user", "content": text.strip()}],
        "thinking": thinking,
        "answer": answers[0] if answers else "",
        "solutions": answers,
    }


def extract_row(data: dict[str, Any]) -> dict[str, Any]:
    """``data_extract_prompt_fn``: the whole row, so that :func:`input_ids` sees its ``thinking`` flag."""
    return data


def input_ids(row: Mapping[str, Any], tokenizer: Any, enable_thinking: bool) -> list[int]:
    """``get_input_ids_fn``: the row's messages through the chat template, once."""
    from areal.utils.hf_utils import apply_chat_template

    return apply_chat_template(
        tokenizer,
        row["messages"],
        tokenize=True,
        add_generation_prompt=True,
        enable_thinking=enable_thinking or bool(row.get("thinking")),
    )


def load_rl_dataset(path: str, tokenizer: Any = None, max_prompt_tokens: int = MAX_PROMPT_TOKENS) -> Any:
    """The JSONL file at ``path`` as a ``datasets.Dataset`` of ``to_rl_row`` rows; with a ``tokenizer``,
    rows whose prompt is over ``max_prompt_tokens`` tokens are left out."""
    from datasets import load_dataset

    dataset = load_dataset("json", data_files=path, split="train")
    dataset = dataset.map(to_rl_row, remove_columns=dataset.column_names)
    if tokenizer is not None:
        dataset = dataset.filter(
            lambda row: len(tokenizer.encode(row["messages"][0]["content"])) <= max_prompt_tokens
        )
    return dataset


def reward_for(gconfig: Any, tokenizer: Any) -> AReaLReward:
    """The run's reward (picklable: AReaL sends it to its reward processes): ``gconfig``'s token limits
    (``max_new_tokens``, ``max_tokens``: a completion of the limit was cut off, a shorter one without an EOS
    stopped at a stop string), the ids generation stops at (as ``RLVRWorkflow`` sets them:
    ``gconfig.stop_token_ids``, the tokenizer's pad and EOS) and the tokenizer's EOS and pad text (stripped
    from the decoded completion before grading, beside the known end tokens)."""
    stop_ids = [
        *(getattr(gconfig, "stop_token_ids", None) or ()),
        tokenizer.pad_token_id,
        tokenizer.eos_token_id,
    ]
    stop_tokens = [tokenizer.eos_token, tokenizer.pad_token]
    return AReaLReward(
        eos_token_id=tuple(dict.fromkeys(int(i) for i in stop_ids if i is not None)) or None,
        eos_token=tuple(dict.fromkeys(t for t in stop_tokens if isinstance(t, str) and t)) or None,
        max_new_tokens=getattr(gconfig, "max_new_tokens", None),
        max_tokens=getattr(gconfig, "max_tokens", None),
    )


def main(argv: Sequence[str]) -> None:
    from areal import PPOTrainer
    from areal.api.cli_args import GRPOConfig, load_expr_config
    from areal.utils.hf_utils import load_hf_tokenizer

    config, _ = load_expr_config(list(argv), GRPOConfig)
    tokenizer = load_hf_tokenizer(config.tokenizer_path)
    workflow_kwargs = dict(
        reward_fn=reward_for(config.gconfig, tokenizer),
        gconfig=config.gconfig,
        tokenizer=config.tokenizer_path,
        enable_thinking=False,
        get_input_ids_fn=f"{__name__}.input_ids",
        data_extract_prompt_fn=f"{__name__}.extract_row",
    )
    train_dataset = load_rl_dataset(config.train_dataset.path, tokenizer)
    with PPOTrainer(config, train_dataset=train_dataset, valid_dataset=None) as trainer:
        trainer.train(workflow=WORKFLOW, workflow_kwargs=workflow_kwargs)


if __name__ == "__main__":
    main(sys.argv[1:])
