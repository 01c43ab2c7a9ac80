"""eval_and_aggregate --backend vllm through the real vLLM engine (CPU is enough): end to end, kill -9 and
resume, growing and shrinking a run. Run by scripts/ci_vllm_cpu.sh; skipped where vllm is not installed."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from real_vllm import (
    COUNTING_EVAL,
    EVAL,
    NO_VLLM,
    RUN_TIMEOUT,
    cli_env,
    eval_args,
    generated,
    records,
    run_eval,
    samples_path,
    table,
    table_row,
)

vllm = pytest.importorskip("vllm", reason=NO_VLLM)

from evalkit.benchmarks.templates import load_template  # noqa: E402
from evalkit.sampling.base import derive_seed  # noqa: E402

pytestmark = pytest.mark.vllm

PROBLEMS, SAMPLES, MAX_TOKENS = 30, 4, 48  # aime24 with eval_args' small run


@pytest.fixture(scope="module")
def first_run(
    vllm_model_dir: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """One uninterrupted run: its output directory and what it printed."""
    output = tmp_path_factory.mktemp("first_run")
    return output, run_eval(vllm_model_dir, output, "--backend", "vllm").stdout


def _requests(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_end_to_end_run_stores_every_completion_and_prints_its_table(first_run: tuple[Path, str]) -> None:
    output, stdout = first_run
    stored = records(output)
    problem_ids = {pid for pid, kind, _ in stored if kind == "greedy"}
    assert len(problem_ids) == PROBLEMS
    assert set(stored) == {(p, "greedy", 0) for p in problem_ids} | {
        (p, "sample", i) for p in problem_ids for i in range(SAMPLES)
    }
    tokens = [r["completion_tokens"] for r in stored.values()]
    assert all(1 <= t <= MAX_TOKENS for t in tokens)
    assert all(r["finish_reason"] == "stop" for r in stored.values() if r["completion_tokens"] < MAX_TOKENS)
    assert {r["finish_reason"] for r in stored.values()} == {"stop", "length"}  # EOS and the cap both seen
    samples = [r for r in stored.values() if r["kind"] == "sample"]
    assert len({r["seed"] for r in samples}) == len(samples)
    assert len({r["response"] for r in samples}) > len(samples) // 2  # seeds draw different samples
    manifest = json.loads((output / "run" / "aime24" / "manifest.json").read_text())
    assert manifest["backend"]["backend"] == "vllm"
    assert manifest["backend"]["vllm_version"] == vllm.__version__
    row = table_row(stdout)
    greedy = [r["completion_tokens"] for r in stored.values() if r["kind"] == "greedy"]
    assert row["num_questions"] == str(PROBLEMS)
    assert float(row["greedy_length"]) == round(sum(greedy) / len(greedy), 1)
    assert float(row["sample_length"]) == round(
        sum(r["completion_tokens"] for r in samples) / len(samples), 1
    )


def test_kill_9_mid_run_then_resume_gives_the_same_run(
    first_run: tuple[Path, str], vllm_model_dir: Path, tmp_path: Path
) -> None:
    first_output, first_stdout = first_run
    output = tmp_path / "killed"
    path = samples_path(output)
    with open(tmp_path / "killed.log", "w") as log:
        process = subprocess.Popen(
            [*EVAL, *eval_args(vllm_model_dir, output, "--backend", "vllm")],
            env=cli_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the engine's processes share its group: kill them all at once
        )
        try:
            deadline = time.monotonic() + RUN_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if path.exists() and path.read_text().count("\n") >= 1:  # the first batch is stored
                    break
                time.sleep(0.005)
            alive = process.poll() is None
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert alive, (
        "the run ended before it could be killed: give it more work\n"
        + (tmp_path / "killed.log").read_text()[-3000:]
    )
    kept = [line for line in path.read_text().split("\n")[:-1]]  # whole lines; a cut last one is dropped
    assert 1 <= len(kept) < PROBLEMS * (1 + SAMPLES), "killed after the whole run was stored"

    log = tmp_path / "requests.jsonl"
    resumed = run_eval(vllm_model_dir, output, "--backend", "vllm", command=(*COUNTING_EVAL, str(log)))
    assert len(_requests(log)) == PROBLEMS * (1 + SAMPLES) - len(kept)  # only what was lost
    assert path.read_text().split("\n")[: len(kept)] == kept
    assert table(resumed.stdout) == table(first_stdout)
    first, now = records(first_output), records(output)
    assert sorted(now) == sorted(first)
    assert {k: generated(r) for k, r in now.items()} == {k: generated(r) for k, r in first.items()}


def test_raising_n_sampling_generates_only_the_missing_samples(
    first_run: tuple[Path, str], vllm_model_dir: Path, tmp_path: Path
) -> None:
    first_output, _ = first_run
    output = tmp_path / "grown"
    shutil.copytree(first_output, output)
    before = samples_path(output).read_text()
    problem_ids = sorted({pid for pid, kind, _ in records(output) if kind == "greedy"})

    log = tmp_path / "requests.jsonl"
    grown = run_eval(
        vllm_model_dir, output, "--backend", "vllm", "--n_sampling", "8", command=(*COUNTING_EVAL, str(log))
    )
    requests = _requests(log)
    assert len(requests) == PROBLEMS * 4  # exactly the 4 missing samples per problem, no greedy run
    assert sorted(r["seed"] for r in requests) == sorted(
        derive_seed(0, p, i) for p in range(PROBLEMS) for i in range(SAMPLES, 2 * SAMPLES)
    )
    after = samples_path(output).read_text()
    assert after.startswith(before)  # every stored sample kept as it was
    stored = records(output)
    assert sorted(stored) == sorted(
        [(pid, "greedy", 0) for pid in problem_ids]
        + [(pid, "sample", i) for pid in problem_ids for i in range(2 * SAMPLES)]
    )
    assert table_row(grown.stdout)["pass@8"] != "-"

    # Lowering it uses a prefix of the stored samples: nothing is generated.
    log.unlink()
    shrunk = run_eval(
        vllm_model_dir, output, "--backend", "vllm", "--n_sampling", "2", command=(*COUNTING_EVAL, str(log))
    )
    assert _requests(log) == []
    prefix = [
        r["completion_tokens"] for r in stored.values() if r["kind"] == "sample" and r["sample_index"] < 2
    ]
    assert float(table_row(shrunk.stdout)["sample_length"]) == round(sum(prefix) / len(prefix), 1)
    assert samples_path(output).read_text() == after


def _common_piece(responses: list[str]) -> str:
    """A two-character string inside many responses (not at their start), to stop on."""
    counts: dict[str, int] = {}
    for text in responses:
        for piece in {text[i : i + 2] for i in range(1, len(text) - 1)}:
            if piece.strip() == piece and piece.isprintable() and "\ufffd" not in piece:
                counts[piece] = counts.get(piece, 0) + 1
    return max(counts, key=counts.__getitem__)


def test_stop_strings_of_the_template_end_completions(
    first_run: tuple[Path, str], vllm_model_dir: Path, tmp_path: Path
) -> None:
    """The default template with one more stop string: each completion is the unstopped one cut before it."""
    first_output, _ = first_run
    first = records(first_output)
    stop = _common_piece([r["response"] for r in first.values()])
    template = load_template("r1-distilled-qwen")
    path = tmp_path / "stopping.toml"
    path.write_text(
        f"input_template = {json.dumps(template.input_template)}\nstop = {json.dumps([*template.stop, stop])}\n"
    )
    log = tmp_path / "requests.jsonl"
    run_eval(
        vllm_model_dir,
        tmp_path / "out",
        "--backend",
        "vllm",
        "--prompt_type",
        str(path),
        command=(*COUNTING_EVAL, str(log)),
    )
    assert all(stop in r["stop"] for r in _requests(log))
    now = records(tmp_path / "out")
    assert sorted(now) == sorted(first)
    cut = 0
    for key, record in now.items():
        unstopped = first[key]["response"]
        assert stop not in record["response"]
        assert record["response"] == unstopped.split(stop)[0]
        if stop in unstopped:
            cut += 1
            assert record["finish_reason"] == "stop"
            assert record["completion_tokens"] <= first[key]["completion_tokens"]
    assert cut >= 10, f"only {cut} completions contained {stop!r}"
