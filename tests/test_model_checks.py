"""A model directory that cannot work is refused up front, in one line naming the file, before any engine
loads: no tokenizer files (today an IndexError inside `generate`), a config.json that is not a JSON object,
a tokenizer that does not load."""

import json
import shutil
from pathlib import Path

import pytest

import evalkit.sampling.factory as factory
from evalkit.cli.eval_and_aggregate import main
from evalkit.errors import UsageError
from evalkit.run.model_dir import check_model_dir, load_tokenizer, read_model_config, tokenizer_files

TOKENIZER = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any engine start fails the test: every refusal here must come before one."""

    def make_sampler(*args: object, **kwargs: object) -> None:
        raise AssertionError("an engine was started for a model directory that should have been refused")

    monkeypatch.setattr(factory, "make_sampler", make_sampler)


def copy_model(source: Path, dest: Path, *, without: tuple[str, ...] = ()) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*without))
    return dest


def eval_args(model: Path, tmp_path: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        "--backend", "transformers", "--model_path", str(model), "--output_path", str(tmp_path / "out"),
        "--data_dir", str(data_dir), "--data_names", "aime24", "--n_sampling", "1", "--max_gen_tokens", "4",
        *extra,
    ]  # fmt: skip


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.usefixtures("no_engine")
@pytest.mark.parametrize("template", ["r1-distilled-qwen", "chat"])
def test_a_model_without_tokenizer_files_is_refused_before_the_engine(
    tiny_model_dir: Path, tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str], template: str
) -> None:
    model = copy_model(tiny_model_dir, tmp_path / "ckpt", without=TOKENIZER)
    assert main(eval_args(model, tmp_path, data_dir, "--prompt_type", template)) == 2
    err = one_line(capsys.readouterr().err)
    assert err.startswith(f"eval_and_aggregate: --model_path {model}: no tokenizer files there (looked for ")
    assert "tokenizer.json" in err and "*.model" in err and "vocab.json + merges.txt" in err


@pytest.mark.usefixtures("no_engine")
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('{"model_type": "qwen2", "vocab_size": ', "invalid JSON: Expecting value at line 1 column 39"),
        ("", "invalid JSON: Expecting value at line 1 column 1"),
        ('["qwen2"]', "a JSON list, not an object"),
    ],
    ids=["truncated", "empty", "a-list"],
)
def test_a_corrupt_config_json_is_refused_naming_the_file(
    tiny_model_dir: Path,
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    config: str,
    expected: str,
) -> None:
    model = copy_model(tiny_model_dir, tmp_path / "ckpt")
    (model / "config.json").write_text(config, encoding="utf-8")
    assert main(eval_args(model, tmp_path, data_dir)) == 2
    err = one_line(capsys.readouterr().err)
    assert err.startswith(f"eval_and_aggregate: {model / 'config.json'}: not a Hugging Face model config (")
    assert expected in err


@pytest.mark.usefixtures("no_engine")
def test_a_tokenizer_that_does_not_load_is_one_line(
    tiny_model_dir: Path, tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = copy_model(tiny_model_dir, tmp_path / "ckpt")
    (model / "tokenizer.json").write_text('{"version": "1.0", "model": ', encoding="utf-8")  # truncated
    assert main(eval_args(model, tmp_path, data_dir)) == 2
    err = one_line(capsys.readouterr().err)
    assert err.startswith(f"eval_and_aggregate: --model_path {model}: the tokenizer does not load (")


def test_a_complete_model_directory_passes(tiny_model_dir: Path) -> None:
    check_model_dir(tiny_model_dir)
    assert read_model_config(tiny_model_dir)["model_type"] == "qwen2"
    assert len(load_tokenizer(str(tiny_model_dir))) > 100


@pytest.mark.parametrize(
    ("files", "found"),
    [
        (("tokenizer.json",), ["tokenizer.json"]),
        (("tokenizer_config.json", "tokenizer.model"), ["tokenizer.model"]),  # SentencePiece
        (("tokenizer_config.json", "vocab.json", "merges.txt"), ["merges.txt", "vocab.json"]),  # slow BPE
        (("tokenizer_config.json", "vocab.json"), []),  # BPE without its merges
        (("tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"), []),
        (("qwen.tiktoken",), ["qwen.tiktoken"]),
    ],
)
def test_what_counts_as_tokenizer_files(tmp_path: Path, files: tuple[str, ...], found: list[str]) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}), encoding="utf-8")
    for name in files:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert tokenizer_files(tmp_path) == found
    if not found:
        with pytest.raises(UsageError, match=r"no tokenizer files there"):
            check_model_dir(tmp_path)
