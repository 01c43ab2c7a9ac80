"""The run's log file: a copy of file descriptor 2, children included, that never blocks or fails a run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli.engine_log import log_path, tee_stderr


def test_the_log_holds_what_this_process_and_its_children_write_to_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = log_path(tmp_path / "logs")
    with tee_stderr(path):
        os.write(2, b"from the parent\n")  # fd 2: under pytest, sys.stderr is a capture object of its own
        child = "import os; os.write(2, b'from the engine process\\n' * 20000)"  # more than a pipe holds
        subprocess.run([sys.executable, "-c", child], check=True)
    os.write(2, b"after the block\n")
    text = path.read_text()
    assert text.startswith("from the parent\n") and text.count("from the engine process\n") == 20000
    assert "after the block" not in text
    err = capfd.readouterr().err  # the terminal got everything too
    assert err.count("from the engine process\n") == 20000 and err.endswith("after the block\n")
    assert log_path(tmp_path / "logs") != path  # a second log of the same second gets its own name


def test_a_log_that_cannot_be_written_is_a_note_not_a_failure(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    with tee_stderr(blocked / "logs" / "eval.log"):
        os.write(2, b"still shown\n")
    err = capfd.readouterr().err
    assert "note: no log file" in err and "still shown" in err
