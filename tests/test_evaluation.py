"""evalkit.evaluate(config): the library call on a tiny model (transformers backend), silent, same as the CLI."""

import io
import json
from pathlib import Path

import pytest

import evalkit
import evalkit.sampling.factory as factory
from evalkit.cli.eval_and_aggregate import main
from evalkit.reporting.table import render_table
from evalkit.run.store import read_records


def test_evaluate_prints_nothing_and_the_cli_prints_its_table(
    tiny_model_dir: Path,
    data_dir: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = evalkit.EvalConfig(
        str(tiny_model_dir),
        benchmarks=("aime24",),
        data_dir=str(data_dir),
        sampling=evalkit.RunConfig(n_sampling=1, max_new_tokens=4),
        backend=evalkit.BackendConfig(name="transformers"),
        output=evalkit.OutputConfig(output_path=str(tmp_path), model_tag="tiny"),
    )
    results = evalkit.evaluate(config)
    assert capfd.readouterr() == ("", "")  # no print, no progress bar
    run_dir = tmp_path / "tiny" / "aime24"
    assert results.run_dirs == {"aime24": run_dir}
    records = read_records(run_dir / "samples.jsonl")
    assert sorted(r.kind for r in records) == ["greedy"] * 30 + ["sample"] * 30
    metrics = results.metrics["aime24"]
    assert metrics.num_questions == 30 and metrics.sample_length <= 4
    written = json.loads(results.aggregate_path.read_text())["aime24"]
    assert written == json.loads(json.dumps(metrics.to_dict() | {"fingerprint": results.manifests["aime24"]}))
    assert written["fingerprint"]["benchmark"]["name"] == "aime24"
    assert results.columns == [8, 16] and results.changed == {}
    assert (tmp_path / "math_eval_4").is_dir()  # AReaL's files, as eval_and_aggregate writes them

    log = io.StringIO()
    assert evalkit.evaluate(config, log=log).metrics == results.metrics  # complete: re-aggregated only
    assert "sampling into" not in log.getvalue() and "need --n_sampling >= k" in log.getvalue()

    monkeypatch.setattr(factory, "make_sampler", lambda *a, **k: pytest.fail("the run is complete"))
    assert main(config.to_argv()) == 0
    out = capfd.readouterr().out
    assert f"Evaluation output to {results.aggregate_path}" in out
    assert render_table(*results.table()) in out


@pytest.mark.parametrize("fails", [False, True])
def test_evaluate_closes_the_sampler_it_built(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    """In a long-lived process (a notebook, a watcher) each call's ranks give their GPUs back."""
    from scripted import ScriptedSampler

    from evalkit.benchmarks.loading import load_benchmark
    from evalkit.benchmarks.templates import load_template

    template = load_template("r1-distilled-qwen")
    golds = {template.render(p.problem): p.gold for p in load_benchmark("aime24", data_dir).problems}
    closed = []

    class ClosingSampler(ScriptedSampler):
        def stream(self, jobs, *, max_in_flight=None):  # type: ignore[no-untyped-def]
            if fails:
                raise RuntimeError("engine died")
            yield from super().stream(jobs, max_in_flight=max_in_flight)

        def close(self) -> None:
            closed.append(self)

    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: ClosingSampler(golds, model))
    config = evalkit.EvalConfig(
        "m",
        benchmarks=("aime24",),
        data_dir=str(data_dir),
        sampling=evalkit.RunConfig(n_sampling=1),
        backend=evalkit.BackendConfig(name="transformers"),
        output=evalkit.OutputConfig(output_path=str(tmp_path)),
    )
    if fails:
        with pytest.raises(RuntimeError, match="engine died"):
            evalkit.evaluate(config)
    else:
        evalkit.evaluate(config)
    assert len(closed) == 1


def test_a_run_that_fails_before_storing_anything_leaves_no_directory(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_engine(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no engine here")

    monkeypatch.setattr(factory, "make_sampler", no_engine)
    config = evalkit.EvalConfig(
        "m",
        benchmarks=("aime24",),
        data_dir=str(data_dir),
        backend=evalkit.BackendConfig(name="transformers"),
        output=evalkit.OutputConfig(output_path=str(tmp_path / "out")),
    )
    with pytest.raises(RuntimeError, match="no engine here"):
        evalkit.evaluate(config)
    assert list((tmp_path / "out").iterdir()) == []


def test_areal_seed_layout_says_how_its_seeds_overlap_and_fills_areals_seed_files(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scripted import AskedSampler

    from evalkit.benchmarks.loading import load_benchmark
    from evalkit.benchmarks.templates import load_template

    template = load_template("r1-distilled-qwen")
    golds = {template.render(p.problem): p.gold for p in load_benchmark("aime24", data_dir).problems}
    asked: list = []
    monkeypatch.setattr(
        factory, "make_sampler", lambda backend, model, **_: AskedSampler(golds, model, asked)
    )
    config = evalkit.EvalConfig(
        "m",
        benchmarks=("aime24",),
        data_dir=str(data_dir),
        sampling=evalkit.RunConfig(n_sampling=12, max_new_tokens=8, seed_layout="areal", samples_per_seed=4),
        backend=evalkit.BackendConfig(name="transformers"),
        output=evalkit.OutputConfig(output_path=str(tmp_path), model_tag="t"),
    )
    log = io.StringIO()
    evalkit.evaluate(config, log=log)
    notes = log.getvalue()
    assert "the 12 samples of a problem have 6 distinct seeds" in notes
    assert "reproduces AReaL's samples on vLLM, not on --backend transformers" in notes
    assert sorted({j.seed for j in asked if j.seed is not None}) == [1, 2, 3, 4, 5, 6]
    seed_file = (
        tmp_path
        / "math_eval_8"
        / "aime24"
        / "test_r1-distilled-qwen_-1_seed2_t0.6_topp0.95_topk-1_s0_e-1_n4.jsonl"
    )
    stored = {
        (r.problem_id, r.sample_index): r for r in read_records(tmp_path / "t" / "aime24" / "samples.jsonl")
    }
    first = json.loads(seed_file.read_text().splitlines()[0])  # seed file 2 holds seed run 2: seeds 2..5
    problem = load_benchmark("aime24", data_dir).problems[first["idx"]]
    assert first["code"] == [stored[(problem.id, i)].response for i in range(4, 8)]
    assert [stored[(problem.id, i)].seed for i in range(4, 8)] == [2, 3, 4, 5]
