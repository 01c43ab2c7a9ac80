"""Every reward adapter, called as its trainer calls it, gives evaluation's verdict on every row of
``parity_rows.ROWS``: the same response, the same facts (prompt, finish reason), the same verdict."""

from collections.abc import Callable

import pytest

from evalkit.graders import ExtractionPolicy, grade_many
from evalkit.training import rewards, rewards_strict
from tests.training.parity_rows import DEEPSEEK_EOS, EOS_ID, EOS_TEXT, ROWS, Row, context_of, run_policy

POLICIES = {"default": (rewards, None), "strict": (rewards_strict, ExtractionPolicy.strict())}


def _ids(row: Row) -> list[int]:
    """Made-up completion token ids: ending in the EOS id unless the completion hit the limit."""
    return [11, 12, 13] + ([EOS_ID] if row.finish_reason == "stop" else [14])


def _text(row: Row, eos: str = EOS_TEXT) -> str:
    """The completion decoded with its special tokens (AReaL 1.0, OpenRLHF)."""
    return row.response + (eos if row.finish_reason == "stop" else "")


def areal(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    reward = rewards.AReaLReward(policy=module.areal_reward_fn.policy, eos_token_id=EOS_ID)
    return reward(row.prompt, _text(row), [1, 2], _ids(row), answer=row.gold, query_id="q") == 1.0


def areal_by_text(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    reward = rewards.AReaLReward(policy=module.areal_reward_fn.policy, eos_token=EOS_TEXT)
    return reward(row.prompt, _text(row), [1, 2], _ids(row), answer=row.gold) == 1.0


def areal_by_name_on_boba_rows(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    """``reward_fn="evalkit.training.rewards.areal_reward_fn"``, no options: a boba row (with its own ``prompt``
    column and a ``solutions`` list) and DeepSeek's EOS in the text."""
    boba = {"prompt": row.prompt, "solutions": [row.gold], "query_id": row.name}
    return module.areal_reward_fn(row.prompt, _text(row, DEEPSEEK_EOS), [1, 2], [11, 12], **boba) == 1.0


def areal_v02(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    truncated = row.finish_reason == "length"
    return module.areal_v02_reward(row.response, [row.gold], prompt=row.prompt, truncated=truncated) > 0


def verl(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    extra_info = {"index": 0, "prompt": row.prompt, "finish_reason": row.finish_reason}
    out = module.compute_score(
        data_source="math", solution_str=row.response, ground_truth=row.gold, extra_info=extra_info
    )
    return out["score"] == 1.0


def openrlhf(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    out = module.reward_func([row.prompt + _text(row)], [row.prompt], [row.gold], eos_token=EOS_TEXT)
    return out["rewards"].tolist() == [1.0]


def openrlhf_default_deepseek(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    """The file as OpenRLHF loads it, no options, a DeepSeek model, ``--data.label_key solutions``."""
    out = module.reward_func([row.prompt + _text(row, DEEPSEEK_EOS)], [row.prompt], [[row.gold]])
    return out["rewards"].tolist() == [1.0]


def trl(module, row: Row) -> bool:  # type: ignore[no-untyped-def]
    reward = rewards.TRLReward(policy=module.trl_reward_fn.policy, eos_token_id=EOS_ID)
    completion = [{"role": "assistant", "content": row.response}]
    return reward(
        prompts=[row.prompt], completions=[completion], completion_ids=[_ids(row)], answer=[row.gold]
    ) == [1.0]


ADAPTERS: dict[str, Callable[..., bool]] = {
    "areal": areal,
    "areal-eos-text": areal_by_text,
    "areal-by-name-boba-deepseek": areal_by_name_on_boba_rows,
    "areal-v0.2": areal_v02,
    "verl": verl,
    "openrlhf": openrlhf,
    "openrlhf-default-deepseek": openrlhf_default_deepseek,
    "trl": trl,
}


def evaluation(row: Row, base: ExtractionPolicy | None) -> bool:
    """The verdict evaluation stores: ``grade_many`` with the run's policy and the sample's context."""
    return grade_many([(row.response, row.gold)], policy=run_policy(row, base), contexts=[context_of(row)])[
        0
    ].correct


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_evaluation_gives_each_rows_expected_verdict(row: Row) -> None:
    assert evaluation(row, None) is row.expected


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_every_adapter_agrees_with_evaluation_on_every_row(adapter: str, policy: str) -> None:
    module, base = POLICIES[policy]
    got = {row.name: ADAPTERS[adapter](module, row) for row in ROWS}
    want = {row.name: evaluation(row, base) for row in ROWS}
    assert got == want


def test_run_benchmark_stores_each_rows_expected_verdict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The run layer's leg: each row sampled through ``run_benchmark`` (its prompt rendered by a template,
    its finish reason from the sampler) and stored, then re-graded from the store: the table's verdicts."""
    import json
    from dataclasses import replace as dc_replace
    from pathlib import Path

    from evalkit.benchmarks.loading import Benchmark, BenchmarkSpec, Problem
    from evalkit.benchmarks.templates import PromptTemplate
    from evalkit.run.config import RunConfig
    from evalkit.run.regrade import regrade
    from evalkit.run.runner import run_benchmark
    from evalkit.sampling.base import Completion

    class RowSampler:
        name = "rows"

        def __init__(self, rows: list[Row]) -> None:
            self.by_prompt = {row.prompt + row.name: row for row in rows}

        def describe(self) -> dict[str, object]:
            return {"backend": self.name}

        def stream(self, jobs, *, max_in_flight=None):  # type: ignore[no-untyped-def]
            for job in jobs:
                row = self.by_prompt[job.prompt]
                yield job.id, Completion(row.response, 5, row.finish_reason, job.seed)

    verbatim = PromptTemplate(name="verbatim", input_template="{input}")
    for think in (True, False):  # a run's prompts all open <think>, or none does
        rows = [row for row in ROWS if context_of(row).prompt_opens_think is think]
        problems = tuple(Problem(row.name, row.prompt + row.name, row.gold) for row in rows)
        spec = BenchmarkSpec(name="rows", file="rows.jsonl")
        bench = Benchmark(spec=dc_replace(spec, last_number_fallback=True), problems=problems,
                          path=Path("rows.jsonl"), sha256="0" * 64)  # fmt: skip
        run_dir = tmp_path / str(think)
        config = RunConfig(n_sampling=1)
        records = run_benchmark(bench, verbatim, RowSampler(rows), run_dir, config, progress=False)
        assert json.loads((run_dir / "manifest.json").read_text())["grader"]["require_think_end"] is think
        greedy = {r.problem_id: r.correct for r in records if r.kind == "greedy"}
        assert greedy == {row.name: row.expected for row in rows}
        _, regraded = regrade(run_dir)
        assert {r.problem_id: r.correct for r in regraded if r.kind == "greedy"} == greedy
