"""AReaL's seed layout on the real engine: evalkit's records equal, response for response, what vLLM gives when
called as AReaL's math_eval.py calls it (areal_reference.py: a fresh engine per run, one request of M samples
per problem seeded with the run's seed, one generate call per benchmark)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from real_vllm import NO_VLLM, RUN_TIMEOUT, cli_env, records, run_eval

pytest.importorskip("vllm", reason=NO_VLLM)

from evalkit.benchmarks.loading import load_benchmark

pytestmark = pytest.mark.vllm

NAMES, PROMPT_TYPE, RUNS, PER_RUN, MAX_TOKENS = ("aime24", "amc23"), "qwen-boxed", 2, 2, 48
TEMPERATURE, TOP_P = 0.6, 0.95  # evalkit's defaults, passed to the reference as AReaL's flags
REFERENCE = Path(__file__).with_name("areal_reference.py")


def _reference(model: Path, data_dir: Path, seed: int, out: Path) -> dict[str, list[list[str]]]:
    """One AReaL run (seed 0: the greedy one) in a process of its own, as AReaL's shell scripts start them."""
    greedy = seed == 0
    args = [
        str(model),
        str(data_dir),
        ",".join(NAMES),
        PROMPT_TYPE,
        str(seed),
        "1" if greedy else str(PER_RUN),
    ]
    args += [str(MAX_TOKENS), "0" if greedy else str(TEMPERATURE), "1" if greedy else str(TOP_P), str(out)]
    done = subprocess.run(
        [sys.executable, str(REFERENCE), *args],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def test_areal_seed_layout_draws_areals_samples_record_for_record(
    vllm_model_dir: Path, data_dir: Path, tmp_path: Path
) -> None:
    output = tmp_path / "evalkit"
    run_eval(
        vllm_model_dir,
        output,
        *("--backend", "vllm", "--data_names", ",".join(NAMES), "--prompt_type", PROMPT_TYPE),
        *("--max_gen_tokens", str(MAX_TOKENS), "--seed_layout", "areal"),
        *("--num_sample_nodes", str(RUNS), "--samples_per_node", str(PER_RUN)),
    )
    reference = {
        seed: _reference(vllm_model_dir, data_dir, seed, tmp_path / f"{seed}.json")
        for seed in range(RUNS + 1)
    }
    compared = 0
    for name in NAMES:
        manifest = json.loads((output / "run" / name / "manifest.json").read_text())
        assert manifest["sampling"]["seed_layout"] == "areal"
        assert manifest["sampling"]["samples_per_seed"] == PER_RUN
        stored = records(output, name)
        order = [p.id for p in load_benchmark(name, data_dir=data_dir).problems]
        assert len(order) == len(reference[0][name])
        for p, pid in enumerate(order):
            assert stored[(pid, "greedy", 0)]["response"].rstrip() == reference[0][name][p][0], (name, pid)
            for i in range(RUNS * PER_RUN):
                run, j = divmod(i, PER_RUN)
                record = stored[(pid, "sample", i)]
                assert record["seed"] == run + 1 + j  # vLLM seeds child j of a request seeded s with s + j
                assert record["response"].rstrip() == reference[run + 1][name][p][j], (name, pid, i)
                compared += 1
    assert compared == RUNS * PER_RUN * sum(len(reference[0][n]) for n in NAMES)
