"""Helpers of the real-vLLM tests: eval_and_aggregate as a subprocess, the stored records of a run."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

NO_VLLM = "vllm not installed: run scripts/ci_vllm_cpu.sh for the real-vLLM tests"
# KV cache size on CPU in GiB: vLLM then neither reserves a share of all RAM nor runs a warm-up pass.
VLLM_CPU_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1"}
EVAL = (sys.executable, "-m", "evalkit.cli.main", "eval")
COUNTING_EVAL = (sys.executable, str(Path(__file__).with_name("count_requests.py")))
# One engine start on 2 busy cores takes 20-80 s; each run here generates well under a minute.
RUN_TIMEOUT = 600


def cli_env() -> dict[str, str]:
    return {**os.environ, **VLLM_CPU_ENV}


def eval_args(model: Path | str, output: Path, *args: str) -> list[str]:
    """eval_and_aggregate's arguments: the tests' small run (aime24, 4 samples, 48 tokens), then ``args``."""
    small = ("--data_names", "aime24", "--max_gen_tokens", "48", "--n_sampling", "4")
    return ["--model_path", str(model), "--output_path", str(output), "--model_tag", "run", *small, *args]


def run_eval(
    model: Path | str, output: Path, *args: str, command: tuple[str, ...] = EVAL
) -> subprocess.CompletedProcess[str]:
    """Run eval_and_aggregate to the end; fail with its output if it did not succeed."""
    done = subprocess.run(
        [*command, *eval_args(model, output, *args)],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done


def table(stdout: str) -> str:
    """The printed results table (its lines from the first border to the last; engine logs may follow)."""
    lines = stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("+-"))
    last = max(i for i, line in enumerate(lines) if line.startswith("+-"))
    return "\n".join(lines[first : last + 1])


def samples_path(output: Path, benchmark: str = "aime24") -> Path:
    return output / "run" / benchmark / "samples.jsonl"


def records(output: Path, benchmark: str = "aime24") -> dict[tuple[str, str, int], dict[str, Any]]:
    """Stored records by (problem id, kind, sample index)."""
    rows = [json.loads(line) for line in samples_path(output, benchmark).read_text().splitlines()]
    by_key = {(r["problem_id"], r["kind"], r["sample_index"]): r for r in rows}
    assert len(by_key) == len(rows), "a record is stored twice"
    return by_key


def generated(record: dict[str, Any]) -> tuple[str, int, str]:
    """What the engine produced for a record."""
    return record["response"], record["completion_tokens"], record["finish_reason"]


def table_row(stdout: str, dataset: str = "aime24") -> dict[str, str]:
    """One dataset's row of the printed table, by column name."""
    lines = [line for line in table(stdout).splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    header = cells[0]
    (row,) = (c for c in cells[1:] if c[0] == dataset)
    return dict(zip(header, row, strict=True))
