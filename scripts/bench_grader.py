#!/usr/bin/env python
r"""Grader speed benchmark on a run-shaped workload: evalkit's ``grade_many`` versus Math-Verify.

The workload has the shape of one sampled run: every problem of math_500, aime24 and amc23 (570) with
33 responses each (18,810). Each problem gets a handful of distinct answers -- the gold rewritten in
equivalent forms (``\dfrac`` for ``\frac``, ``0.5`` for ``\frac12``, reordered sums, an ``x =`` prefix,
thousands separators, ``\left( \right)``, ...), wrong answers (another problem's gold, an off-by-one,
a flipped fraction, a swapped pair) -- repeated across the 33 responses as in a real run, each inside
realistic response text (reasoning paragraphs, sometimes a ``<think>`` block or a self-correction, then
``\boxed{}``), plus responses with no answer, truncated responses and a few hostile ones.

Both graders run in this process. Math-Verify is slow, so by default it grades an evenly spaced subset
and its full time is extrapolated per response. Deterministic for a given ``--seed``.

    python scripts/bench_grader.py [--data_dir DIR] [--mv-subset 1000] [--workers N]
"""

import argparse
import json
import os
import random
import re
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

from evalkit.graders import grade_many

BENCHMARKS = ("math_500", "aime24", "amc23")
RESPONSES_PER_PROBLEM = 33
TARGET_RATIO = 20.0
TARGET_SECONDS = 20.0

SENTENCES = [
    "Let $x$ denote the unknown quantity, so the condition reads $x^2 + {a}x = {b}$.",
    "Substituting $n = {a}$ gives ${a} \\cdot {b} = {c}$, which we keep for later.",
    "By the Pythagorean theorem, $\\sqrt{{{a}^2 + {b}^2}}$ is the length of the hypotenuse.",
    "We can factor the expression as $(x - {a})(x + {b})$ and check each root.",
    "There are $\\binom{{{c}}}{{2}}$ ways to choose the pair, but we must subtract the {a} bad cases.",
    "Hmm, wait. Let me double-check the arithmetic: ${a} + {b} = {c}$, so that part is fine.",
    "Taking both sides modulo {a}, the remainder must be {b}.",
    "So the area is $\\frac{{1}}{{2}} \\cdot {a} \\cdot {b} = {c}$ square units.",
    "Alternatively, consider the generating function $\\sum_{{k=0}}^{{{a}}} x^k$.",
    "This means the ratio is $\\frac{{{a}}}{{{b}}}$, and simplifying we continue.",
]
HOSTILE = [
    "10^{10^{10^{10}}}",
    "100000!",
    "__import__('os').system('echo pwned')",
    "\\frac{1}{" * 200 + "2" + "}" * 200,
    "(x+1)^{100000}",
    "9" * 200_000,
]


def default_data_dir() -> Path:
    env = os.environ.get("EVALKIT_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def load_golds(data_dir: Path) -> list[tuple[str, str | int | float]]:
    """(benchmark, gold) for every problem, golds as stored in the files."""
    golds = []
    for name in BENCHMARKS:
        with open(data_dir / f"{name}.jsonl", encoding="utf-8") as f:
            golds += [(name, json.loads(line)["answer"]) for line in f if line.strip()]
    return golds


def as_text(gold: str | int | float) -> str:
    """The gold as an answer would write it (AMC's ``27.0`` as ``27``)."""
    return str(int(gold)) if isinstance(gold, float) and gold.is_integer() else str(gold).strip()


def _top_level_plus(text: str) -> int:
    """Index of the first '+' outside brackets (not the leading sign), or -1."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "+" and depth == 0 and i > 0:
            return i
    return -1


def equivalents(gold: str | int | float) -> list[str]:
    """The gold and differently written forms of it that a grader should accept."""
    g = as_text(gold)
    forms = {g, re.sub(r"(?<![A-Za-z])\s+|\s+(?![A-Za-z])", "", g)}
    if "\\frac" in g:
        forms.add(g.replace("\\frac", "\\dfrac"))
    if "\\dfrac" in g:
        forms.add(g.replace("\\dfrac", "\\frac"))
    if "\\left" in g:
        forms.add(re.sub(r"\\left|\\right", "", g))
    if re.fullmatch(r"\([^()]*\)", g):
        forms.add(f"\\left{g[:-1]} \\right)")
    if "pmatrix" in g:
        forms.add(g.replace("pmatrix", "bmatrix"))
    if m := re.fullmatch(r"(\d+)\^\\circ", g):
        forms |= {m[1], f"{m[1]}^{{\\circ}}"}
    if m := re.fullmatch(r"\\text\{\((\w)\)\}", g):
        forms |= {m[1], f"({m[1]})"}
    if m := re.fullmatch(r"\\text\{([A-Za-z]+)\}", g):
        forms.add(m[1])
    if m := re.fullmatch(r"(\d+)\s*\\sqrt\{?(\d+)\}?", g):
        forms.add(f"\\sqrt{{{int(m[1]) ** 2 * int(m[2])}}}")
    if "," in g and not re.search(r"[()\[\]{}]|\\!|,\s*\d{3}\b", g):
        forms.add(", ".join(reversed([x.strip() for x in g.split(",")])))
    if re.fullmatch(r"-?\d+", g):
        n = int(g)
        forms |= {str(n), f"x = {n}", f"{n}.0"}
        if abs(n) >= 1000:
            forms.add(f"{n:,}")
    if m := re.fullmatch(r"(-?)\\[dt]?frac\{?(\d+)\}?\{?(\d+)\}?", g):
        value = Fraction(int(m[2]), int(m[3])) * (-1 if m[1] else 1)
        forms |= {
            f"{value.numerator}/{value.denominator}",
            f"x = {g}",
            f"{m[1]}\\frac{{{2 * int(m[2])}}}{{{2 * int(m[3])}}}",
        }
        if len(m[2]) == len(m[3]) == 1:
            forms.add(f"{m[1]}\\frac{m[2]}{m[3]}")
        if 10**6 % value.denominator == 0:
            forms.add(str(float(value)))
    if re.fullmatch(r"-?\d*\.\d+", g):
        value = Fraction(g)
        forms.add(f"\\frac{{{value.numerator}}}{{{value.denominator}}}")
    plus = _top_level_plus(g)
    if plus > 0 and not re.search(r",|=|<|>|\\le|\\ge|\\cup|\\in|\\pm|\\begin|\\text", g):
        left, right = g[:plus].strip(), g[plus + 1 :].strip()
        forms.add(f"{right}{left}" if left.startswith("-") else f"{right} + {left}")
    return sorted(forms)


def wrongs(gold: str | int | float, others: list[str], rng: random.Random) -> list[str]:
    """Plausible wrong answers: another problem's gold and a perturbation of this one."""
    g = as_text(gold)
    out = [rng.choice([o for o in others if o != g] or ["0"])]
    if re.fullmatch(r"-?\d+", g):
        out.append(str(int(g) + rng.choice([-1, 1, 10])))
    elif m := re.fullmatch(r"(-?)\\[dt]?frac\{?(\d+)\}?\{?(\d+)\}?", g):
        out.append(f"{m[1]}\\frac{{{m[3]}}}{{{m[2]}}}" if m[2] != m[3] else "2")
    elif m := re.fullmatch(r"\(([^(),]+),([^(),]+)\)", g):
        out.append(f"({m[2]},{m[1]})" if m[1].strip() != m[2].strip() else f"({m[1]},{m[2]}+1)")
    else:
        out.append(f"{g} + 1")
    return out


def reasoning(rng: random.Random, paragraphs: int) -> str:
    def sentence() -> str:
        a, b = rng.randint(2, 40), rng.randint(2, 40)
        return rng.choice(SENTENCES).format(a=a, b=b, c=a * b)

    return "\n\n".join(" ".join(sentence() for _ in range(rng.randint(3, 6))) for _ in range(paragraphs))


def wrap(answer: str, rng: random.Random, decoy: str) -> str:
    """A realistic response ending in ``\\boxed{answer}``."""
    body = reasoning(rng, rng.randint(3, 10))
    style = rng.random()
    if style < 0.35:
        return f"<think>\n{body}\n</think>\n\nPutting it together, the final answer is $\\boxed{{{answer}}}$."
    if style < 0.5:
        return (
            f"{body}\n\nSo far this gives $\\boxed{{{decoy}}}$. Wait, that contradicts the constraint; "
            f"redoing the last step carefully, the answer is $\\boxed{{{answer}}}$."
        )
    if style < 0.75:
        return f"{body}\n\n**Final Answer**\n\\[\n\\boxed{{{answer}}}\n\\]"
    return f"{body}\n\nTherefore, the answer is $\\boxed{{{answer}}}$."


def build_workload(
    golds: list[tuple[str, str | int | float]], seed: int, per_problem: int = RESPONSES_PER_PROBLEM
) -> list[tuple[str, str | int | float, str]]:
    """``per_problem`` (response, gold, kind) triples per problem; kind is the intended outcome class."""
    rng = random.Random(seed)
    by_benchmark: dict[str, list[str]] = {}
    for name, gold in golds:
        by_benchmark.setdefault(name, []).append(as_text(gold))
    hostile_at = dict(zip(rng.sample(range(len(golds)), len(HOSTILE)), HOSTILE, strict=True))
    items = []
    for index, (name, gold) in enumerate(golds):
        forms = equivalents(gold)
        right = rng.sample(forms, min(len(forms), rng.randint(1, 3)))
        wrong = wrongs(gold, by_benchmark[name], rng)
        for slot in range(per_problem):
            roll = rng.random()
            if index in hostile_at and slot == 0:
                items.append((wrap(hostile_at[index], rng, wrong[0]), gold, "hostile"))
            elif roll < 0.55:
                items.append((wrap(rng.choice(right), rng, rng.choice(wrong)), gold, "equivalent"))
            elif roll < 0.85:
                items.append((wrap(rng.choice(wrong), rng, rng.choice(right)), gold, "wrong"))
            elif roll < 0.93:
                items.append(
                    (reasoning(rng, rng.randint(2, 8)) + "\n\nI am not able to finish this.", gold, "missing")
                )
            else:
                full = wrap(rng.choice(right), rng, rng.choice(wrong))
                items.append((full[: rng.randint(len(full) // 3, len(full) - 12)], gold, "truncated"))
    return items


def math_verify_grade(items: list[tuple[str, str | int | float, str]]) -> list[bool]:
    """Math-Verify's verdicts (gold parsed once per distinct gold)."""
    from math_verify import parse, verify

    gold_cache: dict[str, object] = {}
    out = []
    for response, gold, _ in items:
        key = str(gold)
        if key not in gold_cache:
            gold_cache[key] = parse(f"${key}$")
        out.append(bool(verify(gold_cache[key], parse(response))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_dir", type=Path, default=None, help="benchmark JSONL folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mv-subset",
        type=int,
        default=2000,
        help="about this many responses graded by Math-Verify: every k-th problem with all "
        "its responses (0 = all)",
    )
    parser.add_argument("--workers", type=int, default=None, help="evalkit grading processes (default: all)")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()

    items = build_workload(load_golds(args.data_dir or default_data_dir()), args.seed)
    n = len(items)
    print(
        f"workload: {n} responses ({n // RESPONSES_PER_PROBLEM} problems x {RESPONSES_PER_PROBLEM}), "
        f"{len({r for r, _, _ in items})} distinct texts; kinds {dict(Counter(k for _, _, k in items))}; "
        f"{os.cpu_count()} cores"
    )

    start = time.perf_counter()
    verdicts = grade_many([(r, g) for r, g, _ in items], workers=args.workers, timeout=args.timeout)
    evalkit_s = time.perf_counter() - start
    evalkit_rate = n / evalkit_s
    for kind in ("equivalent", "wrong", "missing", "truncated", "hostile"):
        marked = [v.correct for v, (_, _, k) in zip(verdicts, items, strict=True) if k == kind]
        print(f"  evalkit marks {sum(marked)}/{len(marked)} '{kind}' responses correct")
    print(f"evalkit: {n} responses in {evalkit_s:.2f} s = {evalkit_rate:,.0f} responses/s")

    # Whole problems (all their responses), so Math-Verify's per-gold parse is amortised as in a full run.
    problems = n // RESPONSES_PER_PROBLEM
    step = max(1, n // args.mv_subset) if args.mv_subset else 1
    subset = [
        p * RESPONSES_PER_PROBLEM + j for p in range(0, problems, step) for j in range(RESPONSES_PER_PROBLEM)
    ]
    start = time.perf_counter()
    mv = math_verify_grade([items[i] for i in subset])
    mv_s = time.perf_counter() - start
    mv_rate = len(subset) / mv_s
    scope = "all" if len(subset) == n else f"every {step}th problem, extrapolated"
    print(
        f"math-verify: {len(subset)} responses in {mv_s:.2f} s = {mv_rate:,.1f} responses/s "
        f"({scope}: {n / mv_rate:,.0f} s for all {n})"
    )

    agree = sum(verdicts[i].correct == m for i, m in zip(subset, mv, strict=True))
    print(f"agreement with math-verify on those {len(subset)}: {100 * agree / len(subset):.1f}%")
    disagreements = Counter(
        (items[i][2], verdicts[i].correct)
        for i, m in zip(subset, mv, strict=True)
        if verdicts[i].correct != m
    )
    for (kind, ours), count in sorted(disagreements.items()):
        print(f"  {count} '{kind}' responses: evalkit {'correct' if ours else 'wrong'}, math-verify not")
    examples = [i for i, m in zip(subset, mv, strict=True) if verdicts[i].correct != m][:5]
    for i in examples:
        print(
            f"    e.g. evalkit pred {verdicts[i].pred!r} vs gold {verdicts[i].gold!r}: {verdicts[i].reason}"
        )
    ratio = evalkit_rate / mv_rate
    print(
        f"speed-up: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'})"
    )
    print(
        f"evalkit total: {evalkit_s:.2f} s for {n} "
        f"(target < {TARGET_SECONDS:.0f} s: {'met' if evalkit_s < TARGET_SECONDS else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
