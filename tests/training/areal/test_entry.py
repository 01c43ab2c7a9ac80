"""The AReaL 1.0 entry's dataset rows: one user message and the gold as text (no AReaL needed)."""

import pytest

from evalkit.training.areal.entry import REWARD_FN, to_rl_row


def test_rows_become_one_user_message_and_a_gold_text() -> None:
    assert to_rl_row({"question": "1+1?", "answer": 2.0}) == {
        "messages": [{"role": "user", "content": "1+1?"}],
        "answer": "2",
    }
    assert to_rl_row({"prompt": "p", "solutions": ["\\frac{1}{2}", "0.5"]})["answer"] == "\\frac{1}{2}"
    assert to_rl_row({"problem": "p", "answer": None})["answer"] == ""  # no gold: credits nothing


def test_a_row_without_a_prompt_names_the_columns() -> None:
    with pytest.raises(KeyError, match=r"no prompt column .*columns: \['answer', 'text'\]"):
        to_rl_row({"text": "p", "answer": "1"})


def test_the_reward_it_names_is_importable() -> None:
    from importlib import import_module

    module, _, name = REWARD_FN.rpartition(".")
    assert callable(getattr(import_module(module), name))
