"""EvalConfig: one source for every default (dataclass fields -> flags -> config), its flags round trip, watch."""

import argparse
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

import pytest

from evalkit.cli.eval_and_aggregate import add_arguments
from evalkit.cli.watch import eval_config
from evalkit.cli.watch import run as watch_run
from evalkit.errors import UsageError
from evalkit.run.config import BackendConfig, EvalConfig, OutputConfig, RunConfig, sampling_flags
from evalkit.sampling.base import SamplingParams


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_flags_without_values_give_the_dataclass_defaults() -> None:
    config = EvalConfig.from_args(parse(["--model_path", "m"]))
    assert config == EvalConfig(
        "m", progress=True, output=OutputConfig(num_sample_nodes=8, samples_per_node=4)
    )


def test_each_sampling_default_and_help_is_written_once() -> None:
    params = {f.name: f for f in fields(SamplingParams)}
    shared = [
        f for f in fields(RunConfig) if f.name in params and f.name not in ("n", "stop", "stop_token_ids")
    ]
    assert {f.name for f in shared} == {"temperature", "top_p", "top_k", "max_new_tokens", "seed"}
    for f in shared:
        assert f.default == params[f.name].default and f.metadata["help"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    actions = {a.dest: a for a in parser._actions}
    for flag, name in sampling_flags().items():
        field = next(f for f in fields(RunConfig) if f.name == name)
        assert actions[flag].help.startswith(field.metadata["help"])
        assert actions[flag].default == (None if flag == "n_sampling" else field.default)
    assert "max_gen_tokens" in sampling_flags() and "grade_timeout" not in sampling_flags()


def test_to_argv_round_trips_a_config() -> None:
    config = EvalConfig(
        "m",
        benchmarks=("aime24",),
        sampling=RunConfig(n_sampling=6, temperature=1.0, max_new_tokens=64, seed=3),
        backend=BackendConfig(name="openai", base_url="http://127.0.0.1:1/v1"),
        output=OutputConfig(
            output_path="out", model_tag="t", ks=(2, 4), areal_files=False, samples_per_node=3
        ),
        progress=True,
    )
    argv = config.to_argv()
    assert argv[:2] == ["--model_path", "m"] and "--top_p" not in argv  # defaults are left out
    assert argv[argv.index("--samples_per_node") + 1] == "3" and "--no_areal_files" in argv
    assert EvalConfig.from_args(parse(argv)) == replace(
        config, output=replace(config.output, num_sample_nodes=2)
    )
    assert EvalConfig("m").to_argv() == ["--model_path", "m"]


def test_areal_seed_layout_flag_takes_m_from_the_layout_and_round_trips() -> None:
    config = EvalConfig.from_args(parse(["--model_path", "m", "--seed_layout", "areal", "--n_sampling", "6"]))
    assert config.sampling.seed_layout == "areal" and config.sampling.samples_per_seed == 2  # gcd(6, 4)
    assert config.layout() == (3, 2)
    argv = config.to_argv()
    assert argv[argv.index("--seed_layout") + 1] == "areal"
    assert EvalConfig.from_args(parse(argv)) == config
    api = EvalConfig("m", sampling=RunConfig(n_sampling=8, seed_layout="areal", samples_per_seed=4))
    assert api.layout() == (2, 4)  # the Python API: M from the sampling config
    assert "--seed_layout" not in EvalConfig.from_args(parse(["--model_path", "m"])).to_argv()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: EvalConfig(
                "m",
                sampling=RunConfig(n_sampling=8, seed_layout="areal", samples_per_seed=4),
                output=OutputConfig(samples_per_node=2),
            ),
            "samples_per_seed 4 differs from --samples_per_node 2",
        ),
        (lambda: RunConfig(seed_layout="other"), "--seed_layout 'other': choose one of evalkit, areal"),
        (
            lambda: BackendConfig(name="transformers", max_model_len=8),
            "--max_model_len: only for --backend vllm",
        ),
        (lambda: BackendConfig(name="openai"), "--base_url goes with --backend openai"),
        (lambda: EvalConfig("m", sampling=RunConfig(n_sampling=0)), "--n_sampling must be at least 1"),
        (lambda: EvalConfig("m", benchmarks=()), "--data_names"),
    ],
)
def test_a_bad_config_is_refused_naming_the_flag(make: Callable[[], object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make()


def test_stop_strings_come_from_the_template() -> None:
    with pytest.raises(ValueError, match="template"):
        EvalConfig("m", sampling=RunConfig(stop=("</s>",)))


def test_watch_builds_its_evaluation_from_an_eval_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(output_path="out", data_names="aime24", backend="transformers", n_sampling=8,
                              max_gen_tokens=None, data_dir=None, eval_args="--top_k 20 --samples_per_node 2")  # fmt: skip
    config = eval_config(args, "ckpt", "step1")
    assert config.sampling == RunConfig(n_sampling=8, top_k=20) and config.layout() == (4, 2)
    assert config.output.model_tag == "step1" and config.benchmarks == ("aime24",)
    bad = argparse.Namespace(**{**vars(args), "eval_args": "--samples_per_node 3"})
    with pytest.raises(UsageError, match="--n_sampling 8 conflicts with --samples_per_node 3"):
        eval_config(bad, "ckpt", "step1")
    bad.ckpt_root = str(tmp_path)
    assert watch_run(bad) == 2 and "conflicts" in capsys.readouterr().err  # before any checkpoint
