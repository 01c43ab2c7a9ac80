"""AReaL's files after an evalkit run, found as AReaL's scripts find them, and AReaL folders read back."""

import json
import shutil
from glob import glob
from pathlib import Path

import numpy as np
import pytest
from scripted import ScriptedSampler, table_row

import evalkit.sampling.factory as factory
from evalkit.benchmarks.loading import load_benchmark
from evalkit.benchmarks.templates import load_template
from evalkit.cli.eval_and_aggregate import main
from evalkit.cli.main import main as evalkit_main
from evalkit.graders import audit
from evalkit.reporting.areal_files import AGGREGATE_KEYS, is_areal_folder, read_areal_folder
from evalkit.run.store import RunStore, read_records

AREAL_KEYS = ["idx", "question", "gt_cot", "gt", "code", "pred", "report", "score"]
PT = "r1-distilled-qwen"


def areal_pass_at_k(scores: list[list[bool]], k: int) -> float:
    """AReaL v0.5.3 eval_and_aggregate.pass_at_k, restated: the mean over problems of the unbiased estimator."""
    values = []
    for s in scores:
        n, c = len(s), sum(s)
        values.append(1.0 if n - c < k else 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1))))
    return float(np.mean(values)) * 100


def run_amc23(scripted: list[str], output_path: Path, n_sampling: int) -> int:
    return main(
        [
            *scripted,
            "--output_path",
            str(output_path),
            "--data_names",
            "amc23",
            "--n_sampling",
            str(n_sampling),
        ]
    )


@pytest.fixture
def scripted(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A scripted sampler for amc23 and aime24; the base flags of a run with it."""
    template = load_template(PT)
    golds = {
        template.render(p.problem): p.gold
        for name in ("amc23", "aime24")
        for p in load_benchmark(name, data_dir).problems
    }
    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: ScriptedSampler(golds, model))
    return [
        "--backend",
        "transformers",
        "--model_path",
        "m",
        "--data_dir",
        str(data_dir),
        "--max_gen_tokens",
        "64",
    ]


def test_an_areal_script_finds_its_files_and_numbers(scripted: list[str], tmp_path: Path) -> None:
    assert run_amc23(scripted, tmp_path, 8) == 0
    base = tmp_path / "math_eval_64"
    # the globs of AReaL's eval_and_aggregate.process_single_data_name (M = gcd(8, 4) = 4 per seed file)
    (greedy,) = glob(str(base / "amc23" / f"test_{PT}_-1_seed0_t0.0_topp1.00_topk-1_s0_e-1_n1.jsonl"))
    sampled = sorted(glob(str(base / "amc23" / f"test_{PT}_-1_seed*_t0.6_topp0.95_topk-1_s0_e-1_n4.jsonl")))
    assert [Path(f).name.split("_seed")[1][0] for f in sampled] == ["1", "2"]
    lines = [json.loads(t) for t in Path(greedy).read_text().splitlines()]
    assert [list(line) for line in lines] == [AREAL_KEYS] * 40 and [li["idx"] for li in lines] == list(
        range(40)
    )
    problems = load_benchmark("amc23").problems
    assert [li["question"] for li in lines] == [p.problem for p in problems]
    scores: dict[int, list[bool]] = {}
    for f in sampled:
        for line in map(json.loads, Path(f).read_text().splitlines()):
            assert len(line["code"]) == len(line["pred"]) == len(line["score"]) == 4
            scores.setdefault(line["idx"], []).extend(line["score"])
    per_file = json.loads(Path(sampled[0].replace(".jsonl", f"_{PT}_metrics.json")).read_text())
    keys = "num_samples num_scores timeout_samples empty_samples acc maj@4 pass@4 pass@1 time_use_in_second"
    assert list(per_file) == [*keys.split(), "time_use_in_minite"]  # math_eval.py's keys, in its order
    assert per_file["num_scores"] == 160 and per_file["acc"] == per_file["pass@1"]
    aggregate = json.loads((base / f"aggregate_parallel_{PT}_0.6_0.95_-1.json").read_text())["amc23"]
    assert list(aggregate) == list(AGGREGATE_KEYS)
    assert aggregate["num_questions"] == 40 and aggregate["maj@32"] == aggregate["pass@32"] == "-"
    assert aggregate["pass@8"] == pytest.approx(areal_pass_at_k(list(scores.values()), 8), abs=1e-9)
    assert aggregate["sample_pass@1"] == pytest.approx(areal_pass_at_k(list(scores.values()), 1), abs=1e-9)
    assert aggregate["greedy_acc"] == pytest.approx(100 * np.mean([li["score"][0] for li in lines]), abs=1e-9)
    ours = json.loads((tmp_path / "m" / f"aggregate_parallel_{PT}_0.6_0.95_-1.json").read_text())["amc23"]
    assert ours["pass@8"] == aggregate["pass@8"]
    # AReaL's lengths re-tokenise the responses: model "m" has no tokenizer, so they are unknown
    assert aggregate["greedy_length"] == aggregate["sample_length"] == "-"
    assert isinstance(ours["greedy_length"], float)  # evalkit's own: the generated tokens


def areal_get_metrics_lengths(pattern: str, tokenizer: object) -> tuple[float, int]:
    """AReaL v0.5.3 eval_and_aggregate.get_metrics's length, restated: every ``code`` of every file the
    pattern globs, re-tokenised with ``tokenizer(texts, return_length=True)``, averaged; and their count."""
    generated = [
        c
        for f in glob(pattern)
        for li in map(json.loads, Path(f).read_text().splitlines())
        for c in li["code"]
    ]
    lengths = tokenizer(generated, return_length=True)["length"]  # type: ignore[operator]
    return float(np.mean(lengths)), len(lengths)


def test_areal_lengths_are_arealss_definition_and_evalkits_table_keeps_its_own(
    tiny_model_dir: Path, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from transformers import AutoTokenizer

    template = load_template(PT)
    golds = {template.render(p.problem): p.gold for p in load_benchmark("amc23", data_dir).problems}
    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: ScriptedSampler(golds, model))
    flags = ["--backend", "transformers", "--model_path", str(tiny_model_dir), "--output_path", str(tmp_path)]
    flags += [
        "--data_dir",
        str(data_dir),
        "--data_names",
        "amc23",
        "--n_sampling",
        "8",
        "--max_gen_tokens",
        "64",
    ]
    assert main(flags) == 0
    default_row = table_row(capsys.readouterr().out, "amc23")
    base = tmp_path / "math_eval_64"
    aggregate = json.loads((base / f"aggregate_parallel_{PT}_0.6_0.95_-1.json").read_text())["amc23"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)  # as AReaL's __main__ loads it
    greedy, n_greedy = areal_get_metrics_lengths(
        str(base / "amc23" / f"test_{PT}_-1_seed0_t0.0_topp1.00_topk-1_s0_e-1_n1.jsonl"), tokenizer
    )
    sample, n_sample = areal_get_metrics_lengths(
        str(base / "amc23" / f"test_{PT}_-1_seed*_t0.6_topp0.95_topk-1_s0_e-1_n4.jsonl"), tokenizer
    )
    assert (n_greedy, n_sample) == (40, 320)
    assert aggregate["greedy_length"] == greedy and aggregate["sample_length"] == sample  # exactly
    assert aggregate["num_questions"] == n_greedy  # AReaL's num_questions: len(lengths) of the greedy file
    scores: dict[int, list[bool]] = {}
    for f in sorted(base.glob(f"amc23/test_{PT}_-1_seed*_t0.6_topp0.95_topk-1_s0_e-1_n4.jsonl")):
        for line in map(json.loads, f.read_text().splitlines()):
            scores.setdefault(line["idx"], []).extend(line["score"])
    for key, k in (("sample_pass@1", 1), ("pass@8", 8)):  # AReaL's estimator in AReaL's order: every bit
        assert aggregate[key] == areal_pass_at_k(list(scores.values()), k)
    stored = read_records(next(tmp_path.glob("*/amc23/samples.jsonl")))
    tokens = float(np.mean([r.completion_tokens for r in stored if r.kind == "sample"]))
    assert default_row[3] == str(round(tokens, 1)) != str(round(sample, 1))  # evalkit's count, its own table
    assert main([*flags, "--table", "areal-v0.5.3"]) == 0
    areal_row = table_row(capsys.readouterr().out, "amc23")
    assert areal_row[2:4] == [str(round(greedy, 1)), str(round(sample, 1))]  # AReaL's definition


def test_areal_code_is_cut_at_the_stop_strings_as_math_eval_does() -> None:
    from evalkit.reporting.areal_files import areal_code

    assert areal_code("  x = 1 \n\nQuestion: next  ", ("</s>", "\n\nQuestion:")) == "x = 1"
    assert areal_code("  a<|im_end|>b</s>c ", ("</s>", "<|im_end|>")) == "a"
    assert areal_code(" plain ") == "plain"


def test_nodes_times_samples_per_node_relayout_keeps_arealss_own_files(
    scripted: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [*scripted, "--output_path", str(tmp_path), "--data_names", "amc23"]
    assert main([*base, "--n_sampling", "8"]) == 0
    folder = tmp_path / "math_eval_64" / "amc23"
    foreign = folder / f"test_{PT}_-1_seed9_t0.6_topp0.95_topk-1_s0_e-1_n4.jsonl"
    foreign.write_text("")  # a file AReaL wrote: never evalkit's to delete
    assert main([*base, "--num_sample_nodes", "4", "--samples_per_node", "2"]) == 0
    names = sorted(p.name for p in folder.glob("*_n2.jsonl"))
    assert len(names) == 4 and not list(folder.glob("*seed1_*_n4.jsonl")) and foreign.is_file()
    capsys.readouterr()
    assert main([*base, "--n_sampling", "16", "--num_sample_nodes", "4", "--samples_per_node", "2"]) == 2
    err = capsys.readouterr().err
    assert (
        "--n_sampling 16 exceeds" in err
        and "--num_sample_nodes 4" in err
        and len(err.strip().splitlines()) == 1
    )


def test_aggregates_keep_every_benchmark_and_areal_table(
    scripted: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [*scripted, "--output_path", str(tmp_path), "--n_sampling", "4"]
    assert main([*base, "--data_names", "amc23"]) == 0
    assert main([*base, "--data_names", "aime24", "--table", "areal-v0.5.3"]) == 0
    out = capsys.readouterr().out
    assert "| pass@8 | pass@16 | maj@32 | pass@32 |" in out and table_row(out, "aime24")[-4:] == ["-"] * 4
    for path in (tmp_path / "m").glob("aggregate_parallel_*.json"), (tmp_path / "math_eval_64").glob("agg*"):
        (file,) = path
        assert set(json.loads(file.read_text())) == {"amc23", "aime24"}
    other = tmp_path / "other"
    assert main([*scripted, "--output_path", str(other), "--data_names", "amc23", "--no_areal_files"]) == 0
    assert not list(other.glob("math_eval_*")) and list(other.glob("m/amc23/samples.jsonl"))


def test_an_areal_folder_is_regraded_reported_and_compared(
    scripted: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_amc23(scripted, tmp_path, 4) == 0
    areal = tmp_path / "areal"
    shutil.copytree(tmp_path / "math_eval_64", areal / "math_eval_64")
    assert is_areal_folder(areal) and is_areal_folder(areal / "math_eval_64" / "amc23")
    assert not is_areal_folder(tmp_path)  # evalkit's output path: its run store is read, not its AReaL copy
    stored = RunStore(tmp_path / "m" / "amc23").records()
    (run,) = read_areal_folder(areal).values()
    assert sorted((r.kind, r.correct) for r in run.records) == sorted((r.kind, r.correct) for r in stored)
    assert run.areal_scores == [r.correct for r in run.records]
    # AReaL's own verdict of one response differs: grade says so
    greedy = areal / "math_eval_64" / "amc23" / f"test_{PT}_-1_seed0_t0.0_topp1.00_topk-1_s0_e-1_n1.jsonl"
    lines = [json.loads(t) for t in greedy.read_text().splitlines()]
    lines[0]["score"] = [not lines[0]["score"][0]]
    greedy.write_text("".join(json.dumps(li) + "\n" for li in lines))
    capsys.readouterr()
    assert evalkit_main(["grade", str(areal), "--audit"]) == 2  # an audit needs -o DIR here
    assert "-o DIR" in capsys.readouterr().err or not audit.available()
    assert evalkit_main(["grade", str(areal), "-o", str(tmp_path / "converted"), "--audit"]) == 0
    assert "(1 verdicts changed)" in capsys.readouterr().out
    assert (tmp_path / "converted" / "amc23" / "audit.jsonl").is_file()
    assert len(RunStore(tmp_path / "converted" / "amc23").records()) == 40 * 5
    assert evalkit_main(["report", str(areal), "-o", str(tmp_path / "r.html"), "--no-audit"]) == 0
    html = (tmp_path / "r.html").read_text()
    assert "AReaL files" in html and load_benchmark("amc23").problems[0].problem[:30] in html
    assert evalkit_main(["compare", str(tmp_path / "m"), str(areal), "--n_resamples", "200"]) == 0
    assert "| amc23   | greedy_acc" in capsys.readouterr().out


def test_compare_refuses_other_sampling_settings_unless_allowed(
    scripted: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_amc23(scripted, tmp_path, 2) == 0
    other = tmp_path / "other"
    shutil.copytree(tmp_path / "m", other / "m")
    store = RunStore(other / "m" / "amc23")
    manifest = store.manifest()
    assert manifest is not None
    manifest["sampling"]["temperature"] = 1.0
    store.write_manifest(manifest)
    capsys.readouterr()
    assert evalkit_main(["compare", str(tmp_path / "m"), str(other / "m"), "--n_resamples", "100"]) == 2
    err = capsys.readouterr().err
    assert "sampling.temperature: 0.6 (A) vs 1.0 (B)" in err and len(err.strip().splitlines()) == 1
    args = [
        "compare",
        str(tmp_path / "m"),
        str(other / "m"),
        "--n_resamples",
        "100",
        "--allow_different_settings",
    ]
    assert evalkit_main(args) == 0
    out = capsys.readouterr().out
    assert "| amc23 * |" in out and "* amc23 was run with different settings: sampling.temperature" in out
