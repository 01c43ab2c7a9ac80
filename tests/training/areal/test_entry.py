"""The AReaL 1.0 entry's dataset rows: one user message, templated once, and every gold (no AReaL needed)."""

import json
from pathlib import Path

import pytest

from evalkit.training.areal.entry import REWARD_FN, load_rl_dataset, to_rl_row

# A row as the guide's boba_106k_0319.jsonl holds it: DeepSeek's chat markers already in the prompt.
BOBA_ROW = {
    "prompt": "<｜User｜>Find $x$ if $2x = 1$.\nPlease reason step by step, and put your final answer within "
    "\\boxed{}.<｜Assistant｜><think>\n",
    "solutions": ["\\frac{1}{2}", "0.5"],
    "query_id": "q1",
}


def test_rows_become_one_user_message_and_every_gold_as_text() -> None:
    assert to_rl_row({"question": "1+1?", "answer": 2.0}) == {
        "messages": [{"role": "user", "content": "1+1?"}],
        "thinking": False,
        "answer": "2",
        "solutions": ["2"],
    }
    assert to_rl_row({"problem": "p", "answer": None})["solutions"] == []  # no gold: credits nothing


def test_boba_prompts_lose_their_chat_markers_and_keep_thinking() -> None:
    row = to_rl_row(BOBA_ROW)
    content = row["messages"][0]["content"]
    assert "<｜User｜>" not in content and "<｜Assistant｜>" not in content and "<think>" not in content
    assert content.startswith("Find $x$") and content.endswith("\\boxed{}.")
    assert row["thinking"] is True
    assert row["answer"] == "\\frac{1}{2}" and row["solutions"] == ["\\frac{1}{2}", "0.5"]


def test_long_prompts_are_left_out_as_areal_does(tmp_path: Path, tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    path = tmp_path / "boba.jsonl"
    rows = [BOBA_ROW, {**BOBA_ROW, "prompt": "<｜User｜>" + "7 + " * 2000 + "1?<｜Assistant｜><think>\n"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert len(load_rl_dataset(str(path))) == 2
    kept = load_rl_dataset(str(path), tokenizer)
    assert len(kept) == 1 and kept[0]["solutions"] == ["\\frac{1}{2}", "0.5"]


def test_a_row_without_a_prompt_names_the_columns() -> None:
    with pytest.raises(KeyError, match=r"no prompt column .*columns: \['answer', 'text'\]"):
        to_rl_row({"text": "p", "answer": "1"})


def test_the_functions_it_names_are_importable() -> None:
    from importlib import import_module

    from evalkit.training.areal import entry

    module, _, name = REWARD_FN.rpartition(".")
    assert callable(getattr(import_module(module), name))
    assert callable(entry.input_ids) and entry.extract_row({"a": 1}) == {"a": 1}


def test_the_reward_knows_the_runs_limits_and_end_tokens_and_pickles() -> None:
    """``RLVRWorkflow`` gets an ``AReaLReward`` (it takes a callable): gconfig's limits, the ids it stops at
    (``gconfig.stop_token_ids`` plus the tokenizer's pad and EOS, as AReaL adds them) and their text."""
    import dataclasses
    import pickle
    from types import SimpleNamespace

    from evalkit.training.areal.entry import reward_for
    from evalkit.training.rewards import AReaLReward

    eos = "<｜end▁of▁sentence｜>"
    tokenizer = SimpleNamespace(eos_token=eos, eos_token_id=151643, pad_token=eos, pad_token_id=151643)
    gconfig = SimpleNamespace(max_new_tokens=8192, max_tokens=32768, stop_token_ids=[7])
    reward = reward_for(gconfig, tokenizer)
    assert reward == AReaLReward(
        eos_token_id=(7, 151643), eos_token=(eos,), max_new_tokens=8192, max_tokens=32768
    )
    assert pickle.loads(pickle.dumps(reward)) == reward
    # AReaL's single-controller RPC (areal/infra/rpc/serialization.py) rebuilds a dataclass from its fields,
    # tuples turned into lists: the reward must still work
    fields = {
        f.name: list(v) if isinstance(v, tuple) else v
        for f in dataclasses.fields(reward)
        for v in [getattr(reward, f.name)]
    }
    rebuilt = AReaLReward(**fields)
    prompt = "<｜begin▁of▁sentence｜><｜User｜>2x = 1?<｜Assistant｜><think>\n"
    row = to_rl_row(BOBA_ROW)
    finished = "x = 1/2.\n</think>\n\nThe answer is 0.5." + eos
    assert reward(prompt, finished, [1] * 20, [5] * 30 + [151643], **row) == 1.0
    cut = "x = 1/2.\n</think>\n\nSo x = 0.5."  # a concluding statement cut off at the limit earns nothing
    assert reward(prompt, cut, [1] * 20, [5] * 8192, **row) == 0.0
    assert reward(prompt, cut, [1] * 20, [5] * 100, **row) == 1.0  # stopped early (a stop string): finished
    assert rebuilt(prompt, finished, [1] * 20, [5] * 30 + [151643], **row) == 1.0
    assert rebuilt(prompt, cut, [1] * 20, [5] * 8192, **row) == 0.0
