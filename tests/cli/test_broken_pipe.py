"""A reader that closes stdout early (`evalkit --help | head -1`) ends a command quietly: no traceback."""

import os
import subprocess
import sys

import pytest

EVAL_AND_AGGREGATE = "import sys; from evalkit.cli.eval_and_aggregate import main; sys.exit(main())"
COMMANDS = {
    "evalkit --help": [sys.executable, "-m", "evalkit", "--help"],
    "evalkit --version": [sys.executable, "-m", "evalkit", "--version"],
    "evalkit eval --help": [sys.executable, "-m", "evalkit", "eval", "--help"],
    "evalkit benchmarks --help": [sys.executable, "-m", "evalkit", "benchmarks", "--help"],
    "evalkit benchmarks list": [sys.executable, "-m", "evalkit", "benchmarks", "list"],
    "eval_and_aggregate --help": [sys.executable, "-c", EVAL_AND_AGGREGATE, "--help"],
}


def _env(unbuffered: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return env | ({"PYTHONUNBUFFERED": "1"} if unbuffered else {})


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_reader_gone_before_the_first_write_ends_the_command_quietly(name: str, unbuffered: bool) -> None:
    """Deterministic: stdout is a pipe whose read end is closed before the command starts."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            COMMANDS[name],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(unbuffered),
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""  # no BrokenPipeError traceback, no "Exception ignored" at exit
    # 128 + SIGPIPE, as a shell reports `yes | head -1`; 0 where argparse's --help swallowed the error itself
    assert done.returncode in (141, 0)


@pytest.mark.parametrize("name", ["evalkit --help", "eval_and_aggregate --help"])
def test_head_minus_one_shows_the_first_line_and_nothing_else(name: str) -> None:
    command = " ".join(map(repr, COMMANDS[name]))  # repr quotes the -c program for the shell
    done = subprocess.run(
        ["bash", "-c", f"{command} | head -1"], capture_output=True, text=True, env=_env(False), timeout=120
    )
    assert done.returncode == 0 and done.stderr == ""
    assert (
        done.stdout.startswith(("usage: evalkit", "usage: eval_and_aggregate"))
        and done.stdout.count("\n") == 1
    )


def test_a_command_whose_reader_stays_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evalkit", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: evalkit") and done.stderr == ""
