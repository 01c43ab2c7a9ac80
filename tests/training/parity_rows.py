"""One table of responses that every reward adapter and evaluation must grade alike.

Each row is (prompt, response, gold, finish_reason): what a sampler or a trainer's rollout produced.
:func:`context_of` and :func:`run_policy` are how evaluation describes a stored sample (the finish
reason of its completion, the prompt its template rendered); ``tests/training/test_reward_parity.py``
grades every row through every adapter and through :func:`evalkit.graders.grade_many` with those,
and the run layer's tests may grade the same rows through ``run_benchmark``. ``expected`` is the
verdict all of them must give.
"""

from dataclasses import dataclass, replace

from evalkit.benchmarks.templates import prompt_opens_think
from evalkit.graders import ExtractionPolicy, ResponseContext

R1 = "<｜begin▁of▁sentence｜><｜User｜>{q} Please reason step by step, and put your final answer within \\boxed{{}}.<｜Assistant｜><think>\n"
QWEN = "<|im_start|>user\n{q}\nPlease put your final answer within \\boxed{{}}.<|im_end|>\n<|im_start|>assistant\n"
EOS_TEXT = "<|im_end|>"  # what a stopped completion ends with when decoded with its special tokens
DEEPSEEK_EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"  # the guide's models' EOS (DeepSeek-R1-Distill-Qwen)
EOS_ID = 7  # its token id, in the token ids the tests make up
LOOP = "The final answer is \\boxed{7}. " * 40


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    prompt: str
    response: str
    gold: str
    finish_reason: str  # "stop" (ended by EOS or a stop string) or "length" (the token limit)
    expected: bool


def _r1(q: str) -> str:
    return R1.format(q=q)


def _qwen(q: str) -> str:
    return QWEN.format(q=q)


ROWS = [
    Row(
        "r1-finished",
        _r1("What is 2+3?"),
        "2+3=5.\n</think>\n\nSo the answer is $\\boxed{5}$.",
        "5",
        "stop",
        True,
    ),
    Row(
        "r1-finished-wrong",
        _r1("What is 2+3?"),
        "2+3=6.\n</think>\n\nThe answer is $\\boxed{6}$.",
        "5",
        "stop",
        False,
    ),
    Row(
        "r1-cut-inside-reasoning",
        _r1("What is 2+3?"),
        "Maybe the answer is \\boxed{5}. Hmm, wait, let me check whether the",
        "5",
        "length",
        False,
    ),
    Row("r1-never-closed-reasoning", _r1("What is 2+3?"), "So it is \\boxed{5}.", "5", "stop", False),
    Row(  # issue 21: "The answer is 7.<｜end▁of▁sentence｜>" must read as "The answer is 7."
        "r1-phrase-after-reasoning",
        _r1("What is 3+4?"),
        "3+4=7.\n</think>\n\nThe answer is 7.",
        "7",
        "stop",
        True,
    ),
    Row(
        "r1-box-at-end-of-thinking-summary-cut",
        _r1("Solve x+2=9."),
        "x = 9 - 2 = 7.\n\n**Final Answer**\n\\boxed{7}\n</think>\n\nTo solve, we subtract 2 from both sides: x =",
        "7",
        "length",
        True,
    ),
    Row(
        "r1-looping-boxed-answer",
        _r1("Solve x+2=9."),
        "x=7.</think>\n\n" + LOOP + "The final",
        "7",
        "length",
        True,
    ),
    Row(
        "plain-looping-boxed-answer",
        _qwen("Solve x+2=9."),
        LOOP + "The final answer is \\boxed{",
        "7",
        "length",
        True,
    ),
    Row("conclusion-finished", _qwen("What is the total?"), "So the total is 5.", "5", "stop", True),
    Row("conclusion-cut-off", _qwen("What is the total?"), "So the total is 5 and the", "5", "length", False),
    Row("conclusion-cut-off-2", _qwen("Find x."), "We have x = 12 but", "12", "length", False),
    Row("equation-finished", _qwen("What is 3+4?"), "3 + 4 = 7", "7", "stop", True),
    Row("equation-cut-off", _qwen("What is 3+4?"), "3 + 4 = 7", "7", "length", False),
    Row("phrase-finished", _qwen("What is 3*4?"), "3*4 = 12. The final answer is 12", "12", "stop", True),
    Row(
        "phrase-cut-mid-value", _qwen("What is 3*4?"), "3*4 = 12. The final answer is 1", "1", "length", False
    ),
    Row(
        "phrase-before-the-cut",
        _qwen("What is 3*4?"),
        "The final answer is 12.\nLet me double-check: 3*4 = 12, and",
        "12",
        "length",
        True,
    ),
    Row(
        "json-field-cut-off", _qwen("What is 3*4?"), '{"reasoning": "3*4", "answer": 1', "1", "length", False
    ),
    Row(
        "box-cut-off",
        _qwen("What is 3*4?"),
        "3*4 = 12, so \\boxed{12}. Checking: 12 / 4 = 3, and",
        "12",
        "length",
        True,
    ),
]


def context_of(row: Row) -> ResponseContext:
    """The context evaluation gives a stored sample: its finish reason and its prompt."""
    return ResponseContext(
        truncated=row.finish_reason == "length", prompt_opens_think=prompt_opens_think(row.prompt)
    )


def run_policy(row: Row, base: ExtractionPolicy | None = None) -> ExtractionPolicy:
    """The policy a run of this row's template records: ``require_think_end`` when the template opens
    ``<think>`` (a benchmark may also turn the last-number fallback off; these rows need it on)."""
    return replace(base or ExtractionPolicy(), require_think_end=prompt_opens_think(row.prompt))
