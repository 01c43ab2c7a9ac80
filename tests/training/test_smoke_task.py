"""The smoke run's task: balanced sums, and an evaluation that a constant answer cannot pass for learning."""

from collections import Counter

import pytest

from evalkit.graders import ExtractionPolicy
from evalkit.training.rewards import trl_reward
from evalkit.training.smoke import (
    SMOKE_PROMPT,
    balanced_sums,
    best_constant,
    evaluate,
    problem_weights,
    sum_problems,
    toy_sums,
)

REWARD = trl_reward("answer", policy=ExtractionPolicy(last_number_fallback=True))


def answer_with(rule):  # a stand-in for a model: one completion a prompt, computed from the problem
    def complete(prompts: list[str]) -> list[list[str]]:
        out = []
        for prompt in prompts:
            a, b = (int(x) for x in prompt.rsplit(" ", 1)[1].split("+"))
            out.append([rule(a, b)])
        return out

    return complete


def test_the_old_toy_sums_reward_a_constant_answer() -> None:
    """Why the task changed: on toy_sums of 0 and 1, answering "1" to everything is right half the time."""
    answers = Counter(row["answer"] for row in toy_sums(4000, max_operand=1))
    assert answers.most_common(1)[0][0] == "1" and answers["1"] / 4000 == pytest.approx(0.5, abs=0.03)


def test_balanced_sums_make_every_answer_equally_likely() -> None:
    problems = sum_problems(2)
    rows = balanced_sums(5000, problems, seed=1)
    shares = {k: v / 5000 for k, v in Counter(r["answer"] for r in rows).items()}
    assert set(shares) == {"0", "1", "2", "3", "4"} and all(abs(s - 0.2) < 0.03 for s in shares.values())
    assert rows[0]["prompt"] == SMOKE_PROMPT.format(a=rows[0]["prompt"][-3], b=rows[0]["prompt"][-1])
    assert sum(problem_weights(problems).values()) == pytest.approx(1.0)
    assert best_constant(problems) == ("0", pytest.approx(0.2))
    assert best_constant(sum_problems(1)) == ("0", pytest.approx(1 / 3))


def test_a_constant_answer_does_not_pass_for_learning() -> None:
    problems = sum_problems(1)
    constant = evaluate(answer_with(lambda a, b: "1"), problems, REWARD)
    assert constant.accuracy == pytest.approx(constant.constant_accuracy) == pytest.approx(1 / 3)
    assert not constant.beats_constant and constant.distinct_answers == 1
    assert constant.answers == {"0+0": "1", "0+1": "1", "1+0": "1", "1+1": "1"}
    copy_last = evaluate(
        answer_with(lambda a, b: str(b)), problems, REWARD
    )  # the random model's greedy habit
    assert copy_last.accuracy == pytest.approx(0.5) and copy_last.beats_constant
    learned = evaluate(answer_with(lambda a, b: f" {a + b}"), problems, REWARD)
    assert learned.accuracy == pytest.approx(1.0) and learned.distinct_answers == 3
    silent = evaluate(answer_with(lambda a, b: "\n"), problems, REWARD)
    assert silent.accuracy == 0 and silent.answers["1+1"] == "" and "1+1->?" in silent.line()


def test_sampled_completions_are_averaged_per_problem() -> None:
    def half_right(prompts: list[str]) -> list[list[str]]:
        return [[p.rsplit(" ", 1)[1].replace("+", " + ") + " = " + str(eval_sum(p)), "7"] for p in prompts]

    def eval_sum(prompt: str) -> int:
        a, b = prompt.rsplit(" ", 1)[1].split("+")
        return int(a) + int(b)

    result = evaluate(half_right, sum_problems(1), REWARD)
    assert result.samples == 2 and result.accuracy == pytest.approx(0.5)
    assert "sampled (2 a problem) accuracy 0.500" in result.line()
