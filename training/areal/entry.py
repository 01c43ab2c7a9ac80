"""AReaL 1.0 training script with evalkit's reward: ``python3 -m evalkit.training.areal.entry --config X.yaml``.

Run it in an AReaL 1.0 environment (``areal`` is imported only here, at run time). The dataset is a
JSONL file whose rows hold a prompt (``prompt``, ``problem`` or ``question``) and a gold answer
(``answer``, ``solution``, ``solutions``, ...); each prompt is sent as one user message.
"""

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.graders.normalize import gold_text
from evalkit.training.rewards import find_gold, reward_gold

REWARD_FN = "evalkit.training.rewards.areal_reward_fn"
WORKFLOW = "areal.workflow.rlvr.RLVRWorkflow"
PROMPT_KEYS = ("prompt", "problem", "question")


def to_rl_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset row in the form AReaL's ``RLVRWorkflow`` expects: ``messages`` and ``answer``."""
    prompt = next((row[k] for k in PROMPT_KEYS if row.get(k)), None)
    if prompt is None:
        raise KeyError(f"no prompt column among {list(PROMPT_KEYS)} (columns: {sorted(row)})")
    return {
        "messages": [{"role": "user", "content": str(prompt)}],
        "answer": gold_text(reward_gold(find_gold(row))),
    }


def load_rl_dataset(path: str) -> Any:
    """The JSONL file at ``path`` as a ``datasets.Dataset`` of ``to_rl_row`` rows."""
    from datasets import load_dataset

    dataset = load_dataset("json", data_files=path, split="train")
    return dataset.map(to_rl_row, remove_columns=dataset.column_names)


def main(argv: Sequence[str]) -> None:
    from areal import PPOTrainer
    from areal.api.cli_args import GRPOConfig, load_expr_config

    config, _ = load_expr_config(list(argv), GRPOConfig)
    workflow_kwargs = dict(
        reward_fn=REWARD_FN, gconfig=config.gconfig, tokenizer=config.tokenizer_path, enable_thinking=False
    )
    train_dataset = load_rl_dataset(config.train_dataset.path)
    with PPOTrainer(config, train_dataset=train_dataset, valid_dataset=None) as trainer:
        trainer.train(workflow=WORKFLOW, workflow_kwargs=workflow_kwargs)


if __name__ == "__main__":
    main(sys.argv[1:])
