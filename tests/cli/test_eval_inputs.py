"""Each bad input is one line naming the flag or file, exit 2, before any model loads and with nothing stored."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import evalkit.sampling.factory as factory
from evalkit.cli.eval_and_aggregate import main
from evalkit.cli.main import main as evalkit_main


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to build an engine fails the test: inputs are checked first."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a sampler was built for a bad input")

    monkeypatch.setattr(factory, "make_sampler", refuse)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def base(tmp_path: Path, tiny_model_dir: Path) -> list[str]:
    out = tmp_path / "out"
    return ["--backend", "transformers", "--model_path", str(tiny_model_dir), "--output_path", str(out)]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--max_gen_tokens", "0"], "--max_gen_tokens 0: must be at least 1"),
        (["--max_gen_tokens", "-5"], "--max_gen_tokens -5: must be at least 1"),
        (["--temperature", "-1"], "--temperature -1.0: must be >= 0"),
        (["--top_p", "0"], "--top_p 0.0: must be in (0, 1]"),
        (["--top_p", "1.5"], "--top_p 1.5: must be in (0, 1]"),
        (["--data_names", ""], "--data_names '': name at least one benchmark"),
        (["--data_names", " , "], "--data_names ' , ': name at least one benchmark"),
        (["--model_tag", "../../x"], "--model_tag '../../x': must be one directory name"),
        (["--n_sampling", "0"], "--n_sampling 0: must be at least 1"),
        (
            ["--n_sampling", "6", "--samples_per_node", "4"],
            "--n_sampling 6 conflicts with --samples_per_node 4",
        ),
    ],
)
def test_bad_flag_is_one_line_and_nothing_is_stored(
    flags: list[str],
    expected: str,
    tmp_path: Path,
    tiny_model_dir: Path,
    no_model: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*base(tmp_path, tiny_model_dir), "--data_names", "aime24", *flags]) == 2
    assert expected in one_error_line(capsys)
    assert not list((tmp_path / "out").rglob("manifest.json")) and not (tmp_path / "x").exists()


def test_output_path_that_is_a_file(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").write_text("not a directory")
    assert main([*base(tmp_path, tiny_model_dir), "--data_names", "aime24"]) == 2
    assert f"--output_path {tmp_path / 'out'}: is a file, not a directory" in one_error_line(capsys)


def test_read_only_output_directory(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() == 0:  # root writes anywhere a mode allows nothing; sysfs refuses even root
        target = Path("/sys/evalkit-read-only")
    else:
        target = tmp_path / "ro"
        target.mkdir(mode=0o555)
    args = ["--backend", "transformers", "--model_path", str(tiny_model_dir), "--output_path", str(target)]
    assert main([*args, "--data_names", "aime24"]) == 2
    assert f"--output_path {target}: cannot write there" in one_error_line(capsys)


def test_model_path_that_is_a_file(
    tmp_path: Path, no_model: None, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"")
    assert (
        main(["--backend", "transformers", "--model_path", str(model), "--output_path", str(tmp_path)]) == 2
    )
    assert f"--model_path {model}: is a file, not a model directory" in one_error_line(capsys)


def test_unreachable_openai_server_fails_fast_naming_the_url(
    tmp_path: Path, no_model: None, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    args = [
        "--backend",
        "openai",
        "--base_url",
        url,
        "--model_path",
        "served",
        "--output_path",
        str(tmp_path),
    ]
    started = time.monotonic()
    assert main(args) == 2
    assert time.monotonic() - started < 10
    assert f"--base_url {url}: cannot connect to 127.0.0.1" in one_error_line(capsys)


def test_cf_flags_are_accepted_with_a_note(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*base(tmp_path, tiny_model_dir), "--cf_cache_file", "x.json", "--max_gen_tokens", "0"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "note: --cf_cache_file applies to AReaL's Codeforces ELO only; ignored for math" in err


def test_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    shown_defaults = ("(default: 0.6)", "(default: 32768)", "(default: r1-distilled-qwen)", "(default: vllm)")
    assert (
        "from it (default: 0)" in text
        and "--overwrite discard stored samples and start again --model_tag" in text
    )
    for shown in shown_defaults:
        assert shown in text


def test_bare_evalkit_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert evalkit_main([]) == 2
    assert "usage: evalkit <command>" in capsys.readouterr().err


def test_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    """``evalkit train-log --json | head``: the reader is gone before the JSON is written."""
    log = tmp_path / "trainer.log"
    log.write_text("no step lines here\n")
    read, write = os.pipe()
    os.close(read)
    cmd = [sys.executable, "-m", "evalkit", "train-log", str(log), "--json"]
    done = subprocess.run(cmd, stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    os.close(write)
    assert done.returncode == 141 and done.stderr == ""


def test_benchmarks_download_without_network_names_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    datasets = pytest.importorskip("datasets")

    def offline(*_: object, **__: object) -> None:
        raise ConnectionError("Couldn't reach 'HuggingFaceH4/aime_2024' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    assert evalkit_main(["benchmarks", "download", "aime24", "--data_dir", str(tmp_path)]) == 2
    line = one_error_line(capsys)
    assert "Couldn't reach 'HuggingFaceH4/aime_2024'" in line and "evalkit benchmarks import DIR" in line


def test_a_changed_benchmark_file_is_an_error_unless_allowed(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_eval_and_aggregate import ScriptedSampler, table_row

    from evalkit.benchmarks.loading import load_benchmark
    from evalkit.benchmarks.templates import load_template

    changed = tmp_path / "data"
    changed.mkdir()
    lines = (data_dir / "aime24.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (changed / "aime24.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")  # one problem fewer
    template = load_template("r1-distilled-qwen")
    golds = {template.render(p.problem): p.gold for p in load_benchmark("aime24", data_dir).problems}
    monkeypatch.setattr(factory, "make_sampler", lambda backend, model, **_: ScriptedSampler(golds, model))
    args = ["--backend", "transformers", "--model_path", "m", "--output_path", str(tmp_path / "out")]
    args += ["--data_dir", str(changed), "--data_names", "aime24", "--n_sampling", "2"]
    assert main(args) == 2
    line = one_error_line(capsys)
    assert "benchmark 'aime24' differs from its spec" in line and "expected 30 problems, found 29" in line
    assert main([*args, "--allow_changed_benchmark"]) == 0
    assert table_row(capsys.readouterr().out, "aime24 *")[1] == "29"


@pytest.mark.parametrize(
    ("n", "nodes", "per_node", "expected"),
    [
        (None, None, None, (32, 8, 4)),  # AReaL's defaults
        (8, None, None, (8, 2, 4)),
        (6, None, None, (6, 3, 2)),  # M = gcd(n, 4)
        (5, None, None, (5, 5, 1)),
        (None, 4, 2, (8, 4, 2)),
        (None, 2, None, (8, 2, 4)),  # the other one at AReaL's default
        (None, None, 8, (64, 8, 8)),
        (12, 3, None, (12, 3, 4)),
        (12, None, 6, (12, 2, 6)),
        (8, 4, 2, (8, 4, 2)),
        (16, 8, 4, (32, 8, 4)),  # an AReaL command line: AReaL samples N x M, n_sampling only bounds it
    ],
)
def test_n_sampling_and_areal_nodes_resolve_together(
    n: int | None, nodes: int | None, per_node: int | None, expected: tuple[int, int, int]
) -> None:
    import argparse

    from evalkit.cli.eval_inputs import resolve_samples

    args = argparse.Namespace(n_sampling=n, num_sample_nodes=nodes, samples_per_node=per_node)
    resolve_samples(args)
    assert (args.n_sampling, args.num_sample_nodes, args.samples_per_node) == expected


def test_a_server_that_rejects_requests_is_one_line_and_keeps_what_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Reject(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"error": {"message": "max_tokens is too large"}}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Reject)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        args = ["--backend", "openai", "--base_url", f"http://{host}:{port}/v1", "--model_path", "served",
                "--output_path", str(tmp_path), "--data_names", "aime24", "--n_sampling", "1",
                "--max_gen_tokens", "4", "--prompt_type", "raw"]  # fmt: skip
        assert main(args) == 2
    finally:
        server.shutdown()
        server.server_close()
    line = (
        capsys.readouterr().err.strip().splitlines()[-1]
    )  # after the progress lines: one line, no traceback
    assert line.startswith("eval_and_aggregate: stored samples are kept; ")
    assert "refused the request (HTTP 400" in line and "max_tokens is too large" in line
    assert "--max_gen_tokens" in line and "rerun to resume" not in line  # a rerun would fail the same way


def test_openai_client_settings_reach_the_sampler_and_belong_to_the_openai_backend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli.eval_and_aggregate import main as eval_main

    built: list[dict[str, object]] = []

    def fake(backend: str, model: str, **options: object) -> None:
        built.append(options)
        raise SystemExit(0)

    monkeypatch.setattr(factory, "make_sampler", fake)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    port = listening.getsockname()[1]
    base = ["--model_path", "m", "--output_path", str(tmp_path), "--data_names", "aime24"]
    server = ["--backend", "openai", "--base_url", f"http://127.0.0.1:{port}/v1"]
    flags = ["--max_concurrency", "8", "--max_retries", "3", "--request_timeout", "60", "--backoff", "2",
             "--retry_deadline", "300"]  # fmt: skip
    with pytest.raises(SystemExit):
        eval_main([*base, *server, *flags])
    assert {k: built[0][k] for k in ("max_concurrency", "max_retries", "timeout", "backoff", "retry_deadline")} == {
        "max_concurrency": 8, "max_retries": 3, "timeout": 60.0, "backoff": 2.0, "retry_deadline": 300.0
    }  # fmt: skip
    assert eval_main([*base, "--backend", "transformers", "--max_concurrency", "8"]) == 2
    assert "--max_concurrency: only for --backend openai" in capsys.readouterr().err
    assert eval_main([*base, *server, "--request_timeout", "0"]) == 2
    assert "--request_timeout: must be positive" in capsys.readouterr().err
    listening.close()


def test_n_sampling_above_areal_n_times_m_is_an_error_and_below_it_a_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import argparse

    from evalkit.cli.eval_inputs import resolve_samples
    from evalkit.errors import UsageError

    with pytest.raises(
        UsageError, match=r"--n_sampling 64 exceeds --num_sample_nodes 8 x --samples_per_node 4 = 32"
    ):
        resolve_samples(argparse.Namespace(n_sampling=64, num_sample_nodes=8, samples_per_node=4))
    resolve_samples(argparse.Namespace(n_sampling=16, num_sample_nodes=8, samples_per_node=4))
    assert (
        "note: 32 samples per problem: --num_sample_nodes 8 x --samples_per_node 4" in capsys.readouterr().err
    )
