"""eval_and_aggregate end to end on CPU (tiny model, transformers backend), and its user errors."""

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from scripted import AskedSampler, ScriptedSampler, table_row
from transformers import AutoTokenizer

import evalkit.sampling.factory as factory
from evalkit.benchmarks.loading import load_benchmark
from evalkit.benchmarks.templates import load_template
from evalkit.cli.eval_and_aggregate import main
from evalkit.reporting.metrics import pass_at_k
from evalkit.run.store import RunStore, model_tag, read_records
from evalkit.sampling.base import Job

TABLE_HEADER = "| dataset | num_questions | greedy_length | sample_length | greedy_acc | sample_pass@1 | pass@8 | pass@16 |"


@pytest.fixture(scope="module")
def run_args(tiny_model_dir: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("evals")
    return [
        "--backend", "transformers", "--model_path", str(tiny_model_dir), "--output_path", str(out),
        "--data_dir", str(data_dir), "--data_names", "aime24", "--n_sampling", "2", "--max_gen_tokens", "8",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def first_run(run_args: list[str]) -> str:
    """stdout of the first (sampling) run; module-scoped, so captured without capsys."""
    stdout = io.StringIO()
    with redirect_stdout(stdout):
        assert main(run_args) == 0
    return stdout.getvalue()


def run_dir(run_args: list[str]) -> Path:
    model, output = (
        run_args[run_args.index("--model_path") + 1],
        run_args[run_args.index("--output_path") + 1],
    )
    return Path(output) / model_tag(model) / "aime24"


def test_first_run_prints_areal_table_matching_stored_verdicts(first_run: str, run_args: list[str]) -> None:
    assert TABLE_HEADER in first_run
    records = read_records(run_dir(run_args) / "samples.jsonl")
    greedy = [r for r in records if r.kind == "greedy"]
    samples = [r for r in records if r.kind == "sample"]
    assert len(greedy) == 30 and len(samples) == 60
    by_problem: dict[str, list[bool]] = {}
    for r in samples:
        by_problem.setdefault(r.problem_id, []).append(r.correct)
    expected = [
        "aime24",
        "30",
        str(round(float(np.mean([r.completion_tokens for r in greedy])), 1)),
        str(round(float(np.mean([r.completion_tokens for r in samples])), 1)),
        str(round(100 * float(np.mean([r.correct for r in greedy])), 1)),
        str(round(100 * float(np.mean([pass_at_k(2, sum(v), 1) for v in by_problem.values()])), 1)),
        "-",  # pass@8 needs n >= 8
        "-",
    ]
    assert table_row(first_run, "aime24") == expected


def test_aggregate_json_has_extra_metrics_and_fingerprint(first_run: str, run_args: list[str]) -> None:
    path = run_dir(run_args).parent / "aggregate_parallel_r1-distilled-qwen_0.6_0.95_-1.json"
    result = json.loads(path.read_text())["aime24"]
    assert list(result)[:5] == [
        "num_questions",
        "greedy_length",
        "sample_length",
        "greedy_acc",
        "sample_pass@1",
    ]
    assert result["num_questions"] == 30
    for key in (
        "maj@2",
        "greedy_truncated",
        "sample_truncated",
        "greedy_acc_stderr",
        "sample_pass@1_seed_stderr",
    ):
        assert key in result
    assert result["sample_truncated"] == pytest.approx(
        100
        * np.mean(
            [r.truncated for r in read_records(run_dir(run_args) / "samples.jsonl") if r.kind == "sample"]
        )
    )
    assert result["fingerprint"] == json.loads((run_dir(run_args) / "manifest.json").read_text())


def test_second_run_only_prints(
    first_run: str, run_args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_sampler(*args: object, **kwargs: object) -> None:
        raise AssertionError("a complete run must not build a sampler")

    monkeypatch.setattr(factory, "make_sampler", no_sampler)
    before = (run_dir(run_args) / "samples.jsonl").read_bytes()
    assert main(run_args) == 0
    assert table_row(capsys.readouterr().out, "aime24") == table_row(first_run, "aime24")
    assert (run_dir(run_args) / "samples.jsonl").read_bytes() == before


def test_vllm_not_installed_is_one_line_and_exit_2(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.sampling.vllm_backend import vllm_installed

    if vllm_installed():
        pytest.skip("vLLM is installed here")
    args = ["--model_path", str(tmp_path / "m"), "--output_path", str(tmp_path), "--data_names", "aime24"]
    assert main([*args, "--data_dir", str(data_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "vLLM is not installed" in err and "--backend transformers" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_unknown_data_name_lists_known_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--backend", "transformers", "--model_path", str(tmp_path), "--data_names", "aime24,aime1999"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "aime1999" in err and "math_500" in err


def test_requested_k_above_n_sampling_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--backend", "transformers", "--model_path", str(tmp_path), "--n_sampling", "4", "--ks", "2,8"]
    assert main(args) == 2
    assert "--ks 8" in capsys.readouterr().err


def test_table_agrees_with_records_of_a_scripted_sampler(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template = load_template("r1-distilled-qwen")
    golds = {template.render(p.problem): p.gold for p in load_benchmark("amc23", data_dir).problems}
    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: ScriptedSampler(golds, model))
    args = ["--backend", "transformers", "--model_path", "m", "--output_path", str(tmp_path)]
    args += ["--data_dir", str(data_dir), "--data_names", "amc23", "--n_sampling", "8", "--ks", "2,8"]
    assert main(args) == 0
    records = read_records(tmp_path / "m" / "amc23" / "samples.jsonl")
    greedy = [r for r in records if r.kind == "greedy"]
    samples = [r for r in records if r.kind == "sample"]
    correct: dict[str, int] = {}
    for r in samples:
        correct[r.problem_id] = correct.get(r.problem_id, 0) + r.correct
    assert 0 < sum(correct.values()) < len(samples) and any(r.truncated for r in samples)

    def pct(values: list[float]) -> str:
        return str(round(100 * float(np.mean(values)), 1))

    expected = [
        "amc23",
        str(len(greedy)),
        str(round(float(np.mean([r.completion_tokens for r in greedy])), 1)),
        str(round(float(np.mean([r.completion_tokens for r in samples])), 1)),
        pct([r.correct for r in greedy]),
        pct([c / 8 for c in correct.values()]),
        pct([pass_at_k(8, c, 2) for c in correct.values()]),
        pct([pass_at_k(8, c, 8) for c in correct.values()]),
    ]
    out = capsys.readouterr().out
    assert "| pass@2 | pass@8 |" in out
    assert table_row(out, "amc23") == expected


@pytest.mark.parametrize(
    ("gpus", "flags", "engines"), [(8, [], 8), (8, ["--tensor_parallel_size", "2"], 4), (1, [], 1)]
)
def test_vllm_uses_one_engine_per_gpu_by_default(
    gpus: int, flags: list[str], engines: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    import evalkit.sampling.vllm_backend as vllm_backend
    from evalkit.cli.eval_and_aggregate import add_arguments
    from evalkit.evaluation import sampler_options
    from evalkit.run.config import EvalConfig

    monkeypatch.setattr(vllm_backend, "vllm_installed", lambda: True)
    monkeypatch.setattr(
        vllm_backend, "detect_platform", lambda: vllm_backend.VLLMPlatform("cuda", gpus, "GPU")
    )
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    options = sampler_options(EvalConfig.from_args(parser.parse_args(["--model_path", "m", *flags])))
    assert options["data_parallel_size"] == engines
    assert options["enforce_eager"] is True
    explicit = sampler_options(
        EvalConfig.from_args(parser.parse_args(["--model_path", "m", "--data_parallel_size", "3"]))
    )
    assert explicit["data_parallel_size"] == 3


def test_missing_model_directory_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--backend", "transformers", "--output_path", str(tmp_path), "--data_names", "aime24"]
    assert main(["--model_path", str(tmp_path / "nope"), *argv]) == 2
    assert f"--model_path {tmp_path / 'nope'}: no such directory" in capsys.readouterr().err
    assert main(["--model_path", str(tmp_path), *argv]) == 2
    assert "no config.json there" in capsys.readouterr().err


def test_vllm_on_a_cpu_build_runs_one_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    import evalkit.sampling.vllm_backend as vllm_backend
    from evalkit.cli.eval_and_aggregate import add_arguments
    from evalkit.evaluation import sampler_options
    from evalkit.run.config import EvalConfig

    monkeypatch.setattr(vllm_backend, "vllm_installed", lambda: True)
    monkeypatch.setattr(vllm_backend, "detect_platform", lambda: vllm_backend.VLLMPlatform("cpu", 0, ""))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = EvalConfig.from_args(parser.parse_args(["--model_path", "m"]))
    assert sampler_options(config)["data_parallel_size"] == 1


def test_vllm_without_a_platform_fails_in_one_line(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import evalkit.sampling.vllm_backend as vllm_backend

    monkeypatch.setattr(vllm_backend, "vllm_installed", lambda: True)
    monkeypatch.setattr(vllm_backend, "detect_platform", lambda: vllm_backend.VLLMPlatform("", 0, ""))
    argv = ["--model_path", str(tiny_model_dir), "--output_path", str(tmp_path), "--data_names", "aime24"]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "vLLM finds no device to run on here" in line and "--backend transformers" in line


def test_n_sampling_grows_a_run_and_a_lower_one_reads_its_prefix(
    data_dir: Path,
    tmp_path: Path,
    tiny_model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    template = load_template("r1-distilled-qwen")
    golds = {template.render(p.problem): p.gold for p in load_benchmark("aime24", data_dir).problems}
    asked: list[Job] = []

    monkeypatch.setattr(
        factory, "make_sampler", lambda backend, model, **_: AskedSampler(golds, model, asked)
    )
    args = ["--backend", "transformers", "--model_path", str(tiny_model_dir), "--output_path", str(tmp_path)]
    args += ["--data_dir", str(data_dir), "--data_names", "aime24", "--ks", "2"]
    assert main([*args, "--n_sampling", "4"]) == 0
    four = table_row(capsys.readouterr().out, "aime24")
    assert len(asked) == 30 * (1 + 4)
    asked.clear()
    assert main([*args, "--n_sampling", "8"]) == 0
    assert len(asked) == 30 * 4 and not any(
        j.params.greedy for j in asked
    )  # exactly the 4 missing per problem
    assert table_row(capsys.readouterr().out, "aime24") != four
    asked.clear()
    assert main([*args, "--n_sampling", "4"]) == 0
    assert asked == [] and table_row(capsys.readouterr().out, "aime24") == four  # the first 4 of the 8
    (run_dir,) = (m.parent for m in tmp_path.glob("*/aime24/manifest.json"))  # not AReaL's math_eval_*/
    assert len(read_records(run_dir / "samples.jsonl")) == 30 * 9
    sampling = RunStore(run_dir).manifest()["sampling"]
    eos = AutoTokenizer.from_pretrained(tiny_model_dir).convert_tokens_to_ids("<|endoftext|>")
    assert sampling["stop"] == ["</s>", "<|im_end|>", "<|endoftext|>"] and sampling["stop_token_ids"] == [eos]


def test_sampling_writes_a_log_where_areal_keeps_its_logs_and_a_complete_run_none(
    run_args: list[str], tmp_path: Path
) -> None:
    args = [*run_args, "--output_path", str(tmp_path)]  # a process of its own: stderr is file descriptor 2
    command = [sys.executable, "-m", "evalkit.cli.main", "eval", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    (log,) = (tmp_path / "math_eval_8" / "logs").glob("eval-*.log")
    text = log.read_text()
    assert text.startswith(f"log: {log}\n") and "aime24: sampling into" in text
    assert text in done.stderr  # a copy: the terminal got it all
    assert main(args) == 0  # complete: nothing sampled, no new log
    assert list(log.parent.iterdir()) == [log]
